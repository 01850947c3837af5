/** Reading `EXPLAIN (ANALYZE, FORMAT JSON)` plans in tests that check what a statement reads. */
import type postgres from "postgres";

/** A plan node, with the fields the tests look at. */
export type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
};

/** Every node of a plan that reads `relation`. */
export function nodesOn(node: PlanNode, relation: string): PlanNode[] {
  const children = (node.Plans ?? []).flatMap((child) => nodesOn(child, relation));
  return node["Relation Name"] === relation ? [node, ...children] : children;
}

/** Rows the plan read from `relation` (returned and filtered out), over all loops. */
export function rowsReadFrom(node: PlanNode, relation: string): number {
  return nodesOn(node, relation).reduce(
    (sum, n) =>
      sum +
      ((n["Actual Rows"] ?? 0) + (n["Rows Removed by Filter"] ?? 0)) * (n["Actual Loops"] ?? 1),
    0,
  );
}

/** Thrown to roll back the transaction an explained statement ran in. */
class RolledBack extends Error {}

let prepared = 0;

/**
 * The plan of `statement` prepared and run with `args` (SQL literals, comma-separated) under
 * `mode` (`plan_cache_mode`: the custom plans, or the generic one a prepared statement may settle
 * on), by EXPLAIN ANALYZE in a transaction rolled back after: what the statement wrote is undone.
 */
export async function explainPrepared(
  sql: postgres.Sql,
  statement: string,
  args: string,
  mode: "force_custom_plan" | "force_generic_plan",
): Promise<PlanNode> {
  const name = `explained_${++prepared}`; // a prepared statement outlives a rollback
  let plan: PlanNode | undefined;
  await sql
    .begin(async (tx) => {
      await tx.unsafe(`set local plan_cache_mode = ${mode}`);
      await tx.unsafe(`prepare ${name} as ${statement}`);
      const [row] = await tx.unsafe(`explain (analyze, format json) execute ${name}(${args})`);
      plan = (row?.["QUERY PLAN"] as [{ Plan: PlanNode }])[0].Plan;
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  if (!plan) throw new Error(`EXPLAIN returned no plan for ${name}`);
  return plan;
}
