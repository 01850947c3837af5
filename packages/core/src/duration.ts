/**
 * Durations at the public surface: a number of milliseconds, or a string such as `"250ms"`,
 * `"10s"`, `"5m"`, `"2h"`, `"1d"`. Converted once, at the edge, to milliseconds.
 */
import { InvalidOptionError } from "./errors.js";

/** Milliseconds, or a string like `"10s"`, `"5m"`, `"1.5h"`. */
export type Duration = number | `${number}${DurationUnit}`;

type DurationUnit = "ms" | "s" | "m" | "h" | "d";

const unitMs: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Converts a duration to milliseconds.
 * @throws InvalidOptionError naming `option` when the value is negative, not finite or malformed.
 */
export function toMs(duration: Duration, option: string): number {
  const ms = typeof duration === "number" ? duration : parseDuration(duration, option);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidOptionError(
      option,
      `expected a finite, non-negative duration, got ${String(duration)}`,
    );
  }
  return ms;
}

function parseDuration(text: string, option: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) {
    throw new InvalidOptionError(
      option,
      `expected a duration like "500ms", "10s", "5m", got "${text}"`,
    );
  }
  return Number(match[1]) * unitMs[match[2] as DurationUnit];
}
