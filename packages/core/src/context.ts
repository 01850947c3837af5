/**
 * The context handle a workflow body receives as its first argument. Everything durable goes
 * through it: steps and child workflows take it as their first argument, and its own methods
 * (`sleep`, `now`, `random`, `uuid`, `start`, `enqueue`, messages, events, streams, `race`) are
 * checkpointed
 * so a replay sees the same values and takes the same branches. There is no ambient state: two
 * engines can run in one process.
 */
import type { WorkflowAttributes } from "./attributes.js";
import type { ChannelInput, ChannelName, ChannelOutput, ChannelSchemas } from "./channels.js";
import type { Duration } from "./duration.js";
import type { WaitOptions } from "./wait-options.js";
import type { WorkflowHandle } from "./handle.js";
import type { Logger } from "./logger.js";

export type { WaitOptions };

/** Options for starting a child workflow. */
export interface ChildOptions {
  /** The child's workflow ID. Default: derived from the parent's ID and the call position. */
  readonly id?: string;
  /**
   * The child's own timeout, instead of its parent's deadline: the parent's timeout no longer
   * cancels it. Default: it inherits the parent's deadline.
   */
  readonly timeoutMs?: number;
  /**
   * `false`: the child does not take its parent's deadline — when the parent times out, the
   * child keeps running (an explicit cancel of the parent still cancels it). It has `timeoutMs`
   * if given, else the engine's `workflowTimeoutMs`, else no deadline. Default `true`.
   */
  readonly inheritDeadline?: boolean;
  /**
   * A plain JSON object to find the child by later (`listWorkflows({ attributes })`), as
   * `engine.start`'s `attributes`; at most 16 KiB as JSON. A bad one is an
   * `InvalidOptionError`, thrown before anything is recorded. Default: none.
   */
  readonly attributes?: WorkflowAttributes;
}

/**
 * Where `ctx.enqueue` puts a child: a queue from `defineQueue` (`@cairn/queue`), declared here by
 * its shape so that core does not depend on the queue package.
 */
export interface EnqueueTarget {
  readonly name: string;
}

/**
 * Options for enqueueing a child workflow (`ctx.enqueue`): a child's options and where it waits
 * in the queue. The engine's queue runtime checks them when the call is made.
 */
export interface ChildEnqueueOptions {
  /** The child's workflow ID. Default: derived from the parent's ID and the call position. */
  readonly id?: string;
  /**
   * The child's own timeout, counted from its claim (when it starts), not from the enqueue.
   * Default: it inherits the parent's deadline, whether it is still waiting or running then.
   */
  readonly timeoutMs?: number;
  /** Lower runs first; FIFO within a priority. An integer; default 0. */
  readonly priority?: number;
  /** Required on a partitioned queue, refused on others. */
  readonly partitionKey?: string;
  /** Not started before this many milliseconds after the enqueue. */
  readonly delayMs?: number;
  /** Not started before this time (wins over `delayMs`). */
  readonly startAt?: Date;
  /** A plain JSON object to find the child by (`listWorkflows({ attributes })`). */
  readonly attributes?: WorkflowAttributes;
}

/** Anything with a workflow ID and a result: a handle from `ctx.start`, `engine.start`... */
export interface ResultSource<Out> {
  readonly workflowId: string;
  result(): Promise<Out>;
}

/** A branch of `ctx.race`: a message, a timer, or a workflow's result. */
export type RaceBranch =
  { readonly message: string } | { readonly timer: Duration } | ResultSource<unknown>;

/** What `ctx.race` resolves to: the winning branch's key and value. */
export type RaceResult<
  B extends Record<string, RaceBranch>,
  C extends ChannelSchemas = ChannelSchemas,
> = {
  [K in keyof B & string]: {
    readonly key: K;
    readonly value: B[K] extends { readonly message: infer T }
      ? ChannelOutput<C, "messages", T>
      : B[K] extends { readonly timer: Duration }
        ? undefined
        : B[K] extends ResultSource<infer Out>
          ? Out
          : never;
  };
}[keyof B & string];

/**
 * What `ctx.start` accepts: a workflow made by `workflow()` (`Workflow<In, Out, C>`), declared
 * here by its shape so that the context does not depend on the workflow module that uses it.
 */
export interface ChildWorkflow<In, Out, C extends ChannelSchemas = ChannelSchemas> {
  (ctx: AnyWorkflowContext, input: In, options?: ChildOptions): Promise<Out>;
  readonly name: string;
  readonly "~cairn": {
    readonly name: string;
    readonly types?: { in: In; out: Out; channels: C };
  };
}

