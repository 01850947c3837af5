/**
 * Contract tests for workflow attributes: stored as given at creation, copied to a fork, set or
 * merged later (`setAttributes`), and found by containment (`listWorkflows({ attributes })`,
 * with Postgres's jsonb `@>` rules).
 */
import { describe, expect, it } from "vitest";
import type { WorkflowAttributes } from "../../../attributes.js";
import { type Fixture, newWorkflow, success } from "../fixtures.js";

const acme: WorkflowAttributes = {
  tenant: "acme",
  order: {
    id: 42,
    lines: [
      { sku: "A-1", qty: 2 },
      { sku: "B-7", qty: 1 },
    ],
  },
  tags: ["urgent", "eu"],
  vip: true,
  note: null,
  text: '🪨 ñandú — \u2028 "quoted" \\ back',
};

export function describeAttributes(fx: Fixture): void {
  describe("attributes", () => {
    const idsOf = (list: readonly { workflowId: string }[]) => list.map((w) => w.workflowId).sort();
    const find = async (attributes: WorkflowAttributes) =>
      idsOf(await fx.store.listWorkflows({ attributes }));

    it("keeps the attributes a workflow was created with; none reads as undefined", async () => {
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1", { attributes: acme }));
      expect(workflow.attributes).toEqual(acme);
      expect((await fx.store.getWorkflow("wf-1"))?.attributes).toEqual(acme);
      const [listed] = await fx.store.listWorkflows({ workflowIds: ["wf-1"] });
      expect(listed?.attributes).toEqual(acme);
      await fx.store.createWorkflow(newWorkflow("wf-2"));
      expect((await fx.store.getWorkflow("wf-2"))?.attributes).toBeUndefined();
    });

    it("finds workflows whose attributes contain the filter", async () => {
      await fx.store.createWorkflow(newWorkflow("acme-1", { attributes: acme }));
      await fx.store.createWorkflow(
        newWorkflow("acme-2", { attributes: { tenant: "acme", order: { id: 7 }, tags: ["eu"] } }),
      );
      await fx.store.createWorkflow(newWorkflow("globex", { attributes: { tenant: "globex" } }));
      await fx.store.createWorkflow(newWorkflow("plain"));
      expect(await find({ tenant: "acme" })).toEqual(["acme-1", "acme-2"]);
      expect(await find({ order: { id: 42 } })).toEqual(["acme-1"]);
      expect(await find({ order: { lines: [{ sku: "B-7" }] } })).toEqual(["acme-1"]);
      expect(await find({ tags: ["eu"] })).toEqual(["acme-1", "acme-2"]);
      expect(await find({ tags: ["eu", "urgent"] })).toEqual(["acme-1"]);
      expect(await find({ vip: true, note: null })).toEqual(["acme-1"]);
      expect(await find({ text: acme.text as string })).toEqual(["acme-1"]);
      expect(await find({})).toEqual(["acme-1", "acme-2", "globex"]);
    });

    it("tells types apart and does not take a scalar for an array holding it", async () => {
      await fx.store.createWorkflow(
        newWorkflow("wf-1", { attributes: { n: 1, s: "1", list: ["x"], flag: false } }),
      );
      expect(await find({ n: 1 })).toEqual(["wf-1"]);
      expect(await find({ n: "1" })).toEqual([]);
      expect(await find({ s: 1 })).toEqual([]);
      expect(await find({ list: "x" })).toEqual([]);
      expect(await find({ list: [["x"]] })).toEqual([]);
      expect(await find({ flag: null })).toEqual([]);
      expect(await find({ missing: null })).toEqual([]);
    });

    it("combines the attribute filter with the others", async () => {
      await fx.store.createWorkflow(newWorkflow("a", { attributes: { tenant: "acme" } }));
      await fx.store.createWorkflow(
        newWorkflow("b", { name: "refund", attributes: { tenant: "acme" } }),
      );
      await fx.store.finishWorkflow(success("a"));
      const listed = await fx.store.listWorkflows({
        attributes: { tenant: "acme" },
        status: "PENDING",
      });
      expect(idsOf(listed)).toEqual(["b"]);
    });

    it("replaces attributes, or merges top-level keys, leaving updatedAt alone", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1", { attributes: { a: 1, b: { c: 2 } } }));
      await fx.store.finishWorkflow(success("wf-1"));
      const before = await fx.store.getWorkflow("wf-1");
      const merged = await fx.store.setAttributes("wf-1", { b: { d: 3 }, e: [1] }, { merge: true });
      expect(merged?.attributes).toEqual({ a: 1, b: { d: 3 }, e: [1] });
      expect(merged).toEqual({ ...before, attributes: merged?.attributes });
      expect(await find({ e: [1] })).toEqual(["wf-1"]);
      const replaced = await fx.store.setAttributes("wf-1", { z: "only" }, { merge: false });
      expect(replaced?.attributes).toEqual({ z: "only" });
      expect((await fx.store.getWorkflow("wf-1"))?.attributes).toEqual({ z: "only" });
      expect(await find({ a: 1 })).toEqual([]);
    });

    it("merges into a workflow that had no attributes", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const merged = await fx.store.setAttributes("wf-1", { tenant: "acme" }, { merge: true });
      expect(merged?.attributes).toEqual({ tenant: "acme" });
    });

    it("returns undefined for an unknown workflow and creates nothing", async () => {
      expect(await fx.store.setAttributes("nope", { a: 1 }, { merge: false })).toBeUndefined();
      expect(await fx.store.getWorkflow("nope")).toBeUndefined();
    });

    it("copies the attributes to a fork", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1", { attributes: acme }));
      const fork = await fx.store.forkWorkflow({
        sourceId: "wf-1",
        newId: "wf-1-fork",
        fromPosition: 0,
        executorId: "executor-a",
      });
      expect(fork?.workflow.attributes).toEqual(acme);
      expect(await find({ tenant: "acme" })).toEqual(["wf-1", "wf-1-fork"]);
    });
  });
}
