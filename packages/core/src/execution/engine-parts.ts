/**
 * What one engine is made of, built once by `createEngine` from its resolved options: the
 * registry of workflows, the wake-ups and observers, the set of runs, the start path, recovery
 * and pickup, the background loops, and the outside operations it shares with the client. Each
 * part takes the others it needs explicitly; nothing here runs until `launch()`.
 */
import type { WorkflowHandle } from "../handle.js";
import type { WorkflowDefinition } from "../workflow.js";
import { Background } from "./background.js";
import { CreatedBatches, DEFAULT_BULK_IN_FLIGHT } from "./created-batches.js";
import type { EngineConfig } from "./engine-config.js";
import { childEnqueueWrite } from "./enqueue-child.js";
import { EngineState } from "./engine-state.js";
import type { RunHost } from "./run-host.js";
import { Observers } from "./observers.js";
import { createOperator, type Operator } from "./operator.js";
import { OutageMonitor } from "./outage.js";
import { Pickup } from "./pickup.js";
import { receiverChannels } from "./receiver-channels.js";
import { Recovery, type ClaimedPage } from "./recovery.js";
import { Registry } from "./registry.js";
import { RunSet } from "./run-set.js";
import { StartPath } from "./start-path.js";
import { Suspensions } from "./suspensions.js";
import { Wakeups } from "./wakeups.js";

/** The parts of one engine. */
export interface EngineParts {
  readonly config: EngineConfig;
  readonly state: EngineState;
  /** Aborted when shutdown begins: outside waits end. */
  readonly closing: AbortController;
  readonly registry: Registry;
  readonly observers: Observers;
  readonly wakeups: Wakeups;
  readonly operator: Operator;
  readonly runs: RunSet;
  readonly starts: StartPath;
  readonly recovery: Recovery;
  readonly suspensions: Suspensions;
  readonly background: Background;
  /** A handle on a workflow, typed and validating when given its definition. */
  readonly handle: (workflowId: string, definition?: WorkflowDefinition) => WorkflowHandle<unknown>;
}

/** Builds the parts of an engine; nothing starts yet. */
export function assembleEngine(config: EngineConfig): EngineParts {
  const { store, executorId, appVersion, logger, clock, pollIntervalMs } = config;
  const state = new EngineState();
  const isRunning = () => state.running;
  const closing = new AbortController();
  const registry = new Registry(config.workflows, config.serializer);
  const receivers = receiverChannels(registry);
  const observers = new Observers(config.observers, logger);
  const outage = new OutageMonitor(executorId, (event) => observers.emit(event));
  const wakeups = new Wakeups(store, logger, pollIntervalMs, clock);

  const operator = createOperator({
    store,
    serializer: config.serializer,
    clock,
    wakeups,
    receivers,
    closeSignal: closing.signal,
    assertOpen: (operation) => state.assertRunning(operation),
    assertAnswering: () => state.assertNotClosing("result"),
    onCancelled: (ids) => runs.cancel(ids),
    resumeOwner: executorId,
    onResumed: (records) =>
      starts.run(records.filter((r) => r.status === "PENDING" && r.executorId === executorId)),
    localRun: (id) => runs.get(id)?.done,
  });
  const handle = (workflowId: string, definition?: WorkflowDefinition) =>
    operator.handle(workflowId, definition?.channels);

  const host: RunHost = {
    store,
    serializer: config.serializer,
    receivers,
    logger,
    replayOnly: config.replayOnly,
    clock,
    wakeups,
    executorId,
    appVersion,
    observers,
    outage,
    suspendAfterMs: config.suspendAfterMs,
    startChild: (child) => starts.startChild(child),
    enqueueChild: (queue, options) => childEnqueueWrite(config.plugins, queue, options),
    serializeInput: (definition, input) =>
      registry.serializeInput(registry.definitionOf(definition), input),
    handle,
  };
  const runs = new RunSet({
    host,
    store,
    logger,
    wakeups,
    registry,
    pollIntervalMs,
    isRunning,
    onSuspended: (wakeAt) => {
      if (wakeAt !== undefined) suspensions.suspended(wakeAt);
    },
  });
  const batches = new CreatedBatches({
    runs,
    store,
    logger,
    executorId,
    limit: config.runCapacity ?? DEFAULT_BULK_IN_FLIGHT,
    isRunning,
    claimWaiting: (ids, unclaimed): Promise<ClaimedPage> => recovery.claimWaiting(ids, unclaimed),
    giveBack: (records) => void recovery.giveBack(records),
  });
  const suspensions = new Suspensions({
    store,
    runs,
    clock,
    logger,
    executorId,
    wakeups,
    isRunning,
  });
  const starts = new StartPath({
    store,
    registry,
    runs,
    batches,
    state,
    clock,
    observers,
    executorId,
    appVersion,
    workflowTimeoutMs: config.workflowTimeoutMs,
  });
  const recovery = new Recovery({
    runs,
    batches,
    store,
    registry,
    logger,
    observers,
    executorId,
    appVersion,
    runCapacity: config.runCapacity,
    afterClaim: () => void suspensions.wakeDue(),
    isRunning,
  });
  const pickup = new Pickup({
    runs,
    batches,
    recovery,
    suspensions,
    store,
    wakeups,
    logger,
    executorId,
    workflowNames: () => registry.names,
    isRunning,
  });
  const background = new Background({
    store,
    recovery,
    pickup,
    logger,
    outage,
    executorId,
    appVersion,
    workflowNames: () => registry.names,
    leaseMs: config.leaseMs,
    pollIntervalMs,
    retention: config.retention,
  });
  return {
    config,
    state,
    closing,
    registry,
    observers,
    wakeups,
    operator,
    runs,
    starts,
    recovery,
    suspensions,
    background,
    handle,
  };
}
