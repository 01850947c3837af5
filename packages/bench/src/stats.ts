/** Percentiles and rates for the bench's samples. Milliseconds in, milliseconds out. */

export interface Distribution {
  readonly median: number;
  readonly p99: number;
  readonly mean: number;
}

/** Nearest-rank percentile of `sorted` (ascending), `p` in [0, 1]. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Median, p99 and mean of `samples`, each divided by `divisor` (e.g. steps per workflow). */
export function distribution(samples: readonly number[], divisor = 1): Distribution {
  const sorted = samples.map((x) => x / divisor).sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    median: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    mean: round(sum / sorted.length),
  };
}

/** Rounds to 3 significant decimals, enough for figures that vary ±40% run to run. */
export function round(x: number): number {
  return Number(x.toFixed(x >= 100 ? 0 : 3));
}

/** Items per second for `count` items done in `ms`. */
export function perSecond(count: number, ms: number): number {
  return Math.round((count * 1000) / ms);
}
