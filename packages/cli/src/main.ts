/**
 * The `cairn` command line: finds the command named by the leading words, parses its options
 * with `util.parseArgs` (strict: an unknown option is a usage error), opens the database when
 * the command asks, runs it, and turns any failure into one line on stderr and an exit code.
 */
import { parseArgs } from "node:util";
import { CliError, EXIT, toCliError, usageError } from "./cli-error.js";
import {
  GLOBAL_OPTIONS,
  stringOption,
  type Command,
  type CommandContext,
  type OptionValues,
  type OptionsConfig,
} from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { openConnection, type Connection } from "./connection.js";
import { commandHelp, mainHelp } from "./help.js";
import { createStyle, shouldColor } from "./output/style.js";

/** Where the command line reads and writes; `process` in the binary. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

export const VERSION = "0.1.0";

/** Runs `cairn <argv>`; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  try {
    const found = findCommand(argv);
    if (!found) return topLevel(argv, out);
    return await runCommand(found.command, found.rest, io, out, err);
  } catch (error) {
    const failure = toCliError(error);
    err(`cairn: ${failure.message}`);
    if (process.env["CAIRN_DEBUG"] && error instanceof Error) err(error.stack ?? "");
    return failure.exitCode;
  }
}

function topLevel(argv: readonly string[], out: (text: string) => void): number {
  if (argv.includes("--version") || argv.includes("-v")) {
    out(VERSION);
    return EXIT.ok;
  }
  const words = argv.filter((a) => !a.startsWith("-"));
  if (words.length === 0 || words[0] === "help") {
    out(mainHelp(COMMANDS, VERSION));
    return EXIT.ok;
  }
  throw usageError(`unknown command "${words.join(" ")}"`);
}

/** Options that take a value, across every command: their values are not command words. */
const VALUE_OPTIONS = new Set(
  [GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options ?? {})].flatMap((options: OptionsConfig) =>
    Object.entries(options)
      .filter(([, config]) => config.type === "string")
      .flatMap(([name, config]) => [`--${name}`, ...(config.short ? [`-${config.short}`] : [])]),
  ),
);

/** The command whose words lead the non-option arguments, and the arguments without them. */
function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  const wordIndexes: number[] = [];
  for (let i = 0; i < argv.length && wordIndexes.length < 2; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    wordIndexes.push(i);
  }
  const words = wordIndexes.map((i) => argv[i]);
  const command =
    COMMANDS.find(
      (c) => c.words.length === 2 && c.words[0] === words[0] && c.words[1] === words[1],
    ) ?? COMMANDS.find((c) => c.words.length === 1 && c.words[0] === words[0]);
  if (!command) {
    if (words[0] !== undefined && COMMANDS.some((c) => c.words[0] === words[0])) {
      throw usageError(
        words[1] === undefined
          ? `"${words[0]}" needs a subcommand`
          : `unknown command "${words.join(" ")}"`,
        words[0],
      );
    }
    return undefined;
  }
  const used = new Set(wordIndexes.slice(0, command.words.length));
  return { command, rest: argv.filter((_, i) => !used.has(i)) };
}

async function runCommand(
  command: Command,
  rest: string[],
  io: CliIo,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const name = command.words.join(" ");
  const { values, positionals } = parse(command, rest);
  if (values["help"] === true) {
    out(commandHelp(command));
    return EXIT.ok;
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (positionals.length < min) throw usageError(`missing argument: cairn ${command.usage}`, name);
  if (positionals.length > max) {
    throw usageError(`unexpected argument "${positionals[max]}"`, name);
  }
  const connections: Connection[] = [];
  const json = values["json"] === true;
  const ctx: CommandContext = {
    args: positionals,
    options: values,
    json,
    style: createStyle(!json && shouldColor(io.stdout, values["no-color"] === true)),
    out,
    err,
    signal: io.signal,
    now: () => Date.now(),
    async connect(options = {}) {
      const connection = await openConnection(
        {
          url: stringOption(values, "url"),
          pglite: stringOption(values, "pglite"),
          schema: stringOption(values, "schema"),
        },
        options.requireSchema ?? true,
      );
      connections.push(connection);
      return connection;
    },
  };
  try {
    return (await command.run(ctx)) ?? EXIT.ok;
  } finally {
    await Promise.all(connections.map((c) => c.close().catch(() => {})));
  }
}

function parse(command: Command, args: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as OptionValues, positionals };
  } catch (error) {
    // Node appends a hint about "--" to unknown options; the option's name is what matters.
    const text = error instanceof Error ? error.message : String(error);
    const message = text.split("\n")[0]?.split(". To specify")[0];
    throw usageError(message ?? "bad arguments", command.words.join(" "));
  }
}

export { CliError };
