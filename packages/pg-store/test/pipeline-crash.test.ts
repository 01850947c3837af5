/**
 * Kill -9 tests for pipelines: a real child process (`crash/pipeline-worker.ts`) runs the
 * three-stage pipeline `words` (extract → shout → summarize) and is SIGKILLed during stage 2; a
 * second process with the same executor ID recovers it. Step bodies record their side effects
 * outside Cairn, so the tests count how often each really ran: stage 1 once, stage 2's finished
 * steps once, the step that was running twice (at-least-once), and the output is right. Same
 * scenarios on Postgres (skipped without a server) and on a PGlite data directory.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countByStep, readEffects } from "./crash/effects.js";
import type { PipelineWorkerConfig } from "./crash/pipeline-worker.js";
import {
  CONFIG_ENV,
  parseMarker,
  type Effect,
  type Marker,
  type MarkerOf,
  type StoreConfig,
} from "./crash/protocol.js";
import {
  adminSql,
  copyPgliteTemplate,
  databaseUrl,
  freshSchema,
  tempDir,
} from "./support/databases.js";

const workerPath = fileURLToPath(new URL("./crash/pipeline-worker.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A pipeline worker process: its markers as they arrive, and its exit. */
interface Worker {
  readonly pid: number;
  readonly markers: Marker[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor<K extends Marker["kind"]>(
    kind: K,
    where?: (m: MarkerOf<K>) => boolean,
  ): Promise<MarkerOf<K>>;
  output(): string;
}

function spawnPipelineWorker(config: PipelineWorkerConfig): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
    cwd: repoRoot,
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not spawn the pipeline worker");
  const markers: Marker[] = [];
  const listeners = new Set<() => void>();
  let transcript = "";
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const marker of lines.map(parseMarker)) if (marker) markers.push(marker);
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (transcript += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );
  const closed = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid,
    markers,
    exited,
    output: () => transcript,
    waitFor: (kind, where) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = markers.find(
            (m) => m.kind === kind && (where?.(m as MarkerOf<typeof kind>) ?? true),
          );
          if (found) {
            listeners.delete(check);
            resolve(found as MarkerOf<typeof kind>);
          } else if (closed()) {
            listeners.delete(check);
            reject(new Error(`worker exited before ${kind}\n${transcript}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

interface Backend {
  readonly store: StoreConfig;
  readonly effects: (workflowId: string) => Promise<Effect[]>;
  readonly cleanup: () => Promise<void>;
}

function postgresBackend(url: string): Backend {
  const admin: postgres.Sql = adminSql();
  const { schema, drop } = freshSchema(admin);
  const store: StoreConfig = { kind: "postgres", url, schema };
  return {
    store,
    effects: (workflowId) => readEffects(store, workflowId, admin),
    cleanup: async () => {
      await drop();
      await admin.end();
    },
  };
}

function pgliteBackend(): Backend {
  const dir = tempDir("pipeline-crash");
  const store: StoreConfig = {
    kind: "pglite",
    dataDir: copyPgliteTemplate(dir.path),
    schema: "cairn",
    effectsFile: join(dir.path, "effects.jsonl"),
  };
  return {
    store,
    effects: (workflowId) => readEffects(store, workflowId),
    cleanup: () => Promise.resolve(dir.remove()),
  };
}

const backends: readonly { name: string; skip: boolean; open: () => Backend }[] = [
  { name: "Postgres", skip: !databaseUrl, open: () => postgresBackend(databaseUrl ?? "") },
  { name: "PGlite", skip: false, open: pgliteBackend },
];

const input = "stones mark the trail";
const expected = { count: 4, text: "STONES! MARK! THE! TRAIL!" };

for (const { name, skip, open } of backends) {
  describe.skipIf(skip)(`a pipeline SIGKILLed during stage 2 on ${name}`, () => {
    let backend: Backend;
    beforeAll(() => {
      backend = open();
    });
    afterAll(() => backend.cleanup());

    const config = (workflowId: string, mode: "start" | "recover", hold?: string) => ({
      store: backend.store,
      executorId: `executor-${workflowId}`,
      workflowId,
      mode,
      input,
      ...(hold === undefined ? {} : { hold }),
    });

    /** Starts the pipeline, kills the worker at `hold`, recovers, and returns what happened. */
    const crashAndRecover = async (workflowId: string, hold: string) => {
      const first = spawnPipelineWorker(config(workflowId, "start", hold));
      await first.waitFor("HOLD", (m) => m.point === hold);
      process.kill(first.pid, "SIGKILL");
      expect((await first.exited).signal, first.output()).toBe("SIGKILL");

      const second = spawnPipelineWorker(config(workflowId, "recover"));
      expect(await second.exited, second.output()).toEqual({ code: 0, signal: null });
      const launched = await second.waitFor("LAUNCHED");
      const report = await second.waitFor("REPORT");
      const effects = {
        pipeline: countByStep(await backend.effects(workflowId)),
        stage1: countByStep(await backend.effects(`${workflowId}:0`)),
        stage2: await backend.effects(`${workflowId}:1`),
      };
      return { first, second, launched, report, effects };
    };

    it("resumes inside the step that was running: stage 1 and stage 2's finished step never run again", async () => {
      const { first, second, launched, report, effects } = await crashAndRecover(
        "inside",
        "inside:exclaim",
      );

      expect([...launched.recovered].sort()).toEqual(["inside", "inside:1"]);
      expect(report.workflow).toMatchObject({ status: "SUCCESS", result: expected });
      expect(report.workflow.steps.map((s) => [s.position, s.name, s.childWorkflowId])).toEqual([
        [0, "workflow:words.extract", "inside:0"],
        [1, "workflow:words.shout", "inside:1"],
        [2, "summarize", undefined],
      ]);
      expect(effects.stage1).toEqual({ split: 1 });
      expect(countByStep(effects.stage2)).toEqual({ upper: 1, exclaim: 2 });
      const exclaimPids = effects.stage2.filter((e) => e.step === "exclaim").map((e) => e.pid);
      expect(exclaimPids).toEqual([first.pid, second.pid]);
      expect(effects.pipeline).toEqual({ summarize: 1 });
    });

    it("resumes after stage 2's last checkpoint when killed between its steps", async () => {
      const { launched, report, effects } = await crashAndRecover("between", "after:upper");

      expect([...launched.recovered].sort()).toEqual(["between", "between:1"]);
      expect(report.workflow).toMatchObject({ status: "SUCCESS", result: expected });
      const shout = report.children.find((c) => c.workflowId === "between:1");
      expect(shout?.steps.map((s) => s.name)).toEqual(["upper", "exclaim"]);
      expect(effects.stage1).toEqual({ split: 1 });
      expect(countByStep(effects.stage2)).toEqual({ upper: 1, exclaim: 1 });
      expect(effects.pipeline).toEqual({ summarize: 1 });
    });
  });
}
