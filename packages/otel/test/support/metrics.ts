/**
 * A meter provider read on demand: `collect()` returns every data point by metric name, so a
 * test asserts counts without an export interval or a timer.
 */
import type { Attributes } from "@opentelemetry/api";
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from "@opentelemetry/sdk-metrics";

class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One data point: its attributes, and its value (a sum, a gauge value, or a histogram count). */
export interface Point {
  readonly attributes: Attributes;
  readonly value: number;
}

/** A provider and a reader of what it recorded so far. */
export function memoryMetrics(): {
  provider: MeterProvider;
  collect: () => Promise<Map<string, Point[]>>;
} {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, "metric collection failed");
    const byName = new Map<string, Point[]>();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        const points = (metric.dataPoints as DataPoint<number | Histogram>[]).map((point) => ({
          attributes: point.attributes,
          value: typeof point.value === "number" ? point.value : point.value.count,
        }));
        byName.set(metric.descriptor.name, points);
      }
    }
    return byName;
  };
  return { provider, collect };
}

/** The value of the point of `name` whose attributes include `match`; 0 when there is none. */
export function valueOf(
  metrics: Map<string, Point[]>,
  name: string,
  match: Attributes = {},
): number {
  const point = (metrics.get(name) ?? []).find((p) =>
    Object.entries(match).every(([key, value]) => p.attributes[key] === value),
  );
  return point?.value ?? 0;
}
