/**
 * The contract between `multi-process.test.ts` and the `multi-worker.ts` processes it runs: the
 * configuration (one JSON environment variable), the markers a worker prints, what `mp.flow`
 * returns, and the effects table. Nothing here runs anything.
 */

/** What one process does. */
export interface MultiWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly executorId?: string;
  readonly appVersion?: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  /** `tx`: v1 with s2 a transaction that writes its effect row in its own commit. */
  readonly code: "v1" | "v2" | "none" | "tx";
  /** `idleTimeoutMs` of the `tx` code's transaction. */
  readonly txIdleTimeoutMs?: number;
  /** Workflows (`mp.flow`) to start at launch; the input of each is its index. */
  readonly start?: readonly string[];
  /** Block inside this step's body, after its effect, until `releaseFile` exists (or forever). */
  readonly hold?: {
    readonly step: string;
    readonly workflowIds?: readonly string[];
    readonly releaseFile?: string;
  };
  readonly retention?: { readonly finishedOlderThanMs: number; readonly intervalMs: number };
}

/** The environment variable carrying the JSON config. */
export const MP_CONFIG_ENV = "CAIRN_MP_CONFIG";
export const MP_PREFIX = "@@mp ";

/** Every marker the process prints; `at` is epoch ms. */
export type MpMarker = { readonly at: number } & (
  | { readonly kind: "ready"; readonly executorId: string; readonly recovered: readonly string[] }
  | { readonly kind: "effect"; readonly workflowId: string; readonly step: string }
  | { readonly kind: "hold"; readonly workflowId: string; readonly step: string }
  | { readonly kind: "takeover"; readonly claimed: readonly string[] }
  | { readonly kind: "fenced"; readonly workflowId: string; readonly position: number }
  | { readonly kind: "log"; readonly level: string; readonly message: string }
);

/** What `mp.flow` returns: each step's value and who ran it. */
export interface MpResult {
  readonly branch: "old" | "new";
  readonly total: number;
  readonly by: readonly string[];
}

/** The effects table of `schema` (the test creates it). */
export const effectsTable = (schema: string): string => `"${schema}".mp_effects`;
