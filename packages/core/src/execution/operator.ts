/**
 * What both an engine and a client can do to workflows from the outside (`WorkflowOperations`):
 * send them messages, read their events and streams, cancel (one or many), resume many, delete
 * them, set their attributes, wait for several, list them and their checkpoints — and the handles that do the same for one workflow. Waits
 * wake on store notifications and poll as the fallback. Starting, resuming and forking differ
 * (an engine runs the workflow itself; a client leaves it to the owning engine) and live with each.
 */
import { assertAttributes } from "../attributes.js";
import { systemClock, type Clock } from "../clock.js";
import { randomUUID } from "node:crypto";
import { parseChannel, type ChannelSchemas } from "../channels.js";
import { toMs } from "../duration.js";
import { InvalidOptionError, WorkflowNotFoundError } from "../errors.js";
import type { ReadStreamOptions, SendOptions, WorkflowHandle } from "../handle.js";
import type { WaitOptions } from "../wait-options.js";
import type { Serializer } from "../serialization.js";
import type { WorkflowRecord, WorkflowStatus } from "../store/records.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { ListWorkflowsFilter } from "../inspection.js";
import type { ResumeManyResult, WorkflowOperations } from "../workflow-operations.js";
import { applyToMany } from "./bulk-control.js";
import { deleteWorkflows } from "./delete-workflows.js";
import type { HandleOperations, HandleSource } from "./handle-source.js";
import { createHandle } from "./handles.js";
import { storeFilter } from "./listing-filter.js";
import { stepInfo, workflowInfo } from "./record-info.js";
import type { RunOutcome } from "./run-outcome.js";
import { waitAll, waitFirst } from "./wait-handles.js";
import { parseForReceiver, type ReceiverChannels } from "./receiver-channels.js";
import type { Wakeups } from "./wakeups.js";

/** What the operator needs. */
export interface OperatorDeps {
  readonly store: WorkflowStore;
  readonly wakeups: Wakeups;
  /** Encodes messages, decodes values read. */
  readonly serializer: Serializer;
  /** Durable time for getEvent timeouts. Default: the real clock. */
  readonly clock?: Clock;
  /** Throws when the engine or client is closed (or, for an engine, not launched). */
  assertOpen(operation: string): void;
  /** Throws when results can no longer be read (the engine or client is closing). */
  assertAnswering(): void;
  /** Aborts when the engine or client closes: waits end. */
  readonly closeSignal: AbortSignal;
  /** Called with the IDs a cancel moved to CANCELLED (an engine stops its local runs). */
  onCancelled?(workflowIds: readonly string[]): void;
  /** Who owns what `resumeMany` makes PENDING: an engine's executor ID, a client's "any". */
  readonly resumeOwner: string;
  /** Called with the rows `resumeMany` resumed (an engine runs those it now owns). */
  onResumed?(records: readonly WorkflowRecord[]): Promise<void>;
  /** Receivers' message schemas the sender knows by name (an engine's registry). */
  readonly receivers?: ReceiverChannels;
  /** The outcome of a run in this process (an engine's), read before the store. */
  localRun?(workflowId: string): Promise<RunOutcome> | undefined;
}

/** Outside operations on workflows, and handles that use them. */
export interface Operator extends WorkflowOperations, HandleOperations {
  send(
    workflowId: string,
    topic: string,
    message: unknown,
    options?: SendOptions,
    validated?: boolean,
  ): Promise<void>;
  readStream(
    workflowId: string,
    key: string,
    options?: ReadStreamOptions,
    channels?: ChannelSchemas,
  ): AsyncIterableIterator<unknown>;
  /** `resumeMany`, for `executorId` (default: the operator's `resumeOwner`). */
  resumeMany(filter: ListWorkflowsFilter, executorId?: string): Promise<ResumeManyResult>;
  /** A handle on `workflowId`; validating with `channels` when given. No I/O until used. */
  handle<Out>(workflowId: string, channels?: ChannelSchemas): WorkflowHandle<Out>;
}

