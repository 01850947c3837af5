/**
 * The bridge from a context handle to the run behind it. `step()` and `workflow()` definitions
 * find the durable calls of the current run through the context passed to them — never through
 * global state. The key is a global symbol so duplicate installs still recognise it. Each caller
 * declares the call it needs (`StepRunner` in `step.ts`, `ChildRunner` in `workflow.ts`,
 * `OperationRunner` in `durable-operation.ts`); `durable-calls.ts` implements all three.
 */

const operationsKey = Symbol.for("@cairn/core/operations");

/** Attaches a run's durable calls to its context object (non-enumerable, under the symbol). */
export function attachOperations(ctx: object, operations: object): void {
  Object.defineProperty(ctx, operationsKey, { value: operations });
}

/**
 * The durable calls behind a context, as the caller declares them, or `undefined` if `ctx` is
 * not a workflow context. Only `attachOperations` writes the key, always with all three calls.
 */
export function operationsOf<T extends object>(ctx: unknown): T | undefined {
  if (typeof ctx !== "object" || ctx === null || !(operationsKey in ctx)) return undefined;
  return (ctx as Record<symbol, T>)[operationsKey];
}
