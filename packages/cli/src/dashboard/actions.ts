/**
 * The dashboard's mutations — cancel, resume, fork — each through core's client, exactly as
 * the CLI and application code do them. They run only after `checkMutation` let the request
 * through (token, same origin, JSON).
 */
import { WorkflowNotFoundError } from "@cairn/core";
import { HttpError } from "./http.js";
import type { DashboardSources } from "./sources.js";

async function assertExists({ client }: DashboardSources, workflowId: string) {
  const [found] = await client.listWorkflows({ workflowIds: [workflowId], limit: 1 });
  if (!found) throw new WorkflowNotFoundError(workflowId);
  return found;
}

/** `POST /api/workflows/:id/cancel` */
export async function cancel(sources: DashboardSources, workflowId: string) {
  await assertExists(sources, workflowId);
  return { cancelled: await sources.client.cancel(workflowId, { children: true }) };
}

/** `POST /api/workflows/:id/resume` */
export async function resume(sources: DashboardSources, workflowId: string) {
  const before = await assertExists(sources, workflowId);
  const after = await (await sources.client.resume(workflowId)).status();
  return { resumed: before.status !== after.status, status: after.status };
}

/** `POST /api/workflows/:id/fork` with `{ fromStep }` */
export async function fork(
  sources: DashboardSources,
  workflowId: string,
  body: Record<string, unknown>,
) {
  const fromStep = body["fromStep"];
  if (typeof fromStep !== "number" || !Number.isInteger(fromStep) || fromStep < 0) {
    throw new HttpError(400, "fromStep must be an integer >= 0");
  }
  await assertExists(sources, workflowId);
  const handle = await sources.client.fork(workflowId, { fromStep });
  return { workflowId: handle.workflowId };
}
