/**
 * What both an engine and a client can do to workflows from the outside: send them messages,
 * read their events and streams, cancel them, and list them and their checkpoints. Waits wake on
 * store notifications and poll as the fallback. Starting, resuming and forking differ (an engine
 * runs the workflow itself; a client leaves it to the owning engine) and live with each.
 */
import { systemClock, type Clock } from "../clock.js";
import { randomUUID } from "node:crypto";
import { parseChannel, type ChannelSchemas } from "../channels.js";
import type { WaitOptions } from "../context.js";
import { toMs } from "../duration.js";
import { InvalidOptionError, WorkflowNotFoundError } from "../errors.js";
import type { ReadStreamOptions, SendOptions } from "../handle.js";
import type { ListWorkflowsFilter, StepInfo, WorkflowInfo } from "../inspection.js";
import { deserialize, serialize } from "../serialization.js";
import type { StepRecord, WorkflowStatus } from "../store/records.js";
import type { ListedWorkflow } from "../store/running-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import { statusInfo } from "./handles.js";
import { parseForReceiver, type ReceiverChannels } from "./receiver-channels.js";
import type { Wakeups } from "./wakeups.js";

/** What the operator needs. */
export interface OperatorDeps {
  readonly store: WorkflowStore;
  readonly wakeups: Wakeups;
  /** Durable time for getEvent timeouts. Default: the real clock. */
  readonly clock?: Clock;
  /** Throws when the engine or client is closed. */
  assertOpen(operation: string): void;
  /** Aborts when the engine or client closes: waits end. */
  readonly closeSignal: AbortSignal;
  /** Called with the IDs a cancel moved to CANCELLED (an engine stops its local runs). */
  onCancelled?(workflowIds: readonly string[]): void;
  /** Receivers' message schemas the sender knows by name (an engine's registry). */
  readonly receivers?: ReceiverChannels;
}

/** Outside operations on workflows. */
export interface Operator {
  /** Sends; `validated` when a typed handle already parsed the message with the schema. */
  send(
    workflowId: string,
    topic: string,
    message: unknown,
    options?: SendOptions,
    validated?: boolean,
  ): Promise<void>;
  getEvent(workflowId: string, key: string, options?: WaitOptions): Promise<unknown>;
  readStream(
    workflowId: string,
    key: string,
    options?: ReadStreamOptions,
    channels?: ChannelSchemas,
  ): AsyncIterableIterator<unknown>;
  cancel(workflowId: string, options?: { readonly children?: boolean }): Promise<readonly string[]>;
  listWorkflows(filter?: ListWorkflowsFilter): Promise<WorkflowInfo[]>;
  listSteps(workflowId: string): Promise<StepInfo[]>;
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
    const serialized = serialize(value, `message on topic "${topic}"`);
    const result = await store.sendMessage(
      { destinationId: workflowId, topic, message: serialized, messageId },
      options?.tx === undefined ? undefined : { tx: options.tx },
    );
    if (result === "workflow-not-found") throw new WorkflowNotFoundError(workflowId);
  };

  const clock = deps.clock ?? systemClock;
  const getEvent: Operator["getEvent"] = async (workflowId, key, options) => {
    deps.assertOpen("getEvent");
    const timeoutMs =
      options?.timeoutMs === undefined ? 0 : toMs(options.timeoutMs, "getEvent timeoutMs");
    const deadline = clock.now() + timeoutMs;
    const watch = wakeups.watch(`event:${workflowId}:${key}`);
    try {
      for (;;) {
        const value = await store.getEvent(workflowId, key);
        if (value !== undefined) return deserialize(value);
        if (clock.now() >= deadline || deps.closeSignal.aborted) return undefined;
        await watch.next(deadline - clock.now(), deps.closeSignal);
      }
    } finally {
      watch.close();
    }
  };

  async function* readStream(
    workflowId: string,
    key: string,
    options: ReadStreamOptions = {},
    channels?: ChannelSchemas,
  ): AsyncIterableIterator<unknown> {
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
          yield await parseChannel(channels, "streams", key, deserialize(entry.value ?? "-1"));
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

  return {
    send,
    getEvent,
    readStream,
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
    async listWorkflows(filter = {}) {
      deps.assertOpen("listWorkflows");
      const time = (at: Date | number | undefined) => (at instanceof Date ? at.getTime() : at);
      const { queue, createdAfter, createdBefore, ...rest } = filter;
      const records = await store.listWorkflows({
        ...rest,
        ...(queue === undefined ? {} : { queueName: queue }),
        ...(createdAfter === undefined ? {} : { createdAfter: time(createdAfter) }),
        ...(createdBefore === undefined ? {} : { createdBefore: time(createdBefore) }),
      } as Parameters<WorkflowStore["listWorkflows"]>[0]);
      return records.map(workflowInfo);
    },
    async listSteps(workflowId) {
      deps.assertOpen("listSteps");
      return (await store.listSteps(workflowId)).map(stepInfo);
    },
  };
}

function decode(value: string | undefined): unknown {
  return value === undefined ? undefined : deserialize(value);
}

function workflowInfo(record: ListedWorkflow): WorkflowInfo {
  return {
    ...statusInfo(record),
    input: decode(record.input),
    output: decode(record.output),
    error: decode(record.error),
  };
}

function stepInfo(record: StepRecord): StepInfo {
  return {
    position: record.position,
    name: record.name,
    output: decode(record.output),
    error: decode(record.error),
    childWorkflowId: record.childWorkflowId,
    attempts: record.attempts,
    startedAt: new Date(record.startedAt),
    completedAt: new Date(record.completedAt),
  };
}
