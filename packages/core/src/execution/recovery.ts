/**
 * How unfinished workflows come back to life: at `launch()` an engine claims its own PENDING
 * workflows (recovery); later, and from every engine, the lease loop claims those of executors
 * that stopped heartbeating or were never assigned one (takeover). Both go through one claim in
 * the store, which dead-letters workflows that keep crashing the process and fences the old
 * owner off; this module runs what the claim handed over and reports the rest. It does not
 * decide when to take over (the lease loop in `background.ts` and the pickup do).
 */
import { WorkflowNotRegisteredError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RunCause } from "../observer.js";
import type { RecoveryResult } from "../store/ownership-store.js";
import type { StepRecord, WorkflowRecord } from "../store/records.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { CreatedBatches } from "./created-batches.js";
import type { Observers } from "./observers.js";
import type { Registry } from "./registry.js";
import { historiesOf, type RunSet } from "./run-set.js";

/** What `launch()` found. */
export interface LaunchReport {
  /**
   * Workflows this launch claimed to resume from their last checkpoint: those with room run now,
   * the rest (past `runCapacity`) wait PENDING, claimed, and run as room frees.
   */
  readonly recovered: readonly string[];
  /**
   * Workflows moved to `DEAD_LETTER` because they kept crashing the process: those of the runs
   * this launch started. One waiting for room is counted (and may be dead-lettered) only when
   * its turn comes; that is reported as a `workflow.dead-lettered` event, not here.
   */
  readonly deadLettered: readonly string[];
  /** PENDING workflows of this executor whose names are not registered; left PENDING. */
  readonly unknown: readonly { readonly workflowId: string; readonly name: string }[];
}

/** What recovery needs from its engine. */
export interface RecoveryDeps {
  readonly runs: RunSet;
  /** The bound on runs in memory: what recovery at launch has no room for waits there. */
  readonly batches: CreatedBatches;
  readonly store: WorkflowStore;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly observers: Observers;
  readonly executorId: string;
  readonly appVersion: string | undefined;
  /** The engine's `runCapacity`: takeovers claim only the room below it. */
  readonly runCapacity: number | undefined;
  /** After each claim: it may have moved suspended workflows here (decision 0014). */
  afterClaim?(): void;
  /** False once the engine began shutting down: nothing is claimed, nothing claimed runs. */
  isRunning(): boolean;
}

/** Claimed workflows read back to run: their records and histories. */
export interface ClaimedPage {
  readonly runnable: readonly WorkflowRecord[];
  readonly histories: ReadonlyMap<string, readonly StepRecord[]>;
}

const NOTHING: LaunchReport = { recovered: [], deadLettered: [], unknown: [] };

/** Most workflows one takeover claims, however much room there is. */
const TAKEOVER_BATCH = 100;

/** Claims unfinished workflows for this executor and runs them. */
export class Recovery {
  private readonly deps: RecoveryDeps;
  /** Names already reported as not registered here: each is logged once, not on every claim. */
  private readonly reportedNames = new Set<string>();
  /** Claims (and their refunds) under way: a shutdown waits for them before closing the store. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(deps: RecoveryDeps) {
    this.deps = deps;
  }

  /**
   * At launch: claims this executor's unfinished workflows and runs as many as there is room
   * for, children before their parents; the rest wait for room (see {@link claimWaiting}). The
   * first claim moves every one to a new epoch without counting a recovery attempt; an attempt
   * is counted only for the workflows handed to a run, so a process that dies at every launch
   * dead-letters what it ran, never what waited.
   */
  recover(): Promise<LaunchReport> {
    return this.track(this.recoverAll());
  }

  /**
   * Waits until no claim, nor the refund of one that a shutdown overtook, is under way; the
   * engine's shutdown calls it (bounded) before it closes the store.
   */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Gives back the recovery attempt the claim of `records` counted, because they are left
   * unrun (the engine began shutting down between the claim and their runs): a shutdown in
   * every launch must not dead-letter workflows that never ran. Never rejects.
   */
  giveBack(records: readonly WorkflowRecord[]): Promise<void> {
    const { store, executorId, logger } = this.deps;
    if (records.length === 0 || !store.refundRecoveryAttempts) return Promise.resolve();
    const claimed = records.map(({ workflowId, ownerEpoch }) => ({ workflowId, ownerEpoch }));
    return this.track(
      store.refundRecoveryAttempts(executorId, claimed).then(
        () => undefined,
        (error: unknown) => {
          logger.warn(
            `could not give back the recovery attempt of ${records.length} workflows left ` +
              "unrun by the shutdown; each counts one attempt more",
            { error },
          );
        },
      ),
    );
  }

