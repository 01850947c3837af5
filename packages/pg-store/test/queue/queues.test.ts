/**
 * Queues through real engines on Postgres and PGlite: running enqueued work, priority and FIFO,
 * dedup, cancel, delays, partitions, debounce, fairness across queues, counts and listing, and
 * what shutdown leaves behind. Concurrent claimers and real processes: `claim-race.test.ts` and
 * `processes.test.ts` (Postgres only).
 */
import { step, workflow, WorkflowConflictError, type Engine } from "@cairn/core";
import { defineQueue, DuplicateDedupIdError, QueuesNotConfiguredError } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { Gate, eventually, launchQueueEngine } from "./support.js";

/** What ran, in order, per test. */
let ran: string[] = [];
/** Gates by label: a workflow whose label has a gate waits on it. */
let gates = new Map<string, Gate>();
/** Running counts per partition, and the most seen at once. */
let running = new Map<string, number>();
let peak = new Map<string, number>();

const work = step("work", async (label: string) => {
  ran.push(label);
  await gates.get(label)?.pass();
  return label.toUpperCase();
});

const job = workflow({ name: "job" }, async (ctx, label: string) => work(ctx, label));
const other = workflow({ name: "other" }, async (ctx, label: string) => work(ctx, label));

const tenantWork = step("tenantWork", async (input: { tenant: string; label: string }) => {
  const now = (running.get(input.tenant) ?? 0) + 1;
  running.set(input.tenant, now);
  peak.set(input.tenant, Math.max(peak.get(input.tenant) ?? 0, now));
  await gates.get(input.label)?.pass();
  running.set(input.tenant, (running.get(input.tenant) ?? 1) - 1);
  return input.label;
});
const tenantJob = workflow(
  { name: "tenantJob" },
  async (ctx, input: { tenant: string; label: string }) => tenantWork(ctx, input),
);

const workflows = [job, other, tenantJob];

/** Milliseconds from a workflow's creation (enqueue) to the start of its first step. */
async function startDelay(engine: Engine, workflowId: string): Promise<number> {
  const [first] = await engine.listSteps(workflowId);
  const info = await engine.retrieve(workflowId).status();
  return (first?.startedAt.getTime() ?? NaN) - info.createdAt.getTime();
}

