/**
 * The bridge from a context handle to the run behind it. `step()` and `workflow()` definitions
 * find the durable operations of the current run through the context passed to them — never
 * through global state. The key is a global symbol so duplicate installs still recognise it.
 */
import type { ChildOptions } from "../context.js";
import type { DurableOperationPerform } from "../durable-operation.js";
import type { StepDefinition } from "../step.js";
import type { WorkflowDefinition } from "../workflow.js";

/** What a run offers to step and child-workflow calls. */
export interface DurableOperations {
  runStep(definition: StepDefinition, args: readonly unknown[]): Promise<unknown>;
  runChild(
    definition: WorkflowDefinition,
    input: unknown,
    options?: ChildOptions,
  ): Promise<unknown>;
  /** An operation whose checkpoint `perform` may write itself (see `runDurableOperation`). */
  runOperation(name: string, perform: DurableOperationPerform): Promise<unknown>;
}

const operationsKey = Symbol.for("@cairn/core/operations");

/** Attaches a run's operations to its context object. */
export function attachOperations(ctx: object, operations: DurableOperations): void {
  Object.defineProperty(ctx, operationsKey, { value: operations });
}

/** The operations behind a context, or `undefined` if `ctx` is not a workflow context. */
export function operationsOf(ctx: unknown): DurableOperations | undefined {
  if (typeof ctx !== "object" || ctx === null || !(operationsKey in ctx)) return undefined;
  return (ctx as Record<symbol, DurableOperations>)[operationsKey];
}