  private async recoverAll(): Promise<LaunchReport> {
    const { store } = this.deps;
    const report = await this.recoverOwn();
    if (!store.exclusive) return report;
    // Only this process can open the store: every other executor in it is gone.
    const taken = await this.takeOver({ ignoreLeases: true });
    return {
      recovered: [...report.recovered, ...taken.recovered],
      deadLettered: [...report.deadLettered, ...taken.deadLettered],
      unknown: [...report.unknown, ...taken.unknown],
    };
  }

  /**
   * Claims (and runs) workflows of executors whose lease expired or that stopped, and those
   * started for any engine: as many as the room below `runCapacity` allows, none when full.
   */
  takeOver(options: { ignoreLeases?: boolean } = {}): Promise<LaunchReport> {
    if (!this.deps.isRunning()) return Promise.resolve(NOTHING);
    return this.track(this.takeOverNow(options));
  }

  private async takeOverNow(options: { ignoreLeases?: boolean }): Promise<LaunchReport> {
    const limit = this.room();
    if (limit === 0) return NOTHING;
    const result = await this.deps.store.takeOver({
      ...this.claim(),
      limit,
      ignoreLeases: options.ignoreLeases ?? false,
    });
    if (result.recovered.length > 0) {
      this.deps.logger.info(`took over ${result.recovered.length} workflows of stopped executors`);
    }
    return this.adopt(result, "takeover");
  }

  /**
   * Counts a recovery attempt for `workflowIds` (waiting for room since the launch claimed them)
   * and returns those still PENDING here, at a new epoch, with their histories, to run now;
   * dead letters are reported. Overtaken by a shutdown, it gives the attempts back and returns
   * none. `unclaimed` is called when it rejects before the claim committed (nothing counted): the
   * caller may hand them to another claim. A failed read after the claim rejects without it.
   */
  claimWaiting(workflowIds: readonly string[], unclaimed: () => void): Promise<ClaimedPage> {
    const none: ClaimedPage = { runnable: [], histories: new Map() };
    if (workflowIds.length === 0 || !this.deps.isRunning()) return Promise.resolve(none);
    return this.track(
      (async () => {
        const { store } = this.deps;
        const claim = await store
          .claimRecoverable({ ...this.claim(), workflowIds })
          .catch((error: unknown) => {
            unclaimed();
            throw error;
          });
        this.report(claim);
        const runnable = claim.recovered;
        if (!this.deps.isRunning()) return this.givenBack(runnable, none);
        // Claimed (counted) but not read, if this fails: PENDING here and no longer waiting, so
        // the poll runs them under this count. Claimed again, each would count a second attempt.
        const histories = await historiesOf(
          store,
          runnable.map((r) => r.workflowId),
        );
        if (!this.deps.isRunning()) return this.givenBack(runnable, none);
        return { runnable, histories };
      })(),
    );
  }

  /** The launch's claim of this executor's own workflows: see {@link recover}. */
  private async recoverOwn(): Promise<LaunchReport> {
    const { store, batches } = this.deps;
    const fenced = await store.claimRecoverable({ ...this.claim(), countAttempts: false });
    const ordered = childrenFirst(fenced.recovered).map((r) => r.workflowId);
    // Shut down meanwhile: count nothing, run nothing (the launch fails).
    const first = this.deps.isRunning() ? ordered.slice(0, batches.room()) : [];
    const claim =
      first.length === 0
        ? { recovered: [], deadLettered: [], unknown: [] }
        : await store.claimRecoverable({ ...this.claim(), workflowIds: first });
    this.report({ ...claim, unknown: fenced.unknown });
    const rank = new Map(first.map((id, i) => [id, i]));
    const byRank = (r: WorkflowRecord) => rank.get(r.workflowId) ?? 0;
    await this.spawnAll(
      [...claim.recovered].sort((a, b) => byRank(a) - byRank(b)),
      "recovery",
    );
    for (const record of claim.recovered) batches.track(record.workflowId);
    batches.waitRecovered(ordered.slice(first.length));
    this.deps.afterClaim?.();
    const dead = new Set(claim.deadLettered.map((r) => r.workflowId));
    return {
      recovered: ordered.filter((id) => !dead.has(id)),
      deadLettered: [...dead],
      unknown: fenced.unknown,
    };
  }

