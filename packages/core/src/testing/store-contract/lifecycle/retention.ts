/**
 * Contract tests for `deleteFinished`: retention removes old finished workflows with everything
 * recorded for them, in bounded batches, and never touches unfinished or recent ones.
 */
import { describe, expect, it } from "vitest";
import {
  type Fixture,
  claimFor,
  failure,
  newWorkflow,
  nextMillisecond,
  stepAt,
  success,
} from "../fixtures.js";

export function describeRetention(fx: Fixture): void {
  /** The store-clock time just after every given workflow was last updated. */
  const after = async (workflowIds: readonly string[]): Promise<number> => {
    const rows = await Promise.all(workflowIds.map((id) => fx.store.getWorkflow(id)));
    return Math.max(...rows.map((row) => row?.updatedAt ?? Number.NaN)) + 1;
  };

  /** Gives `workflowId` a checkpoint, a message, an event and a stream entry. */
  const fillIn = async (workflowId: string): Promise<void> => {
    await fx.store.recordStep(stepAt(workflowId, 0));
    await fx.store.setEvent({ workflowId, key: "k", value: '"v"' });
    const entry = { workflowId, key: "s", value: '"x"', closed: false };
    await fx.store.writeStream(entry, stepAt(workflowId, 1));
    const message = { destinationId: workflowId, topic: "t", message: '"m"' };
    await fx.store.sendMessage({ ...message, messageId: `${workflowId}-consumed` });
    await fx.store.consumeMessage("t", stepAt(workflowId, 2, { output: undefined }));
    await fx.store.sendMessage({ ...message, messageId: `${workflowId}-waiting` });
  };

  describe("deleteFinished", () => {
    it("deletes finished workflows with their steps, messages, events and streams", async () => {
      for (const id of ["ok", "failed", "cancelled", "pending"]) {
        await fx.store.createWorkflow(newWorkflow(id));
        await fillIn(id);
      }
      await fx.store.finishWorkflow(success("ok"));
      await fx.store.finishWorkflow(failure("failed"));
      await fx.store.cancelWorkflow("cancelled", { children: false });
      const cutoff = await after(["ok", "failed", "cancelled", "pending"]);

      expect(await fx.store.deleteFinished(cutoff, 100)).toBe(3);
      for (const id of ["ok", "failed", "cancelled"]) {
        expect(await fx.store.getWorkflow(id)).toBeUndefined();
        expect(await fx.store.listSteps(id)).toEqual([]);
        expect(await fx.store.getEvent(id, "k")).toBeUndefined();
        expect(await fx.store.readStream(id, "s", 0, 10)).toEqual([]);
        expect(await fx.store.listWorkflows({ workflowIds: [id] })).toEqual([]);
      }
      // Its messages went too: a new workflow with the same ID finds none waiting, and the old
      // message IDs are not duplicates any more.
      await fx.store.createWorkflow(newWorkflow("ok"));
      expect(await fx.store.consumeMessage("t", stepAt("ok", 0))).toBeUndefined();
      const again = { destinationId: "ok", topic: "t", message: '"m"', messageId: "ok-consumed" };
      expect(await fx.store.sendMessage(again)).toBe("sent");

      expect((await fx.store.getWorkflow("pending"))?.status).toBe("PENDING");
      expect(await fx.store.listSteps("pending")).toHaveLength(3);
      expect(await fx.store.getEvent("pending", "k")).toBe('"v"');
      expect(await fx.store.readStream("pending", "s", 0, 10)).toHaveLength(1);
      expect((await fx.store.consumeMessage("t", stepAt("pending", 3)))?.output).toBe('"m"');
    });

    it("keeps workflows that finished at or after the cutoff, and dead letters", async () => {
      await fx.store.createWorkflow(newWorkflow("dead"));
      await fx.store.claimRecoverable(claimFor({ maxRecoveryAttempts: { checkout: 0 } }));
      await fx.store.createWorkflow(newWorkflow("old"));
      await fx.store.finishWorkflow(success("old"));
      const cutoff = await after(["dead", "old"]);
      await nextMillisecond();
      await fx.store.createWorkflow(newWorkflow("recent"));
      await fx.store.finishWorkflow(success("recent"));
      expect(await fx.store.deleteFinished(cutoff, 100)).toBe(1);
      expect(await fx.store.getWorkflow("old")).toBeUndefined();
      expect((await fx.store.getWorkflow("recent"))?.status).toBe("SUCCESS");
      expect((await fx.store.getWorkflow("dead"))?.status).toBe("DEAD_LETTER");
    });

    it("deletes at most limit workflows per call", async () => {
      for (let i = 0; i < 5; i++) {
        await fx.store.createWorkflow(newWorkflow(`wf-${i}`));
        await fx.store.finishWorkflow(success(`wf-${i}`));
      }
      const cutoff = await after(["wf-0", "wf-1", "wf-2", "wf-3", "wf-4"]);
      const counts: number[] = [];
      for (let i = 0; i < 4; i++) counts.push(await fx.store.deleteFinished(cutoff, 2));
      expect(counts).toEqual([2, 2, 1, 0]);
      expect(await fx.store.deleteFinished(cutoff, 0)).toBe(0);
      expect(await fx.store.listWorkflows({})).toEqual([]);
    });
  });
}
