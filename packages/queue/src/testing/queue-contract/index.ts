/**
 * The queue store contract suite: one set of vitest tests every `QueueStore` must pass, run
 * against the memory queue store, Postgres and PGlite alike (and any third-party store). Each
 * test gets a fresh, migrated workflow store with its queue store beside it and closes them
 * afterwards. It checks semantics visible through the two interfaces; races between processes
 * and cost are each store's own tests. Imports vitest: use it from a test.
 */
import type { WorkflowStore } from "@cairn/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QueueStore } from "../../queue-store.js";
import { describeQueuedChildren } from "./children.js";
import { describeClaim } from "./claim.js";
import { describeClaimFinishes } from "./claim-finishes.js";
import { describeEnqueue } from "./enqueue.js";
import { describeEnqueueMany } from "./enqueue-many.js";
import {
  item,
  type QueueFixture,
  type QueueStoreCapabilities,
  type QueueStoreContractFactory,
} from "./fixtures.js";
import { describeForks } from "./forks.js";
import { describeNotifications } from "./notifications.js";
import { describeQueues } from "./queues.js";
import { describeRecordFields } from "./record-fields.js";
import { describeRecovery } from "./recovery.js";
import { describeSchedules } from "./schedules.js";
import { describeWaiting } from "./waiting.js";
import { describeWorkflowControl } from "./workflow-control.js";

export type {
  QueueStoreCapabilities,
  QueueStoreContractFactory,
  QueueStoreContractSetup,
} from "./fixtures.js";

/**
 * Registers the queue store contract tests under `describe(name)`.
 *
 * @example
 * describeQueueStoreContract(
 *   "memory",
 *   { callerTransactions: false, multiProcess: false },
 *   async () => {
 *     const store = createMemoryStore();
 *     return { store, queues: createMemoryQueueStore(store) };
 *   },
 * );
 */
export function describeQueueStoreContract(
  name: string,
  capabilities: QueueStoreCapabilities,
  factory: QueueStoreContractFactory,
): void {
  describe(`${name} queue store contract`, () => {
    const fx: QueueFixture = {
      capabilities,
      store: undefined as unknown as WorkflowStore,
      queues: undefined as unknown as QueueStore,
      transaction: undefined,
      closed: false,
    };
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const made = await factory();
      Object.assign(fx, { ...made, closed: false });
      cleanup = made.cleanup;
      expectDeclared(capabilities, made);
      await fx.store.migrate();
    });

    afterEach(async () => {
      if (!fx.closed) await fx.store.close();
      await cleanup?.();
    });

    describeEnqueue(fx);
    describeEnqueueMany(fx);
    describeClaim(fx);
    if (capabilities.finishesInClaim === true) describeClaimFinishes(fx);
    describeRecovery(fx);
    describeRecordFields(fx);
    describeWaiting(fx);
    describeWorkflowControl(fx);
    describeQueuedChildren(fx);
    describeForks(fx);
    describeQueues(fx);
    describeSchedules(fx);
    describeNotifications(fx);

    describe("after the workflow store closed", () => {
      it("rejects every call", async () => {
        await fx.store.close();
        fx.closed = true;
        await expect(fx.queues.enqueue(item("w1"))).rejects.toThrow();
        await expect(
          fx.queues.claim({
            queueName: "q",
            executorId: "e",
            excludeNames: [],
            appVersion: undefined,
            limits: {},
            partitioned: false,
            max: 1,
          }),
        ).rejects.toThrow();
        await expect(fx.queues.counts("q")).rejects.toThrow();
        await expect(fx.queues.listSchedules()).rejects.toThrow();
      });
    });
  });
}

/** A setup must be what its store declared, or the tests registered for it would be the wrong ones. */
function expectDeclared(
  capabilities: QueueStoreCapabilities,
  setup: {
    readonly store: WorkflowStore;
    readonly queues: QueueStore;
    readonly transaction?: unknown;
  },
): void {
  expect(
    setup.queues.finishesInClaim === true,
    "a store's claim writes finishes exactly when it declares finishesInClaim",
  ).toBe(capabilities.finishesInClaim === true);
  expect(
    setup.transaction !== undefined,
    "a setup gives `transaction` exactly when the store declares callerTransactions",
  ).toBe(capabilities.callerTransactions);
  expect(
    setup.store.exclusive !== true,
    "a store declaring multiProcess must not be exclusive, and an exclusive one must not declare it",
  ).toBe(capabilities.multiProcess);
}
