/**
 * Contract tests for the listing filters that find runs: several names, an ID prefix, top-level
 * or child, forks of a workflow, start and completion time ranges, and listings that leave the
 * input and outcome out.
 */
import { describe, expect, it } from "vitest";
import type { WorkflowRecord } from "../../../store/records.js";
import { type Fixture, failure, newWorkflow, nextMillisecond, success } from "../fixtures.js";

export function describeListingFilters(fx: Fixture): void {
  describe("listWorkflows filters", () => {
    const idsOf = (list: readonly { workflowId: string }[]) => list.map((w) => w.workflowId);
    const read = async (workflowId: string) =>
      (await fx.store.getWorkflow(workflowId)) as WorkflowRecord;
    const createInOrder = async (...ids: string[]) => {
      for (const id of ids) {
        await fx.store.createWorkflow(newWorkflow(id, { name: `name-${id.slice(-1)}` }));
        await nextMillisecond();
      }
    };

    it("filters by any of several names", async () => {
      await createInOrder("wf-a", "wf-b", "wf-c");
      const listed = await fx.store.listWorkflows({ name: ["name-c", "name-a", "unknown"] });
      expect(idsOf(listed)).toEqual(["wf-a", "wf-c"]);
      expect(await fx.store.listWorkflows({ name: [] })).toEqual([]);
    });

    it("filters by ID prefix, taking % and _ literally", async () => {
      for (const id of ["order-1", "order-2", "orders", "order_%x", "orderxy", "x-order-1"]) {
        await fx.store.createWorkflow(newWorkflow(id));
      }
      const prefixed = async (prefix: string) =>
        idsOf(await fx.store.listWorkflows({ workflowIdPrefix: prefix })).sort();
      expect(await prefixed("order-")).toEqual(["order-1", "order-2"]);
      expect(await prefixed("order_%")).toEqual(["order_%x"]);
      expect(await prefixed("order")).toEqual([
        "order-1",
        "order-2",
        "order_%x",
        "orders",
        "orderxy",
      ]);
      expect(await prefixed("")).toHaveLength(6);
    });

    it("lists only top-level workflows, or only children", async () => {
      await fx.store.createWorkflow(newWorkflow("parent"));
      await fx.store.createWorkflow(newWorkflow("child", { parentWorkflowId: "parent" }));
      await fx.store.createWorkflow(newWorkflow("grandchild", { parentWorkflowId: "child" }));
      expect(idsOf(await fx.store.listWorkflows({ topLevel: true }))).toEqual(["parent"]);
      expect(idsOf(await fx.store.listWorkflows({ topLevel: false })).sort()).toEqual([
        "child",
        "grandchild",
      ]);
    });

    it("lists the forks of a workflow", async () => {
      await fx.store.createWorkflow(newWorkflow("source"));
      await fx.store.createWorkflow(newWorkflow("other"));
      for (const [sourceId, newId] of [
        ["source", "fork-1"],
        ["source", "fork-2"],
        ["other", "fork-3"],
      ] as const) {
        await fx.store.forkWorkflow({ sourceId, newId, fromPosition: 0, executorId: "executor-a" });
      }
      const forks = await fx.store.listWorkflows({ forkedFrom: "source" });
      expect(idsOf(forks).sort()).toEqual(["fork-1", "fork-2"]);
    });

    it("filters by start time; workflows that never started match no start range", async () => {
      await createInOrder("wf-a", "wf-b", "wf-c");
      await fx.store.createWorkflow(newWorkflow("wf-q", { status: "ENQUEUED", queueName: "q" }));
      const b = await read("wf-b");
      const c = await read("wf-c");
      const started = async (from?: number, until?: number) =>
        idsOf(
          await fx.store.listWorkflows({
            ...(from === undefined ? {} : { startedAfter: from }),
            ...(until === undefined ? {} : { startedBefore: until }),
          }),
        );
      expect(await started(b.startedAt)).toEqual(["wf-b", "wf-c"]);
      expect(await started(b.startedAt, c.startedAt)).toEqual(["wf-b"]);
      expect(await started(undefined, b.startedAt)).toEqual(["wf-a"]);
      expect(await started(0)).not.toContain("wf-q");
    });

    it("filters by completion time; unfinished workflows match no completion range", async () => {
      await createInOrder("wf-a", "wf-b", "wf-c", "wf-d");
      await fx.store.finishWorkflow(success("wf-c"));
      await nextMillisecond();
      await fx.store.finishWorkflow(failure("wf-a"));
      await nextMillisecond();
      await fx.store.cancelWorkflow("wf-b", { children: false });
      const [a, b, c] = await Promise.all(["wf-a", "wf-b", "wf-c"].map(read));
      const completed = async (from?: number, until?: number) =>
        idsOf(
          await fx.store.listWorkflows({
            ...(from === undefined ? {} : { completedAfter: from }),
            ...(until === undefined ? {} : { completedBefore: until }),
          }),
        );
      expect(await completed(0)).toEqual(["wf-a", "wf-b", "wf-c"]);
      expect(await completed(a?.completedAt)).toEqual(["wf-a", "wf-b"]);
      expect(await completed(c?.completedAt, b?.completedAt)).toEqual(["wf-a", "wf-c"]);
      expect(await completed(undefined, a?.completedAt)).toEqual(["wf-c"]);
    });

    it("leaves the input, or the output and error, out when asked", async () => {
      await createInOrder("wf-ok", "wf-bad", "wf-run");
      await fx.store.finishWorkflow(success("wf-ok", '"the output"'));
      await fx.store.finishWorkflow(failure("wf-bad", '"the error"'));
      const full = await fx.store.listWorkflows({});
      const strip = (keys: string[]) =>
        full.map((w) => ({ ...w, ...Object.fromEntries(keys.map((k) => [k, undefined])) }));
      expect(await fx.store.listWorkflows({ loadInput: false })).toEqual(strip(["input"]));
      expect(await fx.store.listWorkflows({ loadOutput: false })).toEqual(
        strip(["output", "error"]),
      );
      const bare = await fx.store.listWorkflows({ loadInput: false, loadOutput: false });
      expect(bare).toEqual(strip(["input", "output", "error"]));
      expect(bare.map((w) => w.status)).toEqual(["SUCCESS", "ERROR", "PENDING"]);
      expect(await fx.store.listWorkflows({ loadInput: true })).toEqual(full);
    });
  });
}
