/**
 * `cairn migrate`: brings the schema up to the migrations this version of Cairn embeds (the same
 * advisory-locked migrations an engine runs at launch), or with `--check` only reports, exiting
 * 5 when the schema is missing or behind — the step a deploy pipeline runs before rolling out.
 */
import type { SchemaStatus } from "@cairn/pg-store/inspect";
import { EXIT } from "../cli-error.js";
import type { Command, CommandContext } from "../command.js";

export const migrate: Command = {
  words: ["migrate"],
  summary: "Create or upgrade the schema; --check only reports (exit 5 when behind)",
  usage: "migrate [--check]",
  description:
    "Safe to run from many processes at once: migrations take an advisory lock. A schema\n" +
    "migrated by a newer Cairn is left alone. In a deploy pipeline, run `cairn migrate`\n" +
    "before rolling out, or `cairn migrate --check` to fail the deploy when it was not run.",
  options: { check: { type: "boolean" } },
  optionHelp: { check: ["", "change nothing; exit 5 if the schema is missing or behind"] },
  examples: ["DATABASE_URL=postgres://... cairn migrate", "cairn migrate --check --json"],
  async run(ctx) {
    const { store, inspector, target } = await ctx.connect({ requireSchema: false });
    const before = await inspector.schemaStatus();
    if (ctx.options["check"] === true) {
      report(ctx, before, target, before);
      return before.state === "missing" || before.state === "behind" ? EXIT.schema : EXIT.ok;
    }
    if (before.state === "missing" || before.state === "behind") await store.migrate();
    report(ctx, await inspector.schemaStatus(), target, before);
    return EXIT.ok;
  },
};

function report(ctx: CommandContext, status: SchemaStatus, target: string, before: SchemaStatus) {
  const checking = ctx.options["check"] === true;
  if (ctx.json) {
    ctx.out(
      JSON.stringify(
        {
          schema: status.schema,
          state: status.state,
          appliedVersion: status.appliedVersion,
          latestVersion: status.latestVersion,
          pending: status.pending,
          ...(checking ? {} : { migratedFrom: before.appliedVersion }),
        },
        null,
        2,
      ),
    );
    return;
  }
  const where = `schema "${status.schema}" at ${target}`;
  const { style } = ctx;
  const lines: Record<SchemaStatus["state"], string> = {
    missing: `${where} does not exist: ${style.yellow("run cairn migrate")}`,
    behind:
      `${where} is at version ${status.appliedVersion}, this cairn has ${status.latestVersion}: ` +
      `${style.yellow(`${status.pending.length} pending`)} (${status.pending.map((m) => `${m.version} ${m.name}`).join(", ")})`,
    current:
      !checking && before.appliedVersion !== status.appliedVersion
        ? `${where} ${style.green("migrated")} from version ${before.appliedVersion} to ${status.appliedVersion}`
        : `${where} is ${style.green("up to date")} (version ${status.appliedVersion})`,
    ahead:
      `${where} is at version ${status.appliedVersion}, newer than this cairn ` +
      `(${status.latestVersion}): ${style.yellow("left alone")}`,
  };
  ctx.out(lines[status.state]);
}
