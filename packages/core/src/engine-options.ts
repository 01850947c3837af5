/**
 * The options of an engine and of its `start()` and `fork()`: what a caller configures. Defaults
 * are applied and checked once, in `execution/engine-config.ts`.
 */
import type { Duration } from "./duration.js";
import type { WorkflowAttributes } from "./attributes.js";
import type { SerializationOptions } from "./serialization.js";
import type { Clock } from "./clock.js";
import type { RetentionOptions } from "./execution/background.js";
import type { Logger } from "./logger.js";
import type { EngineObserver } from "./observer.js";
import type { EnginePlugin } from "./plugin.js";
import type { WorkflowStore } from "./store/workflow-store.js";
import type { AnyWorkflow } from "./workflow.js";

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** Where checkpoints live: `createPgStore`, `createPgliteStore`, or the memory store. */
  readonly store: WorkflowStore;
  /** Every workflow this engine may start or recover, including children. */
  readonly workflows: readonly AnyWorkflow[];
  /**
   * Who owns the workflows this engine starts. Unique per live process. Default: generated
   * (`<host>-<pid>-<random>`). Configure a stable ID (a pod or host name) and a restarted engine
   * resumes its own workflows at once at `launch()`, without waiting for its old lease to expire.
   */
  readonly executorId?: string;
  /**
   * The application version this process runs (a git SHA, a release tag). Workflows record it;
   * recovery and takeover run only workflows of this version, of none, or of a version no live
   * executor runs (see docs/versioning.md). Default: unset — every workflow is compatible.
   */
  readonly appVersion?: string;
  /**
   * How long this engine's heartbeat stays valid. It heartbeats every third of it; when it stops
   * for longer, other engines take its workflows over. Default 30,000 ms.
   */
  readonly leaseMs?: number;
  /**
   * How many workflows this engine means to run at once. Work it would claim from the pool —
   * takeovers of stopped or expired executors' workflows, and workflows started for any engine
   * (a client's start without `executorId`) — is claimed only into the room below it, so a busy
   * engine leaves that work to engines with room and does not hoard it. Work handed to it
   * directly is never refused (its own starts and children, resumes and pickups assigned to it,
   * queue claims, which keep their queues' limits), so it can run more than this. Default: no
   * bound — a takeover claims up to 100 workflows at a time.
   * Bulk starts and recovery are the exceptions that wait: of what `engine.startMany` creates,
   * what a client's `startMany` assigns to this engine and what its recovery at `launch()`
   * claims, at most this many (4,000 when unset) run here at once; the rest wait PENDING in the
   * database (recovered ones claimed by this engine, children before their parents) and start
   * here as those runs end or suspend.
   */
  readonly runCapacity?: number;
  /** Delete finished workflows after a while, in the background. Default: keep everything. */
  readonly retention?: RetentionOptions;
  /** What runs alongside the engine, such as `@cairn/queue`'s queues and schedules. */
  readonly plugins?: readonly EnginePlugin[];
  /**
   * Where Cairn reports. Default: warnings and errors to the console. Lifecycle events (a
   * workflow started, finished, failed, recovered; a step retried) are logged at `info`.
   */
  readonly logger?: Logger;
  /**
   * Code that watches workflows run: tracing and metrics (`otelObserver()` from `@cairn/otel`),
   * lifecycle events (`{ onEvent(event) { ... } }`). Called in order. Default: none.
   */
  readonly observers?: readonly EngineObserver[];
  /**
   * How long `shutdown()` lets running steps finish before aborting them. Default 10,000 ms.
   * Shutdown resolves at most 4,000 ms after this, even when the database is unreachable.
   */
  readonly shutdownGraceMs?: number;
  /**
   * The polling fallback: how often waits re-read the store and the engine looks for work and
   * cancellations it was not notified of. Default 1,000 ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * Suspension of waiting workflows: a `ctx.sleep` with at least this many ms left, and a
   * `ctx.recv`, `ctx.getEvent`, child result or `ctx.race` that has waited this long, leaves
   * memory — the run ends here, the store keeps when it is due and what it waits for, and the
   * engine (or, after a crash or shutdown, whichever engine claims it) runs it again by replay
   * when it is due or what it waits for arrives. `0` suspends every wait at once;
   * `Number.POSITIVE_INFINITY` never suspends. Default 60,000 ms. See decision 0014.
   */
  readonly suspendAfterMs?: number;
  /**
   * The timeout of every workflow this engine starts without one of its own: `engine.start`,
   * `run`, `startMany` items and `engine.fork` without `timeoutMs`, and children started with
   * `inheritDeadline: false` (other children inherit their parent's deadline). The deadline is
   * stored at the start, so whichever engine runs the workflow enforces it, and workflows started
   * before the option was set keep running without one. Its queues (`@cairn/queue`) give it to
   * what they enqueue without `timeoutMs`, counted from the claim; a client's starts and
   * enqueues take their own. Default: none. See decision 0017.
   * @example
   * createEngine({ store, workflows, workflowTimeoutMs: "1h" });
   */
  readonly workflowTimeoutMs?: Duration;
  /**
   * Durable time: sleeps, timeouts, deadlines and retry backoff. Default: the real clock. Tests
   * pass `createVirtualClock()` from `@cairn/core/testing` and advance it by hand.
   */
  readonly clock?: Clock;
  /**
   * How values are stored: custom types (`types: { Decimal: { is, encode, decode } }`) and a
   * codec over every stored value (encryption at rest). Clients and engines sharing a store need
   * the same. Default: devalue, no custom types, no codec. See docs/serialization.md.
   */
  readonly serialization?: SerializationOptions;
}

