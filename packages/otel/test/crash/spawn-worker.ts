/**
 * Runs the traced crash worker as a real child process (`node --import tsx`, one process, so a
 * SIGKILL leaves nothing of it behind) and reads its `@@otel` lines as they arrive, so the test
 * waits for an exact moment instead of sleeping. A wait fails at once if the process exits first.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseLines, type Line } from "./lines.js";

export interface TracedWorker {
  /** Resolves when the worker printed the marker `name`. */
  waitForMarker(name: string): Promise<void>;
  /** SIGKILLs the worker and resolves when it is gone. */
  kill(): Promise<void>;
  /** Every line it printed so far. */
  lines(): Line[];
}

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const workerPath = fileURLToPath(new URL("./traced-worker.ts", import.meta.url));

export function spawnTracedWorker(env: Record<string, string>): TracedWorker {
  const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let errors = "";
  const listeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (errors += chunk));
  const exited = new Promise<void>((resolve) => {
    child.on("close", () => {
      resolve();
      for (const listener of listeners) listener();
    });
  });
  const hasMarker = (name: string) =>
    parseLines(output).some((line) => line.kind === "marker" && line.name === name);
  return {
    lines: () => parseLines(output),
    waitForMarker: (name) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (hasMarker(name)) {
            listeners.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`worker exited before "${name}":\n${output}\n${errors}`));
          }
        };
        listeners.add(check);
        check();
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
