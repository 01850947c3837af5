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

/** A logger that adds `fields` to every line and is silent while `muted()` is true. */
export function scopedLogger(base: Logger, fields: LogFields, muted: () => boolean): Logger {
  return new ScopedLogger(base, fields, muted);
}

/** One per workflow run: its methods live on the prototype, not in five closures per run. */
class ScopedLogger implements Logger {
  private readonly base: Logger;
  private readonly fields: LogFields;
  private readonly muted: () => boolean;

  constructor(base: Logger, fields: LogFields, muted: () => boolean) {
    this.base = base;
    this.fields = fields;
    this.muted = muted;
  }

  debug(message: string, extra?: LogFields): void {
    this.at("debug", message, extra);
  }
  info(message: string, extra?: LogFields): void {
    this.at("info", message, extra);
  }
  warn(message: string, extra?: LogFields): void {
    this.at("warn", message, extra);
  }
  error(message: string, extra?: LogFields): void {
    this.at("error", message, extra);
  }
  enabled(level: LogLevel): boolean {
    return !this.muted() && logsAt(this.base, level);
  }

  private at(level: LogLevel, message: string, extra: LogFields | undefined): void {
    if (!this.muted())
      this.base[level](message, extra ? { ...this.fields, ...extra } : this.fields);
  }
}