const terminal: ReadonlySet<WorkflowStatus> = new Set([
  "SUCCESS",
  "ERROR",
  "CANCELLED",
  "DEAD_LETTER",
]);
const STREAM_PAGE = 100;

/** Builds the outside operations over a store. */
export function createOperator(deps: OperatorDeps): Operator {
  const { store, wakeups } = deps;

  const send: Operator["send"] = async (workflowId, topic, message, options, validated) => {
    deps.assertOpen("send");
    const messageId =
      options?.idempotencyKey === undefined
        ? randomUUID()
        : `key:${workflowId}:${options.idempotencyKey}`;
    const value = validated
      ? message
      : await parseForReceiver(
          deps.receivers,
          (id) => store.getWorkflow(id),
          workflowId,
          topic,
          message,
        );
    const serialized = deps.serializer.serialize(value, `message on topic "${topic}"`);
    const result = await store.sendMessage(
      { destinationId: workflowId, topic, message: serialized, messageId },
      options?.tx === undefined ? undefined : { tx: options.tx },
    );
    if (result === "workflow-not-found") throw new WorkflowNotFoundError(workflowId);
  };

  const getEvent: Operator["getEvent"] = (workflowId, key, options) =>
    readEvent(deps, workflowId, key, options);
  const readStream: Operator["readStream"] = (workflowId, key, options, channels) =>
    streamEntries(deps, workflowId, key, options, channels);

  const source: HandleSource = {
    store,
    wakeups,
    serializer: deps.serializer,
    operator: { send, getEvent, readStream },
    localRun: (workflowId) => deps.localRun?.(workflowId),
    assertOpen: () => deps.assertAnswering(),
  };

  return {
    send,
    getEvent,
    readStream,
    handle: (workflowId, channels) => createHandle(workflowId, source, channels),
    deleteWorkflows: async (workflowIds, options) => {
      deps.assertOpen("deleteWorkflows");
      return deleteWorkflows(store, workflowIds, options);
    },
    waitFirst: (handles, options) => waitFirst(source, handles, options),
    waitAll: (handles, options) => waitAll(source, handles, options),
    async cancel(workflowId, options) {
      deps.assertOpen("cancel");
      const cancelled = await store.cancelWorkflow(workflowId, {
        children: options?.children ?? true,
      });
      if (cancelled.length === 0 && !(await store.getWorkflow(workflowId))) {
        throw new WorkflowNotFoundError(workflowId);
      }
      deps.onCancelled?.(cancelled);
      return cancelled;
    },
    async cancelMany(filter, options) {
      deps.assertOpen("cancelMany");
      const children = options?.children ?? true;
      const { changed, skipped } = await applyToMany(store, filter, {
        operation: "cancelMany",
        applies: ["PENDING", "ENQUEUED"],
        act: async (ids) => {
          const cancelled = await store.cancelWorkflows(ids, { children });
          deps.onCancelled?.(cancelled);
          return cancelled;
        },
      });
      return { cancelled: changed, skipped };
    },
    async resumeMany(filter, executorId = deps.resumeOwner) {
      deps.assertOpen("resumeMany");
      const { changed, skipped } = await applyToMany(store, filter, {
        operation: "resumeMany",
        applies: ["CANCELLED", "ERROR", "DEAD_LETTER"],
        act: async (ids) => {
          const resumed = await store.resumeWorkflows(ids, executorId);
          await deps.onResumed?.(resumed);
          return resumed.map((record) => record.workflowId);
        },
      });
      return { resumed: changed, skipped };
    },
    async setAttributes(workflowId, attributes, options) {
      deps.assertOpen("setAttributes");
      const checked = assertAttributes(attributes);
      const merge = options?.merge ?? false;
      const updated = await store.setAttributes(workflowId, checked, { merge });
      if (!updated) throw new WorkflowNotFoundError(workflowId);
      return updated.attributes ?? {};
    },
    async listWorkflows(filter = {}) {
      deps.assertOpen("listWorkflows");
      const records = await store.listWorkflows(storeFilter(filter));
      return records.map((record) => workflowInfo(record, deps.serializer));
    },
    async listSteps(workflowId) {
      deps.assertOpen("listSteps");
      return (await store.listSteps(workflowId)).map((record) => stepInfo(record, deps.serializer));
    },
  };
}

