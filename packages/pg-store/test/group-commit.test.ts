import type { CreateWorkflowResult, StepRecord } from "@cairn/core";
import type { EnqueueResult } from "@cairn/queue";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGroupCommit } from "../src/group-commit.js";
import { createPgStore, type PgStore } from "../src/index.js";
import { createPgQueueStore } from "../src/queue/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const stepAt = (
  workflowId: string,
  position: number,
  patch: Partial<StepRecord> = {},
): StepRecord => ({
  workflowId,
  position,
  name: `step-${position}`,
  output: `${position}`,
  error: undefined,
  childWorkflowId: undefined,
  attempts: 1,
  startedAt: 1_700_000_000_000,
  completedAt: 1_700_000_000_001,
  ...patch,
});

describe("group commit", () => {
  const recorder = (fail: (item: number) => boolean = () => false) => {
    const batches: number[][] = [];
    const commit = createGroupCommit<number, number>({
      flush: async (items) => {
        batches.push([...items]);
        await new Promise((resolve) => setImmediate(resolve));
        if (items.some(fail)) throw new Error(`bad batch ${items.join(",")}`);
        return items.map((i) => i * 10);
      },
      key: (item) => String(item % 100),
      maxBatch: 50,
      retryAlone: () => true,
    });
    return { batches, commit };
  };

  it("sends a lone call at once, in a batch of its own", async () => {
    const { batches, commit } = recorder();
    const result = commit.submit(1);
    expect(batches).toEqual([[1]]);
    expect(await result).toBe(10);
  });

  it("sends every call that arrived during a flush as one batch when it finishes", async () => {
    const { batches, commit } = recorder();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => commit.submit(i)));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i * 10));
    expect(batches.map((b) => b.length)).toEqual([1, 29]);
  });

  it("caps a batch at maxBatch and never puts two equal keys in one batch", async () => {
    const { batches, commit } = recorder();
    await Promise.all(
      [0, 1, 101, 2, ...Array.from({ length: 60 }, (_, i) => 3 + i)].map((i) => commit.submit(i)),
    );
    expect(batches[1]).toEqual([1, 2, ...Array.from({ length: 48 }, (_, i) => 3 + i)]);
    expect(batches.slice(2).flat()).toContain(101);
    expect(batches.every((b) => b.length <= 50)).toBe(true);
  });

  it("fails only the bad item's caller when a batch fails", async () => {
    const { commit } = recorder((item) => item === 7);
    const results = await Promise.allSettled([0, 5, 6, 7, 8].map((i) => commit.submit(i)));
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
  });

  describe("gathering a burst", () => {
    /** A commit whose callers each call again from their continuation, as workflow steps do. */
    const gathering = (fail: (items: readonly number[]) => boolean = () => false) => {
      const batches: number[][] = [];
      const commit = createGroupCommit<number, number>({
        flush: async (items) => {
          batches.push([...items]);
          await new Promise((resolve) => setImmediate(resolve));
          if (fail(items)) throw new Error(`bad batch ${items.join(",")}`);
          return items.map((i) => i * 10);
        },
        key: (item) => String(item % 100),
        maxBatch: 50,
        retryAlone: () => true,
        gatherBurst: true,
      });
      return { batches, commit };
    };
    /** Each caller submits `first + i`, then, once that committed, `second + i`, a few hops on. */
    const twoRounds = (commit: ReturnType<typeof gathering>["commit"], n: number) =>
      Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const a = await commit.submit(i);
          await Promise.resolve(); // the caller's own work between its two calls
          await Promise.resolve();
          return [a, await commit.submit(50 + i)];
        }),
      );

    it("sends a lone call alone, without waiting for another", async () => {
      const { batches, commit } = gathering();
      const result = commit.submit(1);
      expect(batches).toEqual([]); // not yet: after the current burst
      expect(await result).toBe(10);
      expect(batches).toEqual([[1]]);
    });

    it("sends the calls of one burst as one batch, also those its callers make on resuming", async () => {
      const { batches, commit } = gathering();
      const results = await twoRounds(commit, 30);
      expect(results).toEqual(Array.from({ length: 30 }, (_, i) => [i * 10, (50 + i) * 10]));
      // Without gathering: [1, 29], then the resumed callers' first call alone: [1, 29, 1, 29].
      expect(batches.map((b) => b.length)).toEqual([30, 30]);
    });

    it("still caps a batch at maxBatch and keeps equal keys apart", async () => {
      const { batches, commit } = gathering();
      await Promise.all(
        [0, 1, 101, 2, ...Array.from({ length: 60 }, (_, i) => 3 + i)].map((i) => commit.submit(i)),
      );
      expect(batches[0]).toEqual([0, 1, 2, ...Array.from({ length: 47 }, (_, i) => 3 + i)]);
      expect(batches.slice(1).flat()).toContain(101);
      expect(batches.every((b) => b.length <= 50)).toBe(true);
    });

    it("settles each caller only after its own batch, and fails only the bad item's caller", async () => {
      const { batches, commit } = gathering((items) => items.includes(57));
      const settled: number[] = [];
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, async (_, i) => {
          await commit.submit(i);
          const second = commit.submit(50 + i);
          void second.then(
            () => settled.push(50 + i),
            () => settled.push(-(50 + i)),
          );
          return second;
        }),
      );
      expect(results.map((r) => r.status)).toEqual(
        Array.from({ length: 10 }, (_, i) => (i === 7 ? "rejected" : "fulfilled")),
      );
      // The second burst went out as one batch, failed for 57, then item by item.
      expect(batches.map((b) => b.length)).toEqual([10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
      expect(settled.filter((n) => n < 0)).toEqual([-57]);
    });

    it("is idle once every queued call settled, also while it waits for the burst", async () => {
      const { batches, commit } = gathering();
      const all = Promise.all([1, 2, 3].map((i) => commit.submit(i)));
      await commit.idle();
      expect(batches).toEqual([[1, 2, 3]]);
      await expect(Promise.race([all, Promise.resolve("pending")])).resolves.not.toBe("pending");
    });
  });

  it("is idle once every queued call settled", async () => {
    const { commit } = recorder();
    const all = Promise.all([1, 2, 3].map((i) => commit.submit(i)));
    await commit.idle();
    await expect(Promise.race([all, Promise.resolve("pending")])).resolves.not.toBe("pending");
  });
});

