/**
 * The bulk starts an engine runs, and the bound on how many of their runs are in memory: the
 * workflows `engine.startMany` created here, and the batches a notification announced for this
 * executor (a client's `startMany`, a bulk start inside a caller's transaction). While `limit` of
 * their runs are in flight, the rest wait PENDING in the store — durable, recovered like any
 * other if this process dies — and are read back a page at a time, each page one statement with
 * the histories, as runs end or park. Memory then grows with the runs in flight, not with how far
 * starting runs ahead of running. It does not write anything: the store holds the work.
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
}

/** The bound when the engine sets no `runCapacity`. */
export const DEFAULT_BULK_IN_FLIGHT = 10_000;

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

  /** Whether batches wait in the store for room here. */
  get backlogged(): boolean {
    return this.waiting.length > 0;
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

  /** Whether a read may run now: batches wait and there is room for a page, or nothing runs. */
  private worthReading(): boolean {
    return (
      this.waiting.length > 0 &&
      this.supported &&
      (this.room() >= this.refill || (this.inFlight === 0 && this.room() > 0))
    );
  }

  private room(): number {
    return Math.max(0, this.deps.limit - this.inFlight);
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

  /** Counts the run of `workflowId` in flight until it ends or parks. */
  private track(workflowId: string): void {
    const run = this.deps.runs.get(workflowId);
    if (!run) return;
    this.inFlight++;
    const release = () => {
      this.inFlight--;
      if (this.waiting.length > 0) this.drain();
    };
    run.done.then(release, release);
  }
}
