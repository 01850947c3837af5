/**
 * The client: everything you can do to workflows from a process that runs none — a web server, a
 * CLI, an admin script. It starts workflows by name (the engine whose executor ID owns them picks
 * them up, woken by a store notification or its poll), retrieves handles and awaits results,
 * sends messages, reads events and streams, cancels, resumes, forks and lists. It needs no
 * workflow code: pass the definition's *type* for typing (`client.start<typeof order>("order", …)`).
 */
import { assertAttributes, type WorkflowAttributes } from "./attributes.js";
import type { ForkOptions } from "./engine-options.js";
import { forkRequest } from "./execution/fork-request.js";
import { randomUUID } from "node:crypto";
import { toMs } from "./duration.js";
import type { HandleOf } from "./engine.js";
import {
  EngineClosedError,
  InvalidOptionError,
  WorkflowConflictError,
  WorkflowNotFoundError,
} from "./errors.js";
import { Observers } from "./execution/observers.js";
import { RegisteredNames } from "./execution/registered-names.js";
import { createOperator, outsideOperations } from "./execution/operator.js";
import { Wakeups } from "./execution/wakeups.js";
import type { WorkflowHandle } from "./handle.js";
import { consoleLogger, type Logger } from "./logger.js";
import type { EngineObserver } from "./observer.js";
import { createSerializer, type SerializationOptions, type Serializer } from "./serialization.js";
import { UNASSIGNED_EXECUTOR } from "./store/executor-ids.js";
import type { WorkflowStore } from "./store/workflow-store.js";
import type { NewWorkflow } from "./store/running-store.js";
import type {
  ResumeManyResult,
  StartManyItem,
  StartManyOptions,
  WorkflowOperations,
} from "./workflow-operations.js";
import { checkStartItem, startRowsOf } from "./execution/start-items.js";
import type { ListWorkflowsFilter } from "./inspection.js";
import type { AnyWorkflow, WorkflowInput } from "./workflow.js";
import { assertWorkflowId } from "./workflow-id.js";

/** Options of {@link createClient}. */
export interface ClientOptions {
  readonly store: WorkflowStore;
  readonly logger?: Logger;
  /** How often waits re-read the store when no notification arrives. Default 1,000 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Observers whose `inject` adds the caller's trace context to workflows this client starts
   * (`otelObserver()` from `@cairn/otel`); the engine that runs them continues that trace.
   */
  readonly observers?: readonly EngineObserver[];
  /** The engines' `serialization` (custom types, codec): a client decodes what they stored. */
  readonly serialization?: SerializationOptions;
}

/** Options of `client.start()`. */
export interface ClientStartOptions {
  /** The workflow ID. Default: a random UUID. */
  readonly id?: string;
  /** Cancel the workflow if it has not finished this long after starting. */
  readonly timeoutMs?: number;
  /** The executor (engine) that must run it. Default: whichever live engine claims it first. */
  readonly executorId?: string;
  /** A plain JSON object to find it by later, as `engine.start`'s `attributes`. */
  readonly attributes?: WorkflowAttributes;
  /**
   * Start inside your own open transaction on the store's database (postgres.js
   * `TransactionSql`, PGlite `Transaction`): the workflow exists if and only if that transaction
   * commits, and engines hear of it at the commit. See docs/outbox.md.
   */
  readonly tx?: unknown;
  /**
   * Start it even when no live engine registers `name` (an engine that does is about to be
   * deployed). Default `false`: such a start throws `WorkflowNotRegisteredError` and writes
   * nothing. See {@link Client.assertRegistered}. A start with `tx` is not checked (the read
   * would have to wait for your commit on PGlite): call `assertRegistered` before your
   * transaction if you want the check.
   */
  readonly allowUnregistered?: boolean;
}

/** The per-item options of `client.startMany()`: `client.start`'s, without `tx` (nor the check's opt-out). */
export type ClientStartManyItemOptions = Omit<ClientStartOptions, "tx" | "allowUnregistered">;

/** Options of `client.startMany()`. */
export interface ClientStartManyOptions extends StartManyOptions {
  /** As `start`'s: write them even when no live engine registers the name. Default `false`. */
  readonly allowUnregistered?: boolean;
}

