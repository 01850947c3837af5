/**
 * Contract tests for `enqueueMany`: every item written in the order given, each with the outcome
 * enqueueing them one after another would give (taken IDs, live dedup holders, repeats inside
 * the call), all or none (an ID held by a workflow of another name writes nothing), and inside a
 * caller's transaction.
 */
import { describe, expect, it } from "vitest";
import { alive, claimOf, item, type QueueFixture } from "./fixtures.js";

export function describeEnqueueMany(fx: QueueFixture): void {
  describe("enqueueMany", () => {
    /** Claims one at a time: the order the queue hands the items out. */
    const claimOrder = async (count: number) => {
      await alive(fx.store);
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const [next] = (await fx.queues.claim(claimOf({ max: 1 }))).claimed;
        if (next) ids.push(next.workflowId);
      }
      return ids;
    };

    it("writes every item, one result each, claimable in the order given", async () => {
      const ids = ["e", "a", "d", "b", "c"];
      const results = await fx.queues.enqueueMany(ids.map((id) => item(id)));
      expect(results.map((r) => [r.kind, r.workflow.workflowId])).toEqual(
        ids.map((id) => ["created", id]),
      );
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 5 });
      expect(await claimOrder(5)).toEqual(ids);
    });

    it("gives each item the outcome of enqueueing the items one after another", async () => {
      const taken = await fx.queues.enqueue(item("taken"));
      const holder = await fx.queues.enqueue(item("holder", { dedupId: "k1" }));
      const results = await fx.queues.enqueueMany([
        item("taken"),
        item("fresh"),
        item("fresh"),
        item("dup-of-holder", { dedupId: "k1" }),
        item("first-k2", { dedupId: "k2" }),
        item("dup-of-first-k2", { dedupId: "k2" }),
      ]);
      expect(results.map((r) => [r.kind, r.workflow.workflowId])).toEqual([
        ["exists", "taken"],
        ["created", "fresh"],
        ["exists", "fresh"],
        ["duplicate", "holder"],
        ["created", "first-k2"],
        ["duplicate", "first-k2"],
      ]);
      expect(results[0]?.workflow).toEqual(taken.workflow);
      expect(results[3]?.workflow).toEqual(holder.workflow);
      expect(await fx.store.getWorkflow("dup-of-holder")).toBeUndefined();
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 4 });
    });

    it("writes nothing when an item's ID belongs to a workflow of another name", async () => {
      await fx.queues.enqueue(item("other", { name: "other-job" }));
      await expect(
        fx.queues.enqueueMany([item("a"), item("other"), item("b")]),
      ).rejects.toMatchObject({ name: "WorkflowConflictError" });
      await expect(
        fx.queues.enqueueMany([item("c"), item("c", { name: "other-job" })]),
      ).rejects.toMatchObject({ name: "WorkflowConflictError" });
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 1 });
      for (const id of ["a", "b", "c"]) expect(await fx.store.getWorkflow(id)).toBeUndefined();
    });

    it("writes more items than one statement carries, in order", async () => {
      const ids = Array.from({ length: 2_300 }, (_, i) => `n${String(i).padStart(4, "0")}`);
      const results = await fx.queues.enqueueMany(ids.map((id) => item(id)));
      expect(results.every((r) => r.kind === "created")).toBe(true);
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 2_300 });
      expect(await claimOrder(3)).toEqual(ids.slice(0, 3));
    });

    it("returns nothing for no items", async () => {
      expect(await fx.queues.enqueueMany([])).toEqual([]);
    });

    describe("inside a caller's transaction", () => {
      if (fx.capabilities.callerTransactions)
        it("exists if and only if the transaction commits", async () => {
          const transaction = fx.transaction!;
          class Rollback extends Error {}
          await expect(
            transaction(async (tx) => {
              await fx.queues.enqueueMany([item("gone1"), item("gone2")], { tx });
              throw new Rollback();
            }),
          ).rejects.toBeInstanceOf(Rollback);
          await transaction((tx) => fx.queues.enqueueMany([item("kept1"), item("kept2")], { tx }));
          expect(await fx.store.getWorkflow("gone1")).toBeUndefined();
          expect(await claimOrder(2)).toEqual(["kept1", "kept2"]);
        });

      if (!fx.capabilities.callerTransactions)
        it("is refused with InvalidOptionError by a store without transactions", async () => {
          await expect(fx.queues.enqueueMany([item("w1")], { tx: {} })).rejects.toMatchObject({
            name: "InvalidOptionError",
            option: "tx",
          });
          expect(await fx.store.getWorkflow("w1")).toBeUndefined();
        });
    });
  });
}