/** The operations an engine and a client share, taken from `operator` (and nothing else of it). */
export function outsideOperations(operator: Operator): WorkflowOperations {
  return {
    send: (workflowId, topic, message, options) =>
      operator.send(workflowId, topic, message, options),
    getEvent: (workflowId, key, options) => operator.getEvent(workflowId, key, options),
    readStream: (workflowId, key, options) => operator.readStream(workflowId, key, options),
    cancel: (workflowId, options) => operator.cancel(workflowId, options),
    cancelMany: (filter, options) => operator.cancelMany(filter, options),
    resumeMany: (filter) => operator.resumeMany(filter),
    deleteWorkflows: (workflowIds, options) => operator.deleteWorkflows(workflowIds, options),
    setAttributes: (workflowId, attributes, options) =>
      operator.setAttributes(workflowId, attributes, options),
    waitFirst: (handles, options) => operator.waitFirst(handles, options),
    waitAll: (handles, options) => operator.waitAll(handles, options),
    listWorkflows: (filter) => operator.listWorkflows(filter),
    listSteps: (workflowId) => operator.listSteps(workflowId),
  };
}

/** Reads an event, waiting up to `timeoutMs` (default 0) for it to be set. */
async function readEvent(
  deps: OperatorDeps,
  workflowId: string,
  key: string,
  options: WaitOptions | undefined,
): Promise<unknown> {
  const { store, wakeups } = deps;
  const clock = deps.clock ?? systemClock;
  deps.assertOpen("getEvent");
  const timeoutMs =
    options?.timeoutMs === undefined ? 0 : toMs(options.timeoutMs, "getEvent timeoutMs");
  const deadline = clock.now() + timeoutMs;
  const watch = wakeups.watch(`event:${workflowId}:${key}`);
  try {
    for (;;) {
      const value = await store.getEvent(workflowId, key);
      if (value !== undefined) return deps.serializer.deserialize(value);
      if (clock.now() >= deadline || deps.closeSignal.aborted) return undefined;
      await watch.next(deadline - clock.now(), deps.closeSignal);
    }
  } finally {
    watch.close();
  }
}

/** A stream's values from `offset`, until it is closed or the workflow ends. */
async function* streamEntries(
  deps: OperatorDeps,
  workflowId: string,
  key: string,
  options: ReadStreamOptions = {},
  channels?: ChannelSchemas,
): AsyncIterableIterator<unknown> {
  const { store, wakeups } = deps;
  deps.assertOpen("readStream");
  let offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0)
    throw new InvalidOptionError("offset", "expected an integer >= 0");
  let finished = false;
  const watch = wakeups.watch(`stream:${workflowId}:${key}`);
  try {
    for (;;) {
      const entries = await store.readStream(workflowId, key, offset, STREAM_PAGE);
      for (const entry of entries) {
        if (entry.closed) return;
        yield await parseChannel(
          channels,
          "streams",
          key,
          deps.serializer.deserialize(entry.value ?? "-1"),
        );
        offset = entry.offset + 1;
      }
      if (entries.length > 0) continue;
      if (finished) return; // read once more after seeing the end, then stop
      const record = await store.getWorkflow(workflowId);
      if (!record) throw new WorkflowNotFoundError(workflowId);
      if (terminal.has(record.status)) {
        finished = true;
        continue;
      }
      deps.assertOpen("readStream");
      await watch.next(Number.POSITIVE_INFINITY, deps.closeSignal);
    }
  } finally {
    watch.close();
  }
}
