/**
 * The workflow every chaos worker runs, and what its result must be. Five steps and then one
 * database transaction run in order; each computes a value from the previous one (so the result depends on every step, in order)
 * and returns, beside the value, who computed it: the executor, the epoch its run claimed the
 * workflow at, and the effect row its body wrote. The checkpoint therefore names its writer,
 * which the audit checks against the ownership history. The result uses the values only, so it
 * is a pure function of the input however many times steps ran and whoever ran them.
 */
import { randomUUID } from "node:crypto";
import { step, workflow, type StepContext, type Step, type WorkflowContext } from "@cairn/core";

/** The workflow's name, as clients start it. */
export const CHAOS_WORKFLOW = "chaos.steps";

/** The steps, in the order the workflow calls them (position = index). */
export const STEP_NAMES = ["s1", "s2", "s3", "s4", "s5"] as const;

/**
 * The transaction the workflow runs after the steps, at position `STEP_NAMES.length`: its effect
 * row is written inside the transaction that records its checkpoint, so it must exist exactly once.
 */
export const TRANSACTION_NAME = "t6";

/** Every durable operation of the workflow, in call order (position = index). */
export const OPERATION_NAMES = [...STEP_NAMES, TRANSACTION_NAME] as const;

/** The workflow's input. */
export interface ChaosInput {
  readonly n: number;
}

/** The workflow's result. */
export interface ChaosResult {
  readonly n: number;
  readonly value: number;
}

/** What a step returns (and its checkpoint records). */
export interface StepOutput {
  readonly value: number;
  /** The executor whose run computed this output. */
  readonly by: string;
  /** The owner epoch of that run (-1 if the worker did not see its claim). */
  readonly epoch: number;
  /** The effect row the body wrote before returning. */
  readonly effectId: string;
}

/** Step `index`'s value from the previous one. */
export function stepValue(index: number, previous: number): number {
  return (previous * 31 + index + 7) % 1_000_003;
}

/** The result a correct run of `input` returns. */
export function expectedResult(input: ChaosInput): ChaosResult {
  const value = OPERATION_NAMES.reduce((acc, _name, index) => stepValue(index, acc), input.n);
  return { n: input.n, value };
}

/** The body of one step: does the side effect and returns the output. */
export type StepBody = (
  context: StepContext,
  position: number,
  previous: number,
  runId: string,
) => Promise<StepOutput>;

/** The closing transaction: called with the context, the previous value and the run's ID. */
export type ChaosTransaction = (
  ctx: WorkflowContext,
  previous: number,
  runId: string,
) => Promise<StepOutput>;

/** The chaos workflow over a worker's step body and its transaction. */
export function chaosWorkflow(body: StepBody, transact: ChaosTransaction) {
  const steps: Step<[number, string], StepOutput>[] = STEP_NAMES.map((name, position) =>
    step.withContext(name, (context, previous: number, runId: string) =>
      body(context, position, previous, runId),
    ),
  );
  return workflow(
    { name: CHAOS_WORKFLOW, maxRecoveryAttempts: 50 },
    async (ctx: WorkflowContext, input: ChaosInput): Promise<ChaosResult> => {
      // Names this run (this call of the body) in its effects; arguments are not checkpointed.
      const runId = randomUUID();
      let value = input.n;
      for (const run of steps) value = (await run(ctx, value, runId)).value;
      value = (await transact(ctx, value, runId)).value;
      return { n: input.n, value };
    },
  );
}
