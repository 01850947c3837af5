/**
 * The test side of `multi-worker.ts`: spawns it as a real process, collects its markers, waits
 * for one (failing as soon as the process exits without it), and sends it SIGKILL, SIGSTOP or
 * SIGCONT. `closeAll()` kills whatever is still running, for `afterEach`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  MP_CONFIG_ENV,
  MP_PREFIX,
  type MpMarker,
  type MultiWorkerConfig,
} from "./multi-worker-protocol.js";

type Kind = MpMarker["kind"];
export type MarkerOf<K extends Kind> = Extract<MpMarker, { kind: K }>;

export interface MultiWorker {
  readonly pid: number;
  readonly markers: readonly MpMarker[];
  waitFor<K extends Kind>(kind: K, where?: (m: MarkerOf<K>) => boolean): Promise<MarkerOf<K>>;
  /** Resolves once `count` markers of `kind` matching `where` were printed. */
  waitForCount<K extends Kind>(
    kind: K,
    count: number,
    where?: (m: MarkerOf<K>) => boolean,
  ): Promise<void>;
  kill(): Promise<void>;
  stop(): void;
  cont(): void;
  output(): string;
}

const workerPath = fileURLToPath(new URL("./multi-worker.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const live = new Set<() => Promise<void>>();

export function spawnMultiWorker(config: MultiWorkerConfig): MultiWorker {
  const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
    cwd: repoRoot,
    env: { ...process.env, [MP_CONFIG_ENV]: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not spawn the multi-process worker");
  const markers: MpMarker[] = [];
  const listeners = new Set<() => void>();
  let transcript = "";
  let pending = "";
  let exited = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith(MP_PREFIX))
        markers.push(JSON.parse(line.slice(MP_PREFIX.length)) as MpMarker);
    }
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (transcript += chunk));
  const done = new Promise<void>((resolve) =>
    child.on("close", () => {
      exited = true;
      for (const listener of listeners) listener();
      resolve();
    }),
  );
  const kill = async () => {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await done;
    live.delete(kill);
  };
  live.add(kill);

  const waitForCount = <K extends Kind>(
    kind: K,
    count: number,
    where?: (m: MarkerOf<K>) => boolean,
  ) =>
    new Promise<MarkerOf<K>[]>((resolve, reject) => {
      const check = () => {
        const found = markers.filter(
          (m): m is MarkerOf<K> => m.kind === kind && (where?.(m as MarkerOf<K>) ?? true),
        );
        if (found.length >= count) {
          listeners.delete(check);
          resolve(found);
        } else if (exited) {
          listeners.delete(check);
          reject(new Error(`worker exited before ${count}× ${kind}\n${transcript}`));
        }
      };
      listeners.add(check);
      check();
    });

  return {
    pid: child.pid,
    markers,
    waitFor: async (kind, where) => (await waitForCount(kind, 1, where))[0] as never,
    waitForCount: async (kind, count, where) => void (await waitForCount(kind, count, where)),
    kill,
    stop: () => void child.kill("SIGSTOP"),
    cont: () => void child.kill("SIGCONT"),
    output: () => transcript,
  };
}

/** Kills every worker still running. */
export async function closeAllWorkers(): Promise<void> {
  await Promise.all([...live].map((kill) => kill()));
}
