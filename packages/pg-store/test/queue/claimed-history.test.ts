/**
 * What a claimed workflow starts from, on Postgres and PGlite. The claim says which claimed
 * workflows have recorded steps: one that never ran starts without reading its history (no
 * `listSteps`), and one that ran, recorded a step and went back to the queue (its executor
 * stopped) reads its history on the next claim and does not run the recorded step again.
 */
import { createEngine, step, workflow, type Engine, type WorkflowStore } from "@cairn/core";
import { createQueues, defineQueue, type Queue } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "../support/engine-databases.js";
import { Gate } from "./support.js";

/** How often each step body ran, by workflow ID and step. */
let runs = new Map<string, number>();
let hold: Gate | undefined;

const count = (key: string) => runs.set(key, (runs.get(key) ?? 0) + 1);
const first = step("first", (id: string) => {
  count(`${id}/first`);
  return `${id}:1`;
});
const second = step("second", async (id: string) => {
  count(`${id}/second`);
  await hold?.pass();
  return `${id}:2`;
});
const twoSteps = workflow("history.twoSteps", async (ctx, _input: null) => {
  const a = await first(ctx, ctx.workflowId);
  const b = await second(ctx, ctx.workflowId);
  return `${a} ${b}`;
});

describe.each(engineBackends)("claimed workflows' history on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;
  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    hold?.release();
    hold = undefined;
    await closers.closeAll();
    await db.drop();
    runs = new Map();
  });

  /** An engine serving `queue` whose store records every history read. */
  const launch = async (queue: Queue, shutdownGraceMs = 200) => {
    const inner = db.store() as PgStore;
    const reads: string[] = [];
    const store: WorkflowStore = {
      ...inner,
      listSteps: (workflowId) => {
        reads.push(workflowId);
        return inner.listSteps(workflowId);
      },
    };
    const engine: Engine = createEngine({
      store,
      workflows: [twoSteps],
      logger: quietLogger,
      shutdownGraceMs,
      plugins: [
        createQueues({ store: createPgQueueStore(inner), serve: [queue], shutdownGraceMs: 0 }),
      ],
    });
    closers.add(engine, (e) => e.shutdown());
    await engine.launch();
    return { engine, reads };
  };

  it.skipIf(backend.skip)(
    "starts a workflow that never ran without reading its history",
    async () => {
      db = backend.database();
      const queue = defineQueue("fresh", { workerConcurrency: 5 });
      const { engine, reads } = await launch(queue);
      const handles = await queue.enqueueMany(
        engine,
        twoSteps,
        Array.from({ length: 5 }, () => ({ input: null })),
      );
      for (const handle of handles) await handle.result();
      expect(reads.filter((id) => handles.some((h) => h.workflowId === id))).toEqual([]);
    },
  );

  it.skipIf(backend.skip)(
    "resumes a workflow that went back to the queue from its recorded steps",
    async () => {
      db = backend.database();
      const queue = defineQueue("put-back", { concurrency: 1 });
      hold = new Gate();
      const before = await launch(queue, 50);
      const handle = await queue.enqueue(before.engine, twoSteps, null, { id: "w" });
      await hold.waiting; // "first" is recorded, "second" runs and never finishes here
      await before.engine.shutdown();
      hold = undefined;
      const after = await launch(queue);
      await expect(after.engine.retrieve(twoSteps, handle.workflowId).result()).resolves.toBe(
        "w:1 w:2",
      );
      expect(after.reads).toContain("w");
      expect(runs.get("w/first")).toBe(1);
      expect(runs.get("w/second")).toBe(2);
    },
  );
});
