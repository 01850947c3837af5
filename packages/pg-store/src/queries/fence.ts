/**
 * The fence check that every fenced write embeds in its own statement, so a write by an executor
 * that lost its workflow changes nothing and costs no extra round trip. It is checked against the
 * statement's snapshot, like the checkpoint insert (see `queries/steps.ts` for why no row lock).
 */

/**
 * A CTE `owned(ok)` of one row: true when no fence is given (`executorParam` is null) or the
 * workflow `workflowIdParam` is still owned by that executor at epoch `epochParam`.
 */
export function ownedCte(
  workflows: string,
  workflowIdParam: string,
  executorParam: string,
  epochParam: string,
): string {
  return `owned as (
        select ${executorParam}::text is null or exists (
          select 1 from ${workflows} w
          where w.workflow_id = ${workflowIdParam}::text
            and w.executor_id = ${executorParam}::text and w.owner_epoch = ${epochParam}::int
        ) as ok
      )`;
}

/** The fence as two statement parameters: executor ID and epoch, or nulls for none. */
export const fenceParams = (
  fence: { readonly executorId: string; readonly epoch: number } | undefined,
): [string | null, number | null] => [fence?.executorId ?? null, fence?.epoch ?? null];
