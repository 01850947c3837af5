/**
 * Runs the built `cairn` binary as a child process, the way a user or a deploy script does,
 * and hands back its exit code, stdout and stderr. `NO_COLOR` keeps output plain.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CAIRN_BIN = fileURLToPath(new URL("../../dist/bin/cairn.js", import.meta.url));

/** What one run of the binary printed and returned. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cairn <args>` to completion. */
export function cairn(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAIRN_BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `cairn <args> --json` and parses stdout; fails the test on a non-zero exit. */
export async function cairnJson<T = unknown>(args: readonly string[]): Promise<T> {
  const run = await cairn([...args, "--json"]);
  if (run.code !== 0) throw new Error(`cairn ${args.join(" ")} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Starts `cairn <args>` and leaves it running: for `--follow` and `dashboard`. */
export function startCairn(args: readonly string[]) {
  const child = spawn(process.execPath, [CAIRN_BIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.test(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves once stdout satisfies `test` (or rejects if the process exits first). */
    until(test: (text: string) => boolean): Promise<void> {
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        check();
        void exited.then(() => {
          if (!test(stdout))
            reject(new Error(`cairn exited before printing what was awaited: ${stderr}`));
        });
      });
    },
  };
}
