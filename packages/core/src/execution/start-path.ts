/**
 * The one way a workflow comes into being in an engine: validate the input against the
 * workflow's schema, serialize it, create the row (one round trip, no read), and spawn the run
 * here if the row is new. `engine.start`, a child's start (`ctx.start`, `await child(ctx, …)`),
 * `engine.fork` and `engine.resume` go through it, and plugins validate their input with
 * {@link StartPath.prepareInput}. A start inside the caller's transaction only creates the row:
 * the run is picked up when the commit's notification arrives.
 */
import { assertAttributes, type WorkflowAttributes } from "../attributes.js";
import { forkRequest } from "./fork-request.js";
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { toMs } from "../duration.js";
import type { ForkOptions, StartOptions } from "../engine-options.js";
import {
  WorkflowConflictError,
  WorkflowNotFoundError,
  WorkflowNotRegisteredError,
} from "../errors.js";
import type { TraceCarrier } from "../observer.js";
import type { RunFinisher } from "../plugin.js";
import type { SerializedValue, WorkflowRecord } from "../store/records.js";
import type { CreateWorkflowResult, NewWorkflow } from "../store/running-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { AnyWorkflow, WorkflowDefinition } from "../workflow.js";
import { assertWorkflowId } from "../workflow-id.js";
import type { StartManyItem, StartManyOptions } from "../workflow-operations.js";
import type { EngineState } from "./engine-state.js";
import type { Observers } from "./observers.js";
import type { CreatedBatches } from "./created-batches.js";
import type { Registry } from "./registry.js";
import { checkStartItem, startRowsOf } from "./start-items.js";
import type { RunSet } from "./run-set.js";

/** What the start path needs from its engine. */
export interface StartPathDeps {
  readonly store: WorkflowStore;
  readonly registry: Registry;
  readonly runs: RunSet;
  /** Runs what `startMany` created, within the bound on bulk runs in memory. */
  readonly batches: CreatedBatches;
  readonly state: EngineState;
  readonly clock: Clock;
  readonly observers: Observers;
  readonly executorId: string;
  readonly appVersion: string | undefined;
  /** The timeout of a workflow started without one (`workflowTimeoutMs`); `undefined`: none. */
  readonly workflowTimeoutMs: number | undefined;
}

/** A child workflow to start, as a parent's run asks for it. */
export interface ChildStart {
  readonly definition: WorkflowDefinition;
  readonly input: unknown;
  readonly workflowId: string;
  readonly parentWorkflowId: string;
  /** `undefined`: none inherited nor given; the engine's `workflowTimeoutMs` applies. */
  readonly deadlineAt: number | undefined;
  readonly traceContext: TraceCarrier | undefined;
  readonly attributes: WorkflowAttributes | undefined;
}

/** A workflow the start path created (or found), and its definition. */
export interface Started {
  readonly workflowId: string;
  readonly definition: WorkflowDefinition | undefined;
}

/** Where the row of a new workflow is written. */
interface CreateRequest {
  readonly definition: WorkflowDefinition;
  readonly input: unknown;
  readonly workflowId: string;
  readonly parentWorkflowId?: string;
  readonly deadlineAt: number | undefined;
  readonly traceContext: TraceCarrier | undefined;
  readonly attributes?: WorkflowAttributes | undefined;
  /** The caller's open transaction: create only, announced at its commit. */
  readonly tx?: unknown;
}

/** Starts, forks and resumes workflows in one engine. */
export class StartPath {
  private readonly deps: StartPathDeps;

  constructor(deps: StartPathDeps) {
    this.deps = deps;
  }

  /** `engine.start`: a new workflow (or the existing one of this ID), running here if new. */
  async start(workflow: AnyWorkflow, input: unknown, options?: StartOptions): Promise<Started> {
    const { state, registry, clock, observers } = this.deps;
    state.assertRunning("start");
    const definition = registry.definitionOf(workflow);
    const workflowId = options?.id === undefined ? randomUUID() : assertWorkflowId(options.id);
    const deadlineAt =
      options?.timeoutMs === undefined
        ? this.defaultDeadline()
        : clock.now() + toMs(options.timeoutMs, "timeoutMs");
    const attributes =
      options?.attributes === undefined ? undefined : assertAttributes(options.attributes);
    const traceContext = observers.carrier(undefined);
    await this.create({
      definition,
      input,
      workflowId,
      deadlineAt,
      traceContext,
      attributes,
      tx: options?.tx,
    });
    return { workflowId, definition };
  }

  /**
   * `engine.startMany`: the items' workflows written in one round trip per 1,000 (all or none),
   * each created one running here; an item whose ID exists gets that workflow. With `tx`, only
   * written, inside the caller's transaction (picked up at its commit).
   */
  async startMany(
    workflow: AnyWorkflow,
    items: readonly StartManyItem<unknown>[],
    options: StartManyOptions = {},
  ): Promise<Started[]> {
    const { state, store, registry, clock, observers, runs, batches, executorId, appVersion } =
      this.deps;
    state.assertRunning("startMany");
    const definition = registry.definitionOf(workflow);
    const traceContext = observers.carrier(undefined);
    const now = clock.now();
    const deadline = this.defaultDeadline();
    const notify = options.tx === undefined ? undefined : true;
    const rows = await startRowsOf(definition.name, items, async (item): Promise<NewWorkflow> => {
      const { workflowId, deadlineAt, attributes } = checkStartItem(item, now);
      return {
        workflowId,
        name: definition.name,
        input: await registry.serializeInput(definition, item.input),
        executorId,
        appVersion,
        deadlineAt: deadlineAt ?? deadline,
        attributes,
        traceContext,
        notify,
      };
    });
    if (options.tx !== undefined) {
      await store.createWorkflows(rows, { tx: options.tx });
    } else if (rows.length > 0) {
      // Pickup is held off the IDs until their runs are spawned or left to wait in the store.
      const ids = rows.map((row) => row.workflowId);
      await runs.holding(ids, async () => {
        const results = await store.createWorkflows(rows);
        const created = results.filter((r) => r.created).map((r) => r.workflow);
        batches.runCreated(definition, created);
      });
      batches.drain();
    }
    return rows.map((row) => ({ workflowId: row.workflowId, definition }));
  }

