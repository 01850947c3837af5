/**
 * The contract between the crash tests and the worker process they kill: the worker's
 * configuration (one JSON environment variable) and the markers it prints on stdout, one per
 * line, so a test can wait for an exact moment instead of sleeping. Nothing here runs a workflow.
 */

/** Where the worker's checkpoints and side effects live. */
export type StoreConfig =
  | {
      readonly kind: "postgres";
      readonly url: string;
      readonly schema: string;
    }
  | {
      readonly kind: "pglite";
      readonly dataDir: string;
      readonly schema: string;
      /** PGlite allows one process per data directory, so step effects go to this file. */
      readonly effectsFile: string;
    };

/** The workflows the worker registers (see `workflows.ts`). */
export type CrashWorkflowName =
  | "crash.steps"
  | "crash.sleep"
  | "crash.parent"
  | "crash.poison"
  | "crash.progress"
  | "crash.retry"
  | "crash.tx"
  | "crash.txApp";

/** An application database other than the store's (for `crash.txApp`). */
export type AppDatabaseConfig =
  | { readonly kind: "postgres"; readonly url: string }
  | { readonly kind: "pglite"; readonly dataDir: string };

/** What one worker process does. */
export interface WorkerConfig {
  readonly store: StoreConfig;
  /** The engine's executor ID; a relaunch with the same ID recovers the killed run. */
  readonly executorId: string;
  /** `start`: start `workflow` as `workflowId`, then wait for it. `recover`: launch and wait. */
  readonly mode: "start" | "recover";
  readonly workflow: CrashWorkflowName;
  readonly workflowId: string;
  readonly input?: unknown;
  /**
   * Where this process stops: a point where it blocks forever so the test can kill it
   * (`after:s2`, `inside:s3`, `before-checkpoint:<name>`: after the operation's own commit, before
   * the engine records its checkpoint; `after-attempt:<n>`: once a step's failed attempt `n` is
   * durable, before its backoff), or `one-step-per-process` (it kills itself in its second
   * step).
   */
  readonly hold?: string;
  /** The other database `crash.txApp` writes to. */
  readonly appDatabase?: AppDatabaseConfig;
}

/** The environment variable carrying the JSON `WorkerConfig`. */
export const CONFIG_ENV = "CAIRN_CRASH_CONFIG";

/** The prefix of a marker line; everything else on stdout is noise. */
export const MARKER_PREFIX = "@@cairn-crash ";

/** One step's side effect, as recorded by the step body itself. */
export interface Effect {
  readonly workflowId: string;
  readonly step: string;
  /** The process that ran the step body. */
  readonly pid: number;
}

/** A checkpoint as the worker reports it: the stored record with its value decoded. */
export interface ReportedStep {
  readonly position: number;
  readonly name: string;
  readonly output: unknown;
  readonly error: { readonly name: string; readonly message: string } | undefined;
  readonly childWorkflowId: string | undefined;
  readonly attempts: number;
  readonly startedAt: number;
  readonly completedAt: number;
}

/** A workflow's final state as the worker reports it. */
export interface ReportedWorkflow {
  readonly workflowId: string;
  readonly status: string;
  readonly parentWorkflowId: string | undefined;
  readonly recoveryAttempts: number;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly steps: readonly ReportedStep[];
}

/** Every marker the worker prints. */
export type Marker =
  | { readonly kind: "LAUNCHING"; readonly at: number; readonly pid: number }
  | {
      readonly kind: "LAUNCHED";
      readonly recovered: readonly string[];
      readonly deadLettered: readonly string[];
    }
  | { readonly kind: "STARTED"; readonly workflowId: string }
  | {
      readonly kind: "CHECKPOINT";
      readonly workflowId: string;
      readonly position: number;
      readonly name: string;
      readonly output: unknown;
    }
  | { readonly kind: "STEP_START"; readonly workflowId: string; readonly step: string }
  | { readonly kind: "EFFECT"; readonly workflowId: string; readonly step: string }
  | { readonly kind: "AFTER_STEP"; readonly workflowId: string; readonly step: string }
  | { readonly kind: "CHILD_STARTED"; readonly workflowId: string; readonly childId: string }
  | { readonly kind: "HOLD"; readonly point: string }
  | {
      readonly kind: "ATTEMPT_RECORDED";
      readonly workflowId: string;
      readonly attempts: number;
      readonly nextAttemptAt: number;
    }
  | { readonly kind: "CLOCK_SLEEP"; readonly ms: number }
  | {
      readonly kind: "REPORT";
      readonly workflow: ReportedWorkflow;
      readonly children: readonly ReportedWorkflow[];
    };

/** The marker of `kind`. */
export type MarkerOf<K extends Marker["kind"]> = Extract<Marker, { kind: K }>;

/** Formats a marker as one stdout line. */
export function formatMarker(marker: Marker): string {
  return `${MARKER_PREFIX}${JSON.stringify(marker)}\n`;
}

/** Parses a stdout line; undefined when it is not a marker. */
export function parseMarker(line: string): Marker | undefined {
  if (!line.startsWith(MARKER_PREFIX)) return undefined;
  return JSON.parse(line.slice(MARKER_PREFIX.length)) as Marker;
}
