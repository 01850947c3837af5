/**
 * The next time a parsed cron expression fires, in an IANA time zone, using only
 * `Intl.DateTimeFormat` (no time zone database of our own). Fields match the wall-clock time in
 * that zone. Around daylight-saving changes: a wall time that does not exist (the skipped hour in
 * spring) does not fire; a wall time that happens twice (the repeated hour in autumn) fires once,
 * at its first occurrence.
 */
import { CronExpressionInvalidError } from "../errors.js";
import type { CronFields } from "./parse-cron.js";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far ahead to look: the rarest expression (29 February on a given weekday) fits. */
const SEARCH_DAYS = 366 * 28;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter for `timeZone`; throws CronExpressionInvalidError for an unknown zone. */
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
      });
    } catch {
      throw new CronExpressionInvalidError(timeZone, `unknown time zone "${timeZone}"`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws CronExpressionInvalidError unless `timeZone` is a zone this runtime knows. */
export function checkTimeZone(timeZone: string): void {
  formatterOf(timeZone);
}

/** The wall-clock time of `instant` in `timeZone`, as if it were UTC (whole minutes). */
function wallAsUtc(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute);
}

/** The earliest instant whose wall-clock time in `timeZone` is `wall`; undefined in a gap. */
function instantOf(wall: number, timeZone: string): number | undefined {
  // The zone's offset just before and just after; DST changes are never within 12 h of another.
  const offsets = new Set([
    wallAsUtc(wall - DAY_MS / 2, timeZone) - (wall - DAY_MS / 2),
    wallAsUtc(wall + DAY_MS / 2, timeZone) - (wall + DAY_MS / 2),
  ]);
  const instants = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallAsUtc(instant, timeZone) === wall);
  return instants.length === 0 ? undefined : Math.min(...instants);
}

function dayMatches(fields: CronFields, day: Date): boolean {
  if (!fields.months.includes(day.getUTCMonth() + 1)) return false;
  const domOk = fields.daysOfMonth.includes(day.getUTCDate());
  const dowOk = fields.daysOfWeek.includes(day.getUTCDay());
  if (fields.anyDayOfMonth) return dowOk;
  if (fields.anyDayOfWeek) return domOk;
  return domOk || dowOk; // both restricted: either one (classic cron)
}

/**
 * The first time strictly after `after` (epoch ms) at which `fields` fire in `timeZone`
 * (default UTC), as epoch ms on a whole minute.
 * @throws CronExpressionInvalidError when it never fires (e.g. `0 0 31 2 *`).
 */
export function nextTick(fields: CronFields, after: number, timeZone = "UTC"): number {
  const startWall = wallAsUtc(after, timeZone);
  const firstDay = Math.floor(startWall / DAY_MS) * DAY_MS;
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const dayStart = firstDay + i * DAY_MS;
    if (!dayMatches(fields, new Date(dayStart))) continue;
    for (const hour of fields.hours) {
      for (const minute of fields.minutes) {
        const wall = dayStart + hour * 3_600_000 + minute * MINUTE_MS;
        if (wall < startWall) continue;
        const instant = instantOf(wall, timeZone);
        if (instant !== undefined && instant > after) return instant;
      }
    }
  }
  throw new CronExpressionInvalidError(fields.source, "it never fires");
}
