/** Reading `EXPLAIN (ANALYZE, FORMAT JSON)` plans in tests that check what a statement reads. */

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
