/**
 * Contract tests for `createWorkflows`, the bulk start: every entry answered in order as if
 * created one after another, all written or none, a conflicting name refused before anything is
 * written, notifications only where asked for.
 */
import { describe, expect, it } from "vitest";
import { WorkflowConflictError } from "../../../errors.js";
import { type Fixture, ids, newWorkflow, record } from "../fixtures.js";

export function describeCreateMany(fx: Fixture): void {
  describe("createWorkflows", () => {
    it("creates every entry, PENDING with its fields, and answers in the order given", async () => {
      const deadlineAt = 1_900_000_000_123;
      const results = await fx.store.createWorkflows([
        newWorkflow("wf-c"),
        newWorkflow("wf-a", { deadlineAt, attributes: { tenant: "acme" } }),
        newWorkflow("wf-b", { parentWorkflowId: "wf-0", appVersion: "v2" }),
      ]);
      expect(results.map((r) => [r.created, r.workflow.workflowId])).toEqual([
        [true, "wf-c"],
        [true, "wf-a"],
        [true, "wf-b"],
      ]);
      expect(results[1]?.workflow).toMatchObject({
        status: "PENDING",
        name: "checkout",
        input: '{"ticket":1}',
        executorId: "executor-a",
        deadlineAt,
        attributes: { tenant: "acme" },
      });
      expect(results[2]?.workflow).toMatchObject({ parentWorkflowId: "wf-0", appVersion: "v2" });
      for (const result of results) {
        expect(await fx.store.getWorkflow(result.workflow.workflowId)).toEqual(result.workflow);
      }
    });

    it("answers an existing ID with its stored row, untouched, and creates the others", async () => {
      const { workflow: stored } = await fx.store.createWorkflow(
        newWorkflow("wf-1", { input: '"first"' }),
      );
      const results = await fx.store.createWorkflows([
        newWorkflow("wf-0"),
        newWorkflow("wf-1", { input: '"second"' }),
      ]);
      expect(results.map((r) => r.created)).toEqual([true, false]);
      expect(results[1]?.workflow).toEqual(stored);
      expect((await fx.store.getWorkflow("wf-1"))?.input).toBe('"first"');
    });

    it("gives an ID repeated in the batch the first entry's row, as starting them in turn would", async () => {
      const results = await fx.store.createWorkflows([
        newWorkflow("wf-1", { input: '"first"' }),
        newWorkflow("wf-2"),
        newWorkflow("wf-1", { input: '"again"' }),
      ]);
      expect(results.map((r) => r.created)).toEqual([true, true, false]);
      expect(results[2]?.workflow).toEqual(results[0]?.workflow);
      expect((await fx.store.getWorkflow("wf-1"))?.input).toBe('"first"');
    });

    it("refuses an ID held by a stored workflow of another name and writes nothing", async () => {
      await fx.store.createWorkflow(newWorkflow("taken", { name: "refund" }));
      const error = await fx.store
        .createWorkflows([newWorkflow("wf-1"), newWorkflow("taken"), newWorkflow("wf-2")])
        .catch((e: unknown) => e);
      expect(WorkflowConflictError.is(error)).toBe(true);
      expect(error).toMatchObject({
        workflowId: "taken",
        existingName: "refund",
        requestedName: "checkout",
      });
      expect(ids(await fx.store.listWorkflows({}))).toEqual(["taken"]);
    });

    it("refuses an ID the batch gives two names and writes nothing", async () => {
      const error = await fx.store
        .createWorkflows([newWorkflow("wf-1"), newWorkflow("wf-1", { name: "refund" })])
        .catch((e: unknown) => e);
      expect(WorkflowConflictError.is(error)).toBe(true);
      expect(await fx.store.listWorkflows({})).toEqual([]);
    });

    it("writes more than a thousand entries, in order, and none when the last conflicts", async () => {
      const many = Array.from({ length: 2_500 }, (_, i) => newWorkflow(`wf-${i}`));
      await fx.store.createWorkflow(newWorkflow("late", { name: "refund" }));
      await expect(fx.store.createWorkflows([...many, newWorkflow("late")])).rejects.toSatisfy(
        (e: unknown) => WorkflowConflictError.is(e),
      );
      expect(ids(await fx.store.listWorkflows({ limit: 5_000 }))).toEqual(["late"]);
      const results = await fx.store.createWorkflows(many);
      expect(results.map((r) => r.workflow.workflowId)).toEqual(many.map((w) => w.workflowId));
      expect(results.every((r) => r.created)).toBe(true);
      expect(await fx.store.listWorkflows({ limit: 5_000, loadInput: false })).toHaveLength(2_501);
    });

    it("answers an empty batch with no results", async () => {
      expect(await fx.store.createWorkflows([])).toEqual([]);
    });

    it("notifies status for the created entries that ask for it, and only for those", async (context) => {
      if (!fx.store.subscribe) return context.skip("the store has no subscribe()");
      await fx.store.createWorkflow(newWorkflow("old"));
      const recorder = await record(fx.store);
      await fx.store.createWorkflows([
        newWorkflow("quiet"),
        newWorkflow("loud", { notify: true }),
        newWorkflow("old", { notify: true }),
      ]);
      await recorder.next((n) => n.kind === "status" && n.workflowId === "loud");
      // A later write's notification arrives after the batch's, so the batch's are all in.
      await fx.store.createWorkflow(newWorkflow("marker", { notify: true }));
      await recorder.next((n) => n.kind === "status" && n.workflowId === "marker");
      const statuses = recorder.received.filter((n) => n.kind === "status");
      expect(statuses.map((n) => (n as { workflowId: string }).workflowId)).toEqual([
        "loud",
        "marker",
      ]);
      await recorder.stop();
    });
  });
}
