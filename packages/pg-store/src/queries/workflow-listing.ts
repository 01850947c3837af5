/**
 * The `listWorkflows` statement, built per filter: the columns (input and outcome left out when
 * the filter says so, so they are neither read nor sent), a `where` clause from the filter with
 * every value bound, the order (creation time, then ID in byte order, as
 * `workflows_created_idx` holds them) and keyset or offset paging. One statement; it only reads.
 */
import type { WorkflowFilter } from "@cairn/core";
import { WORKFLOW_COLUMNS } from "../rows.js";

/** The text and parameters of one listing. */
export interface ListingStatement {
  readonly text: string;
  readonly params: unknown[];
}

/** Builds the listing of `table` (the quoted workflows table) for `filter`. */
export function listingStatement(table: string, filter: WorkflowFilter): ListingStatement {
  const params: unknown[] = [];
  const bind = (value: unknown): string => `$${params.push(value)}`;
  const where = conditions(filter, bind);
  const direction = filter.order === "desc" ? "desc" : "asc";
  if (filter.after !== undefined) {
    const { createdAt, workflowId } = filter.after;
    where.push(
      `(created_at, workflow_id collate "C") ${direction === "asc" ? ">" : "<"} ` +
        `(${bind(createdAt)}::bigint, ${bind(workflowId)}::text collate "C")`,
    );
  }
  const text = `select ${listedColumns(filter)} from ${table}
    ${where.length > 0 ? `where ${where.join(" and ")}` : ""}
    order by created_at ${direction}, workflow_id collate "C" ${direction}
    limit ${bind(filter.limit ?? 100)}::bigint offset ${bind(filter.offset ?? 0)}::bigint`;
  return { text, params };
}

/** `WORKFLOW_COLUMNS`, with nulls in place of the values the filter leaves out. */
function listedColumns(filter: WorkflowFilter): string {
  const omitted = new Set([
    ...(filter.loadInput === false ? ["input"] : []),
    ...(filter.loadOutput === false ? ["output", "error"] : []),
  ]);
  return WORKFLOW_COLUMNS.split(", ")
    .map((column) => (omitted.has(column) ? `null::text as ${column}` : column))
    .join(", ");
}

/** The `where` conditions of `filter`, each value bound through `bind`. */
function conditions(filter: WorkflowFilter, bind: (value: unknown) => string): string[] {
  const where: string[] = [];
  const anyOf = (column: string, value: string | readonly string[] | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = any(${bind(typeof value === "string" ? [value] : value)}::text[])`);
  };
  const equals = (column: string, value: string | undefined) => {
    if (value !== undefined) where.push(`${column} = ${bind(value)}`);
  };
  const range = (column: string, from: number | undefined, until: number | undefined) => {
    if (from !== undefined) where.push(`${column} >= ${bind(from)}::bigint`);
    if (until !== undefined) where.push(`${column} < ${bind(until)}::bigint`);
  };
  anyOf("status", filter.status);
  anyOf("name", filter.name);
  anyOf("workflow_id", filter.workflowIds);
  equals("executor_id", filter.executorId);
  equals("parent_workflow_id", filter.parentWorkflowId);
  equals("forked_from", filter.forkedFrom);
  equals("app_version", filter.appVersion);
  equals("queue_name", filter.queueName);
  if (filter.topLevel !== undefined) {
    where.push(`parent_workflow_id is ${filter.topLevel ? "" : "not "}null`);
  }
  if (filter.workflowIdPrefix !== undefined) {
    where.push(`starts_with(workflow_id, ${bind(filter.workflowIdPrefix)})`);
  }
  if (filter.attributes !== undefined) {
    where.push(`attributes @> ${bind(JSON.stringify(filter.attributes))}::text::jsonb`);
  }
  range("created_at", filter.createdAfter, filter.createdBefore);
  range("started_at", filter.startedAfter, filter.startedBefore);
  range("completed_at", filter.completedAfter, filter.completedBefore);
  return where;
}
