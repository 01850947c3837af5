/**
 * The logger Cairn reports through. Pass your own (pino, winston... anything with these four
 * methods) to `createEngine({ logger })`; the default writes `warn` and `error` to the console.
 */

/** Structured context attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Four levels, each taking a message and optional structured fields. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * Optional: false when lines of `level` would be dropped. Cairn then does not build them (a
   * lifecycle line per workflow event is measurable work at thousands of workflows a second).
   * Without it, every line is built and handed over.
   */
  enabled?(level: LogLevel): boolean;
}

const levels = ["debug", "info", "warn", "error"] as const;

/** A level of {@link Logger}. */
export type LogLevel = (typeof levels)[number];

/** Whether `logger` wants lines of `level` (true unless it says otherwise). */
export function logsAt(logger: Logger, level: LogLevel): boolean {
  return logger.enabled?.(level) ?? true;
}

/** A console logger that prints `minLevel` and above. Default `"warn"`. */
export function consoleLogger(minLevel: LogLevel = "warn"): Logger {
  const min = levels.indexOf(minLevel);
  const enabled = (level: LogLevel) => levels.indexOf(level) >= min;
  const at = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (!enabled(level)) return;
    const line = `[cairn] ${level}: ${message}`;
    if (fields) console[level](line, fields);
    else console[level](line);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), enabled };
}

/**
 * A logger that adds `fields` to every line and is silent while `muted()` is true. Its methods
 * are closures, not prototype methods: it is the workflow's `ctx.log`, and `const { info } =
 * ctx.log` or `items.forEach(ctx.log.info)` must keep working. (A class instance saves a few
 * hundred bytes per run in flight; not worth breaking that.)
 */
export function scopedLogger(base: Logger, fields: LogFields, muted: () => boolean): Logger {
  const at = (level: LogLevel) => (message: string, extra?: LogFields) => {
    if (!muted()) base[level](message, extra ? { ...fields, ...extra } : fields);
  };
  const enabled = (level: LogLevel) => !muted() && logsAt(base, level);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), enabled };
}
