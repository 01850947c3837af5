/** Contract tests for `recordStep` and `listSteps`. */
import { beforeEach, describe, expect, it } from "vitest";
import { type Fixture, newWorkflow, stepAt, tricky } from "../fixtures.js";

export function describeSteps(fx: Fixture): void {
  describe("recordStep and listSteps", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
    });

    it("stores a checkpoint with all its fields and returns true", async () => {
      const step = stepAt("wf-1", 0, { childWorkflowId: "child-1", attempts: 3 });
      expect(await fx.store.recordStep(step)).toBe(true);
      expect(await fx.store.listSteps("wf-1")).toEqual([step]);
    });

    it("stores an error checkpoint with output undefined", async () => {
      const step = stepAt("wf-1", 0, { output: undefined, error: '{"message":"boom"}' });
      expect(await fx.store.recordStep(step)).toBe(true);
      expect(await fx.store.listSteps("wf-1")).toEqual([step]);
    });

    it("keeps the first checkpoint and returns false when a second write targets the same position", async () => {
      const first = stepAt("wf-1", 0, { output: '"first"' });
      expect(await fx.store.recordStep(first)).toBe(true);
      expect(
        await fx.store.recordStep(stepAt("wf-1", 0, { name: "other", output: '"second"' })),
      ).toBe(false);
      expect(await fx.store.listSteps("wf-1")).toEqual([first]);
    });

    it("lets exactly one of concurrent writes to the same position win", async () => {
      const writes = Array.from({ length: 10 }, (_, i) => stepAt("wf-1", 0, { output: `"${i}"` }));
      const results = await Promise.all(writes.map((s) => fx.store.recordStep(s)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await fx.store.listSteps("wf-1")).toEqual([writes[results.indexOf(true)]]);
    });

    it("returns an empty list for a workflow without checkpoints or an unknown ID", async () => {
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
      expect(await fx.store.listSteps("nope")).toEqual([]);
    });

    it("lists checkpoints ordered by numeric position whatever the write order", async () => {
      for (const position of [10, 2, 0, 9, 1]) await fx.store.recordStep(stepAt("wf-1", position));
      const positions = (await fx.store.listSteps("wf-1")).map((s) => s.position);
      expect(positions).toEqual([0, 1, 2, 9, 10]);
    });

    it("lists only the checkpoints of the given workflow", async () => {
      await fx.store.recordStep(stepAt("wf-1", 0));
      await fx.store.recordStep(stepAt("wf-2", 0, { output: '"other"' }));
      await fx.store.recordStep(stepAt("wf-2", 1));
      expect(await fx.store.listSteps("wf-1")).toEqual([stepAt("wf-1", 0)]);
      expect((await fx.store.listSteps("wf-2")).map((s) => s.output)).toEqual([
        '"other"',
        '"out-1"',
      ]);
    });

    it("lists the checkpoints of many workflows in one read (listStepsOf), each ordered by position", async (context) => {
      if (!fx.store.listStepsOf) return context.skip("the store has no listStepsOf()");
      for (const position of [2, 0, 1]) await fx.store.recordStep(stepAt("wf-1", position));
      await fx.store.recordStep(stepAt("wf-2", 0, { output: '"other"' }));
      const byId = await fx.store.listStepsOf(["wf-2", "wf-1", "nope", "wf-1"]);
      expect([...byId.keys()].sort()).toEqual(["nope", "wf-1", "wf-2"]);
      expect(byId.get("wf-1")).toEqual([0, 1, 2].map((p) => stepAt("wf-1", p)));
      expect(byId.get("wf-2")).toEqual([stepAt("wf-2", 0, { output: '"other"' })]);
      expect(byId.get("nope")).toEqual([]);
      expect((await fx.store.listStepsOf([])).size).toBe(0);
    });

    it("lands every one of 200 concurrent checkpoints over 20 workflows", async () => {
      const workflowIds = Array.from({ length: 20 }, (_, i) => `wf-${i}`);
      await Promise.all(workflowIds.map((id) => fx.store.createWorkflow(newWorkflow(id))));
      const steps = workflowIds.flatMap((id) =>
        Array.from({ length: 10 }, (_, p) => stepAt(id, p)),
      );
      const results = await Promise.all(steps.map((s) => fx.store.recordStep(s)));
      expect(results.every(Boolean)).toBe(true);
      for (const id of workflowIds) {
        expect(await fx.store.listSteps(id)).toEqual(steps.filter((s) => s.workflowId === id));
      }
    });

    for (const [label, value] of Object.entries(tricky)) {
      it(`keeps a checkpoint's output and error byte-for-byte (${label})`, async () => {
        await fx.store.recordStep(stepAt("wf-1", 0, { output: value }));
        await fx.store.recordStep(stepAt("wf-1", 1, { output: undefined, error: value }));
        const [ok, failed] = await fx.store.listSteps("wf-1");
        expect(ok?.output).toBe(value);
        expect(failed?.error).toBe(value);
        expect(failed?.output).toBeUndefined();
      });
    }
  });
}
