/**
 * Contract tests for what a fork takes along besides checkpoints: stream entries written before
 * the fork point, each event's value as it stood there (and the history a fork of the fork
 * needs), and the version and deadline the request gives it.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ForkRequest } from "../../../store/control-store.js";
import { type Fixture, newWorkflow, stepAt } from "../fixtures.js";

const fork = (fromPosition: number, patch: Partial<ForkRequest> = {}): ForkRequest => ({
  sourceId: "wf-1",
  newId: `fork-${fromPosition}`,
  fromPosition,
  executorId: "executor-b",
  ...patch,
});

export function describeForkCopies(fx: Fixture): void {
  describe("forkWorkflow copies", () => {
    const setEventAt = (position: number, key: string, value: string, workflowId = "wf-1") =>
      fx.store.setEvent(
        { workflowId, key, value },
        stepAt(workflowId, position, { name: "cairn.setEvent", output: "-1" }),
      );
    const writeAt = (position: number, key: string, value: string | undefined) =>
      fx.store.writeStream(
        { workflowId: "wf-1", key, value, closed: value === undefined },
        stepAt("wf-1", position, { name: "cairn.writeStream", output: "-1" }),
      );
    const values = async (workflowId: string, key: string) =>
      (await fx.store.readStream(workflowId, key, 0, 100)).map((e) => e.value ?? "<closed>");

    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
    });

    it("copies the stream entries written before the fork point, and no others", async () => {
      await writeAt(0, "log", '"a"');
      await writeAt(2, "log", '"b"');
      await writeAt(3, "other", '"x"');
      await writeAt(4, "log", undefined); // closes it
      await fx.store.forkWorkflow(fork(3));
      expect(await values("fork-3", "log")).toEqual(['"a"', '"b"']);
      expect(await values("fork-3", "other")).toEqual([]);
      await fx.store.forkWorkflow(fork(5));
      expect(await values("fork-5", "log")).toEqual(['"a"', '"b"', "<closed>"]);
      expect(await values("fork-5", "other")).toEqual(['"x"']);
      expect(await values("wf-1", "log")).toEqual(['"a"', '"b"', "<closed>"]);
    });

    it("gives the fork each event's value as it stood before the fork point", async () => {
      await setEventAt(1, "state", '"one"');
      await setEventAt(3, "state", '"three"');
      await setEventAt(4, "late", '"four"');
      await fx.store.forkWorkflow(fork(0));
      await fx.store.forkWorkflow(fork(2));
      await fx.store.forkWorkflow(fork(4));
      await fx.store.forkWorkflow(fork(9));
      const event = (workflowId: string, key: string) => fx.store.getEvent(workflowId, key);
      expect(await event("fork-0", "state")).toBeUndefined();
      expect(await event("fork-2", "state")).toBe('"one"');
      expect(await event("fork-4", "state")).toBe('"three"');
      expect(await event("fork-4", "late")).toBeUndefined();
      expect(await event("fork-9", "late")).toBe('"four"');
      expect(await event("wf-1", "state")).toBe('"three"');
    });

    it("keeps the history a fork of the fork needs", async () => {
      await setEventAt(1, "state", '"one"');
      await setEventAt(3, "state", '"three"');
      await fx.store.forkWorkflow(fork(4));
      await setEventAt(5, "state", '"five"', "fork-4");
      await fx.store.forkWorkflow({ ...fork(2), sourceId: "fork-4", newId: "again-2" });
      await fx.store.forkWorkflow({ ...fork(6), sourceId: "fork-4", newId: "again-6" });
      expect(await fx.store.getEvent("again-2", "state")).toBe('"one"');
      expect(await fx.store.getEvent("again-6", "state")).toBe('"five"');
      expect(await fx.store.getEvent("wf-1", "state")).toBe('"three"');
    });

    it("does not copy an event set without a checkpoint (it has no position)", async () => {
      await fx.store.setEvent({ workflowId: "wf-1", key: "loose", value: '"x"' });
      await fx.store.forkWorkflow(fork(9));
      expect(await fx.store.getEvent("fork-9", "loose")).toBeUndefined();
    });

    it("copies nothing into a fork whose ID was taken", async () => {
      await setEventAt(1, "state", '"one"');
      await writeAt(2, "log", '"a"');
      await fx.store.createWorkflow(newWorkflow("taken", { name: "other" }));
      const result = await fx.store.forkWorkflow(fork(9, { newId: "taken" }));
      expect(result?.created).toBe(false);
      expect(await fx.store.getEvent("taken", "state")).toBeUndefined();
      expect(await values("taken", "log")).toEqual([]);
      expect(await fx.store.listSteps("taken")).toEqual([]);
    });

    it("gives the fork the version and deadline asked for, none by default", async () => {
      await fx.store.createWorkflow(newWorkflow("versioned", { appVersion: "v1" }));
      const plain = await fx.store.forkWorkflow(fork(0, { sourceId: "versioned" }));
      expect(plain?.workflow).toMatchObject({ appVersion: undefined, deadlineAt: undefined });
      const asked = await fx.store.forkWorkflow(
        fork(0, { newId: "asked", appVersion: "v2", deadlineAt: 1_900_000_000_000 }),
      );
      expect(asked?.workflow).toMatchObject({
        status: "PENDING",
        executorId: "executor-b",
        appVersion: "v2",
        deadlineAt: 1_900_000_000_000,
      });
      expect(await fx.store.getWorkflow("asked")).toEqual(asked?.workflow);
    });
  });
}
