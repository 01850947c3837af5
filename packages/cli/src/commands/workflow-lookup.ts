/**
 * Finding one workflow by ID for the commands that take `<id>`: its decoded record, or the
 * not-found failure (exit code 3) naming the ID.
 */
import { WorkflowNotFoundError, type Client, type WorkflowInfo } from "@cairn/core";

/** The workflow with `workflowId`, decoded; throws `WorkflowNotFoundError` when absent. */
export async function findWorkflow(client: Client, workflowId: string): Promise<WorkflowInfo> {
  const [found] = await client.listWorkflows({ workflowIds: [workflowId], limit: 1 });
  if (!found) throw new WorkflowNotFoundError(workflowId);
  return found;
}