/** Options of `engine.start()` and `engine.run()`. */
export interface StartOptions {
  /** The workflow ID; starting an ID that exists returns that workflow. Default: a random UUID. */
  readonly id?: string;
  /**
   * Cancel the workflow (and the children that inherited its deadline) if it has not finished
   * this long after starting. Default: the engine's `workflowTimeoutMs`, else none.
   */
  readonly timeoutMs?: number;
  /**
   * A plain JSON object to find the workflow by later (`listWorkflows({ attributes })`), such as
   * `{ tenant: "acme", orderId: 42 }`; at most 16 KiB as JSON. A bad one is an
   * `InvalidOptionError` naming the problem, and nothing is written.
   */
  readonly attributes?: WorkflowAttributes;
  /**
   * Start inside your own open transaction on the store's database (postgres.js
   * `TransactionSql`, PGlite `Transaction`): the workflow exists if and only if that transaction
   * commits, and this engine starts running it when the commit's notification arrives (or at its
   * next poll). The input is validated before anything is written. `run()` refuses it: the result
   * cannot come before your commit. See docs/outbox.md.
   */
  readonly tx?: unknown;
}

/** Options of `engine.fork()` and `client.fork()`. */
export interface ForkOptions {
  /**
   * The position from which the fork runs again. What the source recorded before it comes
   * along: its checkpoints, its stream entries, and each event's value as it stood there.
   */
  readonly fromStep: number;
  /** The fork's workflow ID. Default: a random UUID. */
  readonly id?: string;
  /**
   * The application version the fork must run on. Default: an engine's own version (it runs
   * the fork); from a client, none (any version may).
   */
  readonly appVersion?: string;
  /**
   * Cancel the fork if it has not finished this long after it started. Default: an engine's
   * `workflowTimeoutMs` (a client's: none), else no timeout.
   */
  readonly timeoutMs?: Duration;
  /**
   * Put the fork on this queue (`@cairn/queue`) instead of running it at once: it waits
   * `ENQUEUED` and the engines serving the queue run it within the queue's limits; its
   * `timeoutMs` counts from its claim.
   */
  readonly queue?: string;
  /** With `queue`: its priority there (lower runs first). Default 0. */
  readonly priority?: number;
  /** With `queue`: its partition key, on a partitioned queue. */
  readonly partitionKey?: string;
}
