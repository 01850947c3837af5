/**
 * The context handle a workflow body receives as its first argument. Everything durable goes
 * through it: steps and child workflows take it as their first argument, and its own methods
 * (`sleep`, `now`, `random`, `uuid`, `start`) are checkpointed so a replay sees the same values.
 * There is no ambient state: two engines can run in one process.
 */
import type { Duration } from "./duration.js";
import type { WorkflowHandle } from "./handle.js";
import type { Logger } from "./logger.js";
import type { Workflow } from "./workflow.js";

/** Options for starting a child workflow. */
export interface ChildOptions {
  /** The child's workflow ID. Default: derived from the parent's ID and the call position. */
  readonly id?: string;
}

/** The handle a workflow body gets. */
export interface WorkflowContext {
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
  start<In, Out>(
    child: Workflow<In, Out>,
    input: In,
    options?: ChildOptions,
  ): Promise<WorkflowHandle<Out>>;
}
