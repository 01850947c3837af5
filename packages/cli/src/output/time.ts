/**
 * Times for humans: "3m ago", "in 2h", durations like "1.2s" or "3h 05m", and the reverse —
 * reading `--since 2h` or an ISO date from the command line.
 */

const UNITS: readonly [string, number][] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/** A duration in ms as one or two units: `850ms`, `1.2s`, `4m 10s`, `3h 05m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(ms)}ms`;
  if (abs < 60_000) return `${(ms / 1_000).toFixed(abs < 10_000 ? 1 : 0)}s`;
  const index = UNITS.findIndex((u) => abs >= u[1]);
  const big = UNITS[index];
  const small = UNITS[index + 1];
  if (!big || !small) return `${Math.round(ms)}ms`;
  const whole = Math.floor(abs / big[1]);
  const rest = Math.floor((abs - whole * big[1]) / small[1]);
  const restText = small[0] === "d" || rest >= 10 ? `${rest}` : `0${rest}`;
  return `${ms < 0 ? "-" : ""}${whole}${big[0]} ${restText}${small[0]}`;
}

/** `when` relative to `now`: `12s ago`, `3m ago`, `in 5m`, `just now`. */
export function formatRelative(when: Date | number, now: number): string {
  const diff = now - (typeof when === "number" ? when : when.getTime());
  if (Math.abs(diff) < 1_000) return "just now";
  const unit = UNITS.find(([, size]) => Math.abs(diff) >= size) ?? UNITS[UNITS.length - 1];
  if (!unit) return "just now";
  const count = Math.floor(Math.abs(diff) / unit[1]);
  return diff > 0 ? `${count}${unit[0]} ago` : `in ${count}${unit[0]}`;
}

/** A timestamp as ISO 8601 in UTC, to the millisecond. */
export const formatTimestamp = (when: Date | number): string => new Date(when).toISOString();

const AGO = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Reads a point in time from the command line: a duration ago (`90s`, `15m`, `2h`, `7d`) or a
 * date the JavaScript `Date` parser accepts (`2026-11-29`, `2026-11-29T20:00:00Z`).
 * Returns `undefined` for text that is neither.
 */
export function parseMoment(text: string, now: number): number | undefined {
  const ago = AGO.exec(text.trim());
  if (ago?.[1] !== undefined && ago[2] !== undefined) {
    return now - Number(ago[1]) * (UNIT_MS[ago[2]] ?? 0);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : date;
}
