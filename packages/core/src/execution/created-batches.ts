/**
 * The bulk starts an engine runs, and the bound on how many of their runs are in memory: the
 * workflows `engine.startMany` created here, the batches a notification announced for this
 * executor (a client's `startMany`, a bulk start inside a caller's transaction), and the
 * workflows recovery claimed at launch. While `limit` of their runs are in flight, the rest wait
 * PENDING in the store — durable, recovered like any other if this process dies — and are read
 * back a page at a time, as runs end or park: a bulk start's page is one statement with the
 * histories, a recovered page two (the rows, then the histories). Memory then grows with the runs
 * in flight, not with how much work waits. It does not write anything: the store holds the work.
 */
import type { Logger } from "../logger.js";
import type { StepRecord, WorkflowRecord } from "../store/records.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { RunSet } from "./run-set.js";

/** What the batches need from their engine. */
export interface CreatedBatchesDeps {
  readonly runs: RunSet;
  readonly store: WorkflowStore;
  readonly logger: Logger;
  readonly executorId: string;
  /** Runs of bulk starts in flight at most, before the rest wait in the store. */
  readonly limit: number;
  isRunning(): boolean;
  /**
   * Claims recovered workflows that waited for room, counting their recovery attempt now that
   * they run, and returns those still PENDING here with their histories (recovery's
   * `claimWaiting`; none once the engine began shutting down). Calls `unclaimed` when it fails
   * before the claim committed.
   */
  claimWaiting(
    workflowIds: readonly string[],
    unclaimed: () => void,
  ): Promise<{
    readonly runnable: readonly WorkflowRecord[];
    readonly histories: ReadonlyMap<string, readonly StepRecord[]>;
  }>;
  /** Gives back the attempt counted for claimed workflows left unrun (recovery's `giveBack`). */
  giveBack(records: readonly WorkflowRecord[]): void;
}

/**
 * The bound when the engine sets no `runCapacity`. A run waiting on its first writes holds about
 * 8 KB, and V8 lets the heap grow to three or four times what it holds before it collects: at
 * 10,000 a million sleepers peaked at 350–490 MB of heap, at 4,000 near 230 MB, and the start
 * and park rates were no lower (docs/benchmarks.md, "Session 12").
 */
export const DEFAULT_BULK_IN_FLIGHT = 4_000;

/** Workflows per read: one statement's worth of a bulk start. */
const PAGE = 1000;

/** A batch waiting in the store: the rows created at `createdAt`, after `afterId` in ID order. */
interface Waiting {
  readonly createdAt: number;
  afterId: string | undefined;
}

/** Runs bulk-started workflows here, at most `limit` at a time. */
export class CreatedBatches {
  private readonly deps: CreatedBatchesDeps;
  private readonly waiting: Waiting[] = [];
  /**
   * Workflows recovery claimed and left waiting for room, in the order to run them (a set
   * iterates in insertion order), each removed as it is read back; `cursor` reads it on.
   */
  private recovered = new Set<string>();
  private cursor: Iterator<string, undefined> = this.recovered.values();
  /**
   * Recovered workflows handed to a page claim, with the read generation they were handed at: a
   * poll whose read began before may hold a row older than the claim (which may have moved the
   * epoch or dead-lettered the workflow), so it must not run them. See {@link markRead}.
   */
  private readonly handedOff = new Map<string, number>();
  private generation = 0;
  private previousMark = 0;
  private inFlight = 0;
  private draining = false;
  private drainAgain = false;
  /** Room that makes a read worth it: pages of a few rows would cost a statement per workflow. */
  private readonly refill: number;

  constructor(deps: CreatedBatchesDeps) {
    this.deps = deps;
    this.refill = Math.max(1, Math.min(PAGE, Math.ceil(deps.limit / 4)));
  }

  /** Whether the store can hand out a batch in one read (else pickup goes one by one). */
  get supported(): boolean {
    return this.deps.store.listCreatedBatch !== undefined;
  }

