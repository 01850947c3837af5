/**
 * The crash worker's transaction workflows. `crash.tx` reserves in a transaction on the store's
 * own database, then pays in a step; `crash.txApp` does the same with its business table in
 * another database (completion rows there). Each transaction body writes one row (workflow,
 * name, pid) into the business table given as input and may block at `inside:<name>`, before
 * its commit, so the test can SIGKILL the process with the transaction open.
 */
import { step, workflow, type AnyWorkflow, type WorkflowContext } from "@cairn/core";
import { transaction, type AppDatabase } from "../../src/index.js";
import { run } from "../transactions/support.js";
import type { CrashEnvironment } from "./workflows.js";

/** The input of both workflows: the qualified name of the business table. */
export interface TxInput {
  readonly table: string;
}

/** Defines the transaction workflows over `env`; `app` is the other database, if configured. */
export function transactionWorkflows(
  env: CrashEnvironment,
  app: AppDatabase | undefined,
): AnyWorkflow[] {
  const holdAt = async (point: string): Promise<void> => {
    if (env.hold !== point) return;
    env.mark({ kind: "HOLD", point });
    await new Promise<never>(() => undefined);
  };

  const body =
    (name: string) =>
    async ({ workflowId }: { workflowId: string }, tx: unknown, table: string) => {
      env.mark({ kind: "STEP_START", workflowId, step: name });
      await run(tx, `insert into ${table} (workflow_id, name, pid) values ($1, $2, $3)`, [
        workflowId,
        name,
        process.pid,
      ]);
      env.mark({ kind: "EFFECT", workflowId, step: name });
      await holdAt(`inside:${name}`);
      return `${name} done`;
    };

  const pay = step.withContext("pay", async ({ workflowId }) => {
    env.mark({ kind: "STEP_START", workflowId, step: "pay" });
    await env.effects.record(workflowId, "pay");
    return "paid";
  });

  const flow = async (
    ctx: WorkflowContext,
    reserve: (ctx: WorkflowContext, table: string) => Promise<string>,
    input: TxInput,
    name: string,
  ) => {
    const reserved = await reserve(ctx, input.table);
    env.mark({ kind: "AFTER_STEP", workflowId: ctx.workflowId, step: name });
    await holdAt(`after:${name}`);
    return [reserved, await pay(ctx)];
  };

  const reserveTx = transaction.withContext("reserveTx", body("reserveTx"));
  const tx = workflow("crash.tx", (ctx, input: TxInput) =>
    flow(ctx, reserveTx, input, "reserveTx"),
  );
  if (!app) return [tx];

  const reserveApp = transaction.withContext(
    { name: "reserveApp", database: app, completionSchema: "app_cairn" },
    body("reserveApp"),
  );
  const txApp = workflow("crash.txApp", (ctx, input: TxInput) =>
    flow(ctx, reserveApp, input, "reserveApp"),
  );
  return [tx, txApp];
}
