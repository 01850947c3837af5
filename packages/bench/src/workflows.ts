/**
 * The workflows the bench runs: a chain of N trivial steps (each adds one), so what is measured
 * is Cairn's cost per step and not the step bodies; and the same chain of transactions (each one
 * `select $1 + 1` in its own transaction with its checkpoint), for the cost of a transaction. Every step call is timed from inside the
 * workflow, into a sample list the scenario owns and resets.
 */
import { step, workflow, type AnyWorkflowContext, type Workflow } from "@cairn/core";
import { transaction, type DriverTransaction } from "@cairn/pg-store";

/** Milliseconds of each step call, checkpoint included, as the workflow body saw it. */
export interface StepTimer {
  samples: number[];
}

export interface BenchWorkflows {
  readonly twentySteps: Workflow<number, number>;
  readonly threeSteps: Workflow<number, number>;
  /** Start and finish only: its statements are subtracted to get the cost of steps. */
  readonly noSteps: Workflow<number, number>;
  /** A chain of 20 transactions, each one trivial statement plus its checkpoint in one commit. */
  readonly twentyTransactions: Workflow<number, number>;
}

/** One trivial statement on either driver's transaction object. */
async function addOne(tx: DriverTransaction, n: number): Promise<number> {
  const text = "select $1::int + 1 as n";
  const rows =
    typeof tx === "function"
      ? await tx.unsafe<{ n: number }[]>(text, [n])
      : (await tx.query<{ n: number }>(text, [n])).rows;
  return rows[0]?.n ?? n;
}

export function benchWorkflows(timer: StepTimer): BenchWorkflows {
  const bump = step("bump", (n: number) => n + 1);
  const bumpTx = transaction("bumpTx", (tx: DriverTransaction, n: number) => addOne(tx, n));
  const chain = (
    name: string,
    steps: number,
    operation: (ctx: AnyWorkflowContext, n: number) => Promise<number> = bump,
  ) =>
    workflow(name, async (ctx, start: number) => {
      let n = start;
      for (let i = 0; i < steps; i++) {
        const before = performance.now();
        n = await operation(ctx, n);
        timer.samples.push(performance.now() - before);
      }
      return n;
    });
  return {
    twentySteps: chain("bench.twenty-steps", 20),
    threeSteps: chain("bench.three-steps", 3),
    noSteps: chain("bench.no-steps", 0),
    twentyTransactions: chain("bench.twenty-transactions", 20, bumpTx),
  };
}

export const workflowList = (w: BenchWorkflows) => [
  w.twentySteps,
  w.threeSteps,
  w.noSteps,
  w.twentyTransactions,
];
