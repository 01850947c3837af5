import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, pgliteDataDir, postgresBackend } from "../support/backends.js";
import { spawnWorker, type Worker } from "./process.js";
import type { WorkerConfig } from "./worker.js";

/**
 * Real crashes: a worker process running an `effect/workflow` program on `layerWorkflowEngine`
 * is SIGKILLed at an exact moment (its markers say when), and a second process on the same
 * database finishes the execution. Run counts come from the markers both processes printed.
 */
interface Database {
  readonly address: string;
  readonly remove: () => Promise<void>;
}

const backends = [
  {
    name: "PGlite",
    skip: false,
    database: (): Database => {
      const dir = pgliteDataDir();
      return { address: dir.address, remove: () => Promise.resolve(dir.remove()) };
    },
  },
  {
    name: "Postgres",
    skip: databaseUrl === undefined,
    database: (): Database => {
      const database = postgresBackend.database();
      return { address: database.address, remove: () => database.drop() };
    },
  },
];

/** Two process starts (tsx, effect, PGlite) on a loaded machine. */
const CRASH_TIMEOUT_MS = 180_000;

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
});

function start(config: object, script?: URL): Worker {
  const worker = spawnWorker(config, script);
  workers.push(worker);
  return worker;
}

const runsOf = (name: string, ...processes: Worker[]) =>
  processes.flatMap((p) => p.markers).filter((m) => m.kind === `activity:${name}`).length;

describe.each(backends)("effect/workflow executions survive SIGKILL ($name)", (backend) => {
  let database: Database;
  beforeAll(() => {
    if (!backend.skip) database = backend.database();
  });
  afterAll(() => database?.remove());

  const config = (orderId: string, payload: Partial<WorkerConfig["payload"]>) => ({
    address: database.address,
    databaseUrl,
    payload: { orderId, clockMs: 0, approval: false, ...payload },
  });

  it.skipIf(backend.skip)(
    "killed mid-activity: the recorded activity does not run again, the interrupted one does",
    async () => {
      const first = start({ ...config("kill-activity", {}), hangCharge: true });
      await first.waitFor("activity:charge");
      await first.kill();
      const second = start(config("kill-activity", {}));
      const { result } = await second.waitFor("result");
      expect(result).toBe("R-kill-activity / nobody / paid");
      expect(runsOf("reserve", first, second)).toBe(1);
      expect(runsOf("charge", first, second)).toBe(2);
    },
    CRASH_TIMEOUT_MS,
  );

  it.skipIf(backend.skip)(
    "killed during a durable clock: the restarted process keeps the recorded wake-up time",
    async () => {
      // Should the clock fire before the kill lands, charge hangs: the test never races it.
      const first = start({ ...config("kill-clock", { clockMs: 3000 }), hangCharge: true });
      const { wakeAt } = await first.waitFor("clock");
      await first.kill();
      const second = start(config("kill-clock", { clockMs: 3000 }));
      const finished = await second.waitFor("result");
      expect(finished.result).toBe("R-kill-clock / nobody / paid");
      expect(finished.wakeAt).toBe(wakeAt);
      expect(runsOf("reserve", first, second)).toBe(1);
    },
    CRASH_TIMEOUT_MS,
  );

  it.skipIf(backend.skip)(
    "killed while waiting on a deferred: completing it after the restart finishes the execution",
    async () => {
      const payload = { approval: true };
      const first = start({ ...config("kill-deferred", payload), reportSuspended: true });
      await first.waitFor("suspended");
      await first.kill();
      const second = start({ ...config("kill-deferred", payload), approveWith: "erin" });
      const { result } = await second.waitFor("result");
      expect(result).toBe("R-kill-deferred / erin / paid");
      expect(runsOf("reserve", first, second)).toBe(1);
      expect(runsOf("charge", first, second)).toBe(1);
    },
    CRASH_TIMEOUT_MS,
  );

  it.skipIf(backend.skip)(
    "Effect-native: a typed failure recorded before the kill is replayed as its class",
    async () => {
      const script = new URL("./native-worker.ts", import.meta.url);
      const settings = { address: database.address, databaseUrl };
      const first = start({ ...settings, hangRelease: true }, script);
      await first.waitFor("step:release");
      await first.kill();
      const second = start({ ...settings, hangRelease: false }, script);
      const { result } = await second.waitFor("result");
      expect(result).toBe("released R-1: no funds, class=true");
      const runs = (name: string) =>
        [first, second].flatMap((p) => p.markers).filter((m) => m.kind === `step:${name}`).length;
      expect([runs("reserve"), runs("charge"), runs("release")]).toEqual([1, 1, 2]);
    },
    CRASH_TIMEOUT_MS,
  );
});
