/**
 * Runs a test program as a real child process (`node --import tsx <script>`, one process, so a
 * SIGKILL leaves nothing running) with a JSON configuration in one environment variable, and
 * collects the JSON markers it prints on stdout (`@@cairn <json>` lines) so a test can wait for
 * an exact moment instead of sleeping. A wait fails as soon as the process exits without the
 * marker. Used by the communication crash tests and the separate-process client test.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The environment variable carrying a program's JSON configuration. */
export const PROGRAM_CONFIG_ENV = "CAIRN_TEST_PROGRAM_CONFIG";
const PREFIX = "@@cairn ";

/** Prints a marker line; stdout on a pipe is synchronous, so it is out before any later kill. */
export function printMarker<M extends { readonly kind: string }>(marker: M): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(marker)}\n`);
}

/** Reads the configuration a program was started with. */
export function programConfig<T>(): T {
  const raw = process.env[PROGRAM_CONFIG_ENV];
  if (!raw) throw new Error(`${PROGRAM_CONFIG_ENV} is not set`);
  return JSON.parse(raw) as T;
}

/** How a program's process ended. */
export interface ProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running program. */
export interface MarkedProcess<M extends { readonly kind: string }> {
  readonly pid: number;
  readonly markers: readonly M[];
  /** The first marker of `kind` matching `where`, already printed or future. */
  waitFor<K extends M["kind"]>(
    kind: K,
    where?: (marker: Extract<M, { kind: K }>) => boolean,
  ): Promise<Extract<M, { kind: K }>>;
  readonly exited: Promise<ProgramExit>;
  /** SIGKILLs the process and waits for it to be gone. */
  kill(): Promise<ProgramExit>;
  /** Everything it printed, for failure messages. */
  output(): string;
}

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** Starts `script` (a path or file URL) with `config`. */
export function spawnMarked<M extends { readonly kind: string }>(
  script: string | URL,
  config: unknown,
): MarkedProcess<M> {
  const path = typeof script === "string" ? script : fileURLToPath(script);
  const child = spawn(process.execPath, ["--import", "tsx", path], {
    cwd: repoRoot,
    env: { ...process.env, [PROGRAM_CONFIG_ENV]: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${path}`);
  const markers: M[] = [];
  const listeners = new Set<() => void>();
  let transcript = "";
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith(PREFIX)) markers.push(JSON.parse(line.slice(PREFIX.length)) as M);
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (transcript += chunk));
  const exited = new Promise<ProgramExit>((resolve) =>
    child.on("close", (code, signal) => {
      resolve({ code, signal });
      for (const listener of [...listeners]) listener();
    }),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  return {
    pid: child.pid,
    markers,
    exited,
    output: () => transcript,
    kill() {
      child.kill("SIGKILL");
      return exited;
    },
    waitFor<K extends M["kind"]>(kind: K, where?: (marker: Extract<M, { kind: K }>) => boolean) {
      type Found = Extract<M, { kind: K }>;
      return new Promise<Found>((resolve, reject) => {
        const check = () => {
          const found = markers.find(
            (m): m is Found => m.kind === kind && (where?.(m as Found) ?? true),
          );
          if (found || gone()) listeners.delete(check);
          if (found) resolve(found);
          else if (gone()) reject(new Error(`${path} exited before ${kind}\n${transcript}`));
        };
        listeners.add(check);
        check();
      });
    },
  };
}
