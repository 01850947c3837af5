/**
 * `ctx.enqueue` across a real crash, on Postgres: a worker process whose parent workflow has
 * enqueued its children (the enqueues are checkpointed) is SIGKILLed; a new process with the same
 * executor ID recovers the parent, which replays its enqueues without writing to the queue store
 * again, and the children — enqueued once — run in the queue and hand the parent their results.
 */
import { deserialize } from "@cairn/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../../src/index.js";
import { spawnMarked, type MarkedProcess } from "../crash/marked-process.js";
import { adminSql, databaseUrl, dropSchema, uniqueSchema } from "../support/databases.js";
import type { ChildEnqueueMarker, ChildEnqueueWorkerConfig } from "./child-enqueue-worker.js";
import { eventually } from "./support.js";

describe.skipIf(!databaseUrl)("a parent killed after enqueueing its children", () => {
  const schema = uniqueSchema();
  let store: PgStore;

  beforeAll(async () => {
    store = createPgStore({ url: databaseUrl, schema, max: 2 });
    await store.migrate();
  });

  afterAll(async () => {
    await store.close();
    const admin = adminSql();
    await dropSchema(admin, schema);
    await admin.end();
  });

  it("resumes without enqueueing again, and gets the children's results", async () => {
    const script = new URL("./child-enqueue-worker.ts", import.meta.url);
    const base = { url: databaseUrl ?? "", schema, executorId: "enqueuer-1", parentId: "parent" };
    const config = (c: Pick<ChildEnqueueWorkerConfig, "serve" | "start">) => ({ ...base, ...c });
    const workers: MarkedProcess<ChildEnqueueMarker>[] = [];
    try {
      // First life: enqueue three children on a queue nobody serves yet, then die.
      const first = spawnMarked<ChildEnqueueMarker>(script, config({ serve: false, start: true }));
      workers.push(first);
      const { children } = await first.waitFor("enqueued");
      await first.kill();
      expect([...children].sort()).toEqual(["parent:0", "parent:1", "parent:2"]);
      expect(first.markers.filter((m) => m.kind === "enqueue-call")).toHaveLength(3);
      expect(await store.getWorkflow("parent")).toMatchObject({ status: "PENDING" });
      const waiting = await store.listWorkflows({ parentWorkflowId: "parent" });
      expect(waiting.map((w) => w.status)).toEqual(["ENQUEUED", "ENQUEUED", "ENQUEUED"]);

      // Second life: recovers the parent, serves the queue.
      const second = spawnMarked<ChildEnqueueMarker>(script, config({ serve: true, start: false }));
      workers.push(second);
      await eventually(
        async () => (await store.getWorkflow("parent"))?.status === "SUCCESS",
        60_000,
        "the recovered parent to succeed",
      );
      const parent = await store.getWorkflow("parent");
      expect(deserialize(parent?.output ?? "")).toEqual([
        "delivered x",
        "delivered y",
        "delivered z",
      ]);
      // The replay found its three enqueues recorded: no write reached the queue store.
      expect(second.markers.filter((m) => m.kind === "enqueue-call")).toEqual([]);
      expect(second.markers.filter((m) => m.kind === "enqueued")).toHaveLength(1);
      const ranChildren = second.markers.flatMap((m) => (m.kind === "child-ran" ? [m.label] : []));
      expect(ranChildren.sort()).toEqual(["x", "y", "z"]);
      const done = await store.listWorkflows({ parentWorkflowId: "parent" });
      expect(done.map((w) => [w.workflowId, w.status]).sort()).toEqual([
        ["parent:0", "SUCCESS"],
        ["parent:1", "SUCCESS"],
        ["parent:2", "SUCCESS"],
      ]);
    } finally {
      await Promise.all(workers.map((w) => w.kill()));
    }
  }, 120_000);
});
