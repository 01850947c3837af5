/**
 * Contract tests for a fork put on a queue (`forkWorkflow` with `queue`): it waits `ENQUEUED`
 * with the partition, priority and timeout asked for, owned by no executor, with its copied
 * history; a claim takes it within the queue's limits; the queue's listeners hear of it.
 */
import { QUEUED_EXECUTOR } from "@cairn/core";
import { beforeEach, describe, expect, it } from "vitest";
import {
  alive,
  claimOf,
  claimedIds,
  enqueueAll,
  eventually,
  EXECUTOR,
  item,
  type QueueFixture,
} from "./fixtures.js";

export function describeForks(fx: QueueFixture): void {
  describe("forks onto a queue", () => {
    beforeEach(() => alive(fx.store));

    /** `w` enqueued, claimed and finished, with one checkpoint at position 0. */
    const finishedSource = async () => {
      await enqueueAll(fx.queues, [item("w")]);
      const [claimed] = (await fx.queues.claim(claimOf())).claimed;
      const fence = { executorId: EXECUTOR, epoch: claimed?.ownerEpoch ?? -1 };
      await fx.store.recordStep(
        {
          workflowId: "w",
          position: 0,
          name: "step",
          output: '"kept"',
          error: undefined,
          childWorkflowId: undefined,
          attempts: 1,
          startedAt: 1,
          completedAt: 2,
        },
        fence,
      );
      const outcome = { workflowId: "w", executorId: EXECUTOR, status: "SUCCESS" as const };
      expect(await fx.store.finishWorkflow({ ...outcome, output: "1" }, fence)).toBe(true);
    };

    it("waits in the queue with the partition, priority and history asked for", async () => {
      await finishedSource();
      const forked = await fx.store.forkWorkflow({
        sourceId: "w",
        newId: "f",
        fromPosition: 1,
        executorId: "whoever",
        appVersion: "v2",
        queue: { queueName: "other", partitionKey: "p", priority: 4, timeoutMs: 60_000 },
      });
      expect(forked?.created).toBe(true);
      expect(forked?.workflow).toMatchObject({
        status: "ENQUEUED",
        executorId: QUEUED_EXECUTOR,
        queueName: "other",
        partitionKey: "p",
        priority: 4,
        appVersion: "v2",
        forkedFrom: "w",
        startedAt: undefined,
        deadlineAt: undefined,
      });
      expect(await fx.store.getWorkflow("f")).toEqual(forked?.workflow);
      expect((await fx.store.listSteps("f")).map((s) => s.output)).toEqual(['"kept"']);
      expect(await fx.queues.counts("other")).toMatchObject({ ENQUEUED: 1, delayed: 0 });
    });

    it("is claimed within the queue's limits, its deadline from the timeout", async () => {
      await finishedSource();
      await enqueueAll(fx.queues, [item("busy", { queueName: "one" })]);
      const one = (patch = {}) =>
        claimOf({ queueName: "one", limits: { concurrency: 1 }, ...patch });
      expect(claimedIds(await fx.queues.claim(one()))).toEqual(["busy"]);
      await fx.store.forkWorkflow({
        sourceId: "w",
        newId: "f",
        fromPosition: 0,
        executorId: "whoever",
        queue: { queueName: "one", partitionKey: "", priority: 0, timeoutMs: 60_000 },
      });
      expect(claimedIds(await fx.queues.claim(one()))).toEqual([]); // the slot is taken
      await fx.store.cancelWorkflow("busy", { children: false });
      const { claimed } = await fx.queues.claim(one());
      expect(claimedIds({ claimed })).toEqual(["f"]);
      const [f] = claimed;
      expect(f).toMatchObject({ status: "PENDING", executorId: EXECUTOR });
      expect(f?.deadlineAt).toBe((f?.startedAt ?? Number.NaN) + 60_000);
    });

    it("tells the queue's listeners", async () => {
      await finishedSource();
      const heard: string[] = [];
      const stop = await fx.queues.subscribe((queueName) => heard.push(queueName));
      await fx.store.forkWorkflow({
        sourceId: "w",
        newId: "f",
        fromPosition: 0,
        executorId: "whoever",
        queue: { queueName: "heard", partitionKey: "", priority: 0 },
      });
      await eventually(() => heard.includes("heard"), "the fork's notification");
      await stop();
    });
  });
}
