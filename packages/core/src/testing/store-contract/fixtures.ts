/**
 * What every file of the store contract suite shares: the per-test fixture, builders for
 * records with sensible defaults, and a notification recorder. Nothing here registers tests.
 */
import type { StoreNotification } from "../../store/messaging-store.js";
import type { RecoveryClaim } from "../../store/ownership-store.js";
import type { StepRecord } from "../../store/records.js";
import type { NewWorkflow, WorkflowOutcome } from "../../store/running-store.js";
import type { WorkflowStore } from "../../store/workflow-store.js";

/**
 * Makes one fresh, empty store for one test. The suite calls `migrate()` on it, closes it after
 * the test, then calls `cleanup` (drop a schema, delete files).
 */
export type StoreContractFactory = () => Promise<{
  store: WorkflowStore;
  cleanup?: () => Promise<void>;
}>;

/** A contract test's store, plus what it was created with. */
export interface Fixture {
  store: WorkflowStore;
  closed: boolean;
  cleanup: (() => Promise<void>) | undefined;
}

/** Serialized values a store must keep byte-for-byte. */
export const tricky = {
  keyOrder: '{"b":1,"a":2}',
  unicode: "🪨 cairn — ñandú 日本語 \u2028\u2029 \u00e9 vs e\u0301",
  whitespace: "  leading\n\ttabs\r\nand trailing  ",
  escapes: String.raw`quote " backslash \ escaped nul \u0000`,
  empty: "",
  nullWord: "null",
  long: "x".repeat(300_000) + "🪨".repeat(10_000),
};

export const newWorkflow = (workflowId: string, patch: Partial<NewWorkflow> = {}): NewWorkflow => ({
  workflowId,
  name: "checkout",
  input: '{"ticket":1}',
  executorId: "executor-a",
  ...patch,
});

export const stepAt = (
  workflowId: string,
  position: number,
  patch: Partial<StepRecord> = {},
): StepRecord => ({
  workflowId,
  position,
  name: `step-${position}`,
  output: `"out-${position}"`,
  error: undefined,
  childWorkflowId: undefined,
  attempts: 1,
  startedAt: 1_700_000_000_000 + position,
  completedAt: 1_700_000_000_500 + position,
  ...patch,
});

/** An error checkpoint at `position`. */
export const failedStepAt = (workflowId: string, position: number): StepRecord =>
  stepAt(workflowId, position, { output: undefined, error: `{"message":"boom-${position}"}` });

export const success = (workflowId: string, output = '"done"'): WorkflowOutcome => ({
  workflowId,
  executorId: "executor-a",
  status: "SUCCESS",
  output,
});

export const failure = (workflowId: string, error = '"bad"'): WorkflowOutcome => ({
  workflowId,
  executorId: "executor-a",
  status: "ERROR",
  error,
});

export const claimFor = (patch: Partial<RecoveryClaim> = {}): RecoveryClaim => ({
  executorId: "executor-a",
  names: ["checkout"],
  maxRecoveryAttempts: {},
  ...patch,
});

export const ids = (rows: readonly { workflowId: string }[]): string[] =>
  rows.map((r) => r.workflowId).sort();

/** Resolves after at least `ms` real milliseconds, so two rows get distinct timestamps. */
export const nextMillisecond = (ms = 3): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** How long a notification test waits before it fails. */
export const NOTIFICATION_TIMEOUT_MS = 5_000;

/** Notifications received since `record` subscribed. */
export interface NotificationRecorder {
  /** Resolves with the first notification (past or future) that matches; rejects on timeout. */
  next(
    match: (notification: StoreNotification) => boolean,
    timeoutMs?: number,
  ): Promise<StoreNotification>;
  /** Everything received so far. */
  readonly received: readonly StoreNotification[];
  stop(): Promise<void>;
}

/** Subscribes to `store` (which must support it) and records what arrives. */
export async function record(store: WorkflowStore): Promise<NotificationRecorder> {
  if (!store.subscribe) throw new Error("store has no subscribe()");
  const received: StoreNotification[] = [];
  const waiters = new Set<(n: StoreNotification) => void>();
  const unsubscribe = await store.subscribe((notification) => {
    received.push(notification);
    for (const waiter of [...waiters]) waiter(notification);
  });
  return {
    received,
    next(match, timeoutMs = NOTIFICATION_TIMEOUT_MS) {
      const seen = received.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = (n: StoreNotification): void => {
          if (!match(n)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(n);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching notification within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop: unsubscribe,
  };
}
