/** Contract tests for `enqueue`: the workflow and its item, taken IDs, dedup, caller transactions. */
import { QUEUED_EXECUTOR } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { alive, claimOf, claimedIds, EXECUTOR, item, type QueueFixture } from "./fixtures.js";

export function describeEnqueue(fx: QueueFixture): void {
  describe("enqueue", () => {
    it("writes the workflow ENQUEUED on its queue, owned by no executor", async () => {
      const result = await fx.queues.enqueue(item("w1"));
      expect(result.kind).toBe("created");
      expect(result.workflow).toMatchObject({
        workflowId: "w1",
        name: "job",
        status: "ENQUEUED",
        queueName: "q",
        executorId: QUEUED_EXECUTOR,
        input: '"w1"',
      });
      expect(await fx.store.getWorkflow("w1")).toEqual(result.workflow);
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 1, PENDING: 0, delayed: 0 });
    });

    it("returns the workflow holding a taken ID and writes nothing", async () => {
      const first = await fx.queues.enqueue(item("w1"));
      const again = await fx.queues.enqueue({
        ...item("w1", { queueName: "elsewhere" }),
        workflow: { ...item("w1").workflow, input: '"other"' },
      });
      expect(again).toEqual({ kind: "exists", workflow: first.workflow });
      await fx.store.createWorkflow({
        workflowId: "plain",
        name: "job",
        input: "1",
        executorId: "x",
      });
      expect((await fx.queues.enqueue(item("plain"))).kind).toBe("exists");
      expect(await fx.queues.counts("elsewhere")).toMatchObject({ ENQUEUED: 0, delayed: 0 });
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 1 });
    });

    it("finds the live holder of a dedup ID on the same queue and writes nothing", async () => {
      const holder = await fx.queues.enqueue(item("w1", { dedupId: "k" }));
      const duplicate = await fx.queues.enqueue(item("w2", { dedupId: "k" }));
      expect(duplicate).toEqual({ kind: "duplicate", workflow: holder.workflow });
      expect(await fx.store.getWorkflow("w2")).toBeUndefined();
      // Another queue has keys of its own.
      expect((await fx.queues.enqueue(item("w3", { dedupId: "k", queueName: "r" }))).kind).toBe(
        "created",
      );
      // Running still holds the key.
      await alive(fx.store);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w1"]);
      const whileRunning = await fx.queues.enqueue(item("w4", { dedupId: "k" }));
      expect(whileRunning.kind).toBe("duplicate");
      expect(whileRunning.workflow.workflowId).toBe("w1");
    });

    it("frees a dedup ID once its holder finished or was cancelled", async () => {
      await alive(fx.store);
      await fx.queues.enqueue(item("w1", { dedupId: "k" }));
      const [claimed] = (await fx.queues.claim(claimOf())).claimed;
      await fx.store.finishWorkflow(
        { workflowId: "w1", executorId: EXECUTOR, status: "SUCCESS", output: "1" },
        { executorId: EXECUTOR, epoch: claimed?.ownerEpoch ?? -1 },
      );
      const next = await fx.queues.enqueue(item("w2", { dedupId: "k" }));
      expect(next.kind).toBe("created");
      expect(await fx.store.cancelWorkflow("w2", { children: false })).toEqual(["w2"]);
      expect((await fx.queues.enqueue(item("w3", { dedupId: "k" }))).kind).toBe("created");
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w3"]);
    });

    it("keeps every field of the new workflow", async () => {
      const traceContext = {
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      };
      const result = await fx.queues.enqueue({
        ...item("w1"),
        workflow: { ...item("w1").workflow, appVersion: "v7", traceContext },
      });
      expect(result.workflow).toMatchObject({ appVersion: "v7", traceContext });
    });

    describe("inside a caller's transaction", () => {
      if (fx.capabilities.callerTransactions)
        it("exists if and only if the transaction commits", async () => {
          const transaction = fx.transaction!;
          await transaction((tx) => fx.queues.enqueue(item("kept"), { tx }));
          class Rollback extends Error {}
          await expect(
            transaction(async (tx) => {
              await fx.queues.enqueue(item("dropped", { dedupId: "d" }), { tx });
              throw new Rollback();
            }),
          ).rejects.toBeInstanceOf(Rollback);
          expect((await fx.store.getWorkflow("kept"))?.status).toBe("ENQUEUED");
          expect(await fx.store.getWorkflow("dropped")).toBeUndefined();
          // The rolled-back item left no dedup key and nothing to claim.
          expect((await fx.queues.enqueue(item("after", { dedupId: "d" }))).kind).toBe("created");
          await alive(fx.store);
          expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["after", "kept"]);
        });

      if (!fx.capabilities.callerTransactions)
        it("is refused with InvalidOptionError, writing nothing, by a store without transactions", async () => {
          await expect(fx.queues.enqueue(item("w1"), { tx: {} })).rejects.toMatchObject({
            name: "InvalidOptionError",
            option: "tx",
          });
          expect(await fx.store.getWorkflow("w1")).toBeUndefined();
        });
    });
  });
}
