/**
 * Contract tests for what changes a workflow while it waits in its queue: `setPriority`,
 * `setAvailability`, `debounce`; and `counts`.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { DebounceItem } from "../../queue-store.js";
import {
  alive,
  claimOf,
  claimedIds,
  enqueueAll,
  HOUR_MS,
  item,
  queuedWorkflow,
  type QueueFixture,
} from "./fixtures.js";

export function describeWaiting(fx: QueueFixture): void {
  describe("waiting workflows", () => {
    beforeEach(() => alive(fx.store));
    describeChanges(fx);
    describeDebounce(fx);
  });
}

function describeChanges(fx: QueueFixture): void {
  describe("setPriority", () => {
    it("reorders a waiting workflow and refuses one that is not waiting", async () => {
      await enqueueAll(fx.queues, [item("a"), item("b"), item("c")]);
      expect(await fx.queues.setPriority("c", -1)).toBe(true);
      expect(claimedIds(await fx.queues.claim(claimOf({ max: 1 })))).toEqual(["c"]);
      expect(claimedIds(await fx.queues.claim(claimOf({ max: 1 })))).toEqual(["a"]);
      expect(await fx.queues.setPriority("a", 5)).toBe(false); // running
      expect(await fx.queues.setPriority("unknown", 5)).toBe(false);
      await fx.store.cancelWorkflow("b", { children: false });
      expect(await fx.queues.setPriority("b", 5)).toBe(false); // cancelled
    });
  });

  describe("setAvailability", () => {
    it("moves the start of a waiting workflow, either way", async () => {
      await enqueueAll(fx.queues, [item("later", { delayMs: HOUR_MS }), item("now")]);
      expect(await fx.queues.setAvailability("now", { availableAt: Date.now() + HOUR_MS })).toBe(
        true,
      );
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual([]);
      expect(await fx.queues.counts("q")).toMatchObject({ delayed: 2 });
      expect(await fx.queues.setAvailability("later", { delayMs: 0 })).toBe(true);
      expect(await fx.queues.setAvailability("now", { availableAt: 0 })).toBe(true);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["later", "now"]);
      expect(await fx.queues.setAvailability("now", { delayMs: 0 })).toBe(false); // running
      expect(await fx.queues.setAvailability("unknown", { delayMs: 0 })).toBe(false);
    });
  });

  describe("counts", () => {
    it("counts a queue's workflows by status, and the delayed among the enqueued", async () => {
      await enqueueAll(fx.queues, [
        item("run"),
        item("wait"),
        item("delayed", { delayMs: HOUR_MS }),
        item("gone"),
        item("elsewhere", { queueName: "r" }),
      ]);
      await fx.store.cancelWorkflow("gone", { children: false });
      await fx.queues.claim(claimOf({ max: 1 }));
      expect(await fx.queues.counts("q")).toEqual({
        ENQUEUED: 2,
        PENDING: 1,
        SUCCESS: 0,
        ERROR: 0,
        CANCELLED: 1,
        DEAD_LETTER: 0,
        delayed: 1,
      });
      expect(await fx.queues.counts("nothing-here")).toMatchObject({ ENQUEUED: 0, delayed: 0 });
    });
  });
}

function describeDebounce(fx: QueueFixture): void {
  describe("debounce", () => {
    const burst = (workflowId: string, patch: Partial<DebounceItem> = {}): DebounceItem => ({
      workflow: queuedWorkflow(workflowId),
      queueName: "q",
      key: "k",
      priority: 0,
      partitionKey: "",
      periodMs: HOUR_MS,
      maxWaitMs: Number.POSITIVE_INFINITY,
      ...patch,
    });

    it("creates one waiting workflow per burst and gives it the latest input", async () => {
      const first = await fx.queues.debounce(burst("d1"));
      expect(first).toEqual({ workflowId: "d1", created: true, name: "job" });
      const second = await fx.queues.debounce(burst("d2"));
      expect(second).toEqual({ workflowId: "d1", created: false, name: "job" });
      expect(await fx.store.getWorkflow("d2")).toBeUndefined();
      expect(await fx.store.getWorkflow("d1")).toMatchObject({ status: "ENQUEUED", input: '"d2"' });
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual([]); // the period runs
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 1, delayed: 1 });
    });

    it("reports the waiting workflow of another name and changes nothing", async () => {
      await fx.queues.debounce(burst("d1"));
      const other = burst("d2", { workflow: queuedWorkflow("d2", "q", { name: "report" }) });
      expect(await fx.queues.debounce(other)).toEqual({
        workflowId: "d1",
        created: false,
        name: "job",
      });
      expect(await fx.store.getWorkflow("d1")).toMatchObject({ input: '"d1"' });
    });

    it("makes the workflow claimable no later than maxWaitMs after the first call", async () => {
      await fx.queues.debounce(burst("d1", { maxWaitMs: 0 }));
      await fx.queues.debounce(burst("d2", { maxWaitMs: 0 }));
      const { claimed } = await fx.queues.claim(claimOf());
      expect(claimed.map((w) => [w.workflowId, w.input])).toEqual([["d1", '"d2"']]);
      // Started, it no longer holds the key: the next call begins a new burst.
      expect(await fx.queues.debounce(burst("d3"))).toMatchObject({
        workflowId: "d3",
        created: true,
      });
    });
  });
}
