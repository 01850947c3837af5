/**
 * The workflows the crash worker runs. Every step body announces itself, records a durable side
 * effect, and may then block forever at a named hold point so the test can SIGKILL the process
 * at that exact moment. The hold is process configuration, never workflow input: the relaunched
 * process runs the same code without it.
 */
import { step, workflow, type AnyWorkflow, type WorkflowContext } from "@cairn/core";
import type { EffectLog } from "./effects.js";
import type { Marker } from "./protocol.js";

/** `crash.retry`'s step: how many attempts, and the fixed wait between two. */
export const RETRY_MAX_ATTEMPTS = 4;
export const RETRY_DELAY_MS = 1_500;

/** What the workflows need from the worker process. */
export interface CrashEnvironment {
  readonly effects: EffectLog;
  readonly mark: (marker: Marker) => void;
  /** The configured hold point, if any. */
  readonly hold: string | undefined;
}

/** Defines the crash workflows over `env`. */
export function crashWorkflows(env: CrashEnvironment): AnyWorkflow[] {
  /** Never settles when `point` is the configured hold; the process waits to be killed. */
  const holdAt = async (point: string): Promise<void> => {
    if (env.hold !== point) return;
    env.mark({ kind: "HOLD", point });
    await new Promise<never>(() => undefined);
  };

  /** A step that records its effect, may hold inside, then returns `compute()`. */
  const effectStep = <T>(name: string, compute: () => T) =>
    step.withContext(name, async ({ workflowId }) => {
      env.mark({ kind: "STEP_START", workflowId, step: name });
      await env.effects.record(workflowId, name);
      env.mark({ kind: "EFFECT", workflowId, step: name });
      await holdAt(`inside:${name}`);
      return compute();
    });

  /** Runs `s` and may hold after its checkpoint, before the next operation begins. */
  const then = async <T>(
    ctx: WorkflowContext,
    s: (ctx: WorkflowContext) => Promise<T>,
    name: string,
  ) => {
    const value = await s(ctx);
    env.mark({ kind: "AFTER_STEP", workflowId: ctx.workflowId, step: name });
    await holdAt(`after:${name}`);
    return value;
  };

  const s1 = effectStep("s1", () => 10);
  const s2 = effectStep("s2", () => 20);
  const s3 = effectStep("s3", () => 30);
  const s4 = effectStep("s4", () => 40);
  const steps = workflow("crash.steps", async (ctx) => [
    await then(ctx, s1, "s1"),
    await then(ctx, s2, "s2"),
    await then(ctx, s3, "s3"),
    await then(ctx, s4, "s4"),
  ]);

  const beforeSleep = effectStep("beforeSleep", () => Date.now());
  const afterSleep = effectStep("afterSleep", () => Date.now());
  const sleep = workflow("crash.sleep", async (ctx, input: { sleepMs: number }) => {
    const sleptAt = await beforeSleep(ctx);
    await ctx.sleep(input.sleepMs);
    const wokeAt = await afterSleep(ctx);
    return { sleptAt, wokeAt };
  });

  const c1 = effectStep("c1", () => "c1 done");
  const c2 = effectStep("c2", () => "c2 done");
  const child = workflow("crash.child", async (ctx) => [
    await then(ctx, c1, "c1"),
    await then(ctx, c2, "c2"),
  ]);
  const p1 = effectStep("p1", () => "p1 done");
  const parent = workflow("crash.parent", async (ctx) => {
    await p1(ctx);
    const handle = await ctx.start(child, undefined);
    env.mark({ kind: "CHILD_STARTED", workflowId: ctx.workflowId, childId: handle.workflowId });
    return { childId: handle.workflowId, childResult: await handle.result() };
  });

  const killSelf = step.withContext("killSelf", async ({ workflowId }) => {
    env.mark({ kind: "STEP_START", workflowId, step: "killSelf" });
    await env.effects.record(workflowId, "killSelf");
    process.kill(process.pid, "SIGKILL");
    await new Promise<never>(() => undefined);
  });
  const poison = workflow({ name: "crash.poison", maxRecoveryAttempts: 2 }, async (ctx) => {
    await killSelf(ctx);
    return "unreachable";
  });

  // Each process completes one new step, then dies inside the next: crashes with progress.
  let completedHere = 0;
  const progressStep = (name: string) =>
    step.withContext(name, async ({ workflowId }) => {
      env.mark({ kind: "STEP_START", workflowId, step: name });
      await env.effects.record(workflowId, name);
      if (env.hold === "one-step-per-process" && completedHere >= 1) {
        process.kill(process.pid, "SIGKILL");
      }
      completedHere++;
      return name;
    });
  const progressSteps = ["q1", "q2", "q3", "q4"].map(progressStep);
  const progress = workflow({ name: "crash.progress", maxRecoveryAttempts: 1 }, async (ctx) => {
    const done: string[] = [];
    for (const q of progressSteps) done.push(await q(ctx));
    return done;
  });

  // Fails every attempt; each attempt's effect is named by its attempt number.
  const retryPolicy = {
    maxAttempts: RETRY_MAX_ATTEMPTS,
    initialDelayMs: RETRY_DELAY_MS,
    backoffFactor: 1,
  };
  const flaky = step.withContext(
    { name: "flaky", retry: retryPolicy },
    async ({ workflowId, attempt }): Promise<never> => {
      env.mark({ kind: "STEP_START", workflowId, step: `flaky#${attempt}` });
      await env.effects.record(workflowId, `flaky#${attempt}`);
      throw new Error(`attempt ${attempt} failed`);
    },
  );
  const retry = workflow("crash.retry", async (ctx) => {
    await flaky(ctx);
    return "unreachable";
  });

  return [steps, sleep, parent, child, poison, progress, retry];
}