  /** Whether batches or recovered workflows wait in the store for room here. */
  get backlogged(): boolean {
    return this.waiting.length > 0 || this.recovered.size > 0;
  }

  /**
   * Whether `record` waits here for room: recovered and not read back yet, or a row of a bulk
   * start past where its batch was read (a row of a batch's millisecond is one of the batch's,
   * as the batch's read sees it). The poll leaves those to {@link drain}, which keeps the bound;
   * anything else assigned here and runnable (a resume, a start whose notification was lost, a
   * run a store error interrupted) the poll runs.
   */
  waits(record: Pick<WorkflowRecord, "workflowId" | "createdAt">): boolean {
    if (this.recovered.has(record.workflowId)) return true;
    return this.waiting.some(
      (w) =>
        w.createdAt === record.createdAt &&
        (w.afterId === undefined || record.workflowId > w.afterId),
    );
  }

  /**
   * Marks the start of a poll's read of runnable workflows; pass the mark to
   * {@link handedOffSince}. Forgets hand-offs older than the previous mark, which no poll still
   * reading can have missed (polls run one at a time).
   */
  markRead(): number {
    for (const [id, at] of this.handedOff) if (at < this.previousMark) this.handedOff.delete(id);
    this.previousMark = this.generation;
    return this.generation++;
  }

  /** Whether `workflowId` was handed to a page claim after the read marked `mark` began. */
  handedOffSince(workflowId: string, mark: number): boolean {
    const at = this.handedOff.get(workflowId);
    return at !== undefined && at > mark;
  }

  /** How many runs may start now within the bound. */
  room(): number {
    return Math.max(0, this.deps.limit - this.inFlight);
  }

  /** Counts the run of `workflowId` in flight until it ends or parks. */
  track(workflowId: string): void {
    const run = this.deps.runs.get(workflowId);
    if (!run || run.onEnd) return;
    this.inFlight++;
    run.onEnd = this.release; // one function for every run: no closure and promise per run
  }

  private readonly release = (): void => {
    this.inFlight--;
    if (this.backlogged) this.drain();
  };

  /**
   * Recovery claimed `workflowIds` for this executor and had no room to run them now: they wait
   * PENDING in the store (claimed, so no other engine takes them while this one lives) and run
   * here in this order as room frees. The poll leaves them alone meanwhile.
   */
  waitRecovered(workflowIds: readonly string[]): void {
    if (workflowIds.length === 0) return;
    // An iterator that reached the end stays there: start a new one.
    if (this.recovered.size === 0) this.restartRecovered([]);
    for (const id of workflowIds) this.recovered.add(id);
    this.drain();
  }

  /**
   * `engine.startMany`'s new workflows (the caller holds pickup off them): runs them now while
   * there is room and no earlier batch waits; the rest wait in the store for {@link drain}.
   */
  runCreated(definition: WorkflowDefinition, created: readonly WorkflowRecord[]): void {
    let i = 0;
    if (this.waiting.length === 0 || !this.supported) {
      for (; i < created.length && (this.room() > 0 || !this.supported); i++) {
        this.spawn(definition, created[i] as WorkflowRecord, []);
      }
    }
    for (; i < created.length; i++) this.wait((created[i] as WorkflowRecord).createdAt);
  }

  /** A notification: one statement created workflows for this executor at `createdAt`. */
  announced(createdAt: number): void {
    this.wait(createdAt);
    this.drain();
  }

