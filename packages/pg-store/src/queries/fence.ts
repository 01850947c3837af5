/**
 * The fence check that every fenced write embeds in its own statement, so a write by an executor
 * that lost its workflow changes nothing and costs no extra round trip. First-write-wins writes
 * check it against the statement's snapshot, like the checkpoint insert (see `queries/steps.ts`
 * for why no row lock); last-write-wins ones lock the workflow row.
 */
import type { Fence } from "@cairn/core";

/**
 * CTEs ending in `owned(ok)`, one row: true when no fence is given (`executorParam` is null) or
 * the workflow `workflowIdParam` is still owned by that executor at epoch `epochParam`. With
 * `lock`, the workflow row is share-locked until commit, so a takeover cannot commit between the
 * check and the write: for last-write-wins writes (events), where a late write would overwrite.
 */
export function ownedCte(
  workflows: string,
  workflowIdParam: string,
  executorParam: string,
  epochParam: string,
  { lock = false }: { readonly lock?: boolean } = {},
): string {
  return `owner as (
        select 1 from ${workflows} w
        where w.workflow_id = ${workflowIdParam}::text
          and w.executor_id = ${executorParam}::text and w.owner_epoch = ${epochParam}::int
        ${lock ? "for share" : ""}
      ),
      owned as (
        select ${executorParam}::text is null or exists (select 1 from owner) as ok
      )`;
}

/** The fence as two statement parameters: executor ID and epoch, or nulls for none. */
export const fenceParams = (fence: Fence | undefined): [string | null, number | null] => [
  fence?.executorId ?? null,
  fence?.epoch ?? null,
];

/** The fences of a batch as two array parameters: executor IDs and epochs, nulls for none. */
export const fenceColumns = (
  fences: readonly (Fence | undefined)[],
): [(string | null)[], (number | null)[]] => [
  fences.map((fence) => fence?.executorId ?? null),
  fences.map((fence) => fence?.epoch ?? null),
];
