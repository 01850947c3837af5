/** Shared helpers for the engine tests: a recording logger and a gate a step can wait on. */
import type { Logger, LogFields } from "../src/index.js";

export interface LogLine {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: keyof Logger) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A promise a test opens by hand: lets a step block until the test says go. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** A promise that never settles: a step stuck when the "process" dies. */
export const forever = (): Promise<never> => new Promise<never>(() => undefined);