/** Outside access to workflows, without running any. Create with {@link createClient}. */
export interface Client extends WorkflowOperations {
  /**
   * Starts a workflow by name; the engine with its executor ID picks it up and runs it. The
   * client has no schema, so the input is stored as given: validate untrusted input first.
   * @throws WorkflowNotRegisteredError when live engines advertise their workflows and none
   *   runs `name` (see {@link Client.assertRegistered}; `allowUnregistered` skips the check).
   * @throws WorkflowConflictError when the ID belongs to a workflow of another name.
   */
  start<W extends AnyWorkflow = AnyWorkflow>(
    name: string,
    input: WorkflowInput<W>,
    options?: ClientStartOptions,
  ): Promise<HandleOf<W>>;
  /**
   * Starts many workflows of one name and returns their handles, in order: one round trip per
   * 1,000 items, all written or none; the engines pick them up as they do `start()`'s. An item
   * whose ID exists (also an earlier item's) gets that workflow's handle.
   * @throws StartItemsInvalidError naming each bad item's index (nothing written);
   *   WorkflowConflictError when an item's ID belongs to a workflow of another name (nothing
   *   written); WorkflowNotRegisteredError as `start` (checked once per call and executor).
   */
  startMany<W extends AnyWorkflow = AnyWorkflow>(
    name: string,
    items: readonly StartManyItem<WorkflowInput<W>, ClientStartManyItemOptions>[],
    options?: ClientStartManyOptions,
  ): Promise<HandleOf<W>[]>;
  /**
   * The check `start` makes: resolves when an engine may run `workflowName` (the engine
   * `executorId`, when it is alive), and throws when engines seen in the last minute advertise
   * their workflows and none runs it. With no engine seen (none deployed yet), or one that
   * advertises nothing (an older Cairn), every name passes. Names found are cached for 5 s.
   * @throws WorkflowNotRegisteredError
   */
  assertRegistered(
    workflowName: string,
    options?: { readonly executorId?: string | undefined },
  ): Promise<void>;
  /** A handle on an existing workflow, typed by the definition's type. No I/O until used. */
  retrieve<W extends AnyWorkflow = AnyWorkflow>(workflowId: string): HandleOf<W>;
  /** Makes a cancelled, failed or dead-lettered workflow PENDING again, for any live engine. */
  resume<Out = unknown>(
    workflowId: string,
    options?: { readonly executorId?: string },
  ): Promise<WorkflowHandle<Out>>;
  /**
   * `resumeMany` (see `WorkflowOperations`) for any live engine, or the one named `executorId`.
   */
  resumeMany(
    filter: ListWorkflowsFilter,
    options?: { readonly executorId?: string },
  ): Promise<ResumeManyResult>;
  /**
   * Creates a fork for any live engine (or `executorId`) to run from `fromStep`, or with `queue`
   * puts it on that queue; the options are `engine.fork`'s (`appVersion` defaults to none).
   */
  fork<Out = unknown>(
    workflowId: string,
    options: ForkOptions & { readonly executorId?: string },
  ): Promise<WorkflowHandle<Out>>;
  /** Encodes and decodes values as this client's `serialization` option says. */
  readonly serializer: Serializer;
  /** Stops listening and closes the store. */
  close(): Promise<void>;
}

/**
 * Creates a client over a store (the same kind of store the engines use).
 *
 * @example
 * const client = createClient({ store: createPgStore({ url }) });
 * const handle = await client.start<typeof approval>("approval", { requestId: "r1" });
 * await handle.send("decision", { approved: true });
 */