describe.each(engineBackends)("queues on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    for (const gate of gates.values()) gate.release();
    await closers.closeAll();
    await db.drop();
    ran = [];
    gates = new Map();
    running = new Map();
    peak = new Map();
  });

  const launch = async (options: Parameters<typeof launchQueueEngine>[1]) => {
    const launched = await launchQueueEngine(db, options);
    closers.add(launched.engine, (e) => e.shutdown());
    return launched;
  };

  it.skipIf(backend.skip)("runs an enqueued workflow and returns its result", async () => {
    db = backend.database();
    const q = defineQueue("basic");
    const { engine } = await launch({ workflows, serve: [q] });
    const handle = await q.enqueue(engine, job, "a");
    await expect(handle.result()).resolves.toBe("A");
    expect((await handle.status()).queueName).toBe("basic");
  });

  it.skipIf(backend.skip)(
    "keeps the workflow ENQUEUED, counted and listed by queue until an engine serves the queue",
    async () => {
      db = backend.database();
      const q = defineQueue("waiting");
      const enqueuer = await launch({ workflows });
      const handle = await q.enqueue(enqueuer.engine, job, "w");
      expect((await handle.status()).status).toBe("ENQUEUED");
      expect(await q.counts(enqueuer.engine)).toMatchObject({ ENQUEUED: 1, PENDING: 0 });
      const listed = await enqueuer.engine.listWorkflows({ queue: "waiting" });
      expect(listed.map((w) => w.workflowId)).toEqual([handle.workflowId]);
      expect(await enqueuer.engine.listWorkflows({ queue: "elsewhere" })).toEqual([]);

      const worker = await launch({ workflows, serve: [q] });
      await expect(worker.engine.retrieve(job, handle.workflowId).result()).resolves.toBe("W");
      expect(await q.counts(enqueuer.engine)).toMatchObject({ ENQUEUED: 0, SUCCESS: 1 });
    },
  );

  it.skipIf(backend.skip)(
    "refuses a malformed workflow ID at enqueue and stores nothing",
    async () => {
      db = backend.database();
      const q = defineQueue("ids");
      const { engine } = await launch({ workflows, serve: [q] });
      for (const id of ["", "a\u0000b", "bad-\uD800", "x".repeat(513)]) {
        await expect(q.enqueue(engine, job, "a", { id })).rejects.toMatchObject({
          name: "InvalidOptionError",
          option: "id",
        });
      }
      expect(await db.query("select workflow_id from {{schema}}.workflows")).toEqual([]);
      expect(await db.query("select * from {{schema}}.queue_items")).toEqual([]);
    },
  );

  it.skipIf(backend.skip)("runs lower priority numbers first, FIFO within a priority", async () => {
    db = backend.database();
    const q = defineQueue("prio", { concurrency: 1 });
    const { engine } = await launch({ workflows, serve: [q] });
    const gate = new Gate();
    gates.set("first", gate);
    const first = await q.enqueue(engine, job, "first");
    await gate.waiting; // the only slot is taken: everything below waits in the queue
    const order: [string, number][] = [
      ["p5-a", 5],
      ["p1-a", 1],
      ["p5-b", 5],
      ["p0-a", 0],
      ["p1-b", 1],
      ["n-a", -3],
    ];
    const handles = [];
    for (const [label, priority] of order)
      handles.push(await q.enqueue(engine, job, label, { priority }));
    gate.release();
    await first.result();
    for (const handle of handles) await handle.result();
    expect(ran).toEqual(["first", "n-a", "p0-a", "p1-a", "p1-b", "p5-a", "p5-b"]);
  });

  it.skipIf(backend.skip)(
    "dedup returns the holder's handle or rejects, and frees the key once the holder finished",
    async () => {
      db = backend.database();
      const q = defineQueue("dedup");
      const { engine } = await launch({ workflows, serve: [q] });
      const gate = new Gate();
      gates.set("one", gate);
      const one = await q.enqueue(engine, job, "one", { dedupId: "k" });
      const again = await q.enqueue(engine, job, "two", { dedupId: "k" });
      expect(again.workflowId).toBe(one.workflowId);
      const rejected = await q
        .enqueue(engine, job, "three", { dedupId: "k", onDuplicate: "reject" })
        .catch((e: unknown) => e);
      expect(DuplicateDedupIdError.is(rejected)).toBe(true);
      expect(rejected).toMatchObject({
        queueName: "dedup",
        dedupId: "k",
        existingWorkflowId: one.workflowId,
      });
      await gate.waiting; // running still holds the key
      expect((await q.enqueue(engine, job, "four", { dedupId: "k" })).workflowId).toBe(
        one.workflowId,
      );
      gate.release();
      await one.result();
      const next = await q.enqueue(engine, job, "five", { dedupId: "k" });
      expect(next.workflowId).not.toBe(one.workflowId);
      await expect(next.result()).resolves.toBe("FIVE");
      expect(ran).toEqual(["one", "five"]);
    },
  );

  it.skipIf(backend.skip)(
    "returns the existing workflow for a taken ID and refuses one of another name",
    async () => {
      db = backend.database();
      const q = defineQueue("ids");
      const { engine } = await launch({ workflows });
      const first = await q.enqueue(engine, job, "x", { id: "fixed" });
      const second = await q.enqueue(engine, job, "y", { id: "fixed" });
      expect(second.workflowId).toBe(first.workflowId);
      await expect(q.enqueue(engine, other, "z", { id: "fixed" })).rejects.toThrow(
        WorkflowConflictError,
      );
      expect(await q.counts(engine)).toMatchObject({ ENQUEUED: 1 });
    },
  );

  it.skipIf(backend.skip)(
    "takes a cancelled ENQUEUED workflow out of its queue and frees its dedup key",
    async () => {
      db = backend.database();
      const q = defineQueue("cancel");
      const enqueuer = await launch({ workflows });
      const handle = await q.enqueue(enqueuer.engine, job, "c", { dedupId: "d" });
      expect(await enqueuer.engine.cancel(handle.workflowId)).toEqual([handle.workflowId]);
      expect((await handle.status()).status).toBe("CANCELLED");
      const fresh = await q.enqueue(enqueuer.engine, job, "d", { dedupId: "d" });
      expect(fresh.workflowId).not.toBe(handle.workflowId);
      const worker = await launch({ workflows, serve: [q] });
      await expect(worker.engine.retrieve(job, fresh.workflowId).result()).resolves.toBe("D");
      expect(ran).toEqual(["d"]);
    },
  );

  it.skipIf(backend.skip)(
    "puts a resumed queued workflow back in its queue, where its limits apply",
    async () => {
      db = backend.database();
      const q = defineQueue("resumed", { concurrency: 1 });
      const { engine } = await launch({ workflows, serve: [q] });
      const flaky = await q.enqueue(engine, job, "flaky", { delayMs: 3_600_000 });
      expect(await engine.cancel(flaky.workflowId)).toEqual([flaky.workflowId]);
      const holderGate = new Gate();
      gates.set("holder", holderGate);
      const holder = await q.enqueue(engine, job, "holder");
      await holderGate.waiting;
      await engine.resume(flaky.workflowId);
      // The only slot is taken: the resumed workflow waits in the queue instead of running.
      expect((await flaky.status()).status).toBe("ENQUEUED");
      expect(await q.counts(engine)).toMatchObject({ PENDING: 1, ENQUEUED: 1 });
      holderGate.release();
      await holder.result();
      await expect(flaky.result()).resolves.toBe("FLAKY");
      expect(ran.filter((label) => label === "holder")).toEqual(["holder"]);
    },
  );

  it.skipIf(backend.skip)("starts a delayed workflow no earlier than its delay", async () => {
    db = backend.database();
    const q = defineQueue("delay");
    const { engine } = await launch({ workflows, serve: [q] });
    const handle = await q.enqueue(engine, job, "late", { delayMs: 400 });
    // Still delayed however slow the machine: what the counts must show as delayed.
    const parked = await q.enqueue(engine, job, "parked", { delayMs: 3_600_000 });
    const soon = await q.enqueue(engine, job, "soon");
    await soon.result();
    expect((await q.counts(engine)).delayed).toBeGreaterThanOrEqual(1);
    await handle.result();
    // Both times are the database's: one clock.
    expect(await startDelay(engine, handle.workflowId)).toBeGreaterThanOrEqual(400);
    expect([...ran].sort()).toEqual(["late", "soon"]);
    await engine.cancel(parked.workflowId);
  });

  it.skipIf(backend.skip)(
    "applies concurrency per partition key on a partitioned queue",
    async () => {
      db = backend.database();
      const q = defineQueue("tenants", { concurrency: 1, partitioned: true });
      const { engine } = await launch({ workflows, serve: [q] });
      await expect(q.enqueue(engine, tenantJob, { tenant: "a", label: "x" })).rejects.toThrow(
        /partitioned/,
      );
      const handles = [];
      for (const tenant of ["a", "b"]) {
        for (let i = 0; i < 3; i++) {
          const label = `${tenant}${i}`;
          gates.set(label, new Gate());
          handles.push(
            await q.enqueue(engine, tenantJob, { tenant, label }, { partitionKey: tenant }),
          );
        }
      }
      // Both partitions start at once, one workflow each.
      await gates.get("a0")?.waiting;
      await gates.get("b0")?.waiting;
      expect(await q.counts(engine)).toMatchObject({ PENDING: 2, ENQUEUED: 4 });
      for (const gate of gates.values()) gate.release();
      for (const handle of handles) await handle.result();
      expect(peak.get("a")).toBe(1);
      expect(peak.get("b")).toBe(1);
    },
  );

  it.skipIf(backend.skip)(
    "debounce starts once after the burst, with the latest input",
    async () => {
      db = backend.database();
      const q = defineQueue("debounce");
      const { engine } = await launch({ workflows, serve: [q] });
      const handles = [];
      for (const label of ["d1", "d2", "d3", "d4"]) {
        handles.push(await q.debounce(engine, "key", job, label, { periodMs: 300 }));
      }
      expect(new Set(handles.map((h) => h.workflowId)).size).toBe(1);
      await expect(handles[0]?.result()).resolves.toBe("D4");
      expect(ran).toEqual(["d4"]);
      // After it started, a call begins a new burst.
      const next = await q.debounce(engine, "key", job, "d5", { periodMs: 50 });
      expect(next.workflowId).not.toBe(handles[0]?.workflowId);
      await expect(next.result()).resolves.toBe("D5");
    },
  );

  it.skipIf(backend.skip)(
    "debounce starts no later than maxWaitMs after the first call",
    async () => {
      db = backend.database();
      const q = defineQueue("debounce-max");
      const { engine } = await launch({ workflows, serve: [q] });
      const first = await q.debounce(engine, "k", job, "m0", { periodMs: 60_000, maxWaitMs: 300 });
      const second = await q.debounce(engine, "k", job, "m1", { periodMs: 60_000, maxWaitMs: 300 });
      expect(second.workflowId).toBe(first.workflowId);
      await expect(first.result()).resolves.toBe("M1");
      const wait = await startDelay(engine, first.workflowId);
      expect(wait).toBeGreaterThanOrEqual(300);
      expect(wait).toBeLessThan(60_000); // the debounce period: maxWaitMs cut it short
    },
  );

  it.skipIf(backend.skip)(
    "serves queues in turn: a busy queue does not stall another",
    async () => {
      db = backend.database();
      const busy = defineQueue("busy");
      const quiet = defineQueue("quiet");
      const enqueuer = await launch({ workflows });
      const backlog = [];
      for (let i = 0; i < 60; i++) backlog.push(await busy.enqueue(enqueuer.engine, job, `b${i}`));
      const lone = await quiet.enqueue(enqueuer.engine, other, "lone");
      await launch({ workflows, serve: [busy, quiet], claimBatch: 5 });
      await lone.result();
      for (const handle of backlog) await handle.result();
      // The quiet queue's one workflow got the second claim, not the thirteenth.
      expect(ran.indexOf("lone")).toBeLessThan(15);
    },
  );

  it.skipIf(backend.skip)(
    "shutdown stops claiming; what is left stays ENQUEUED and another engine runs it",
    async () => {
      db = backend.database();
      const q = defineQueue("handover", { workerConcurrency: 1 });
      const first = await launch({ workflows, serve: [q], queueShutdownGraceMs: 5_000 });
      const gate = new Gate();
      gates.set("h0", gate);
      const handles = [];
      for (let i = 0; i < 3; i++) handles.push(await q.enqueue(first.engine, job, `h${i}`));
      await gate.waiting;
      const stopping = first.engine.shutdown();
      await eventually(() => first.runtime.running === 1, 1_000, "shutdown to begin");
      gate.release(); // the running one finishes within the grace period
      await stopping;
      expect(ran).toEqual(["h0"]);
      const second = await launch({ workflows, serve: [q] });
      for (const handle of handles) await second.engine.retrieve(job, handle.workflowId).result();
      expect(ran).toEqual(["h0", "h1", "h2"]);
    },
  );

  it.skipIf(backend.skip)(
    "puts back the items of an executor that stopped holding them, and runs them once elsewhere",
    async () => {
      db = backend.database();
      const q = defineQueue("abandoned", { concurrency: 1 });
      const first = await launch({ workflows, serve: [q], shutdownGraceMs: 50 });
      const gate = new Gate();
      gates.set("held", gate);
      const held = await q.enqueue(first.engine, job, "held");
      await gate.waiting;
      await first.engine.shutdown(); // the step never finished: the workflow stays PENDING
      const [row] = await db.query<{ status: string }>(
        `select status from {{schema}}.workflows where workflow_id = '${held.workflowId}'`,
      );
      expect(row?.status).toBe("PENDING");
      gates.delete("held");
      const second = await launch({ workflows, serve: [q] });
      await expect(second.engine.retrieve(job, held.workflowId).result()).resolves.toBe("HELD");
      expect(await q.counts(second.engine)).toMatchObject({ SUCCESS: 1, PENDING: 0, ENQUEUED: 0 });
    },
  );

  it.skipIf(backend.skip)(
    "refuses to enqueue through an engine without a queue runtime",
    async () => {
      db = backend.database();
      const { createEngine } = await import("@cairn/core");
      const engine = closers.add(createEngine({ store: db.store(), workflows }), (e) =>
        e.shutdown(),
      );
      await engine.launch();
      const error = await defineQueue("none")
        .enqueue(engine, job, "x")
        .catch((e: unknown) => e);
      expect(QueuesNotConfiguredError.is(error)).toBe(true);
    },
  );
});
