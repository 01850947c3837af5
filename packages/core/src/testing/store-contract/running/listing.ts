/** Contract tests for `listWorkflows`: every filter, the order, and paging. */
import { beforeEach, describe, expect, it } from "vitest";
import type { WorkflowRecord } from "../../../store/records.js";
import { type Fixture, failure, newWorkflow, nextMillisecond, success } from "../fixtures.js";

export function describeListing(fx: Fixture): void {
  describe("listWorkflows", () => {
    /** Created in this order, a few milliseconds apart. */
    let rows: WorkflowRecord[] = [];
    const idsOf = (list: readonly WorkflowRecord[]) => list.map((w) => w.workflowId);

    beforeEach(async () => {
      const requests = [
        newWorkflow("wf-a"),
        newWorkflow("wf-b", { name: "refund" }),
        newWorkflow("wf-c", { executorId: "executor-b" }),
        newWorkflow("wf-d", { parentWorkflowId: "wf-a" }),
        newWorkflow("wf-e", { parentWorkflowId: "wf-a", name: "refund" }),
      ];
      for (const request of requests) {
        await fx.store.createWorkflow(request);
        await nextMillisecond();
      }
      await fx.store.finishWorkflow(success("wf-b"));
      await fx.store.finishWorkflow({ ...failure("wf-c"), executorId: "executor-b" });
      await fx.store.cancelWorkflow("wf-d", { children: false });
      rows = await Promise.all(
        requests.map(async (r) => (await fx.store.getWorkflow(r.workflowId)) as WorkflowRecord),
      );
    });

    it("lists every workflow by creation time when no filter is given", async () => {
      const listed = await fx.store.listWorkflows({});
      expect(idsOf(listed)).toEqual(["wf-a", "wf-b", "wf-c", "wf-d", "wf-e"]);
      expect(listed).toEqual(rows);
    });

    it("lists newest first with order: desc", async () => {
      expect(idsOf(await fx.store.listWorkflows({ order: "desc" }))).toEqual([
        "wf-e",
        "wf-d",
        "wf-c",
        "wf-b",
        "wf-a",
      ]);
    });

    it("breaks ties in creation time by workflowId", async () => {
      await Promise.all(
        ["tie-2", "tie-1", "tie-3"].map((id) =>
          fx.store.createWorkflow(newWorkflow(id, { name: "tie" })),
        ),
      );
      const listed = await fx.store.listWorkflows({ name: "tie" });
      const expected = [...listed].sort(
        (a, b) => a.createdAt - b.createdAt || (a.workflowId < b.workflowId ? -1 : 1),
      );
      expect(listed).toEqual(expected);
      const desc = await fx.store.listWorkflows({ name: "tie", order: "desc" });
      expect(desc).toEqual([...expected].reverse());
    });

    it("filters by one status or by several", async () => {
      expect(idsOf(await fx.store.listWorkflows({ status: "PENDING" }))).toEqual(["wf-a", "wf-e"]);
      expect(idsOf(await fx.store.listWorkflows({ status: ["SUCCESS", "CANCELLED"] }))).toEqual([
        "wf-b",
        "wf-d",
      ]);
      expect(await fx.store.listWorkflows({ status: [] })).toEqual([]);
    });

    it("filters by name, executor and parent", async () => {
      expect(idsOf(await fx.store.listWorkflows({ name: "refund" }))).toEqual(["wf-b", "wf-e"]);
      expect(idsOf(await fx.store.listWorkflows({ executorId: "executor-b" }))).toEqual(["wf-c"]);
      expect(idsOf(await fx.store.listWorkflows({ parentWorkflowId: "wf-a" }))).toEqual([
        "wf-d",
        "wf-e",
      ]);
    });

    it("filters by workflow IDs, ignoring unknown ones", async () => {
      const listed = await fx.store.listWorkflows({ workflowIds: ["wf-e", "nope", "wf-b"] });
      expect(idsOf(listed)).toEqual(["wf-b", "wf-e"]);
      expect(await fx.store.listWorkflows({ workflowIds: [] })).toEqual([]);
    });

    it("filters by creation time: createdAfter inclusive, createdBefore exclusive", async () => {
      const [, b, , d] = rows;
      const after = (at: number) => idsOf(rows.filter((r) => r.createdAt >= at));
      const window = idsOf(
        rows.filter((r) => r.createdAt >= (b?.createdAt ?? 0) && r.createdAt < (d?.createdAt ?? 0)),
      );
      expect(idsOf(await fx.store.listWorkflows({ createdAfter: b?.createdAt ?? 0 }))).toEqual(
        after(b?.createdAt ?? 0),
      );
      expect(
        idsOf(
          await fx.store.listWorkflows({
            createdAfter: b?.createdAt ?? 0,
            createdBefore: d?.createdAt ?? 0,
          }),
        ),
      ).toEqual(window);
      expect(window).toContain("wf-b");
      expect(window).not.toContain("wf-d");
    });

    it("combines filters with AND", async () => {
      const listed = await fx.store.listWorkflows({ name: "refund", status: "PENDING" });
      expect(idsOf(listed)).toEqual(["wf-e"]);
    });

    it("pages with limit and offset, in either order", async () => {
      expect(idsOf(await fx.store.listWorkflows({ limit: 2 }))).toEqual(["wf-a", "wf-b"]);
      expect(idsOf(await fx.store.listWorkflows({ limit: 2, offset: 2 }))).toEqual([
        "wf-c",
        "wf-d",
      ]);
      expect(idsOf(await fx.store.listWorkflows({ limit: 2, offset: 4 }))).toEqual(["wf-e"]);
      expect(idsOf(await fx.store.listWorkflows({ offset: 3, order: "desc" }))).toEqual([
        "wf-b",
        "wf-a",
      ]);
      expect(await fx.store.listWorkflows({ limit: 0 })).toEqual([]);
    });

    it("returns at most 100 workflows when no limit is given", async () => {
      await Promise.all(
        Array.from({ length: 110 }, (_, i) => fx.store.createWorkflow(newWorkflow(`many-${i}`))),
      );
      expect(await fx.store.listWorkflows({})).toHaveLength(100);
      expect(await fx.store.listWorkflows({ limit: 200 })).toHaveLength(115);
    });
  });
}
