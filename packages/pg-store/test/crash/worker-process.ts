/**
 * The test side of a crash: spawns the worker as a real child process (`node --import tsx`, one
 * process, so SIGKILL hits the process that runs the engine and nothing survives it), collects
 * its markers, lets a test wait for one, and kills it with SIGKILL. Waiting is event driven:
 * a wait resolves on the marker, or fails as soon as the process exits without printing it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  CONFIG_ENV,
  parseMarker,
  type Marker,
  type MarkerOf,
  type WorkerConfig,
} from "./protocol.js";

/** How a worker process ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running worker. */
export interface WorkerProcess {
  readonly pid: number;
  /** Every marker printed so far. */
  readonly markers: readonly Marker[];
  /** Resolves with the first marker of `kind` matching `where` (already printed or future). */
  waitFor<K extends Marker["kind"]>(
    kind: K,
    where?: (marker: MarkerOf<K>) => boolean,
  ): Promise<MarkerOf<K>>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<WorkerExit>;
  /** Sends SIGKILL and waits for the exit. */
  kill(): Promise<WorkerExit>;
  /** Everything the process printed, for failure messages. */
  output(): string;
}

const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url));
/** The repository root, where `tsx` resolves from. */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

interface Waiter {
  readonly matches: (marker: Marker) => boolean;
  readonly resolve: (marker: Marker) => void;
  readonly reject: (error: Error) => void;
}

/** Starts a worker with `config`. */
export function spawnWorker(config: WorkerConfig): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
    cwd: repoRoot,
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not spawn the crash worker");
  const markers: Marker[] = [];
  const waiters = new Set<Waiter>();
  let transcript = "";
  let pending = "";

  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const marker = parseMarker(line);
      if (!marker) continue;
      markers.push(marker);
      for (const waiter of waiters) {
        if (!waiter.matches(marker)) continue;
        waiters.delete(waiter);
        waiter.resolve(marker);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
  });

  const exited = new Promise<WorkerExit>((resolve) => {
    child.on("close", (code, signal) => {
      for (const waiter of waiters) {
        waiter.reject(
          new Error(`worker exited (${signal ?? code}) before the marker\n${transcript}`),
        );
      }
      waiters.clear();
      resolve({ code, signal });
    });
  });

  return {
    pid: child.pid,
    markers,
    exited,
    waitFor<K extends Marker["kind"]>(kind: K, where?: (marker: MarkerOf<K>) => boolean) {
      const matches = (m: Marker): boolean =>
        m.kind === kind && (where?.(m as MarkerOf<K>) ?? true);
      const seen = markers.find(matches);
      if (seen) return Promise.resolve(seen as MarkerOf<K>);
      if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.reject(new Error(`worker already exited without ${kind}\n${transcript}`));
      }
      return new Promise<MarkerOf<K>>((resolve, reject) => {
        waiters.add({ matches, resolve: (m) => resolve(m as MarkerOf<K>), reject });
      });
    },
    kill() {
      child.kill("SIGKILL");
      return exited;
    },
    output: () => transcript,
  };
}

/** Runs a worker to its end and returns its exit and report. */
export async function runWorker(config: WorkerConfig): Promise<{
  readonly worker: WorkerProcess;
  readonly exit: WorkerExit;
}> {
  const worker = spawnWorker(config);
  return { worker, exit: await worker.exited };
}