/** The handle a workflow body gets. `C` are the workflow's declared channels, if any. */
export interface WorkflowContext<C extends ChannelSchemas = ChannelSchemas> {
  /** This workflow's ID. */
  readonly workflowId: string;
  /** This workflow's registered name. */
  readonly workflowName: string;
  /** A logger scoped to this workflow; silent while the workflow replays recorded history. */
  readonly log: Logger;
  /**
   * Waits durably: the wake-up time is checkpointed, so after a restart the workflow sleeps only
   * what remains. `ms` or a string like `"10s"`, `"5m"`.
   */
  sleep(duration: Duration): Promise<void>;
  /** The current time in epoch milliseconds, checkpointed: a replay returns the recorded value. */
  now(): Promise<number>;
  /** A random number in [0, 1), checkpointed. */
  random(): Promise<number>;
  /** A random UUID v4, checkpointed. */
  uuid(): Promise<string>;
  /**
   * Starts a durable child workflow and returns its handle without waiting for it. Replay finds
   * the same child: its ID is derived from this workflow's ID and the call position.
   */
  start<In, Out, CC extends ChannelSchemas>(
    child: ChildWorkflow<In, Out, CC>,
    input: In,
    options?: ChildOptions,
  ): Promise<WorkflowHandle<Out, CC>>;
  /**
   * Puts a durable child workflow on a queue and returns its handle without waiting for it: the
   * child runs when the queue's limits let it, in whichever process serves the queue. Like
   * `start`, the enqueue is one checkpoint at its position (a replay returns the same handle
   * and enqueues nothing), the child's ID is derived from this workflow's ID and the position,
   * it inherits this workflow's deadline, and cancelling this workflow cancels it, waiting or
   * running. The engine needs a queue runtime (`createQueues` from `@cairn/queue`).
   * @throws InvalidOptionError (a bad queue or option, or no queue runtime: nothing is recorded);
   *   ValidationError, WorkflowNotRegisteredError, WorkflowConflictError (recorded, as `start`'s).
   * @example
   * const handles = await Promise.all(to.map((address) => ctx.enqueue(emails, send, address)));
   * const receipts = await Promise.all(handles.map((h) => h.result()));
   */
  enqueue<In, Out, CC extends ChannelSchemas>(
    queue: EnqueueTarget,
    child: ChildWorkflow<In, Out, CC>,
    input: In,
    options?: ChildEnqueueOptions,
  ): Promise<WorkflowHandle<Out, CC>>;
  /**
   * Sends a message to another workflow, exactly once: the send is checkpointed and carries an
   * ID derived from this call, so a replay never sends it again.
   * @throws WorkflowNotFoundError (recorded) when no workflow has that ID.
   */
  send(
    destination: string | { readonly workflowId: string },
    topic: string,
    message: unknown,
  ): Promise<void>;
  /**
   * Takes the oldest unconsumed message on `topic` sent to this workflow, exactly once, waiting
   * for one if needed. Resolves `undefined` after `timeoutMs`. Messages sent before the workflow
   * reached `recv` are kept for it.
   */
  recv<T extends ChannelName<C, "messages">>(
    topic: T,
    options?: WaitOptions,
  ): Promise<ChannelOutput<C, "messages", T> | undefined>;
  /** Sets this workflow's event `key` (last write wins); waiting readers wake. */
  setEvent<K extends ChannelName<C, "events">>(
    key: K,
    value: ChannelInput<C, "events", K>,
  ): Promise<void>;
  /** Reads another workflow's event, waiting up to `timeoutMs` for it to be set; checkpointed. */
  getEvent(workflowId: string, key: string, options?: WaitOptions): Promise<unknown>;
  /** Appends a value to this workflow's stream `key`. */
  writeStream<K extends ChannelName<C, "streams">>(
    key: K,
    value: ChannelInput<C, "streams", K>,
  ): Promise<void>;
  /** Closes this workflow's stream `key`: readers end after the values written so far. */
  closeStream(key: ChannelName<C, "streams">): Promise<void>;
  /**
   * Waits for the first of several branches — a message (`{ message: topic }`), a timer
   * (`{ timer: "1h" }`), a workflow handle's result — and records which one won, so a replay
   * takes the same branch. A message branch consumes its message only if it wins.
   *
   * @example
   * const first = await ctx.race({ decision: { message: "decision" }, timeout: { timer: "24h" } });
   * if (first.key === "timeout") return "expired";
   */
  race<B extends Record<string, RaceBranch>>(branches: B): Promise<RaceResult<B, C>>;
  /**
   * A patch marker, for changing workflow code while old runs still replay: true when this run
   * reaches this point running the patched code (new runs, and old runs that had not got this
   * far), false when replaying a history recorded before the patch. Branch on it:
   * `if (await ctx.patched("tax-v2")) { ...new code... } else { ...old code... }`.
   */
  patched(name: string): Promise<boolean>;
  /**
   * For when every run that predates the patch has finished: always true, and still replays
   * runs that recorded the marker. Replace `patched(name)` with it, then drop the old branch.
   */
  deprecatePatch(name: string): Promise<true>;
}

/** A context of any workflow, whatever its channels: what steps and child calls accept. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflowContext = WorkflowContext<any>;
