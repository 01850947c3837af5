/**
 * The engine: the one object that runs workflows in this process. It migrates the store and
 * recovers unfinished workflows at `launch()`, starts new ones (one round trip, no read), hands
 * out handles, and stops cleanly at `shutdown()`. It holds no global state; two engines may live
 * in one process, each with its own store and executor ID.
 */
import { randomUUID } from "node:crypto";
import {
  EngineClosedError,
  EngineNotLaunchedError,
  InvalidOptionError,
  ValidationError,
  WorkflowConflictError,
  WorkflowNotRegisteredError,
} from "./errors.js";
import { executeWorkflow, type RunOutcome } from "./execution/execute-workflow.js";
import { Execution, type ExecutionHost } from "./execution/execution.js";
import { createHandle } from "./execution/handles.js";
import { delay } from "./execution/run-attempts.js";
import type { WorkflowHandle } from "./handle.js";
import { consoleLogger, type Logger } from "./logger.js";
import { deserialize, serialize } from "./serialization.js";
import type { StepRecord, WorkflowRecord, WorkflowStore } from "./store/workflow-store.js";
import type { AnyWorkflow, Workflow, WorkflowDefinition } from "./workflow.js";

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** Where checkpoints live: `createPgStore`, `createPgliteStore`, or the memory store. */
  readonly store: WorkflowStore;
  /** Every workflow this engine may start or recover, including children. */
  readonly workflows: readonly AnyWorkflow[];
  /**
   * Who owns the workflows this engine starts; `launch()` recovers the unfinished workflows of
   * this ID. Give each process sharing a database its own stable ID. Default `"local"`.
   */
  readonly executorId?: string;
  /** Where Cairn reports. Default: warnings and errors to the console. */
  readonly logger?: Logger;
  /** How long `shutdown()` lets running steps finish before aborting them. Default 10,000 ms. */
  readonly shutdownGraceMs?: number;
}

/** Options of `engine.start()` and `engine.run()`. */
export interface StartOptions {
  /** The workflow ID; starting an ID that exists returns that workflow. Default: a random UUID. */
  readonly id?: string;
}

/** What `launch()` found. */
export interface LaunchReport {
  /** Workflows resumed from their last checkpoint. */
  readonly recovered: readonly string[];
  /** Workflows moved to `DEAD_LETTER` because they kept crashing the process. */
  readonly deadLettered: readonly string[];
  /** PENDING workflows of this executor whose names are not registered; left PENDING. */
  readonly unknown: readonly { readonly workflowId: string; readonly name: string }[];
}

/** Runs durable workflows. Create with {@link createEngine}. */
export interface Engine {
  readonly executorId: string;
  /** Migrates the store and resumes this executor's unfinished workflows. Call once. */
  launch(): Promise<LaunchReport>;
  /**
   * Starts a workflow and returns its handle once the start is durable. If the ID exists, returns
   * the existing workflow's handle and runs nothing.
   * @throws ValidationError when the input does not match the workflow's schema (nothing written).
   * @throws WorkflowConflictError when the ID belongs to a workflow of another name.
   */
  start<In, Out>(
    workflow: Workflow<In, Out>,
    input: In,
    options?: StartOptions,
  ): Promise<WorkflowHandle<Out>>;
  /** `start()` and wait for the result. */
  run<In, Out>(workflow: Workflow<In, Out>, input: In, options?: StartOptions): Promise<Out>;
  /** A handle on an existing workflow, by ID. No I/O until you use it. */
  retrieve<Out = unknown>(workflowId: string): WorkflowHandle<Out>;
  /**
   * Stops taking work, lets running steps finish (up to `shutdownGraceMs`), leaves unfinished
   * workflows PENDING for the next launch, and closes the store.
   */
  shutdown(): Promise<void>;
}

type EngineState = "created" | "launching" | "running" | "closing" | "closed";

interface Run {
  readonly execution: Execution;
  readonly done: Promise<RunOutcome>;
}

/**
 * Creates an engine.
 *
 * @example
 * const engine = createEngine({ store: createPgliteStore(), workflows: [checkout] });
 * await engine.launch();
 * const ok = await engine.run(checkout, { ticketId: "A1", cardToken: "tok" });
 * await engine.shutdown();
 */
