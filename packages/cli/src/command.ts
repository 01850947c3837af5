/**
 * The shape every `cairn` command has: its words (`workflows list`), its help text, its own
 * options in `util.parseArgs` form, how many positional arguments it takes, and `run`. Commands
 * receive a `CommandContext` and never touch `process` themselves, so tests and the dashboard
 * could drive them, and output, colour and exit codes stay in one place.
 */
import type { ParseArgsConfig } from "node:util";
import type { Connection } from "./connection.js";
import type { Style } from "./output/style.js";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a running command may use. */
export interface CommandContext {
  /** Positional arguments after the command's words. */
  readonly args: readonly string[];
  /** Parsed options: the command's own and the global ones. */
  readonly options: OptionValues;
  /** `--json` was given: print JSON on stdout, nothing else. */
  readonly json: boolean;
  readonly style: Style;
  /** Writes a line (or lines) to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  err(text: string): void;
  /** Opens the database named by the global options; closed by the caller after `run`. */
  connect(options?: { readonly requireSchema?: boolean }): Promise<Connection>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (`--follow`, `dashboard`) stop on it. */
  readonly signal: AbortSignal;
  now(): number;
}

/** One command. */
export interface Command {
  /** Its words, e.g. `["workflows", "list"]`. */
  readonly words: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line after `cairn `, e.g. `workflows show <id>`. */
  readonly usage: string;
  /** Paragraphs after the usage line. */
  readonly description?: string;
  readonly options?: OptionsConfig;
  /** Help text per option name: `[valueName, text]`. */
  readonly optionHelp?: Readonly<Record<string, readonly [string, string]>>;
  /** Positional arguments: at least `min`, at most `max`. */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Examples shown in its help. */
  readonly examples?: readonly string[];
  /** Resolves to the exit code (default 0). */
  run(ctx: CommandContext): Promise<number | void>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  url: { type: "string" },
  schema: { type: "string" },
  pglite: { type: "string" },
  json: { type: "boolean" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionsConfig;

export const GLOBAL_HELP: Readonly<Record<string, readonly [string, string]>> = {
  url: ["<url>", "Postgres URL (default: $DATABASE_URL)"],
  schema: ["<name>", "schema holding Cairn's tables (default: cairn)"],
  pglite: ["<dir>", "use the PGlite data directory <dir> instead of Postgres"],
  json: ["", "print JSON for scripts instead of tables"],
  "no-color": ["", "no colour, even on a terminal (NO_COLOR=1 does the same)"],
  help: ["", "show help for the command"],
};

/** A string option's value, or `undefined`. */
export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value.map(String).at(-1);
  return typeof value === "string" ? value : undefined;
}

/** Every value of a repeatable string option, also comma-separated ones. */
export function listOption(options: OptionValues, name: string): string[] {
  const value = options[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .flatMap((v) => String(v).split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}
