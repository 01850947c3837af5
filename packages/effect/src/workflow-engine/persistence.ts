/**
 * Where Effect's workflow engine keeps its state in a Cairn store. An execution is a Cairn
 * workflow (its ID the execution ID, its name the workflow's tag, its input the JSON-encoded
 * payload); its final `Exit` is the workflow's outcome (`SUCCESS`, `ERROR`, or `CANCELLED` for an
 * interruption, with the exit kept in an event). Effect looks activities, deferreds and clocks
 * up by name rather than by call position, so they live in the workflow's events, keyed
 * `effect/activity/<name>/<attempt>`, `effect/deferred/<name>`, `effect/clock/<name>` (the wake-up
 * time) and `effect/interrupt`. Values are JSON made by Effect `Schema`, stored with the
 * engine's serializer (its custom types and codec, such as encryption at rest, apply to every
 * value). This module reads and writes; it decides nothing.
 */
import {
  defaultSerializer,
  type Fence,
  type Serializer,
  type WorkflowRecord,
  type WorkflowStore,
} from "@cairn/core";
import { Exit, Schema } from "effect";
import type { Workflow } from "effect/workflow";

const exitJson = Schema.toCodecJson(Schema.Exit(Schema.Unknown, Schema.Unknown, Schema.Defect()));
const encodeExitJson = Schema.encodeUnknownSync(exitJson);
const decodeExitJson = Schema.decodeUnknownSync(exitJson);

const key = {
  activity: (name: string, attempt: number) => `effect/activity/${name}/${attempt}`,
  deferred: (name: string) => `effect/deferred/${name}`,
  clock: (name: string) => `effect/clock/${name}`,
  interrupt: "effect/interrupt",
  result: "effect/result",
};

/** The prefix of the event keys that wake a run: deferred completions and interrupt requests. */
export const wakeKeys = { deferred: "effect/deferred/", interrupt: key.interrupt };

/** The typed `Exit` of a workflow, to JSON with its own schemas and back. */
function workflowExitCodec(workflow: Workflow.Any, serializer: Serializer) {
  const codec = Schema.toCodecJson(
    Schema.Exit(workflow.successSchema, workflow.errorSchema, Schema.Defect()),
  ) as unknown as Schema.Codec<Exit.Exit<unknown, unknown>, unknown>;
  return {
    encode: (exit: Exit.Exit<unknown, unknown>) =>
      serializer.serialize(Schema.encodeUnknownSync(codec)(exit), "a workflow exit"),
    decode: (text: string) => Schema.decodeUnknownSync(codec)(serializer.deserialize(text)),
  };
}

/** A workflow's payload, to JSON with its schema and back. */
function payloadCodec(workflow: Workflow.Any, serializer: Serializer) {
  const codec = Schema.toCodecJson(workflow.payloadSchema) as unknown as Schema.Codec<
    object,
    unknown
  >;
  return {
    encode: (payload: object) =>
      serializer.serialize(Schema.encodeUnknownSync(codec)(payload), "a payload"),
    decode: (text: string) => Schema.decodeUnknownSync(codec)(serializer.deserialize(text)),
  };
}

/** The reads and writes of one engine on its store. */
export class Persistence {
  private readonly store: WorkflowStore;
  private readonly executorId: string;
  private readonly serializer: Serializer;

  constructor(store: WorkflowStore, executorId: string, serializer = defaultSerializer) {
    this.store = store;
    this.executorId = executorId;
    this.serializer = serializer;
  }

  /** A stored execution's payload, decoded with its workflow's schema. */
  payload(workflow: Workflow.Any, record: WorkflowRecord): object {
    return payloadCodec(workflow, this.serializer).decode(record.input);
  }

  /** An `Exit` whose values are already JSON (or `undefined`), as text. */
  private storeExit(exit: Exit.Exit<unknown, unknown>): string {
    const json = encodeExitJson(Exit.map(exit, (value) => value ?? null));
    return this.serializer.serialize(json, "an Effect exit");
  }

  /** Reads an exit written by `storeExit`; its values stay JSON. */
  private loadExit(text: string): Exit.Exit<unknown, unknown> {
    return decodeExitJson(this.serializer.deserialize(text));
  }

