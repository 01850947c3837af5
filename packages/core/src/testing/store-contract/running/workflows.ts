/** Contract tests for `createWorkflow`, `getWorkflow` and `finishWorkflow`. */
import { beforeEach, describe, expect, it } from "vitest";
import type { WorkflowOutcome } from "../../../store/running-store.js";
import { type Fixture, claimFor, failure, newWorkflow, success, tricky } from "../fixtures.js";

export function describeWorkflows(fx: Fixture): void {
  describeCreateAndGet(fx);
  describeFinish(fx);
  describeSerializedWorkflowValues(fx);
}

function describeCreateAndGet(fx: Fixture): void {
  describe("createWorkflow and getWorkflow", () => {
    it("can migrate again an already migrated store", async () => {
      await fx.store.migrate();
      expect((await fx.store.createWorkflow(newWorkflow("wf-1"))).created).toBe(true);
    });

    it("inserts a PENDING workflow with the given fields and reports created: true", async () => {
      const before = Date.now();
      const result = await fx.store.createWorkflow(
        newWorkflow("wf-1", { parentWorkflowId: "wf-0" }),
      );
      expect(result.created).toBe(true);
      expect(result.workflow).toMatchObject({
        workflowId: "wf-1",
        name: "checkout",
        status: "PENDING",
        input: '{"ticket":1}',
        executorId: "executor-a",
        parentWorkflowId: "wf-0",
        recoveryAttempts: 0,
      });
      expect(result.workflow.output).toBeUndefined();
      expect(result.workflow.error).toBeUndefined();
      expect(result.workflow.updatedAt).toBe(result.workflow.createdAt);
      // The store's clock may be the database's: allow skew, but catch seconds-for-milliseconds.
      expect(Math.abs(result.workflow.createdAt - before)).toBeLessThan(60_000);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(result.workflow);
    });

    it("leaves parentWorkflowId, deadlineAt and forkedFrom undefined when none is given", async () => {
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1"));
      for (const row of [workflow, await fx.store.getWorkflow("wf-1")]) {
        expect(row?.parentWorkflowId).toBeUndefined();
        expect(row?.deadlineAt).toBeUndefined();
        expect(row?.forkedFrom).toBeUndefined();
      }
    });

    it("keeps deadlineAt as given, in epoch milliseconds", async () => {
      const deadlineAt = 1_900_000_000_123;
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1", { deadlineAt }));
      expect(workflow.deadlineAt).toBe(deadlineAt);
      expect((await fx.store.getWorkflow("wf-1"))?.deadlineAt).toBe(deadlineAt);
    });

    it("keeps a workflow's trace context as given, through reads and recovery claims", async () => {
      const traceContext = {
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        tracestate: "vendor=a=1,b=2",
      };
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1", { traceContext }));
      expect(workflow.traceContext).toEqual(traceContext);
      expect((await fx.store.getWorkflow("wf-1"))?.traceContext).toEqual(traceContext);
      const [listed] = await fx.store.listWorkflows({ workflowIds: ["wf-1"] });
      expect(listed?.traceContext).toEqual(traceContext);
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      expect(recovered.map((r) => r.traceContext)).toEqual([traceContext]);
    });

    it("has no trace context when none is given", async () => {
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(workflow.traceContext).toBeUndefined();
      expect((await fx.store.getWorkflow("wf-1"))?.traceContext).toBeUndefined();
    });

    it("creates the same row whether or not notify is set", async () => {
      const quiet = await fx.store.createWorkflow(newWorkflow("wf-1", { notify: false }));
      const loud = await fx.store.createWorkflow(newWorkflow("wf-2", { notify: true }));
      expect(quiet.created && loud.created).toBe(true);
      expect({ ...loud.workflow, workflowId: "wf-1" }).toEqual({
        ...quiet.workflow,
        createdAt: loud.workflow.createdAt,
        updatedAt: loud.workflow.updatedAt,
        startedAt: loud.workflow.startedAt,
      });
    });

    it("returns the existing workflow untouched with created: false when the ID is taken", async () => {
      const first = await fx.store.createWorkflow(newWorkflow("wf-1"));
      const second = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(second).toEqual({ created: false, workflow: first.workflow });
    });

    it("returns the existing row even when the second call has another name, input and executor", async () => {
      const first = await fx.store.createWorkflow(newWorkflow("wf-1"));
      const second = await fx.store.createWorkflow(
        newWorkflow("wf-1", {
          name: "refund",
          input: '"other"',
          executorId: "executor-b",
          parentWorkflowId: "p",
          deadlineAt: 1,
          notify: true,
        }),
      );
      expect(second).toEqual({ created: false, workflow: first.workflow });
      expect(await fx.store.getWorkflow("wf-1")).toEqual(first.workflow);
    });

    it("returns a finished workflow with its outcome when its ID is taken", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.finishWorkflow(success("wf-1", '"result"'));
      const again = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(again.created).toBe(false);
      expect(again.workflow).toMatchObject({ status: "SUCCESS", output: '"result"' });
    });

    it("lets exactly one of many concurrent creates with the same ID win", async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fx.store.createWorkflow(newWorkflow("wf-1", { input: `${i}` })),
        ),
      );
      const winners = results.filter((r) => r.created);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r.workflow).toEqual(winners[0]?.workflow);
    });

    it("creates every one of many concurrent workflows with distinct IDs, each with its own fields", async () => {
      const requests = Array.from({ length: 50 }, (_, i) =>
        newWorkflow(`wf-${i}`, {
          input: `${i}`,
          deadlineAt: i % 2 ? 1_900_000_000_000 + i : undefined,
        }),
      );
      const results = await Promise.all(requests.map((w) => fx.store.createWorkflow(w)));
      results.forEach((result, i) => {
        expect(result.created).toBe(true);
        expect(result.workflow).toMatchObject({ workflowId: `wf-${i}`, input: `${i}` });
        expect(result.workflow.deadlineAt).toBe(requests[i]?.deadlineAt);
      });
    });

    it("answers a mix of new and taken IDs made concurrently, each with its own row", async () => {
      const existing = await fx.store.createWorkflow(newWorkflow("wf-0", { input: '"old"' }));
      const results = await Promise.all(
        ["wf-0", "wf-1", "wf-2"].map((id) =>
          fx.store.createWorkflow(newWorkflow(id, { input: '"new"' })),
        ),
      );
      expect(results.map((r) => r.created)).toEqual([false, true, true]);
      expect(results[0]?.workflow).toEqual(existing.workflow);
      expect(results[1]?.workflow.workflowId).toBe("wf-1");
      expect(results[2]?.workflow.workflowId).toBe("wf-2");
    });

    it("returns undefined for an unknown workflow ID", async () => {
      expect(await fx.store.getWorkflow("nope")).toBeUndefined();
    });
  });
}

