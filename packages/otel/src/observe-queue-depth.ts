/**
 * Queue depth as an OpenTelemetry gauge: on each metrics collection, reads every listed queue's
 * counts from the store (one query per queue) and reports its enqueued and running workflows.
 * Takes queues structurally, so this package does not depend on `@cairn/queue`.
 */
import { metrics as globalMetrics, type MeterProvider } from "@opentelemetry/api";
import type { Engine } from "@cairn/core";
import { QUEUE_NAME, WORKFLOW_STATUS } from "./attributes.js";
import { INSTRUMENTATION_SCOPE, VERSION } from "./version.js";

/** What the gauge reads of a queue: `defineQueue(...)` from `@cairn/queue` fits. */
export interface CountableQueue {
  readonly name: string;
  counts(engine: Engine): Promise<{
    readonly ENQUEUED: number;
    readonly PENDING: number;
    readonly delayed: number;
  }>;
}

/** Options of {@link observeQueueDepth}. */
export interface QueueDepthOptions {
  /** Where the gauge goes. Default: the global meter provider. */
  readonly meterProvider?: MeterProvider;
}

/**
 * Reports `cairn.queue.depth` for `queues`: workflows `ENQUEUED` (claimable now), `delayed`
 * (enqueued, not claimable yet) and `PENDING` (running), per queue. Returns a function that
 * stops reporting. A queue whose counts cannot be read is skipped for that collection.
 *
 * @example
 * const stop = observeQueueDepth(engine, [emails, reports]);
 */
export function observeQueueDepth(
  engine: Engine,
  queues: readonly CountableQueue[],
  options: QueueDepthOptions = {},
): () => void {
  const meter = (options.meterProvider ?? globalMetrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_SCOPE,
    VERSION,
  );
  const gauge = meter.createObservableGauge("cairn.queue.depth", {
    description: "Workflows waiting in (ENQUEUED, delayed) and running from (PENDING) a queue",
    unit: "{workflow}",
  });
  const callback = async (result: {
    observe(value: number, attributes: Record<string, string>): void;
  }) => {
    await Promise.all(
      queues.map(async (queue) => {
        const counts = await queue.counts(engine).catch(() => undefined);
        if (!counts) return;
        const at = (status: string) => ({ [QUEUE_NAME]: queue.name, [WORKFLOW_STATUS]: status });
        result.observe(counts.ENQUEUED - counts.delayed, at("ENQUEUED"));
        result.observe(counts.delayed, at("delayed"));
        result.observe(counts.PENDING, at("PENDING"));
      }),
    );
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}
