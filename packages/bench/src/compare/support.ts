/**
 * Which figures each system cannot produce, and why: the table prints the reason as "n/a
 * (reason)", and the parent skips a phase none of whose figures a system has.
 */
import type { SystemName } from "./protocol.js";
import type { FigureKey } from "./table.js";

const NO_WORKFLOWS = "no workflows";
const NO_BULK = "no bulk enqueue";

export const UNSUPPORTED: Readonly<Record<SystemName, Partial<Record<FigureKey, string>>>> = {
  cairn: {},
  dbos: {
    bulkEnqueuePerSecond: NO_BULK,
    bulkNodeCpuUs: NO_BULK,
    bulkServerCpuUs: NO_BULK,
    statementsPerBulkItem: NO_BULK,
  },
  "pg-boss": {
    msPerStep: NO_WORKFLOWS,
    workflowsPerSecond: NO_WORKFLOWS,
    recoverySeconds: NO_WORKFLOWS,
    statementsPerStep: NO_WORKFLOWS,
    statementsPerWorkflow: NO_WORKFLOWS,
    statementsPerRecoveredWorkflow: NO_WORKFLOWS,
  },
};