function describeFinish(fx: Fixture): void {
  describe("finishWorkflow", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
    });

    it("finishes a PENDING workflow with SUCCESS and its output", async () => {
      expect(await fx.store.finishWorkflow(success("wf-1", '"result"'))).toBe(true);
      const row = await fx.store.getWorkflow("wf-1");
      expect(row).toMatchObject({ status: "SUCCESS", output: '"result"', input: '{"ticket":1}' });
      expect(row?.error).toBeUndefined();
      expect(row?.updatedAt).toBeGreaterThanOrEqual(row?.createdAt ?? Number.NaN);
    });

    it("finishes a PENDING workflow with ERROR and its error", async () => {
      expect(await fx.store.finishWorkflow(failure("wf-1"))).toBe(true);
      const row = await fx.store.getWorkflow("wf-1");
      expect(row).toMatchObject({ status: "ERROR", error: '"bad"' });
      expect(row?.output).toBeUndefined();
    });

    it("records the executor that finished the workflow", async () => {
      await fx.store.finishWorkflow({ ...success("wf-1"), executorId: "executor-b" });
      expect((await fx.store.getWorkflow("wf-1"))?.executorId).toBe("executor-b");
    });

    it("returns false and keeps the first outcome when the workflow is already finished", async () => {
      await fx.store.finishWorkflow(success("wf-1", '"first"'));
      const before = await fx.store.getWorkflow("wf-1");
      const again: WorkflowOutcome = { ...failure("wf-1", '"late"'), executorId: "executor-b" };
      expect(await fx.store.finishWorkflow(again)).toBe(false);
      expect(await fx.store.finishWorkflow(success("wf-1", '"second"'))).toBe(false);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(before);
    });

    it("returns false for a CANCELLED workflow and leaves it cancelled", async () => {
      await fx.store.cancelWorkflow("wf-1", { children: false });
      expect(await fx.store.finishWorkflow(success("wf-1"))).toBe(false);
      expect((await fx.store.getWorkflow("wf-1"))?.status).toBe("CANCELLED");
    });

    it("lets exactly one of concurrent finishes win", async () => {
      const outcomes = Array.from({ length: 10 }, (_, i) => success("wf-1", `"${i}"`));
      const results = await Promise.all(outcomes.map((o) => fx.store.finishWorkflow(o)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await fx.store.getWorkflow("wf-1"))?.output).toBe(
        outcomes[results.indexOf(true)]?.output,
      );
    });

    it("returns false for an unknown workflow and creates nothing", async () => {
      expect(await fx.store.finishWorkflow(success("nope"))).toBe(false);
      expect(await fx.store.getWorkflow("nope")).toBeUndefined();
    });
  });
}

function describeSerializedWorkflowValues(fx: Fixture): void {
  describe("serialized workflow values", () => {
    for (const [label, value] of Object.entries(tricky)) {
      it(`keeps a workflow's input, output and error byte-for-byte (${label})`, async () => {
        await fx.store.createWorkflow(newWorkflow("wf-in", { input: value }));
        expect((await fx.store.getWorkflow("wf-in"))?.input).toBe(value);
        await fx.store.createWorkflow(newWorkflow("wf-ok"));
        await fx.store.finishWorkflow(success("wf-ok", value));
        expect((await fx.store.getWorkflow("wf-ok"))?.output).toBe(value);
        await fx.store.createWorkflow(newWorkflow("wf-err"));
        await fx.store.finishWorkflow(failure("wf-err", value));
        expect((await fx.store.getWorkflow("wf-err"))?.error).toBe(value);
      });
    }
  });
}