  /** Creates the execution, or returns the one that exists. */
  async create(
    workflow: Workflow.Any,
    executionId: string,
    payload: object,
    parentId: string | undefined,
  ): Promise<{ created: boolean; record: WorkflowRecord }> {
    const { created, workflow: record } = await this.store.createWorkflow({
      workflowId: executionId,
      name: workflow._tag,
      input: payloadCodec(workflow, this.serializer).encode(payload),
      executorId: this.executorId,
      parentWorkflowId: parentId,
    });
    return { created, record };
  }

  get(executionId: string): Promise<WorkflowRecord | undefined> {
    return this.store.getWorkflow(executionId);
  }

  /** Records a finished execution. An interruption is `CANCELLED`, its exit kept in an event. */
  async finish(
    workflow: Workflow.Any,
    executionId: string,
    exit: Exit.Exit<unknown, unknown>,
    fence: Fence,
  ) {
    const text = workflowExitCodec(workflow, this.serializer).encode(exit);
    if (Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt")) {
      const event = { workflowId: executionId, key: key.result, value: text };
      await this.store.setEvent(event, undefined, fence);
      await this.store.cancelWorkflow(executionId, { children: false });
      return;
    }
    const outcome = Exit.isSuccess(exit) ? { output: text } : { error: text };
    await this.store.finishWorkflow(
      {
        workflowId: executionId,
        executorId: this.executorId,
        status: Exit.isSuccess(exit) ? "SUCCESS" : "ERROR",
        ...outcome,
      },
      fence,
    );
  }

  /** The exit of a finished execution, or `undefined` while it runs. */
  async outcome(
    workflow: Workflow.Any,
    record: WorkflowRecord,
  ): Promise<Exit.Exit<unknown, unknown> | undefined> {
    const codec = workflowExitCodec(workflow, this.serializer);
    switch (record.status) {
      case "SUCCESS":
        return codec.decode(record.output ?? "");
      case "ERROR":
      case "DEAD_LETTER":
        return record.error === undefined ? Exit.die(record.status) : codec.decode(record.error);
      case "CANCELLED": {
        const text = await this.store.getEvent(record.workflowId, key.result);
        return text === undefined ? Exit.interrupt() : codec.decode(text);
      }
      case "PENDING":
      case "ENQUEUED":
        return undefined;
    }
  }

  async activity(executionId: string, name: string, attempt: number) {
    const text = await this.store.getEvent(executionId, key.activity(name, attempt));
    return text === undefined ? undefined : this.loadExit(text);
  }

  saveActivity(
    executionId: string,
    activity: { readonly name: string; readonly attempt: number },
    exit: Exit.Exit<unknown, unknown>,
    fence: Fence | undefined,
  ) {
    const event = {
      workflowId: executionId,
      key: key.activity(activity.name, activity.attempt),
      value: this.storeExit(exit),
    };
    return this.store.setEvent(event, undefined, fence);
  }

  async deferred(executionId: string, name: string) {
    const text = await this.store.getEvent(executionId, key.deferred(name));
    return text === undefined ? undefined : this.loadExit(text);
  }

  /** Completes a deferred once: returns false if it already had a result. */
  async completeDeferred(executionId: string, name: string, exit: Exit.Exit<unknown, unknown>) {
    if ((await this.store.getEvent(executionId, key.deferred(name))) !== undefined) return false;
    await this.store.setEvent({
      workflowId: executionId,
      key: key.deferred(name),
      value: this.storeExit(exit),
    });
    return true;
  }

  /** The clock's wake-up time (epoch ms), recorded the first time it is scheduled. */
  async clockWakeAt(
    executionId: string,
    name: string,
    wakeAt: number,
    fence: Fence | undefined,
  ): Promise<number> {
    const text = await this.store.getEvent(executionId, key.clock(name));
    if (text !== undefined) return this.serializer.deserialize<number>(text);
    const event = {
      workflowId: executionId,
      key: key.clock(name),
      value: this.serializer.serialize(wakeAt, "a clock"),
    };
    await this.store.setEvent(event, undefined, fence);
    return wakeAt;
  }

  async interruptRequested(executionId: string): Promise<"safe" | "unsafe" | undefined> {
    const text = await this.store.getEvent(executionId, key.interrupt);
    return text === undefined ? undefined : this.serializer.deserialize<"safe" | "unsafe">(text);
  }

  requestInterrupt(executionId: string, mode: "safe" | "unsafe") {
    return this.store.setEvent({
      workflowId: executionId,
      key: key.interrupt,
      value: this.serializer.serialize(mode, "an interrupt"),
    });
  }
}
