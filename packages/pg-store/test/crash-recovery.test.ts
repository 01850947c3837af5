/**
 * Kill -9 tests: a real child process runs a workflow and is SIGKILLed at a chosen moment (after
 * a checkpoint, inside a step body, during a durable sleep, while a child workflow runs); a
 * second process with the same executor ID launches, recovers, and finishes the run. Step bodies
 * record their side effects outside Cairn, so the tests count how often each body really ran:
 * a checkpointed step never runs again; the step that was running when the process died runs
 * again (at-least-once for the body, exactly-once for its checkpoint). Same scenarios on
 * Postgres (skipped without a server) and on a PGlite data directory.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countByStep, readEffects } from "./crash/effects.js";
import { RETRY_DELAY_MS } from "./crash/workflows.js";
import type { Effect, MarkerOf, StoreConfig, WorkerConfig } from "./crash/protocol.js";
import { runWorker, spawnWorker, type WorkerProcess } from "./crash/worker-process.js";
import {
  adminSql,
  copyPgliteTemplate,
  databaseUrl,
  freshSchema,
  tempDir,
} from "./support/databases.js";

/** A database for one backend's scenarios, and how to read the effects recorded in it. */
interface Backend {
  readonly store: StoreConfig;
  readonly effects: (workflowId: string) => Promise<Effect[]>;
  /** Checks, right after a SIGKILL, what the dead process left behind. */
  readonly afterKill: () => void;
  readonly cleanup: () => Promise<void>;
}

function postgresBackend(url: string): Backend {
  const admin: postgres.Sql = adminSql();
  const { schema, drop } = freshSchema(admin);
  const store: StoreConfig = { kind: "postgres", url, schema };
  return {
    store,
    effects: (workflowId) => readEffects(store, workflowId, admin),
    afterKill: () => undefined,
    cleanup: async () => {
      await drop();
      await admin.end();
    },
  };
}

function pgliteBackend(): Backend {
  const dir = tempDir("crash");
  const dataDir = copyPgliteTemplate(dir.path);
  const store: StoreConfig = {
    kind: "pglite",
    dataDir,
    schema: "cairn",
    effectsFile: join(dir.path, "effects.jsonl"),
  };
  return {
    store,
    effects: (workflowId) => readEffects(store, workflowId),
    // The killed process could not remove its lock file; the relaunch must take it over.
    afterKill: () => expect(existsSync(`${dataDir}.lock`)).toBe(true),
    cleanup: () => Promise.resolve(dir.remove()),
  };
}

const backends: readonly { name: string; skip: boolean; open: () => Backend }[] = [
  { name: "Postgres", skip: !databaseUrl, open: () => postgresBackend(databaseUrl ?? "") },
  { name: "PGlite", skip: false, open: pgliteBackend },
];