export function createClient(options: ClientOptions): Client {
  const { store } = options;
  const serializer = createSerializer(options.serialization);
  const logger = options.logger ?? consoleLogger();
  const observers = new Observers(options.observers ?? [], logger);
  const wakeups = new Wakeups(store, logger, options.pollIntervalMs ?? 1_000);
  const closing = new AbortController();
  const assertOpen = (operation: string) => {
    if (closing.signal.aborted) throw new EngineClosedError(operation);
  };
  const listening = wakeups.start();
  const operator = createOperator({
    store,
    serializer,
    wakeups,
    assertOpen,
    assertAnswering: () => assertOpen("result"),
    closeSignal: closing.signal,
    resumeOwner: UNASSIGNED_EXECUTOR,
  });
  const handle = <Out>(workflowId: string) => operator.handle<Out>(workflowId);
  const registered = new RegisteredNames(store);

  return {
    ...outsideOperations(operator),
    serializer,
    async start(name, input, startOptions = {}) {
      assertOpen("start");
      if (typeof name !== "string" || name === "")
        throw new InvalidOptionError("name", "expected a workflow name");
      const workflowId =
        startOptions.id === undefined ? randomUUID() : assertWorkflowId(startOptions.id);
      const timeoutMs = startOptions.timeoutMs;
      const attributes =
        startOptions.attributes === undefined
          ? undefined
          : assertAttributes(startOptions.attributes);
      // Not inside the caller's transaction: the read would wait for its commit on PGlite.
      const checked = startOptions.tx === undefined;
      if (!allowsUnregistered(startOptions.allowUnregistered) && checked) {
        await registered.assert(name, startOptions.executorId);
      }
      const { created, workflow } = await store.createWorkflow(
        {
          workflowId,
          name,
          input: serializer.serialize(input, `input of workflow "${name}"`),
          executorId: startOptions.executorId ?? UNASSIGNED_EXECUTOR,
          deadlineAt:
            timeoutMs === undefined ? undefined : Date.now() + toMs(timeoutMs, "timeoutMs"),
          notify: true,
          traceContext: observers.carrier(undefined),
          attributes,
        },
        startOptions.tx === undefined ? undefined : { tx: startOptions.tx },
      );
      if (!created && workflow.name !== name)
        throw new WorkflowConflictError(workflowId, workflow.name, name);
      return handle(workflowId) as never;
    },
    async startMany(name, items, manyOptions = {}) {
      assertOpen("startMany");
      if (typeof name !== "string" || name === "")
        throw new InvalidOptionError("name", "expected a workflow name");
      const traceContext = observers.carrier(undefined);
      const now = Date.now();
      const subject = `input of workflow "${name}"`;
      const rows = await startRowsOf(name, items, (item): NewWorkflow => {
        const { workflowId, deadlineAt, attributes } = checkStartItem(item, now);
        return {
          workflowId,
          name,
          input: serializer.serialize(item.input, subject),
          executorId: item.executorId ?? UNASSIGNED_EXECUTOR,
          deadlineAt,
          attributes,
          notify: true,
          traceContext,
        };
      });
      const checked = manyOptions.tx === undefined && rows.length > 0;
      if (!allowsUnregistered(manyOptions.allowUnregistered) && checked) {
        for (const executorId of new Set(items.map((item) => item.executorId))) {
          await registered.assert(name, executorId);
        }
      }
      if (rows.length > 0) {
        await store.createWorkflows(
          rows,
          manyOptions.tx === undefined ? undefined : { tx: manyOptions.tx },
        );
      }
      return rows.map((row) => handle(row.workflowId) as never);
    },
    async assertRegistered(workflowName, checkOptions = {}) {
      assertOpen("assertRegistered");
      await registered.assert(workflowName, checkOptions.executorId);
    },
    retrieve: (workflowId) => handle(workflowId) as never,
    resumeMany: (filter, resumeOptions) => operator.resumeMany(filter, resumeOptions?.executorId),
    async resume<Out>(workflowId: string, resumeOptions?: { readonly executorId?: string }) {
      assertOpen("resume");
      const executorId = resumeOptions?.executorId ?? UNASSIGNED_EXECUTOR;
      if (!(await store.resumeWorkflow(workflowId, executorId)))
        throw new WorkflowNotFoundError(workflowId);
      return handle<Out>(workflowId);
    },
    async fork<Out>(workflowId: string, fork: ForkOptions & { readonly executorId?: string }) {
      assertOpen("fork");
      const { executorId = UNASSIGNED_EXECUTOR, ...options } = fork;
      const request = forkRequest(workflowId, options, {
        executorId,
        appVersion: undefined,
        now: Date.now(),
      });
      if (!(await store.forkWorkflow(request))) throw new WorkflowNotFoundError(workflowId);
      return handle<Out>(request.newId);
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      await listening;
      await wakeups.stop();
      await store.close();
    },
  };
}

/** Reads the `allowUnregistered` option. @throws InvalidOptionError unless boolean or absent. */
function allowsUnregistered(value: unknown): boolean {
  if (value !== undefined && typeof value !== "boolean") {
    throw new InvalidOptionError("allowUnregistered", "expected true or false");
  }
  return value === true;
}
