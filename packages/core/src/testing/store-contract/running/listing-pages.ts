/**
 * Contract tests for keyset paging of `listWorkflows` (`after`: the last row of the previous
 * page): every row exactly once in either order, ties in creation time included, and pages that
 * stay put while workflows are created between them.
 */
import { describe, expect, it } from "vitest";
import type { ListedWorkflow, WorkflowFilter } from "../../../store/running-store.js";
import { type Fixture, newWorkflow, nextMillisecond } from "../fixtures.js";

export function describeListingPages(fx: Fixture): void {
  describe("listWorkflows keyset paging", () => {
    const idsOf = (list: readonly { workflowId: string }[]) => list.map((w) => w.workflowId);

    /** Every page of `filter`, `size` rows at a time, each continuing after the last. */
    async function allPages(filter: WorkflowFilter, size: number): Promise<ListedWorkflow[][]> {
      const pages: ListedWorkflow[][] = [];
      for (let after: ListedWorkflow | undefined; ;) {
        if (pages.length > 20) throw new Error("paging does not end: `after` is not applied");
        const page = await fx.store.listWorkflows({
          ...filter,
          limit: size,
          ...(after ? { after } : {}),
        });
        if (page.length === 0) return pages;
        pages.push(page);
        after = page.at(-1);
      }
    }

    it("walks every row once, in either order, ties in creation time included", async () => {
      // Created at once, so several share a millisecond; the ID breaks the tie.
      await Promise.all(
        Array.from({ length: 9 }, (_, i) => fx.store.createWorkflow(newWorkflow(`wf-${i}`))),
      );
      for (const order of ["asc", "desc"] as const) {
        const everything = idsOf(await fx.store.listWorkflows({ order }));
        expect(everything).toHaveLength(9);
        for (const size of [1, 2, 4]) {
          const pages = await allPages({ order }, size);
          expect(pages.flat().map((w) => w.workflowId)).toEqual(everything);
        }
      }
    });

    it("keeps the pages put when workflows are created between them", async () => {
      for (const id of ["wf-a", "wf-b", "wf-c", "wf-d"]) {
        await fx.store.createWorkflow(newWorkflow(id));
        await nextMillisecond();
      }
      const newestFirst = await fx.store.listWorkflows({ order: "desc", limit: 2 });
      const oldestFirst = await fx.store.listWorkflows({ order: "asc", limit: 2 });
      await fx.store.createWorkflow(newWorkflow("wf-new-1"));
      await fx.store.createWorkflow(newWorkflow("wf-new-2"));
      const olderPage = await fx.store.listWorkflows({
        order: "desc",
        limit: 2,
        after: newestFirst.at(-1) as ListedWorkflow,
      });
      expect(idsOf(newestFirst)).toEqual(["wf-d", "wf-c"]);
      expect(idsOf(olderPage)).toEqual(["wf-b", "wf-a"]);
      const laterPage = await fx.store.listWorkflows({
        order: "asc",
        after: oldestFirst.at(-1) as ListedWorkflow,
      });
      expect(idsOf(laterPage)).toEqual(["wf-c", "wf-d", "wf-new-1", "wf-new-2"]);
    });

    it("continues after a cursor whose workflow no longer exists, and combines with filters", async () => {
      for (const id of ["wf-a", "wf-b", "wf-c", "wf-d"]) {
        await fx.store.createWorkflow(newWorkflow(id, { name: id === "wf-c" ? "other" : "x" }));
        await nextMillisecond();
      }
      const [a, b] = await fx.store.listWorkflows({ limit: 2 });
      const success = { executorId: "executor-a", status: "SUCCESS", output: "1" } as const;
      await fx.store.finishWorkflow({ workflowId: "wf-b", ...success });
      await fx.store.deleteWorkflows(["wf-b"], { children: false });
      const after = b as ListedWorkflow;
      expect(idsOf(await fx.store.listWorkflows({ after }))).toEqual(["wf-c", "wf-d"]);
      expect(idsOf(await fx.store.listWorkflows({ after, order: "desc" }))).toEqual(["wf-a"]);
      const fromA = { after: a as ListedWorkflow, name: "x" };
      expect(idsOf(await fx.store.listWorkflows(fromA))).toEqual(["wf-d"]);
    });
  });
}
