/**
 * Reading what a workflow publishes: `cairn workflows events <id>` (every event's current
 * value, and the messages sent to it) and `cairn workflows stream <id> <key>` (the stream's
 * values, one per line; with `--follow`, new ones as they are written until the stream closes
 * or the workflow finishes).
 */
import { usageError } from "../cli-error.js";
import type { Command, CommandContext } from "../command.js";
import type { Connection } from "../connection.js";
import { renderTable } from "../output/table.js";
import { formatRelative } from "../output/time.js";
import { inspectValue, summarize, toJsonValue } from "../output/values.js";
import { findWorkflow } from "./workflow-lookup.js";

export const workflowsEvents: Command = {
  words: ["workflows", "events"],
  summary: "Show a workflow's events (current values) and the messages sent to it",
  usage: "workflows events <id>",
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const workflowId = ctx.args[0] ?? "";
    const { client, inspector } = await ctx.connect();
    await findWorkflow(client, workflowId);
    const [events, messages] = await Promise.all([
      inspector.listEvents(workflowId),
      inspector.listMessages(workflowId),
    ]);
    if (ctx.json) {
      ctx.out(
        JSON.stringify(
          {
            events: events.map((e) => ({
              key: e.key,
              value: toJsonValue(e.value),
              updatedAt: e.updatedAt.toISOString(),
            })),
            messages: messages.map((m) => ({
              messageId: m.messageId,
              topic: m.topic,
              message: toJsonValue(m.message),
              sentAt: m.sentAt.toISOString(),
              consumedAt: m.consumedAt?.toISOString() ?? null,
            })),
          },
          null,
          2,
        ),
      );
      return;
    }
    const now = ctx.now();
    const { style } = ctx;
    ctx.out(style.bold(`Events (${events.length})`));
    ctx.out(
      renderTable(
        [{ header: "KEY" }, { header: "UPDATED" }, { header: "VALUE" }],
        events.map((e) => [e.key, formatRelative(e.updatedAt, now), summarize(e.value, 80)]),
        style,
        "no events",
      ),
    );
    ctx.out("");
    ctx.out(style.bold(`Messages (${messages.length})`));
    ctx.out(
      renderTable(
        [{ header: "TOPIC" }, { header: "SENT" }, { header: "STATE" }, { header: "MESSAGE" }],
        messages.map((m) => [
          m.topic,
          formatRelative(m.sentAt, now),
          m.consumedAt ? "received" : style.yellow("waiting"),
          summarize(m.message, 80),
        ]),
        style,
        "no messages",
      ),
    );
  },
};

const PAGE = 500;

export const workflowsStream: Command = {
  words: ["workflows", "stream"],
  summary: "Print the values of a workflow's stream, one per line",
  usage: "workflows stream <id> <key> [--follow]",
  description:
    "Without --follow, prints what the stream holds now. With --follow, keeps printing new\n" +
    "values until the stream is closed or the workflow finishes (Ctrl-C stops earlier).\n" +
    "With --json, each value is one line of JSON (NDJSON).",
  options: { follow: { type: "boolean", short: "f" }, offset: { type: "string" } },
  optionHelp: {
    follow: ["", "wait for new values"],
    offset: ["<n>", "skip the first <n> values"],
  },
  positionals: { min: 2, max: 2 },
  async run(ctx) {
    const [workflowId = "", key = ""] = ctx.args;
    const offsetText = ctx.options["offset"];
    const offset = typeof offsetText === "string" ? Number(offsetText) : 0;
    if (!Number.isInteger(offset) || offset < 0) {
      throw usageError("--offset must be an integer >= 0", "workflows stream");
    }
    const connection = await ctx.connect();
    await findWorkflow(connection.client, workflowId);
    const print = (value: unknown) =>
      ctx.out(
        ctx.json ? JSON.stringify(toJsonValue(value)) : inspectValue(value, ctx.style.enabled),
      );
    if (ctx.options["follow"] === true)
      await follow(ctx, connection, workflowId, key, offset, print);
    else await printCurrent(connection, workflowId, key, offset, print);
  },
};

async function printCurrent(
  { store, client }: Connection,
  workflowId: string,
  key: string,
  from: number,
  print: (value: unknown) => void,
): Promise<void> {
  for (let offset = from; ; offset += PAGE) {
    const entries = await store.readStream(workflowId, key, offset, PAGE);
    for (const entry of entries) {
      if (entry.closed) return;
      print(entry.value === undefined ? undefined : client.serializer.deserialize(entry.value));
    }
    if (entries.length < PAGE) return;
  }
}

async function follow(
  ctx: CommandContext,
  { client }: Connection,
  workflowId: string,
  key: string,
  offset: number,
  print: (value: unknown) => void,
): Promise<void> {
  const values = client.readStream(workflowId, key, { offset });
  const stopped = new Promise<"stopped">((resolve) => {
    if (ctx.signal.aborted) resolve("stopped");
    ctx.signal.addEventListener("abort", () => resolve("stopped"), { once: true });
  });
  for (;;) {
    const next = values.next();
    next.catch(() => {}); // after Ctrl-C the pending read fails when the client closes
    const result = await Promise.race([next, stopped]);
    if (result === "stopped" || result.done === true) return;
    print(result.value);
  }
}
