/**
 * `cairn workflows show <id>` and `cairn workflows steps <id>`: one workflow in full — status,
 * timings, input, output or error, children — and its step timeline with durations and attempts.
 */
import type { StepInfo, WorkflowInfo } from "@cairn/core";
import type { Command, CommandContext } from "../command.js";
import { renderTable } from "../output/table.js";
import { formatDuration, formatRelative, formatTimestamp } from "../output/time.js";
import { inspectValue } from "../output/values.js";
import { renderTimeline } from "./timeline.js";
import { findWorkflow } from "./workflow-lookup.js";
import { stepJson, workflowJson, workflowStatusJson } from "./workflow-json.js";

export const workflowsShow: Command = {
  words: ["workflows", "show"],
  summary: "Show a workflow: status, input, output or error, timings, children and steps",
  usage: "workflows show <id>",
  positionals: { min: 1, max: 1 },
  examples: ["cairn workflows show order-42", "cairn workflows show order-42 --json | jq .steps"],
  async run(ctx) {
    const workflowId = ctx.args[0] ?? "";
    const { client } = await ctx.connect();
    const workflow = await findWorkflow(client, workflowId);
    const [steps, children] = await Promise.all([
      client.listSteps(workflowId),
      client.listWorkflows({ parentWorkflowId: workflowId, limit: 1_000 }),
    ]);
    if (ctx.json) {
      ctx.out(
        JSON.stringify(
          {
            ...workflowJson(workflow),
            children: children.map(workflowStatusJson),
            steps: steps.map(stepJson),
          },
          null,
          2,
        ),
      );
      return;
    }
    ctx.out(renderWorkflow(ctx, workflow, children, steps));
  },
};

export const workflowsSteps: Command = {
  words: ["workflows", "steps"],
  summary: "Show a workflow's step timeline: durations, attempts, outputs and errors",
  usage: "workflows steps <id>",
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const workflowId = ctx.args[0] ?? "";
    const { client } = await ctx.connect();
    const workflow = await findWorkflow(client, workflowId);
    const steps = await client.listSteps(workflowId);
    if (ctx.json) {
      ctx.out(JSON.stringify(steps.map(stepJson), null, 2));
      return;
    }
    ctx.out(renderTimeline(steps, workflow.createdAt.getTime(), ctx.style));
  },
};

const FINAL = new Set(["SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"]);

function renderWorkflow(
  ctx: CommandContext,
  w: WorkflowInfo,
  children: readonly WorkflowInfo[],
  steps: readonly StepInfo[],
): string {
  const { style } = ctx;
  const now = ctx.now();
  const finished = FINAL.has(w.status);
  const started = (w.startedAt ?? w.createdAt).getTime();
  const ran = (finished ? (w.completedAt ?? w.updatedAt).getTime() : now) - started;
  const fields: [string, string][] = [
    ["Workflow", style.bold(w.workflowId)],
    ["Name", w.name],
    ["Status", style.status(w.status)],
    ["Executor", w.executorId],
    ["Created", `${formatTimestamp(w.createdAt)} (${formatRelative(w.createdAt, now)})`],
    [
      finished ? "Finished" : "Updated",
      `${formatTimestamp(w.updatedAt)} (${formatRelative(w.updatedAt, now)})`,
    ],
    [finished ? "Took" : "Running for", w.status === "ENQUEUED" ? "-" : formatDuration(ran)],
  ];
  if (w.queueName) fields.push(["Queue", queueLine(w)]);
  if (w.attributes) fields.push(["Attributes", JSON.stringify(w.attributes)]);
  if (w.parentWorkflowId) fields.push(["Parent", w.parentWorkflowId]);
  if (w.forkedFrom) fields.push(["Forked from", w.forkedFrom]);
  if (w.appVersion) fields.push(["App version", w.appVersion]);
  if (w.deadlineAt)
    fields.push([
      "Deadline",
      `${formatTimestamp(w.deadlineAt)} (${formatRelative(w.deadlineAt, now)})`,
    ]);
  if (w.recoveryAttempts > 0) fields.push(["Recoveries", String(w.recoveryAttempts)]);
  const width = Math.max(...fields.map(([label]) => label.length));
  const sections = [
    fields.map(([label, value]) => `${style.dim(label.padEnd(width))}  ${value}`).join("\n"),
  ];
  sections.push(`${style.bold("Input")}\n${indent(inspectValue(w.input, style.enabled))}`);
  if (w.status === "SUCCESS")
    sections.push(`${style.bold("Output")}\n${indent(inspectValue(w.output, style.enabled))}`);
  if (w.error !== undefined)
    sections.push(
      `${style.bold(style.red("Error"))}\n${indent(inspectValue(w.error, style.enabled))}`,
    );
  if (children.length > 0) {
    const rows = children.map((c) => [
      c.workflowId,
      c.name,
      style.status(c.status),
      formatRelative(c.createdAt, now),
    ]);
    sections.push(
      `${style.bold(`Children (${children.length})`)}\n${indent(
        renderTable(
          [{ header: "ID" }, { header: "NAME" }, { header: "STATUS" }, { header: "CREATED" }],
          rows,
          style,
          "",
        ),
      )}`,
    );
  }
  sections.push(
    `${style.bold(`Steps (${steps.length})`)}\n${indent(renderTimeline(steps, w.createdAt.getTime(), style))}`,
  );
  return sections.join("\n\n");
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");

/** The queue, its priority and partition, and how long the workflow waited in it. */
function queueLine(w: WorkflowInfo): string {
  const parts = [w.queueName ?? ""];
  if (w.priority !== undefined && w.priority !== 0) parts.push(`priority ${w.priority}`);
  if (w.partitionKey !== undefined) parts.push(`partition ${w.partitionKey}`);
  if (w.dedupId !== undefined) parts.push(`dedup ${w.dedupId}`);
  if (w.startedAt)
    parts.push(`waited ${formatDuration(w.startedAt.getTime() - w.createdAt.getTime())}`);
  return parts.join(", ");
}
