/**
 * Parses a five-field cron expression (minute, hour, day of month, month, day of week) into the
 * sets of values each field allows. Supports `*`, single values, ranges `a-b`, steps `*\/n`,
 * `a-b/n` and `a/n`, comma lists, month and weekday names (`JAN`, `MON`), 7 as Sunday, and the
 * macros `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`; `?` reads as `*`. No seconds
 * field, no `L`, `W` or `#`. Computing the next time lives in `next-tick.ts`.
 */
import { CronExpressionInvalidError } from "../errors.js";

/** A parsed cron expression: the allowed values of each field, sorted. */
export interface CronFields {
  readonly source: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday ... 6 = Saturday. */
  readonly daysOfWeek: readonly number[];
  /** Whether the day-of-month / day-of-week field was `*` (cron ORs the two when both are set). */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: "day of month", min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: "month",
  min: 1,
  max: 12,
  names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
};
const DAY_OF_WEEK: FieldSpec = {
  name: "day of week",
  min: 0,
  max: 7,
  names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * Parses `expression`.
 * @throws CronExpressionInvalidError naming the field and the problem.
 */
export function parseCron(expression: string): CronFields {
  const text = expression.trim();
  const expanded = MACROS[text.toLowerCase()] ?? text;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronExpressionInvalidError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  }
  const [minute = "", hour = "", dom = "", month = "", dow = ""] = parts;
  const field = (part: string, spec: FieldSpec) => parseField(expression, part, spec);
  const daysOfWeek = [...new Set(field(dow, DAY_OF_WEEK).map((d) => d % 7))].sort((a, b) => a - b);
  return {
    source: expression,
    minutes: field(minute, MINUTE),
    hours: field(hour, HOUR),
    daysOfMonth: field(dom, DAY_OF_MONTH),
    months: field(month, MONTH),
    daysOfWeek,
    anyDayOfMonth: dom === "*" || dom === "?",
    anyDayOfWeek: dow === "*" || dow === "?",
  };
}

function parseField(expression: string, part: string, spec: FieldSpec): number[] {
  const values = new Set<number>();
  for (const item of part.split(",")) {
    for (const value of parseItem(expression, item, spec)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** One comma-separated item: `*`, `n`, `a-b`, with an optional `/step`. */
function parseItem(expression: string, item: string, spec: FieldSpec): number[] {
  const fail = (problem: string): never => {
    throw new CronExpressionInvalidError(expression, `${spec.name} field "${item}": ${problem}`);
  };
  const [range = "", stepText, extra] = item.split("/");
  if (extra !== undefined) fail("more than one '/'");
  const step = stepText === undefined ? 1 : parseNumber(stepText, fail);
  if (step < 1) fail("the step must be at least 1");
  let from: number;
  let to: number;
  if (range === "*" || range === "?") {
    [from, to] = [spec.min, spec.max];
  } else if (range.includes("-")) {
    const [a = "", b = "", more] = range.split("-");
    if (more !== undefined) fail("more than one '-'");
    [from, to] = [parseValue(a, spec, fail), parseValue(b, spec, fail)];
    if (from > to) fail(`the range runs backwards (${from} > ${to})`);
  } else {
    from = parseValue(range, spec, fail);
    to = stepText === undefined ? from : spec.max; // `a/n` means a, a+n, ... up to the maximum
  }
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

function parseValue(text: string, spec: FieldSpec, fail: (problem: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + (spec === MONTH ? 1 : 0) : parseNumber(text, fail);
  if (value < spec.min || value > spec.max) {
    fail(`${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseNumber(text: string, fail: (problem: string) => never): number {
  if (!/^\d+$/.test(text)) fail(`"${text}" is not a number`);
  return Number(text);
}
