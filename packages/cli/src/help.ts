/**
 * The `--help` texts: the list of commands for `cairn --help`, and for each command its usage,
 * description, options (its own, then the global ones) and examples.
 */
import { GLOBAL_HELP, type Command } from "./command.js";

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");

function optionLines(help: Readonly<Record<string, readonly [string, string]>>): string[] {
  const entries = Object.entries(help).map(([name, [value, text]]) => [
    `--${name}${value ? ` ${value}` : ""}`,
    text,
  ]);
  const width = Math.max(...entries.map(([flag]) => flag?.length ?? 0));
  return entries.map(([flag = "", text = ""]) => `${flag.padEnd(width)}  ${text}`);
}

/** The help of one command. */
export function commandHelp(command: Command): string {
  const parts = [`Usage: cairn ${command.usage}`, "", command.summary];
  if (command.description) parts.push("", command.description);
  if (command.optionHelp && Object.keys(command.optionHelp).length > 0) {
    parts.push("", "Options:", indent(optionLines(command.optionHelp).join("\n")));
  }
  parts.push("", "Connection and output:", indent(optionLines(GLOBAL_HELP).join("\n")));
  if (command.examples?.length) parts.push("", "Examples:", indent(command.examples.join("\n")));
  return parts.join("\n");
}

/** The help of `cairn` itself: every command with its summary. */
export function mainHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.words.join(" ").length));
  const list = commands.map((c) => `${c.words.join(" ").padEnd(width)}  ${c.summary}`);
  return [
    `cairn ${version}: inspect and steer Cairn workflows, queues and executors.`,
    "",
    "Usage: cairn <command> [options]",
    "",
    "Commands:",
    indent(list.join("\n")),
    "",
    "Connection and output (every command):",
    indent(optionLines(GLOBAL_HELP).join("\n")),
    "",
    "Exit codes: 0 ok, 1 failed, 2 bad usage, 3 workflow not found, 4 database unreachable,",
    "5 schema missing or behind (run cairn migrate).",
    "",
    "Run cairn <command> --help for a command's options.",
  ].join("\n");
}
