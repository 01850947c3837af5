/**
 * A database with real workflows for the CLI and dashboard tests (and the screenshots in the
 * docs): an engine runs them to the states an operator meets — finished, failed after retries,
 * a parent with children, one waiting for a message with an event and an open stream, one whose
 * stream is closed, workflows waiting in a queue — then shuts down, so nothing changes while
 * the binary inspects and steers them.
 */
import {
  createEngine,
  NonRetryableError,
  step,
  workflow,
  type Engine,
  type WorkflowStore,
} from "@cairn/core";
import type { PgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues, defineQueue } from "@cairn/queue";

const attemptsByWorkflow = new Map<string, number>();

const lookUpCustomer = step("lookUpCustomer", async (id: string) => ({
  id,
  name: `Customer ${id}`,
  since: new Date("2024-03-01T00:00:00Z"),
}));
const chargeCard = step.withContext(
  { name: "chargeCard", retry: { maxAttempts: 3, initialDelayMs: 1, backoffFactor: 1 } },
  async ({ workflowId }, amount: number) => {
    const attempt = (attemptsByWorkflow.get(workflowId) ?? 0) + 1;
    attemptsByWorkflow.set(workflowId, attempt);
    if (attempt < 3) throw new Error(`card network timeout (attempt ${attempt})`);
    return { chargeId: `ch_${workflowId}`, amount };
  },
);
const refuse = step("reserveStock", async (sku: string): Promise<number> => {
  throw new NonRetryableError(`SKU ${sku} is out of stock`);
});

export const checkout = workflow("checkout", async (ctx, order: { id: string; amount: number }) => {
  const customer = await lookUpCustomer(ctx, order.id);
  const charge = await chargeCard(ctx, order.amount);
  return { customer: customer.name, charge: charge.chargeId };
});

export const reserve = workflow("reserve", async (ctx, sku: string) => {
  await lookUpCustomer(ctx, sku);
  return refuse(ctx, sku);
});

const shipItem = workflow("shipItem", async (ctx, item: string) => {
  await lookUpCustomer(ctx, item);
  return `shipped ${item}`;
});

export const fulfil = workflow("fulfil", async (ctx, items: string[]) => {
  const handles = [];
  for (const item of items) handles.push(await ctx.start(shipItem, item));
  return Promise.all(handles.map((h) => h.result()));
});

/** Waits for "approve"; meanwhile publishes an event and an open stream. */
export const approval = workflow("approval", async (ctx, request: { amount: number }) => {
  await ctx.writeStream("log", "requested");
  await ctx.writeStream("log", `amount ${request.amount}`);
  await ctx.setEvent("stage", "waiting for a manager");
  const decision = (await ctx.recv("approve")) as { approved: boolean } | undefined;
  await ctx.writeStream("log", decision?.approved ? "approved" : "rejected");
  await ctx.closeStream("log");
  await ctx.setEvent("stage", "decided");
  return decision?.approved ?? false;
});

export const report = workflow("report", async (ctx) => {
  for (const line of ["one", "two", "three"]) await ctx.writeStream("lines", line);
  await ctx.closeStream("lines");
  return 3;
});

export const sendEmail = workflow("sendEmail", async (ctx, to: string) => {
  await lookUpCustomer(ctx, to);
  return `sent to ${to}`;
});

/** Nobody serves it in the seed: enqueued workflows stay ENQUEUED. */
export const emails = defineQueue("emails", { concurrency: 2 });
/** Served: its workflows run and finish; its definition (and limit) is recorded. */
export const reports = defineQueue("reports", { workerConcurrency: 4 });

export const ALL_WORKFLOWS = [checkout, reserve, shipItem, fulfil, approval, report, sendEmail];

/** An engine for these workflows on `store`, serving the `reports` queue. */
export function seedEngine(store: PgStore, executorId = "seed-executor"): Engine {
  return createEngine({
    store,
    workflows: ALL_WORKFLOWS,
    executorId,
    appVersion: "v1.4.2",
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    plugins: [createQueues({ store: createPgQueueStore(store), serve: [reports] })],
  });
}

/** The IDs of what {@link seed} created. */
export const SEEDED = {
  succeeded: "order-1001",
  failed: "reserve-7",
  parent: "fulfil-3",
  waiting: "approval-9",
  report: "report-2",
  queued: ["email-1", "email-2", "email-3"],
} as const;

/** Runs the seed workflows on a launched engine and waits until each is where it should be. */
export async function seed(engine: Engine): Promise<void> {
  await engine.run(checkout, { id: "1001", amount: 4200 }, { id: SEEDED.succeeded });
  await engine.run(reserve, "sku-77", { id: SEEDED.failed }).catch(() => undefined);
  await engine.run(fulfil, ["book", "lamp"], { id: SEEDED.parent });
  await engine.run(report, undefined, { id: SEEDED.report });
  await engine.start(approval, { amount: 950 }, { id: SEEDED.waiting });
  await engine.getEvent(SEEDED.waiting, "stage", { timeoutMs: 30_000 });
  for (const id of SEEDED.queued)
    await emails.enqueue(engine, sendEmail, `${id}@example.com`, { id });
  const done = await reports.enqueue(engine, report, undefined, { id: "report-queued" });
  await done.result();
}

/** Limits an operator set at runtime on the `emails` queue (nobody serves it in the seed). */
export async function limitEmails(store: PgStore): Promise<void> {
  await createPgQueueStore(store).setQueueLimits("emails", {
    concurrency: 2,
    rateLimit: { limit: 10, periodMs: 60_000 },
  });
}

/** Seeds `store` with its own engine and shuts the engine down, which closes the store. */
export async function seedStore(store: PgStore): Promise<void> {
  const engine = seedEngine(store);
  await engine.launch();
  try {
    await seed(engine);
    await limitEmails(store);
  } finally {
    await engine.shutdown();
  }
}

export type { WorkflowStore };