for (const { name, skip, open } of backends) {
  describe.skipIf(skip)(`SIGKILL and recovery on ${name}`, () => {
    let backend: Backend;
    beforeAll(() => {
      backend = open();
    });
    afterAll(() => backend.cleanup());

    /** Config of one scenario; its own executor ID keeps the others' workflows out of it. */
    const scenario = (workflowId: string, rest: Pick<WorkerConfig, "workflow" | "input">) => {
      const config = (mode: WorkerConfig["mode"], hold: string | undefined): WorkerConfig => ({
        store: backend.store,
        executorId: `executor-${workflowId}`,
        workflowId,
        mode,
        ...rest,
        ...(hold === undefined ? {} : { hold }),
      });
      return {
        start: (hold?: string) => config("start", hold),
        recover: (hold?: string) => config("recover", hold),
      };
    };

    /** SIGKILLs the worker and checks it died of it. */
    const kill = async (worker: WorkerProcess): Promise<void> => {
      const exit = await worker.kill();
      expect(exit.signal, worker.output()).toBe("SIGKILL");
      backend.afterKill();
    };

    /** Relaunches with the same executor ID and returns the recovered run's report. */
    const recover = async (config: WorkerConfig) => {
      const { worker, exit } = await runWorker(config);
      expect(exit, worker.output()).toEqual({ code: 0, signal: null });
      const launched = await worker.waitFor("LAUNCHED");
      const report = await worker.waitFor("REPORT");
      return { worker, launched, report };
    };

    const pidsOf = (effects: readonly Effect[], step: string) =>
      effects.filter((e) => e.step === step).map((e) => e.pid);

    /** The checkpoints a worker saw become durable, by name, in order. */
    const checkpointed = (worker: WorkerProcess, workflowId: string) =>
      worker.markers.flatMap((m) =>
        m.kind === "CHECKPOINT" && m.workflowId === workflowId ? [m.name] : [],
      );

    it("does not run again the steps checkpointed before a kill between steps", async () => {
      const run = scenario("between-steps", { workflow: "crash.steps" });
      const first = spawnWorker(run.start("after:s2"));
      await first.waitFor("HOLD", (m) => m.point === "after:s2");
      await kill(first);
      expect(checkpointed(first, "between-steps")).toEqual(["s1", "s2"]);
      expect(countByStep(await backend.effects("between-steps"))).toEqual({ s1: 1, s2: 1 });

      const { worker: second, launched, report } = await recover(run.recover());

      expect(launched.recovered).toEqual(["between-steps"]);
      expect(report.workflow).toMatchObject({ status: "SUCCESS", result: [10, 20, 30, 40] });
      expect(report.workflow.steps.map((s) => s.name)).toEqual(["s1", "s2", "s3", "s4"]);
      const effects = await backend.effects("between-steps");
      expect(countByStep(effects)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
      expect(pidsOf(effects, "s2")).toEqual([first.pid]);
      expect(pidsOf(effects, "s3")).toEqual([second.pid]);
    });

    it("runs again only the step that was running when the process was killed", async () => {
      const run = scenario("inside-step", { workflow: "crash.steps" });
      const first = spawnWorker(run.start("inside:s3"));
      await first.waitFor("HOLD", (m) => m.point === "inside:s3");
      await kill(first);
      expect(checkpointed(first, "inside-step")).toEqual(["s1", "s2"]);
      // s3's effect happened, but its body never returned, so it has no checkpoint.
      expect(countByStep(await backend.effects("inside-step"))).toEqual({ s1: 1, s2: 1, s3: 1 });

      const { worker: second, report } = await recover(run.recover());

      expect(report.workflow).toMatchObject({ status: "SUCCESS", result: [10, 20, 30, 40] });
      // Exactly one checkpoint per step, s3's included...
      expect(report.workflow.steps.map((s) => s.name)).toEqual(["s1", "s2", "s3", "s4"]);
      // ...but s3's body ran twice: at-least-once for the body, as documented.
      const effects = await backend.effects("inside-step");
      expect(countByStep(effects)).toEqual({ s1: 1, s2: 1, s3: 2, s4: 1 });
      expect(pidsOf(effects, "s3")).toEqual([first.pid, second.pid]);
    });

    it("sleeps only the remainder of a durable sleep interrupted by a kill", async () => {
      const sleepMs = 4_000;
      const run = scenario("sleep", { workflow: "crash.sleep", input: { sleepMs } });
      const first = spawnWorker(run.start());
      const sleep: MarkerOf<"CHECKPOINT"> = await first.waitFor(
        "CHECKPOINT",
        (m) => m.name === "cairn.sleep",
      );
      const wakeAt = sleep.output as number;
      await kill(first);

      const { report } = await recover(run.recover());

      const { sleptAt, wokeAt } = report.workflow.result as { sleptAt: number; wokeAt: number };
      expect(report.workflow.status).toBe("SUCCESS");
      // The wake-up time recorded before the kill is still the one on record: not re-armed.
      const names = report.workflow.steps.map((s) => s.name);
      expect(names).toEqual(["beforeSleep", "cairn.sleep", "afterSleep"]);
      expect(report.workflow.steps[1]?.output).toBe(wakeAt);
      expect(wakeAt - sleptAt).toBeGreaterThanOrEqual(sleepMs);
      // Not woken early. That the relaunch waits only what remains, not the full duration again,
      // is proven on a fake clock (core's recovery.test.ts): a wall-clock bound here would race
      // the relaunch's own start-up on a loaded machine.
      expect(wokeAt).toBeGreaterThanOrEqual(wakeAt);
      expect(countByStep(await backend.effects("sleep"))).toEqual({
        beforeSleep: 1,
        afterSleep: 1,
      });
    });

    it("continues a retrying step at its next attempt after kills between attempts, never past maxAttempts", async () => {
      const run = scenario("retry", { workflow: "crash.retry" });
      const first = spawnWorker(run.start("after-attempt:1"));
      const recorded = await first.waitFor("ATTEMPT_RECORDED", (m) => m.attempts === 1);
      await first.waitFor("HOLD", (m) => m.point === "after-attempt:1");
      await kill(first);

      // Attempt 2 runs in the second process, after only what was left of the first backoff.
      const second = spawnWorker(run.recover("after-attempt:2"));
      const launching = await second.waitFor("LAUNCHING");
      await second.waitFor("HOLD", (m) => m.point === "after-attempt:2");
      await kill(second);
      const starts = (worker: WorkerProcess) =>
        worker.markers.flatMap((m) => (m.kind === "STEP_START" ? [m.step] : []));
      expect(starts(first)).toEqual(["flaky#1"]);
      expect(starts(second)).toEqual(["flaky#2"]);
      const [resumedWait] = second.markers.flatMap((m) => (m.kind === "CLOCK_SLEEP" ? [m.ms] : []));
      // No wait at all if the backoff had passed, else at most what remained at launch, which is
      // less than a whole backoff: the clock was not restarted.
      if (resumedWait !== undefined) {
        expect(resumedWait).toBeLessThanOrEqual(recorded.nextAttemptAt - launching.at);
        expect(resumedWait).toBeLessThan(RETRY_DELAY_MS);
      }

      const { worker: third, report } = await recover(run.recover());

      expect(starts(third)).toEqual(["flaky#3", "flaky#4"]);
      expect(report.workflow).toMatchObject({
        status: "ERROR",
        error: { message: "attempt 4 failed" },
      });
      expect(report.workflow.steps.map((s) => [s.name, s.attempts, s.error?.message])).toEqual([
        ["flaky", 4, "attempt 4 failed"],
      ]);
      expect(countByStep(await backend.effects("retry"))).toEqual({
        "flaky#1": 1,
        "flaky#2": 1,
        "flaky#3": 1,
        "flaky#4": 1,
      });
    });

    it("finds the child workflow started before the kill and does not run it twice", async () => {
      const run = scenario("parent", { workflow: "crash.parent" });
      const first = spawnWorker(run.start("after:c1"));
      const { childId } = await first.waitFor("CHILD_STARTED");
      await first.waitFor("HOLD", (m) => m.point === "after:c1");
      await kill(first);
      expect(checkpointed(first, childId)).toEqual(["c1"]);

      const { launched, report } = await recover(run.recover());

      expect([...launched.recovered].sort()).toEqual(["parent", childId].sort());
      expect(report.workflow).toMatchObject({
        status: "SUCCESS",
        result: { childId, childResult: ["c1 done", "c2 done"] },
      });
      expect(report.children).toHaveLength(1);
      expect(report.children[0]).toMatchObject({
        workflowId: childId,
        status: "SUCCESS",
        parentWorkflowId: "parent",
      });
      expect(report.children[0]?.steps.map((s) => s.name)).toEqual(["c1", "c2"]);
      expect(countByStep(await backend.effects("parent"))).toEqual({ p1: 1 });
      expect(countByStep(await backend.effects(childId))).toEqual({ c1: 1, c2: 1 });
    });

    it("moves a workflow that kills its process on every run to DEAD_LETTER", async () => {
      const run = scenario("poison", { workflow: "crash.poison" });
      const started = await runWorker(run.start());
      expect(started.exit.signal, started.worker.output()).toBe("SIGKILL");
      // maxRecoveryAttempts is 2: two recoveries run it again, and die again.
      for (let attempt = 1; attempt <= 2; attempt++) {
        const { worker, exit } = await runWorker(run.recover());
        expect(exit.signal, worker.output()).toBe("SIGKILL");
        // The step may kill the process before launch() has even returned.
        await worker.waitFor("STEP_START", (m) => m.step === "killSelf");
      }

      const { launched, report } = await recover(run.recover());

      expect(launched).toMatchObject({ recovered: [], deadLettered: ["poison"] });
      expect(report.workflow).toMatchObject({
        status: "DEAD_LETTER",
        error: { name: "WorkflowDeadLetteredError" },
      });
      expect(countByStep(await backend.effects("poison"))).toEqual({ killSelf: 3 });
    });

    it("keeps recovering a workflow that makes progress between crashes", async () => {
      // maxRecoveryAttempts is 1, and the run crashes three times: each time after a new step.
      const run = scenario("progress", { workflow: "crash.progress" });
      const started = await runWorker(run.start("one-step-per-process"));
      expect(started.exit.signal, started.worker.output()).toBe("SIGKILL");
      for (let crash = 2; crash <= 3; crash++) {
        const { worker, exit } = await runWorker(run.recover("one-step-per-process"));
        expect(exit.signal, worker.output()).toBe("SIGKILL");
      }

      const { launched, report } = await recover(run.recover("one-step-per-process"));

      expect(launched).toMatchObject({ recovered: ["progress"], deadLettered: [] });
      expect(report.workflow).toMatchObject({
        status: "SUCCESS",
        result: ["q1", "q2", "q3", "q4"],
        recoveryAttempts: 1,
      });
      // Each crash interrupted one step body, which ran again in the next process.
      expect(countByStep(await backend.effects("progress"))).toEqual({
        q1: 1,
        q2: 2,
        q3: 2,
        q4: 2,
      });
    });
  });
}