  /**
   * Reads waiting batches and runs them while there is room; one drain at a time, repeated while
   * asked for meanwhile. Called for new batches, as runs end, and by the poll (after a failure).
   */
  drain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (!this.worthReading()) return;
    this.draining = true;
    void (async () => {
      try {
        do {
          this.drainAgain = false;
          await this.drainOnce();
        } while (this.drainAgain && this.deps.isRunning());
      } catch (error) {
        this.deps.logger.warn("could not read started workflows; the next poll retries", { error });
      } finally {
        this.draining = false;
      }
    })();
  }

  private async drainOnce(): Promise<void> {
    const { store, runs, executorId } = this.deps;
    const isRunning = () => this.deps.isRunning();
    // Recovered work first: it is the oldest.
    while (this.recovered.size > 0 && this.worthReading() && isRunning()) {
      await this.runRecoveredPage();
    }
    while (this.worthReading() && isRunning() && store.listCreatedBatch) {
      const batch = this.waiting[0] as Waiting;
      const limit = Math.min(PAGE, this.room());
      const page = await store.listCreatedBatch(executorId, batch.createdAt, limit, batch.afterId);
      let full = false;
      for (const { record, history } of page) {
        if (this.room() === 0 || !isRunning()) {
          full = true;
          break;
        }
        batch.afterId = record.workflowId;
        // Already here, or ended here since (a stale row): the run set's rules, as the poll's.
        if (runs.busy(record.workflowId) || runs.endedRecently(record.workflowId)) continue;
        await runs.ensureRunning(record, history);
        this.track(record.workflowId);
      }
      if (!full && page.length < limit) this.waiting.shift();
    }
  }

  /**
   * Claims the next page of recovered workflows (the claim counts their recovery attempt, so
   * only what runs is counted), reads their histories and runs them. One that was cancelled,
   * finished or moved meanwhile is not claimed; one that runs here already is left to its run.
   */
  private async runRecoveredPage(): Promise<void> {
    const { runs } = this.deps;
    const next: string[] = [];
    for (const want = Math.min(PAGE, this.room()); next.length < want;) {
      const step = this.cursor.next();
      if (step.done === true) break;
      next.push(step.value);
      this.recovered.delete(step.value);
      this.handedOff.set(step.value, this.generation);
    }
    // A claim would fence off a run here (a pickup's): leave those to it.
    const ids = next.filter((id) => !runs.busy(id) && !runs.endedRecently(id));
    // Not claimed (nothing counted): put back in front, for the next drain (a poll or a run's
    // end). Claimed but not read back: left to the poll, which runs them under that count.
    const page = await runs.holding(ids, () =>
      this.deps.claimWaiting(ids, () => this.restartRecovered(ids)),
    );
    for (const [i, record] of page.runnable.entries()) {
      if (!this.deps.isRunning()) {
        // Left PENDING for the next launch: the claim's count is given back.
        this.deps.giveBack(page.runnable.slice(i));
        return;
      }
      const id = record.workflowId;
      if (runs.busy(id) || runs.endedRecently(id)) continue;
      await runs.ensureRunning(record, page.histories.get(id) ?? [], undefined, "recovery");
      this.track(id);
    }
  }

  /** `first`, then what still waits, read from the start again. */
  private restartRecovered(first: readonly string[]): void {
    this.recovered = new Set([...first, ...this.recovered]);
    this.cursor = this.recovered.values();
  }

  /** Whether a read may run now: work waits and there is room for a page, or nothing runs. */
  private worthReading(): boolean {
    const work = this.recovered.size > 0 || (this.waiting.length > 0 && this.supported);
    return work && (this.room() >= this.refill || (this.inFlight === 0 && this.room() > 0));
  }

  /** Remembers a batch; one not yet read is not remembered twice. */
  private wait(createdAt: number): void {
    const last = this.waiting.at(-1);
    if (last?.createdAt === createdAt && last.afterId === undefined) return;
    if (this.waiting.some((w) => w.createdAt === createdAt && w.afterId === undefined)) return;
    this.waiting.push({ createdAt, afterId: undefined });
  }

  private spawn(
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
  ): void {
    if (!this.deps.isRunning()) return; // left PENDING for the next launch
    this.deps.runs.spawn(definition, record, history, "start");
    this.track(record.workflowId);
  }
}
