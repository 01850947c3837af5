/**
 * The workflows the bench runs: a chain of N trivial steps (each adds one), so what is measured
 * is Cairn's cost per step and not the step bodies. Every step call is timed from inside the
 * workflow, into a sample list the scenario owns and resets.
 */
import { step, workflow, type Workflow } from "@cairn/core";

/** Milliseconds of each step call, checkpoint included, as the workflow body saw it. */
export interface StepTimer {
  samples: number[];
}

export interface BenchWorkflows {
  readonly twentySteps: Workflow<number, number>;
  readonly threeSteps: Workflow<number, number>;
  /** Start and finish only: its statements are subtracted to get the cost of steps. */
  readonly noSteps: Workflow<number, number>;
}

export function benchWorkflows(timer: StepTimer): BenchWorkflows {
  const bump = step("bump", (n: number) => n + 1);
  const chain = (name: string, steps: number) =>
    workflow(name, async (ctx, start: number) => {
      let n = start;
      for (let i = 0; i < steps; i++) {
        const before = performance.now();
        n = await bump(ctx, n);
        timer.samples.push(performance.now() - before);
      }
      return n;
    });
  return {
    twentySteps: chain("bench.twenty-steps", 20),
    threeSteps: chain("bench.three-steps", 3),
    noSteps: chain("bench.no-steps", 0),
  };
}

export const workflowList = (w: BenchWorkflows) => [w.twentySteps, w.threeSteps, w.noSteps];