export function createEngine(options: EngineOptions): Engine {
  const { store } = options;
  const executorId = options.executorId ?? "local";
  const logger = options.logger ?? consoleLogger();
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
  if (typeof executorId !== "string" || executorId === "") {
    throw new InvalidOptionError("executorId", "expected a non-empty string");
  }
  const registry = registerWorkflows(options.workflows);
  const running = new Map<string, Run>();
  let state: EngineState = "created";

  const assertRunning = (operation: string): void => {
    if (state === "closing" || state === "closed") throw new EngineClosedError(operation);
    if (state !== "running") throw new EngineNotLaunchedError(operation);
  };

  const definitionOf = (workflow: AnyWorkflow | WorkflowDefinition): WorkflowDefinition => {
    const definition = "~cairn" in workflow ? workflow["~cairn"] : workflow;
    if (registry.get(definition.name) !== definition) {
      const detail = registry.has(definition.name) ? "another definition has this name" : "";
      throw new WorkflowNotRegisteredError(definition.name, detail);
    }
    return definition;
  };

  const spawn = (
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
  ) => {
    const execution = new Execution({
      host,
      workflowId: record.workflowId,
      workflowName: definition.name,
      history,
    });
    const input = deserialize(record.input);
    const done = executeWorkflow(host, definition, execution, input).then((outcome) => {
      running.delete(record.workflowId);
      if (outcome.kind === "interrupted") {
        logger.warn(`workflow ${record.workflowId} left PENDING: ${outcome.error.message}`);
      }
      return outcome;
    });
    running.set(record.workflowId, { execution, done });
  };

  /** Validates, serializes and creates a workflow; runs it here if it is new. */
  const create = async (
    definition: WorkflowDefinition,
    rawInput: unknown,
    workflowId: string,
    parentWorkflowId?: string,
  ): Promise<void> => {
    const input = await parseInput(definition, rawInput);
    const serialized = serialize(input, `input of workflow "${definition.name}"`);
    const { created, workflow } = await store.createWorkflow({
      workflowId,
      name: definition.name,
      input: serialized,
      executorId,
      parentWorkflowId,
    });
    if (created) spawn(definition, workflow, []);
    else if (workflow.name !== definition.name) {
      throw new WorkflowConflictError(workflowId, workflow.name, definition.name);
    }
  };

  const host: ExecutionHost & { readonly executorId: string } = {
    store,
    logger,
    executorId,
    startChild: (definition, input, workflowId, parentWorkflowId) => {
      assertRunning("start");
      return create(definitionOf(definition), input, workflowId, parentWorkflowId);
    },
    handle: (workflowId) => handle(workflowId),
  };

  const handle = <Out>(workflowId: string): WorkflowHandle<Out> =>
    createHandle<Out>(workflowId, {
      store,
      localRun: (id) => running.get(id)?.done,
      assertOpen: () => {
        if (state === "closing" || state === "closed") throw new EngineClosedError("result");
      },
    });

  const recover = async (): Promise<LaunchReport> => {
    const maxRecoveryAttempts: Record<string, number> = {};
    for (const definition of registry.values()) {
      maxRecoveryAttempts[definition.name] = definition.maxRecoveryAttempts;
    }
    const claim = await store.claimRecoverable({
      executorId,
      names: [...registry.keys()],
      maxRecoveryAttempts,
    });
    // Load every history before starting any run, so recovered parents find recovered children.
    const histories = await Promise.all(claim.recovered.map((r) => store.listSteps(r.workflowId)));
    claim.recovered.forEach((record, i) =>
      spawn(registry.get(record.name)!, record, histories[i] ?? []),
    );
    for (const record of claim.deadLettered) {
      logger.error(`workflow ${record.workflowId} moved to DEAD_LETTER`, {
        workflow: record.name,
        recoveryAttempts: record.recoveryAttempts,
      });
    }
    for (const { workflowId, name } of claim.unknown) {
      logger.error(
        `workflow ${workflowId} is PENDING but "${name}" is not registered; left PENDING`,
        {
          error: new WorkflowNotRegisteredError(name),
        },
      );
    }
    return {
      recovered: claim.recovered.map((r) => r.workflowId),
      deadLettered: claim.deadLettered.map((r) => r.workflowId),
      unknown: claim.unknown,
    };
  };

  const engine: Engine = {
    executorId,
    async launch() {
      if (state !== "created")
        throw new InvalidOptionError("launch", `the engine is already ${state}`);
      state = "launching";
      try {
        await store.migrate();
        state = "running";
        return await recover();
      } catch (error) {
        if (state === "launching") state = "created";
        throw error;
      }
    },
    async start<In, Out>(workflow: Workflow<In, Out>, input: In, startOptions?: StartOptions) {
      assertRunning("start");
      const definition = definitionOf(workflow);
      const workflowId = startOptions?.id ?? randomUUID();
      if (typeof workflowId !== "string" || workflowId === "") {
        throw new InvalidOptionError("id", "expected a non-empty string");
      }
      await create(definition, input, workflowId);
      return handle<Out>(workflowId);
    },
    async run(workflow, input, startOptions) {
      const started = await engine.start(workflow, input, startOptions);
      return started.result();
    },
    retrieve: (workflowId) => handle(workflowId),
    async shutdown() {
      if (state === "closing" || state === "closed") return;
      state = "closing";
      const runs = [...running.values()];
      for (const run of runs) run.execution.stop("the engine is shutting down");
      const settled = Promise.allSettled(runs.map((run) => run.done));
      const timeout = new AbortController();
      await Promise.race([settled, delay(shutdownGraceMs, timeout.signal).catch(() => undefined)]);
      timeout.abort();
      for (const run of runs) run.execution.abandon();
      await settled;
      state = "closed";
      await store.close();
    },
  };
  return engine;
}

function registerWorkflows(workflows: readonly AnyWorkflow[]): Map<string, WorkflowDefinition> {
  const registry = new Map<string, WorkflowDefinition>();
  for (const workflow of workflows) {
    const definition = (workflow as Partial<AnyWorkflow> | undefined)?.["~cairn"];
    if (!definition)
      throw new InvalidOptionError("workflows", "expected definitions made by workflow()");
    if (registry.has(definition.name) && registry.get(definition.name) !== definition) {
      throw new InvalidOptionError("workflows", `two workflows are named "${definition.name}"`);
    }
    registry.set(definition.name, definition);
  }
  return registry;
}

async function parseInput(definition: WorkflowDefinition, input: unknown): Promise<unknown> {
  if (!definition.inputSchema) return input;
  const parsed = await definition.inputSchema.safeParseAsync(input);
  if (!parsed.success) {
    throw new ValidationError(`input of workflow "${definition.name}"`, parsed.error.issues);
  }
  return parsed.data;
}
