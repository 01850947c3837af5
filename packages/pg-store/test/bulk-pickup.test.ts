/**
 * A bulk start for a named executor, through real engines on Postgres (skipped without a server)
 * and PGlite: one notification per statement, and the engine reads each notified batch back in
 * one statement (`listCreatedBatch`) instead of a read of each workflow and then of its steps.
 */
import {
  createClient,
  createEngine,
  workflow,
  type Engine,
  type StoreNotification,
  type WorkflowStore,
} from "@cairn/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";

let bodies = 0;
const double = workflow("bulk-pickup.double", async (_ctx, n: number) => {
  bodies += 1;
  return Promise.resolve(n * 2);
});

/** `store` counting the reads a pickup can make. */
function counted(store: WorkflowStore) {
  const calls = { getWorkflow: 0, listSteps: 0, listCreatedBatch: 0 };
  const list = store.listCreatedBatch?.bind(store);
  const wrapped: WorkflowStore = {
    ...store,
    getWorkflow: (id) => (calls.getWorkflow++, store.getWorkflow(id)),
    listSteps: (id) => (calls.listSteps++, store.listSteps(id)),
    ...(list && {
      listCreatedBatch: (...args: Parameters<typeof list>) => (
        calls.listCreatedBatch++,
        list(...args)
      ),
    }),
  };
  return { store: wrapped, calls };
}

describe.each(engineBackends)("a bulk start for a named executor on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;
  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  it.skipIf(backend.skip)(
    "is announced once per statement and picked up with one read per batch, every workflow run once",
    async () => {
      db = backend.database();
      bodies = 0;
      const { store, calls } = counted(db.store());
      const engine = createEngine({
        store,
        workflows: [double],
        logger: quietLogger,
        pollIntervalMs: 60_000, // only the notifications bring the work here
      });
      closers.add(engine, (e: Engine) => e.shutdown());
      await engine.launch();
      const clientStore = db.store();
      const heard: StoreNotification[] = [];
      const unsubscribe = await clientStore.subscribe?.((n) => heard.push(n));
      const client = createClient({ store: clientStore, logger: quietLogger });
      closers.add(client, (c: { close(): Promise<void> }) => c.close());

      const items = Array.from({ length: 1_500 }, (_, n) => ({
        input: n,
        id: `b-${n}`,
        executorId: engine.executorId,
      }));
      const handles = await client.startMany<typeof double>(double.name, items);
      await engine.waitAll(handles, { timeoutMs: 60_000 });
      const outputs = await Promise.all(handles.map((h) => h.result()));
      expect(outputs).toEqual(items.map((i) => i.input * 2));
      expect(bodies).toBe(items.length);
      expect(calls.getWorkflow).toBe(0);
      expect(calls.listSteps).toBe(0);
      // Two statements (1,000 + 500): a read of each, and one more that finds the first one's end.
      expect(calls.listCreatedBatch).toBeGreaterThan(0);
      expect(calls.listCreatedBatch).toBeLessThanOrEqual(4);
      const announced = heard.filter(
        (n) => n.kind === "status" && n.status === "PENDING" && n.executorId === engine.executorId,
      );
      expect(announced.length).toBeLessThanOrEqual(2);
      await unsubscribe?.();
    },
  );
});
