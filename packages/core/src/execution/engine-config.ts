/**
 * An engine's options with their defaults applied and checked, once, before anything is built:
 * a bad option is an `InvalidOptionError` from `createEngine`, not a failure at `launch()`.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { systemClock, type Clock } from "../clock.js";
import type { EngineOptions } from "../engine-options.js";
import { toMs } from "../duration.js";
import { InvalidOptionError } from "../errors.js";
import { consoleLogger, type Logger } from "../logger.js";
import type { EngineObserver } from "../observer.js";
import type { EnginePlugin } from "../plugin.js";
import { createSerializer, type Serializer } from "../serialization.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { RetentionOptions } from "./background.js";
import { replayOnlyOf, type ReplayOnly } from "./replay-only.js";

/** {@link EngineOptions} resolved: every default filled in. */
export interface EngineConfig {
  readonly store: WorkflowStore;
  readonly workflows: readonly AnyWorkflow[];
  readonly executorId: string;
  readonly appVersion: string | undefined;
  readonly leaseMs: number;
  /** Takeovers claim only the room below this many runs; `undefined`: no bound. */
  readonly runCapacity: number | undefined;
  readonly retention: RetentionOptions | undefined;
  readonly plugins: readonly EnginePlugin[];
  readonly logger: Logger;
  readonly observers: readonly EngineObserver[];
  readonly shutdownGraceMs: number;
  readonly pollIntervalMs: number;
  /** A wait at least this long suspends its run (decision 0014); `undefined`: never. */
  readonly suspendAfterMs: number | undefined;
  /** The deadline of a workflow started without a timeout (ms after its start); `undefined`: none. */
  readonly workflowTimeoutMs: number | undefined;
  readonly clock: Clock;
  readonly serializer: Serializer;
  /** Set by `replayHistory` in `@cairn/core/testing` only. */
  readonly replayOnly: ReplayOnly | undefined;
}

/** Applies the defaults of `options` and checks them. @throws InvalidOptionError */
export function resolveEngineConfig(options: EngineOptions): EngineConfig {
  const executorId =
    options.executorId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  if (typeof executorId !== "string" || executorId === "") {
    throw new InvalidOptionError("executorId", "expected a non-empty string");
  }
  if (!(pollIntervalMs > 0)) {
    throw new InvalidOptionError("pollIntervalMs", "expected a positive number");
  }
  // A wait of a minute or more leaves memory by default (decision 0014).
  const suspendAfter = options.suspendAfterMs ?? 60_000;
  if (Number.isNaN(suspendAfter) || suspendAfter < 0) {
    throw new InvalidOptionError("suspendAfterMs", "expected a number of ms, 0 or more");
  }
  const suspendAfterMs = Number.isFinite(suspendAfter) ? suspendAfter : undefined; // never
  const workflowTimeoutMs =
    options.workflowTimeoutMs === undefined
      ? undefined
      : toMs(options.workflowTimeoutMs, "workflowTimeoutMs");
  if (workflowTimeoutMs === 0) {
    throw new InvalidOptionError("workflowTimeoutMs", "expected a duration above 0");
  }
  if (!(leaseMs > 0)) throw new InvalidOptionError("leaseMs", "expected a positive number");
  const { runCapacity } = options;
  if (runCapacity !== undefined && !(Number.isSafeInteger(runCapacity) && runCapacity > 0)) {
    throw new InvalidOptionError("runCapacity", "expected a positive integer");
  }
  return {
    store: options.store,
    workflows: options.workflows,
    executorId,
    appVersion: options.appVersion,
    leaseMs,
    runCapacity,
    retention: options.retention,
    plugins: options.plugins ?? [],
    logger: options.logger ?? consoleLogger(),
    observers: options.observers ?? [],
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    pollIntervalMs,
    suspendAfterMs,
    workflowTimeoutMs,
    clock: options.clock ?? systemClock,
    serializer: createSerializer(options.serialization),
    replayOnly: replayOnlyOf(options),
  };
}
