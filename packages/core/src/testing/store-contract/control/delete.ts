/**
 * Contract tests for `deleteWorkflows`: chosen finished workflows go with everything recorded
 * for them (and with `children`, their finished descendants); unfinished ones stay.
 */
import { describe, expect, it } from "vitest";
import { type Fixture, failure, newWorkflow, stepAt, success } from "../fixtures.js";

export function describeDelete(fx: Fixture): void {
  /** Gives `workflowId` a checkpoint, a waiting message, an event and a stream entry. */
  const fillIn = async (workflowId: string): Promise<void> => {
    await fx.store.recordStep(stepAt(workflowId, 0));
    await fx.store.setEvent({ workflowId, key: "k", value: '"v"' });
    await fx.store.writeStream(
      { workflowId, key: "s", value: '"x"', closed: false },
      stepAt(workflowId, 1),
    );
    await fx.store.sendMessage({
      destinationId: workflowId,
      topic: "t",
      message: '"m"',
      messageId: `${workflowId}-m`,
    });
  };

  describe("deleteWorkflows", () => {
    it("deletes finished workflows with their steps, messages, events and streams", async () => {
      for (const id of ["ok", "failed", "running"]) {
        await fx.store.createWorkflow(newWorkflow(id));
        await fillIn(id);
      }
      await fx.store.finishWorkflow(success("ok"));
      await fx.store.finishWorkflow(failure("failed"));
      const deleted = await fx.store.deleteWorkflows(["ok", "failed", "running", "unknown"], {
        children: false,
      });
      expect(deleted.sort()).toEqual(["failed", "ok"]);
      for (const id of ["ok", "failed"]) {
        expect(await fx.store.getWorkflow(id)).toBeUndefined();
        expect(await fx.store.listSteps(id)).toEqual([]);
        expect(await fx.store.getEvent(id, "k")).toBeUndefined();
        expect(await fx.store.readStream(id, "s", 0, 10)).toEqual([]);
      }
      // The unfinished one keeps everything.
      expect((await fx.store.getWorkflow("running"))?.status).toBe("PENDING");
      expect(await fx.store.listSteps("running")).toHaveLength(2);
      expect(await fx.store.getEvent("running", "k")).toBe('"v"');
      // A deleted workflow's messages went too: a new one with its ID finds none waiting.
      await fx.store.createWorkflow(newWorkflow("ok"));
      expect(await fx.store.consumeMessage("t", stepAt("ok", 0))).toBeUndefined();
    });

    it("deletes finished descendants with children: true, and only those", async () => {
      await fx.store.createWorkflow(newWorkflow("root"));
      await fx.store.createWorkflow(newWorkflow("child", { parentWorkflowId: "root" }));
      await fx.store.createWorkflow(newWorkflow("grandchild", { parentWorkflowId: "child" }));
      await fx.store.createWorkflow(newWorkflow("busy-child", { parentWorkflowId: "root" }));
      for (const id of ["grandchild", "child", "root"]) await fx.store.finishWorkflow(success(id));
      expect(await fx.store.deleteWorkflows(["root"], { children: false })).toEqual(["root"]);
      expect((await fx.store.getWorkflow("child"))?.status).toBe("SUCCESS");

      await fx.store.createWorkflow(newWorkflow("root"));
      await fx.store.finishWorkflow(success("root"));
      const deleted = await fx.store.deleteWorkflows(["root"], { children: true });
      expect(deleted.sort()).toEqual(["child", "grandchild", "root"]);
      expect((await fx.store.getWorkflow("busy-child"))?.status).toBe("PENDING");
      expect(await fx.store.deleteWorkflows([], { children: true })).toEqual([]);
    });
  });
}
