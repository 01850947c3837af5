/**
 * What every file of the queue store contract suite shares: the per-test fixture, builders for
 * queue items and claims with sensible defaults, and a condition poll. Nothing here registers
 * tests.
 */
import { QUEUED_EXECUTOR, type NewWorkflow, type WorkflowStore } from "@cairn/core";
import type { ClaimRequest, EnqueueResult, NewQueueItem, QueueStore } from "../../queue-store.js";

/** One fresh, empty store for one test, with the queue store beside it. */
export interface QueueStoreContractSetup {
  /** The workflow store the queue store lives beside; the suite migrates and closes it. */
  readonly store: WorkflowStore;
  readonly queues: QueueStore;
  /**
   * Runs `body` inside a transaction of the store's own database, as a caller would (postgres.js
   * `sql.begin`, PGlite `db.transaction`): committed when it resolves, rolled back when it
   * throws. Absent for a store that cannot write into one; the suite then checks that it refuses
   * a `tx` and writes nothing.
   */
  readonly transaction?: <T>(body: (tx: unknown) => Promise<T>) => Promise<T>;
  /** After the store closed: drop a schema, delete files. */
  readonly cleanup?: () => Promise<void>;
}

/** Makes one fresh setup per test. */
export type QueueStoreContractFactory = () => Promise<QueueStoreContractSetup>;

/**
 * What a queue store can do, declared when the suite is registered so that exactly the tests
 * that apply are registered (none is skipped at run time). The suite checks each setup against
 * the declaration, so a store cannot pass by declaring less than it does.
 */
export interface QueueStoreCapabilities {
  /**
   * It writes inside a caller's transaction: its setups give `transaction`. Without it, the
   * suite checks that a `tx` is refused and nothing written.
   */
  readonly callerTransactions: boolean;
  /**
   * Several processes share it: its workflow store is not `exclusive`. Only then can another
   * executor be alive, so only then is the live executor's work checked to be left alone.
   */
  readonly multiProcess: boolean;
  /** Its claim writes the outcomes it is given (`QueueStore.finishesInClaim`). */
  readonly finishesInClaim?: boolean;
}

/** A contract test's stores. */
export interface QueueFixture {
  readonly capabilities: QueueStoreCapabilities;
  store: WorkflowStore;
  queues: QueueStore;
  transaction: QueueStoreContractSetup["transaction"];
  closed: boolean;
}

/** The executor every claim of the suite runs as, unless a test names another. */
export const EXECUTOR = "executor-a";

/** The lease of the executors the suite heartbeats: long enough never to expire in a test. */
export const LEASE_MS = 3_600_000;

/** An hour: a delay or rate window no test outlives, however loaded the machine. */
export const HOUR_MS = 3_600_000;

/** A new workflow on `queueName`, as the runtime writes it. */
export const queuedWorkflow = (
  workflowId: string,
  queueName = "q",
  patch: Partial<NewWorkflow> = {},
): NewWorkflow => ({
  workflowId,
  name: "job",
  input: `"${workflowId}"`,
  executorId: QUEUED_EXECUTOR,
  status: "ENQUEUED",
  queueName,
  ...patch,
});

/** A queue item of workflow `workflowId` on queue `q`, priority 0, not partitioned. */
export const item = (
  workflowId: string,
  patch: Partial<Omit<NewQueueItem, "workflow">> & { readonly name?: string } = {},
): NewQueueItem => {
  const { name, ...rest } = patch;
  const queueName = rest.queueName ?? "q";
  return {
    workflow: queuedWorkflow(workflowId, queueName, name === undefined ? {} : { name }),
    queueName,
    priority: 0,
    partitionKey: "",
    ...rest,
  };
};

/** A claim of queue `q` by `EXECUTOR`, unlimited, at most 100. */
export const claimOf = (patch: Partial<ClaimRequest> = {}): ClaimRequest => ({
  queueName: "q",
  executorId: EXECUTOR,
  excludeNames: [],
  appVersion: undefined,
  limits: {},
  partitioned: false,
  max: 100,
  ...patch,
});

/** Enqueues each of `items` in order; fails the test unless each was created. */
export async function enqueueAll(queues: QueueStore, items: readonly NewQueueItem[]) {
  const results: EnqueueResult[] = [];
  for (const next of items) {
    const result = await queues.enqueue(next);
    if (result.kind !== "created") {
      throw new Error(`enqueue(${next.workflow.workflowId}) was ${result.kind}`);
    }
    results.push(result);
  }
  return results;
}

/** The claimed workflows' IDs, sorted: a claim promises which, not in what order. */
export const claimedIds = (result: { claimed: readonly { workflowId: string }[] }): string[] =>
  result.claimed.map((w) => w.workflowId).sort();

/** Resolves when `check` returns true, polling every 10 ms; fails after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Makes `executorId` alive on the store (a claim treats unknown executors as gone). */
export const alive = (store: WorkflowStore, executorId = EXECUTOR): Promise<void> =>
  store.heartbeat({ executorId, appVersion: undefined, leaseMs: LEASE_MS });