  /** How many workflows a takeover may claim now. */
  private room(): number {
    const { runCapacity, runs } = this.deps;
    if (runCapacity === undefined) return TAKEOVER_BATCH;
    return Math.max(0, Math.min(TAKEOVER_BATCH, runCapacity - runs.ids().length));
  }

  private claim() {
    const { executorId, appVersion, registry } = this.deps;
    return {
      executorId,
      appVersion,
      names: registry.names,
      maxRecoveryAttempts: registry.maxRecoveryAttempts(),
    };
  }

  /** Runs what a takeover handed to this executor and reports dead letters and unknown names. */
  private async adopt(claim: RecoveryResult, cause: RunCause): Promise<LaunchReport> {
    await this.spawnAll(claim.recovered, cause);
    this.report(claim);
    // Suspended workflows the claim moved here stay suspended: wake the due ones, arm the timer.
    this.deps.afterClaim?.();
    return {
      recovered: claim.recovered.map((r) => r.workflowId),
      deadLettered: claim.deadLettered.map((r) => r.workflowId),
      unknown: claim.unknown,
    };
  }

  /**
   * Runs claimed `records`, every history read (in one read) before any run starts. Claimed
   * while the engine began shutting down, they are left PENDING and their attempt given back.
   */
  private async spawnAll(records: readonly WorkflowRecord[], cause: RunCause): Promise<void> {
    const { runs, store, registry } = this.deps;
    const ids = records.map((r) => r.workflowId);
    if (ids.length === 0) return;
    // The poll must not start them meanwhile.
    const spawned = await runs.holding(ids, async () => {
      const histories = await historiesOf(store, ids);
      if (!this.deps.isRunning()) return false;
      for (const record of records) {
        const definition = registry.get(record.name);
        if (!definition) continue;
        runs.spawnClaimed(definition, record, histories.get(record.workflowId) ?? [], cause);
      }
      return true;
    });
    if (!spawned) await this.giveBack(records);
  }

  private async givenBack<T>(records: readonly WorkflowRecord[], result: T): Promise<T> {
    await this.giveBack(records);
    return result;
  }

  /** `work`, counted as under way until it settles. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = () => void this.inFlight.delete(work);
    void work.then(done, done);
    return work;
  }

  private report(claim: RecoveryResult): void {
    const { observers, logger, executorId } = this.deps;
    reportDeadLettered(observers, executorId, claim.deadLettered);
    for (const { workflowId, name } of claim.unknown) {
      if (this.reportedNames.has(name)) continue;
      this.reportedNames.add(name);
      logger.error(
        `workflow ${workflowId} is PENDING but "${name}" is not registered here; it and any ` +
          `other "${name}" workflow are left PENDING for an engine that registers it ` +
          "(reported once per name)",
        { error: new WorkflowNotRegisteredError(name) },
      );
    }
  }
}

/**
 * `records` with every workflow before its parent among them (deepest first, else in claim
 * order): run in this order, a parent starts only after each of its claimed children did.
 */
export function childrenFirst(records: readonly WorkflowRecord[]): WorkflowRecord[] {
  const byId = new Map(records.map((r) => [r.workflowId, r]));
  const depthOf = (record: WorkflowRecord): number => {
    let depth = 0;
    let parent = record.parentWorkflowId;
    // Bounded by the count: a cycle of parents (never written by Cairn) cannot loop forever.
    while (parent !== undefined && depth < records.length) {
      const next = byId.get(parent);
      if (!next) break;
      depth++;
      parent = next.parentWorkflowId;
    }
    return depth;
  };
  if (records.every((r) => r.parentWorkflowId === undefined || !byId.has(r.parentWorkflowId))) {
    return [...records];
  }
  const depths = new Map(records.map((r) => [r.workflowId, depthOf(r)]));
  // Array.prototype.sort is stable: equal depths keep the claim's order.
  return [...records].sort(
    (a, b) => (depths.get(b.workflowId) ?? 0) - (depths.get(a.workflowId) ?? 0),
  );
}

/**
 * Tells the observers (and so the log) of workflows a claim moved to `DEAD_LETTER`: this
 * engine's recovery and takeover, or a plugin's claim (a queue putting back crashed work).
 */
export function reportDeadLettered(
  observers: Observers,
  executorId: string,
  records: readonly WorkflowRecord[],
): void {
  for (const record of records) {
    observers.emit({
      type: "workflow.dead-lettered",
      workflowId: record.workflowId,
      workflowName: record.name,
      recoveryAttempts: record.recoveryAttempts,
      executorId,
    });
  }
}
