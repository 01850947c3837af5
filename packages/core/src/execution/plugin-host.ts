/**
 * What an engine hands its plugins (`EnginePluginHost`): its identity, store and clock, input
 * validation as a start does it, a way to run the workflows a plugin assigned to it, and its
 * workflows' recovery limits with a way to report the dead letters a plugin's claim made.
 */
import type { EnginePluginHost } from "../plugin.js";
import type { EngineParts } from "./engine-parts.js";
import { reportDeadLettered } from "./recovery.js";

/** The host an engine's plugins get at `launch()`. */
export function createPluginHost(parts: EngineParts): EnginePluginHost {
  const { config, state, registry, observers, runs, starts, wakeups } = parts;
  return {
    clock: config.clock,
    workflowTimeoutMs: config.workflowTimeoutMs,
    executorId: config.executorId,
    appVersion: config.appVersion,
    store: config.store,
    logger: config.logger,
    serializer: config.serializer,
    isRunning: () => state.running,
    isRegistered: (name) => registry.get(name) !== undefined,
    prepareInput: (workflow, input) => starts.prepareInput(workflow, input),
    traceContext: () => observers.carrier(undefined),
    run: (records, options) => starts.run(records, options?.withoutSteps, options?.finish),
    maxRecoveryAttempts: () => registry.maxRecoveryAttempts(),
    reportDeadLettered: (records) => reportDeadLettered(observers, config.executorId, records),
    onRunEnded: (listener) => runs.onRunEnded(listener),
    onNotification: (listener) => wakeups.onNotification(listener),
    handle: (workflowId, workflow) =>
      parts.handle(
        workflowId,
        workflow === undefined ? undefined : registry.definitionOf(workflow),
      ),
  };
}
