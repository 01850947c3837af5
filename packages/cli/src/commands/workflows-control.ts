/**
 * The commands that steer a workflow: cancel (with its children unless `--no-children`),
 * resume — one, or many by IDs or filter (workflows-bulk.ts) — fork from a step, and send a
 * message. Each checks the workflow exists first, so an
 * unknown ID exits with code 3, and reports what changed.
 */
import type { Client, Duration } from "@cairn/core";
import { usageError } from "../cli-error.js";
import { stringOption, type Command, type CommandContext } from "../command.js";
import { findWorkflow } from "./workflow-lookup.js";
import { bulkFilter, isBulk, printBulk, RESUME_FILTER_OPTIONS } from "./workflows-bulk.js";
import { FILTER_HELP, FILTER_OPTIONS } from "./workflows-list-filter.js";

const print = (ctx: CommandContext, json: Record<string, unknown>, text: string) =>
  ctx.out(ctx.json ? JSON.stringify(json, null, 2) : text);

const CANCEL = "workflows cancel";
const RESUME = "workflows resume";
const LIMIT_HELP = [
  "<n>",
  "with a filter: act on at most this many (default: every match)",
] as const;

export const workflowsCancel: Command = {
  words: ["workflows", "cancel"],
  summary: "Cancel workflows that are enqueued or running, and their children",
  usage: "workflows cancel <id>... | [filter options] [--no-children]",
  description:
    "A running step's AbortSignal fires; waits wake. A finished workflow is left as it is\n" +
    "(exit code 0, nothing cancelled). Several IDs, or the filter options of workflows list,\n" +
    "cancel many at once (without --status: the enqueued and running ones that match) and\n" +
    "list what was skipped and why.",
  options: { ...FILTER_OPTIONS, "no-children": { type: "boolean" }, limit: { type: "string" } },
  optionHelp: {
    ...FILTER_HELP,
    "no-children": ["", "leave their child workflows running"],
    limit: LIMIT_HELP,
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  examples: [
    "cairn workflows cancel order-7 order-8",
    `cairn workflows cancel --queue emails --attributes '{"tenant": "acme"}'`,
  ],
  async run(ctx) {
    const children = ctx.options["no-children"] !== true;
    if (isBulk(ctx, FILTER_OPTIONS)) {
      const filter = bulkFilter(ctx, CANCEL, FILTER_OPTIONS);
      const { client } = await ctx.connect();
      printBulk(ctx, "cancelled", await client.cancelMany(filter, { children }));
      return;
    }
    const workflowId = ctx.args[0] ?? "";
    const { client } = await ctx.connect();
    const before = await findWorkflow(client, workflowId);
    const cancelled = await client.cancel(workflowId, { children });
    const text =
      cancelled.length === 0
        ? `nothing cancelled: ${workflowId} is ${ctx.style.status(before.status)}`
        : `cancelled ${cancelled.length} workflow${cancelled.length === 1 ? "" : "s"}: ${cancelled.join(", ")}`;
    print(ctx, { workflowId, cancelled }, text);
  },
};

export const workflowsResume: Command = {
  words: ["workflows", "resume"],
  summary: "Resume cancelled, failed or dead-lettered workflows from their last completed step",
  usage: "workflows resume <id>... | [filter options] [--executor <id>]",
  description:
    "Any live engine that registers the workflow picks it up (or the one named). Several IDs,\n" +
    "or the filter options of workflows list, resume many at once (without --status: the\n" +
    "cancelled, failed and dead-lettered ones that match) and list what was skipped and why.",
  options: { ...RESUME_FILTER_OPTIONS, executor: { type: "string" }, limit: { type: "string" } },
  optionHelp: {
    ...(({ executor: _executor, ...rest }) => rest)(FILTER_HELP),
    executor: ["<id>", "the executor that must run them"],
    limit: LIMIT_HELP,
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  examples: ["cairn workflows resume --status ERROR --name sendEmail --completed-since 2h"],
  async run(ctx) {
    const executorId = stringOption(ctx.options, "executor");
    if (isBulk(ctx, RESUME_FILTER_OPTIONS)) {
      const filter = bulkFilter(ctx, RESUME, RESUME_FILTER_OPTIONS);
      const { client } = await ctx.connect();
      const result = await client.resumeMany(
        filter,
        executorId === undefined ? {} : { executorId },
      );
      printBulk(ctx, "resumed", result);
      return;
    }
    const workflowId = ctx.args[0] ?? "";
    const { client } = await ctx.connect();
    const before = await findWorkflow(client, workflowId);
    const handle = await client.resume(workflowId, executorId === undefined ? {} : { executorId });
    const after = await handle.status();
    const resumed = before.status !== after.status;
    const text = resumed
      ? `resumed ${workflowId}: ${ctx.style.status(before.status)} -> ${ctx.style.status(after.status)}`
      : `nothing to resume: ${workflowId} is ${ctx.style.status(before.status)}`;
    print(ctx, { workflowId, resumed, status: after.status }, text);
  },
};

export const workflowsFork: Command = {
  words: ["workflows", "fork"],
  summary: "Start a copy of a workflow that re-runs from a step position",
  usage: "workflows fork <id> --from-step <n> [--id <new-id>] [--executor <id> | --queue <name>]",
  description:
    "The copy keeps what was recorded before position <n> (see cairn workflows steps):\n" +
    "checkpoints, stream entries and event values; it runs the rest again. It prints the new\n" +
    "workflow's ID. With --queue it waits in that queue for the engines that serve it.",
  options: {
    "from-step": { type: "string" },
    id: { type: "string" },
    executor: { type: "string" },
    "app-version": { type: "string" },
    timeout: { type: "string" },
    queue: { type: "string" },
    priority: { type: "string" },
    "partition-key": { type: "string" },
  },
  optionHelp: {
    "from-step": ["<n>", "the first position to run again (0: from the start)"],
    id: ["<new-id>", "the fork's workflow ID (default: a random UUID)"],
    executor: ["<id>", "the executor that must run it"],
    "app-version": ["<version>", "the application version that must run it (default: any)"],
    timeout: ["<duration>", "cancel it if not finished this long after it starts (30s, 5m, 2h)"],
    queue: ["<name>", "put it on this queue instead of running it at once"],
    priority: ["<n>", "with --queue: its priority there (lower runs first)"],
    "partition-key": ["<key>", "with --queue: its partition on a partitioned queue"],
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const workflowId = ctx.args[0] ?? "";
    const fromText = stringOption(ctx.options, "from-step");
    const fromStep = Number(fromText);
    if (fromText === undefined || !/^\d+$/.test(fromText)) {
      throw usageError("--from-step <n> is required: an integer position >= 0", "workflows fork");
    }
    const { client } = await ctx.connect();
    await findWorkflow(client, workflowId);
    const handle = await client.fork(workflowId, { fromStep, ...forkOptions(ctx) });
    print(
      ctx,
      { workflowId: handle.workflowId, forkedFrom: workflowId, fromStep },
      ctx.json ? "" : `forked ${workflowId} from step ${fromStep}: ${handle.workflowId}`,
    );
  },
};

/** The options of `workflows fork` besides the position, as `client.fork` takes them. */
function forkOptions(ctx: CommandContext): Omit<Parameters<Client["fork"]>[1], "fromStep"> {
  const text = (name: string) => stringOption(ctx.options, name);
  const [id, executorId, appVersion, timeout, queue, priority, partitionKey] = [
    "id",
    "executor",
    "app-version",
    "timeout",
    "queue",
    "priority",
    "partition-key",
  ].map(text);
  if (priority !== undefined && !/^-?\d+$/.test(priority)) {
    throw usageError("--priority must be an integer", "workflows fork");
  }
  if (timeout !== undefined && !/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(timeout)) {
    throw usageError(
      `--timeout "${timeout}" is not a duration such as 30s, 5m or 2h`,
      "workflows fork",
    );
  }
  return {
    ...(id === undefined ? {} : { id }),
    ...(executorId === undefined ? {} : { executorId }),
    ...(appVersion === undefined ? {} : { appVersion }),
    ...(timeout === undefined ? {} : { timeoutMs: timeout as Duration }),
    ...(queue === undefined ? {} : { queue }),
    ...(priority === undefined ? {} : { priority: Number(priority) }),
    ...(partitionKey === undefined ? {} : { partitionKey }),
  };
}

export const workflowsSend: Command = {
  words: ["workflows", "send"],
  summary: "Send a workflow a message on a topic (the message is JSON)",
  usage: "workflows send <id> <topic> <json> [--idempotency-key <key>]",
  description: "The workflow receives it with ctx.recv(<topic>).",
  options: { "idempotency-key": { type: "string" } },
  optionHelp: {
    "idempotency-key": ["<key>", "sending again with the same key delivers the message once"],
  },
  positionals: { min: 3, max: 3 },
  examples: [`cairn workflows send approval-7 decision '{"approved": true}'`],
  async run(ctx) {
    const [workflowId = "", topic = "", text = ""] = ctx.args;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      throw usageError(
        `the message is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        "workflows send",
      );
    }
    const { client } = await ctx.connect();
    const key = stringOption(ctx.options, "idempotency-key");
    await client.send(workflowId, topic, message, key === undefined ? {} : { idempotencyKey: key });
    print(ctx, { workflowId, topic, sent: true }, `sent to ${workflowId} on "${topic}"`);
  },
};
