/**
 * `cairn workflows attributes <id> <json>`: sets a workflow's attributes (the JSON object runs
 * are found by with `workflows list --attributes`), replacing them or, with `--merge`, setting
 * the given top-level keys and keeping the others. Also `parseAttributes`, the JSON object an
 * option or argument gives, shared with `workflows list`.
 */
import type { WorkflowAttributes } from "@cairn/core";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";

/** The attributes object `text` holds; a usage error (naming `what`) unless it is JSON. */
export function parseAttributes(text: string, what: string, command: string): WorkflowAttributes {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw usageError(`${what} is not valid JSON: ${reason}`, command);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw usageError(`${what} must be a JSON object, like '{"tenant":"acme"}'`, command);
  }
  return value as WorkflowAttributes;
}

export const workflowsAttributes: Command = {
  words: ["workflows", "attributes"],
  summary: "Set a workflow's attributes (a JSON object to find it by)",
  usage: "workflows attributes <id> <json> [--merge]",
  description:
    "Replaces the workflow's attributes with the JSON object, or with --merge sets its keys\n" +
    "and keeps the others. Find workflows by them with `workflows list --attributes`.",
  options: { merge: { type: "boolean" } },
  optionHelp: { merge: ["", "set these keys, keep the others"] },
  positionals: { min: 2, max: 2 },
  examples: [`cairn workflows attributes order-7 '{"escalated": true}' --merge`],
  async run(ctx) {
    const [workflowId = "", text = ""] = ctx.args;
    const attributes = parseAttributes(text, "the attributes", "workflows attributes");
    const { client } = await ctx.connect();
    const merge = ctx.options["merge"] === true;
    const now = await client.setAttributes(workflowId, attributes, { merge });
    ctx.out(
      ctx.json
        ? JSON.stringify({ workflowId, attributes: now }, null, 2)
        : `attributes of ${workflowId}: ${JSON.stringify(now)}`,
    );
  },
};
