/** Contract tests for `setEvent` and `getEvent`: last write wins, optionally with a checkpoint. */
import { beforeEach, describe, expect, it } from "vitest";
import { type Fixture, newWorkflow, stepAt, tricky } from "../fixtures.js";

export function describeEvents(fx: Fixture): void {
  describe("setEvent and getEvent", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
    });

    it("returns undefined for an event that was never set", async () => {
      expect(await fx.store.getEvent("wf-1", "status")).toBeUndefined();
      expect(await fx.store.getEvent("nope", "status")).toBeUndefined();
    });

    it("returns a value that serializes undefined as itself, not as never-set", async () => {
      await fx.store.setEvent({ workflowId: "wf-1", key: "status", value: "-1" });
      expect(await fx.store.getEvent("wf-1", "status")).toBe("-1");
    });

    it("keeps the last value written", async () => {
      await fx.store.setEvent({ workflowId: "wf-1", key: "status", value: '"reserved"' });
      await fx.store.setEvent({ workflowId: "wf-1", key: "status", value: '"paid"' });
      expect(await fx.store.getEvent("wf-1", "status")).toBe('"paid"');
    });

    it("keeps events apart by workflow and key", async () => {
      await fx.store.setEvent({ workflowId: "wf-1", key: "a", value: '"1a"' });
      await fx.store.setEvent({ workflowId: "wf-1", key: "b", value: '"1b"' });
      await fx.store.setEvent({ workflowId: "wf-2", key: "a", value: '"2a"' });
      expect(await fx.store.getEvent("wf-1", "a")).toBe('"1a"');
      expect(await fx.store.getEvent("wf-1", "b")).toBe('"1b"');
      expect(await fx.store.getEvent("wf-2", "a")).toBe('"2a"');
      expect(await fx.store.getEvent("wf-2", "b")).toBeUndefined();
    });

    it("records the given checkpoint together with the value", async () => {
      const step = stepAt("wf-1", 0, { name: "cairn.setEvent", output: "-1" });
      await fx.store.setEvent({ workflowId: "wf-1", key: "status", value: '"paid"' }, step);
      expect(await fx.store.getEvent("wf-1", "status")).toBe('"paid"');
      expect(await fx.store.listSteps("wf-1")).toEqual([step]);
    });

    it("keeps the first checkpoint at a position but still sets the value", async () => {
      const first = stepAt("wf-1", 0, { name: "cairn.setEvent", output: '"first"' });
      await fx.store.setEvent({ workflowId: "wf-1", key: "status", value: '"one"' }, first);
      await fx.store.setEvent(
        { workflowId: "wf-1", key: "status", value: '"two"' },
        { ...first, output: '"second"' },
      );
      expect(await fx.store.listSteps("wf-1")).toEqual([first]);
      expect(await fx.store.getEvent("wf-1", "status")).toBe('"two"');
    });

    it("sets the value without writing a checkpoint when no step is given", async () => {
      await fx.store.setEvent({ workflowId: "wf-1", key: "status", value: '"paid"' });
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
    });

    for (const [label, value] of Object.entries(tricky)) {
      it(`keeps an event's value byte-for-byte (${label})`, async () => {
        await fx.store.setEvent({ workflowId: "wf-1", key: "k", value });
        expect(await fx.store.getEvent("wf-1", "k")).toBe(value);
      });
    }
  });
}