  /** A child's start, from its parent's run: created (or found), and run here if new. */
  async startChild(child: ChildStart): Promise<void> {
    this.deps.state.assertRunning("start");
    await this.create({
      ...child,
      definition: this.deps.registry.definitionOf(child.definition),
      deadlineAt: child.deadlineAt ?? this.defaultDeadline(),
    });
  }

  /** The deadline of a workflow started now without a timeout, per `workflowTimeoutMs`. */
  private defaultDeadline(): number | undefined {
    const { workflowTimeoutMs, clock } = this.deps;
    return workflowTimeoutMs === undefined ? undefined : clock.now() + workflowTimeoutMs;
  }

  /**
   * `engine.fork`: a copy of `workflowId` that keeps what it recorded before `fromStep`, run
   * here — or, with `queue`, left waiting in that queue for the engines that serve it.
   */
  async fork(workflowId: string, options: ForkOptions): Promise<Started> {
    const { state, store, registry, runs, executorId, appVersion, clock } = this.deps;
    state.assertRunning("fork");
    const { workflowTimeoutMs } = this.deps;
    const timed =
      options.timeoutMs === undefined && workflowTimeoutMs !== undefined
        ? { ...options, timeoutMs: workflowTimeoutMs }
        : options;
    const request = forkRequest(workflowId, timed, { executorId, appVersion, now: clock.now() });
    const source = await store.getWorkflow(workflowId);
    if (!source) throw new WorkflowNotFoundError(workflowId);
    const definition = registry.get(source.name);
    const fork = async () => {
      const result = await store.forkWorkflow(request);
      if (!result) throw new WorkflowNotFoundError(workflowId);
      return result;
    };
    if (request.queue) {
      assertSameName(request.newId, await fork(), source.name);
      return { workflowId: request.newId, definition };
    }
    if (!definition) throw new WorkflowNotRegisteredError(source.name);
    const forked = await runs.createAndRun(request.newId, definition, { loadHistory: true }, fork);
    assertSameName(request.newId, forked, source.name);
    return { workflowId: request.newId, definition };
  }

  /** `engine.resume`: PENDING again, owned and run here. */
  async resume(workflowId: string): Promise<Started> {
    const { state, store, registry, runs, executorId } = this.deps;
    state.assertRunning("resume");
    const record = await store.resumeWorkflow(workflowId, executorId);
    if (!record) throw new WorkflowNotFoundError(workflowId);
    if (record.status === "PENDING" && record.executorId === executorId) {
      await runs.ensureRunning(record);
    }
    return { workflowId, definition: registry.get(record.name) };
  }

  /** Validates and serializes a plugin's input, as a start does. */
  prepareInput(workflow: AnyWorkflow, input: unknown): Promise<SerializedValue> {
    const { registry } = this.deps;
    return registry.serializeInput(registry.definitionOf(workflow), input);
  }

  /**
   * Runs PENDING workflows a plugin assigned to this executor; `withoutSteps` need no read, and
   * `finish` (when given) records their outcomes instead of the store.
   */
  async run(
    records: readonly WorkflowRecord[],
    withoutSteps: readonly string[] = [],
    finish?: RunFinisher,
  ) {
    const empty = new Set(withoutSteps);
    await Promise.all(
      records.map((record) =>
        this.deps.runs.ensureRunning(record, empty.has(record.workflowId) ? [] : undefined, finish),
      ),
    );
  }

  /** Validate → serialize → create → spawn. */
  private async create(request: CreateRequest): Promise<void> {
    const { store, registry, runs, executorId, appVersion } = this.deps;
    const { definition, workflowId, tx } = request;
    const row = {
      workflowId,
      name: definition.name,
      input: await registry.serializeInput(definition, request.input),
      executorId,
      appVersion,
      ...(request.parentWorkflowId === undefined
        ? {}
        : { parentWorkflowId: request.parentWorkflowId }),
      deadlineAt: request.deadlineAt,
      traceContext: request.traceContext,
      attributes: request.attributes,
    };
    const result =
      tx === undefined
        ? await runs.createAndRun(workflowId, definition, { loadHistory: false }, () =>
            store.createWorkflow(row),
          )
        : await store.createWorkflow({ ...row, notify: true }, { tx });
    assertSameName(workflowId, result, definition.name);
  }
}

/** A create that found an existing workflow of another name is a conflict. */
function assertSameName(workflowId: string, result: CreateWorkflowResult, name: string): void {
  if (!result.created && result.workflow.name !== name) {
    throw new WorkflowConflictError(workflowId, result.workflow.name, name);
  }
}
