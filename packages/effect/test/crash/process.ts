/**
 * Runs a crash worker as a real child process (`node --import tsx`, a single process, so SIGKILL
 * leaves nothing of it running) with a JSON configuration in an environment variable, and
 * collects the `@@effect <json>` marker lines it prints so a test waits for an exact moment
 * rather than sleeping. A wait fails as soon as the process exits without the marker.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CONFIG_ENV = "CAIRN_EFFECT_CRASH_CONFIG";
const PREFIX = "@@effect ";

export interface Marker {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** Prints a marker; stdout on a pipe is synchronous, so it is out before a later kill. */
export function printMarker(marker: Marker): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(marker)}\n`);
}

export interface Worker {
  readonly markers: readonly Marker[];
  waitFor(kind: string): Promise<Marker>;
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
  output(): string;
}

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const defaultWorker = new URL("./worker.ts", import.meta.url);

/** Starts a worker script (default: the `effect/workflow` worker) with `config`. */
export function spawnWorker(config: unknown, script: URL = defaultWorker): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(script)], {
    cwd: repoRoot,
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const markers: Marker[] = [];
  const listeners = new Set<() => void>();
  let transcript = "";
  let pending = "";
  let done = false;
  const notify = () => [...listeners].forEach((listener) => listener());
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith(PREFIX)) markers.push(JSON.parse(line.slice(PREFIX.length)) as Marker);
    }
    notify();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (transcript += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      done = true;
      resolve(code);
      notify();
    }),
  );
  return {
    markers,
    exited,
    output: () => transcript,
    waitFor: (kind) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = markers.find((marker) => marker.kind === kind);
          if (found) {
            listeners.delete(check);
            resolve(found);
          } else if (done) {
            listeners.delete(check);
            reject(new Error(`worker exited without "${kind}":\n${transcript}`));
          }
        };
        listeners.add(check);
        check();
      }),
    kill: async () => {
      if (!done) child.kill("SIGKILL");
      await exited;
    },
  };
}