describe.skipIf(!databaseUrl)("statements on the wire (Postgres)", () => {
  let admin: postgres.Sql;
  let client: postgres.Sql;
  let store: PgStore;
  let drop: () => Promise<void>;
  let statements: string[] = [];

  const newWorkflow = (workflowId: string) => ({
    workflowId,
    name: "n",
    input: "1",
    executorId: "e",
  });
  /** Statements the store sends while `fn` runs. */
  const count = async (fn: () => Promise<unknown>): Promise<string[]> => {
    statements = [];
    await fn();
    return statements.map((s) => s.trim().split(/\s+/)[0]?.toLowerCase() ?? "");
  };

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  beforeEach(async () => {
    const fresh = freshSchema(admin);
    drop = fresh.drop;
    // One connection, so "prepared" means prepared once; the debug hook sees every statement.
    client = postgres(databaseUrl ?? "", {
      max: 1,
      onnotice: () => {},
      debug: (_c, q) => statements.push(q),
    });
    store = createPgStore({ sql: client, schema: fresh.schema });
    await store.migrate();
    // Warm up: postgres.js describes each statement once per connection before it is prepared.
    await store.createWorkflow(newWorkflow("warm"));
    await store.recordStep(stepAt("warm", 0));
    await store.finishWorkflow({
      workflowId: "warm",
      executorId: "e",
      status: "SUCCESS",
      output: "1",
    });
  });
  afterEach(async () => {
    await store.close();
    await client.end();
    await drop();
  });

  // One statement (a CTE: the fence check, the insert and its per-row outcome), no other read.
  it("records a first checkpoint with exactly one statement, fenced or not", async () => {
    const { workflow } = await store.createWorkflow(newWorkflow("wf"));
    const fence = { executorId: "e", epoch: workflow.ownerEpoch };
    expect(await count(() => store.recordStep(stepAt("wf", 0)))).toEqual(["insert"]);
    expect(await count(() => store.recordStep(stepAt("wf", 1), fence))).toEqual(["insert"]);
  });

  it("reads the owner only when a fenced checkpoint wrote nothing, to say why", async () => {
    const { workflow } = await store.createWorkflow(newWorkflow("wf"));
    const fence = { executorId: "e", epoch: workflow.ownerEpoch };
    await store.recordStep(stepAt("wf", 0), fence);
    // The position is taken and the fence holds: a conflict, first write wins.
    expect(await count(() => store.recordStep(stepAt("wf", 0)))).toEqual(["insert"]);
    let recorded: boolean | undefined;
    const sent = await count(async () => {
      recorded = await store.recordStep(stepAt("wf", 0), fence);
    });
    expect(sent).toEqual(["insert", "select"]);
    expect(recorded).toBe(false);
    // The fence no longer holds: nothing is written, and the caller learns it lost the workflow.
    const stale = { executorId: "e", epoch: workflow.ownerEpoch - 1 };
    const rejected = count(() => store.recordStep(stepAt("wf", 2), stale));
    await expect(rejected).rejects.toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
    expect(statements.map((text) => text.trim().split(/\s+/)[0])).toEqual(["insert", "select"]);
    expect(await store.listSteps("wf")).toHaveLength(1);
  });

  it("records 100 concurrent checkpoints with far fewer than 100 statements", async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.createWorkflow(newWorkflow(`wf-${i}`))),
    );
    const steps = Array.from({ length: 100 }, (_, i) => stepAt(`wf-${i % 10}`, Math.floor(i / 10)));
    const fence = { executorId: "e", epoch: 0 };
    const sent = await count(() => Promise.all(steps.map((s) => store.recordStep(s, fence))));
    // Called in one burst, they share one statement (the batch form, a CTE).
    expect(sent).toEqual(["with"]);
    const [row] = await admin.unsafe(`select count(*)::int as n from "${store.schema}".steps`);
    expect(row?.["n"]).toBe(101);
  });

  it("creates a workflow with one statement, whether or not the ID is taken", async () => {
    expect(await count(() => store.createWorkflow(newWorkflow("wf")))).toEqual(["with"]);
    expect(await count(() => store.createWorkflow(newWorkflow("wf")))).toEqual(["with"]);
  });

  it("creates 100 concurrent workflows with far fewer than 100 statements, each answered for itself", async () => {
    await store.createWorkflow({ ...newWorkflow("taken"), input: "old" });
    const ids = Array.from({ length: 100 }, (_, i) => (i === 50 ? "taken" : `wf-${i}`));
    let results: CreateWorkflowResult[] = [];
    const sent = await count(async () => {
      results = await Promise.all(ids.map((id) => store.createWorkflow(newWorkflow(id))));
    });
    expect(sent.every((s) => s === "with")).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(3);
    expect(results.map((r) => r.created)).toEqual(ids.map((id) => id !== "taken"));
    expect(results.map((r) => r.workflow.workflowId)).toEqual(ids);
    expect(results[50]?.workflow.input).toBe("old");
  });

  it("enqueues 100 items called in one burst with one statement, each answered for itself", async () => {
    const queues = createPgQueueStore(store);
    const item = (workflowId: string) => ({
      workflow: newWorkflow(workflowId),
      queueName: "q",
      priority: 0,
      partitionKey: "",
    });
    await queues.enqueue(item("warm-q")); // postgres.js describes a statement before preparing it
    const ids = Array.from({ length: 100 }, (_, i) => `q-${i}`);
    let results: EnqueueResult[] = [];
    const sent = await count(async () => {
      results = await Promise.all(ids.map((id) => queues.enqueue(item(id))));
    });
    // Without gathering the burst, the first call went out alone and the other 99 after it.
    expect(sent).toHaveLength(1);
    expect(results.map((r) => [r.kind, r.workflow.workflowId])).toEqual(
      ids.map((id) => ["created", id]),
    );
  });

  it("never puts two creates of one ID in a statement: one wins, the others get its row", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.createWorkflow({ ...newWorkflow("wf"), input: `${i}` }),
      ),
    );
    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    for (const r of results) expect(r.workflow).toEqual(winners[0]?.workflow);
  });

  it("finishes a workflow with one statement, and 50 concurrent ones with far fewer", async () => {
    await Promise.all(
      Array.from({ length: 51 }, (_, i) => store.createWorkflow(newWorkflow(`wf-${i}`))),
    );
    const finish = (id: string) =>
      store.finishWorkflow({ workflowId: id, executorId: "e", status: "SUCCESS", output: "2" });
    expect(await count(() => finish("wf-50"))).toEqual(["with"]);
    const sent = await count(() =>
      Promise.all(Array.from({ length: 50 }, (_, i) => finish(`wf-${i}`))),
    );
    expect(sent.length).toBeLessThanOrEqual(3);
  });

  it("shows a checkpoint to other connections as soon as recordStep resolves", async () => {
    await store.createWorkflow(newWorkflow("wf"));
    const seen = await Promise.all(
      Array.from({ length: 20 }, async (_, p) => {
        await store.recordStep(stepAt("wf", p));
        return admin.unsafe(
          `select 1 from "${store.schema}".steps where workflow_id = 'wf' and position = $1`,
          [p],
        );
      }),
    );
    expect(seen.every((rows) => rows.length === 1)).toBe(true);
  });

  it("fails only the bad checkpoint of a batch", async () => {
    await store.createWorkflow(newWorkflow("wf"));
    const steps = Array.from({ length: 10 }, (_, p) =>
      stepAt("wf", p, p === 4 ? { attempts: 1.5 } : {}),
    );
    const results = await Promise.allSettled(steps.map((s) => store.recordStep(s)));
    expect(results.map((r) => r.status === "fulfilled")).toEqual(
      steps.map((s) => s.position !== 4),
    );
    expect((await store.listSteps("wf")).map((s) => s.position)).toEqual([
      0, 1, 2, 3, 5, 6, 7, 8, 9,
    ]);
  });
});
