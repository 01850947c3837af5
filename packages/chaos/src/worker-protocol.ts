/**
 * The contract between the chaos driver and its worker processes: the worker's configuration
 * (one JSON environment variable) and the lines it prints on stdout. Nothing here runs anything.
 */

/** The environment variable carrying a worker's JSON `WorkerConfig`. */
export const WORKER_CONFIG_ENV = "CAIRN_CHAOS_WORKER";

/** What one worker process does. */
export interface WorkerConfig {
  readonly url: string;
  /** A stable executor ID; absent: the engine generates one (as in most real deploys). */
  readonly executorId?: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  /** Each step body waits up to this long before and after its effect, so kills land anywhere. */
  readonly stepDelayMs: number;
}

/** A line a worker prints. */
export type WorkerLine =
  /** The engine exists: its executor ID is known (it may claim work from now on). */
  | { readonly chaos: "id"; readonly executorId: string; readonly pid: number }
  /** `launch()` resolved. */
  | { readonly chaos: "ready"; readonly executorId: string; readonly recovered: number }
  /** Cairn logged at warn or error, or a step write was fenced off. */
  | {
      readonly chaos: "log";
      readonly level: string;
      readonly message: string;
      readonly error?: string;
    };

const PREFIX = "@@chaos ";

export function formatLine(line: WorkerLine): string {
  return `${PREFIX}${JSON.stringify(line)}\n`;
}

export function parseLine(text: string): WorkerLine | undefined {
  return text.startsWith(PREFIX)
    ? (JSON.parse(text.slice(PREFIX.length)) as WorkerLine)
    : undefined;
}
