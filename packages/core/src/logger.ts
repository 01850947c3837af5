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
}

const levels = ["debug", "info", "warn", "error"] as const;

/** A console logger that prints `minLevel` and above. Default `"warn"`. */
export function consoleLogger(minLevel: (typeof levels)[number] = "warn"): Logger {
  const min = levels.indexOf(minLevel);
  const at = (level: (typeof levels)[number]) => (message: string, fields?: LogFields) => {
    if (levels.indexOf(level) < min) return;
    const line = `[cairn] ${level}: ${message}`;
    if (fields) console[level](line, fields);
    else console[level](line);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that adds `fields` to every line and is silent while `muted()` is true. */
export function scopedLogger(base: Logger, fields: LogFields, muted: () => boolean): Logger {
  const at = (level: (typeof levels)[number]) => (message: string, extra?: LogFields) => {
    if (!muted()) base[level](message, extra ? { ...fields, ...extra } : fields);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
