/**
 * The dashboard's read API, one function per page: the workflow list (filters, search, a page
 * at a time), one workflow with everything about it (steps, children as a tree, messages,
 * events, streams), a stream's values, queues and executors. Responses use the same JSON shapes
 * as the CLI's `--json`.
 */
import type { ListWorkflowsFilter, WorkflowInfo, WorkflowStatus } from "@cairn/core";
import { WorkflowNotFoundError } from "@cairn/core";
import { executorState } from "../commands/executors.js";
import { stepJson, workflowJson, workflowStatusJson } from "../commands/workflow-json.js";
import { toJsonValue } from "../output/values.js";
import { describeLimits, loadQueueOverview } from "../queue-overview.js";
import { HttpError } from "./http.js";
import type { DashboardSources } from "./sources.js";

const STATUSES = new Set(["ENQUEUED", "PENDING", "SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"]);
const PAGE = 50;
const TREE_DEPTH = 4;
const TREE_NODES = 200;

/** `GET /api/workflows?status=&name=&queue=&executor=&topLevel=1&search=&offset=` */
export async function listWorkflows(sources: DashboardSources, params: URLSearchParams) {
  const statuses = params
    .getAll("status")
    .flatMap((s) => s.split(","))
    .filter(Boolean);
  const bad = statuses.find((s) => !STATUSES.has(s));
  if (bad) throw new HttpError(400, `unknown status "${bad}"`);
  const offset = Number(params.get("offset") ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, "bad offset");
  const text = (name: string) => params.get(name)?.trim() ?? "";
  const search = text("search");
  const filter: ListWorkflowsFilter = {
    order: "desc",
    limit: PAGE + 1,
    offset,
    loadInput: false, // the list shows status fields only
    loadOutput: false,
    ...(params.get("topLevel") === "1" ? { topLevel: true } : {}),
    ...(statuses.length ? { status: statuses as WorkflowStatus[] } : {}),
    ...(text("name") ? { name: text("name") } : {}),
    ...(text("queue") ? { queue: text("queue") } : {}),
    ...(text("executor") ? { executorId: text("executor") } : {}),
    ...(search
      ? { workflowIds: await sources.inspector.searchWorkflowIds(search, { limit: 500 }) }
      : {}),
  };
  const rows = await sources.client.listWorkflows(filter);
  return {
    workflows: rows.slice(0, PAGE).map(workflowStatusJson),
    nextOffset: rows.length > PAGE ? offset + PAGE : null,
  };
}

/** `GET /api/workflows/:id` */
export async function showWorkflow(sources: DashboardSources, workflowId: string) {
  const { client, inspector } = sources;
  const [workflow] = await client.listWorkflows({ workflowIds: [workflowId], limit: 1 });
  if (!workflow) throw new WorkflowNotFoundError(workflowId);
  const [steps, children, messages, events, streams] = await Promise.all([
    client.listSteps(workflowId),
    childTree(sources, workflowId),
    inspector.listMessages(workflowId),
    inspector.listEvents(workflowId),
    inspector.listStreams(workflowId),
  ]);
  return {
    workflow: workflowJson(workflow),
    steps: steps.map(stepJson),
    children,
    messages: messages.map((m) => ({
      messageId: m.messageId,
      topic: m.topic,
      message: toJsonValue(m.message),
      sentAt: m.sentAt.toISOString(),
      consumedAt: m.consumedAt?.toISOString() ?? null,
    })),
    events: events.map((e) => ({
      key: e.key,
      value: toJsonValue(e.value),
      updatedAt: e.updatedAt.toISOString(),
    })),
    streams,
  };
}

interface TreeNode extends Record<string, unknown> {
  children: TreeNode[];
}

/** The workflow's descendants, breadth first, at most 4 levels and 200 workflows. */
async function childTree({ client }: DashboardSources, rootId: string): Promise<TreeNode[]> {
  const roots: TreeNode[] = [];
  let level: { id: string; into: TreeNode[] }[] = [{ id: rootId, into: roots }];
  let count = 0;
  for (let depth = 0; depth < TREE_DEPTH && level.length > 0 && count < TREE_NODES; depth++) {
    const next: typeof level = [];
    for (const { id, into } of level) {
      const kids: WorkflowInfo[] = await client.listWorkflows({
        parentWorkflowId: id,
        limit: TREE_NODES,
      });
      for (const kid of kids.slice(0, TREE_NODES - count)) {
        const node: TreeNode = { ...workflowStatusJson(kid), children: [] };
        into.push(node);
        next.push({ id: kid.workflowId, into: node.children });
        count++;
      }
    }
    level = next;
  }
  return roots;
}

/** `GET /api/workflows/:id/streams/:key` — up to 500 values from `offset`. */
export async function streamValues(
  { store, client }: DashboardSources,
  workflowId: string,
  key: string,
  params: URLSearchParams,
) {
  const offset = Number(params.get("offset") ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, "bad offset");
  const [exists] = await client.listWorkflows({ workflowIds: [workflowId], limit: 1 });
  if (!exists) throw new WorkflowNotFoundError(workflowId);
  const entries = await store.readStream(workflowId, key, offset, 500);
  return {
    values: entries
      .filter((e) => !e.closed)
      .map((e) => ({
        offset: e.offset,
        value: toJsonValue(
          e.value === undefined ? undefined : client.serializer.deserialize(e.value),
        ),
      })),
    closed: entries.some((e) => e.closed),
  };
}

/** `GET /api/queues` */
export async function listQueues({ inspector, queues }: DashboardSources) {
  const windowMs = 5 * 60_000;
  const rows = await loadQueueOverview(inspector, queues, windowMs);
  return {
    windowMs,
    queues: rows.map((q) => ({ ...q, limitsText: describeLimits(q.limits) })),
  };
}

/** `GET /api/executors` */
export async function listExecutors({ store, inspector }: DashboardSources) {
  const [list, load, now] = await Promise.all([
    store.listExecutors(),
    inspector.executorLoad(),
    inspector.now(),
  ]);
  return {
    now,
    executors: list.map((e) => ({
      executorId: e.executorId,
      state: executorState(e),
      appVersion: e.appVersion ?? null,
      heartbeatAt: new Date(e.heartbeatAt).toISOString(),
      heartbeatAgeMs: now - e.heartbeatAt,
      leaseMs: e.leaseMs,
      running: load.get(e.executorId) ?? 0,
    })),
  };
}
