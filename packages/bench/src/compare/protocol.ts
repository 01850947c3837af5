/**
 * What the compare mode's parent and its child processes say to each other. Every system runs
 * each phase in a fresh child process (DBOS is a process-wide singleton, and a fresh heap keeps
 * one system's garbage out of the next one's figures); the parent only orchestrates, and
 * times nothing itself.
 */

export const SYSTEMS = ["cairn", "dbos", "pg-boss"] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** The figures a child reports, by key (the table labels and orders them). */
export type FigureKey =
  | "msPerStep"
  | "workflowsPerSecond"
  | "recoverySeconds"
  | "drainPerSecond"
  | "enqueuePerSecond"
  | "bulkEnqueuePerSecond"
  | "drainNodeCpuUs"
  | "drainServerCpuUs"
  | "bulkNodeCpuUs"
  | "bulkServerCpuUs"
  | "statementsPerStep"
  | "statementsPerWorkflow"
  | "statementsPerEnqueue"
  | "statementsPerBulkItem"
  | "statementsPerDrainedItem"
  | "statementsPerRecoveredWorkflow";

/** A child's job: one phase of one system against one database. */
export type Phase = "workflows" | "enqueue" | "drain" | "crash" | "recover";

export interface Sizes {
  /** Sequential runs of the 20-step workflow, after `warmup` runs. */
  readonly runs: number;
  readonly warmup: number;
  /** Three-step workflows with `inflight` outstanding. */
  readonly workflows: number;
  readonly inflight: number;
  /** Items enqueued one at a time (`inflight` outstanding), then drained. */
  readonly queueItems: number;
  /** Items per bulk enqueue call, and how many calls. */
  readonly batch: number;
  readonly batches: number;
  /** Half-done workflows killed and recovered. */
  readonly recovery: number;
  /** The drain's concurrency (DBOS's workerConcurrency, Cairn's workerConcurrency, pg-boss's batch). */
  readonly concurrency: number;
  /** DBOS only: the queue's minPollingIntervalMs (its default is 1,000). */
  readonly dbosPollMs: number;
}

export interface ChildSpec {
  readonly system: SystemName;
  readonly phase: Phase;
  /** The system's own database (never the proxy; the child starts its proxy when counting). */
  readonly url: string;
  /** Count statements through the proxy instead of timing. */
  readonly count: boolean;
  readonly sizes: Sizes;
}

/** Statements seen in a counting pass, per unit of work, with the main texts. */
export interface StatementFigure {
  readonly perUnit: number;
  /** What `byText` counts per: "20-step run", "workflow", "enqueue", "item". */
  readonly textsPer: string;
  /** Statements per `textsPer` by the start of their text, the most frequent first. */
  readonly byText: Readonly<Record<string, number>>;
}

export type ChildMessage =
  | {
      readonly type: "result";
      readonly figures: Partial<Record<FigureKey, number>>;
      readonly statements: Partial<Record<FigureKey, StatementFigure>>;
    }
  | { readonly type: "parked"; readonly count: number }
  | { readonly type: "error"; readonly message: string };
