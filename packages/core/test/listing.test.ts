/**
 * Finding runs from an engine and a client (memory store): the filters of `listWorkflows` as the
 * public API takes them (Dates or epoch ms, several names, a prefix, top-level only, forks),
 * keyset paging with the last `WorkflowInfo` of a page, listings that leave values out, the run
 * times in a workflow's status, and a bad filter refused before the store is asked.
 */
import { describe, expect, it } from "vitest";
import { createClient, createEngine, InvalidOptionError, workflow } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const child = workflow("child", async (_ctx, n: number) => n + 1);
const parent = workflow("parent", async (ctx, n: number) => {
  const handle = await ctx.start(child, n);
  return { total: await handle.result(), blob: "x".repeat(100) };
});
const fails = workflow("fails", async () => {
  throw new Error("no");
});

async function setup() {
  const store = createMemoryStore();
  const engine = createEngine({
    store,
    workflows: [parent, child, fails],
    logger: recordingLogger(),
  });
  await engine.launch();
  return { store, engine };
}

describe("listWorkflows from the engine and the client", () => {
  it("filters by several names, an ID prefix, top-level only and forks", async () => {
    const { store, engine } = await setup();
    await engine.run(parent, 1, { id: "order-1" });
    await engine.run(parent, 2, { id: "order-2" });
    await engine.run(fails, undefined, { id: "job-1" }).catch(() => undefined);
    await (await engine.fork("order-1", { fromStep: 0, id: "order-1-again" })).result();
    const ids = async (filter: Parameters<typeof engine.listWorkflows>[0]) =>
      (await engine.listWorkflows(filter)).map((w) => w.workflowId).sort();
    expect(await ids({ name: ["fails", "parent"] })).toEqual([
      "job-1",
      "order-1",
      "order-1-again",
      "order-2",
    ]);
    expect(await ids({ workflowIdPrefix: "order-1" })).toEqual([
      "order-1",
      "order-1-again",
      "order-1-again:0", // children's IDs derive from their parent's
      "order-1:0",
    ]);
    expect(await ids({ workflowIdPrefix: "order-1", topLevel: true })).toEqual([
      "order-1",
      "order-1-again",
    ]);
    expect(await ids({ topLevel: true, name: "parent" })).toEqual([
      "order-1",
      "order-1-again",
      "order-2",
    ]);
    expect((await ids({ topLevel: false })).length).toBe(3);
    expect(await ids({ forkedFrom: "order-1" })).toEqual(["order-1-again"]);
    const client = createClient({ store, logger: recordingLogger() });
    expect((await client.listWorkflows({ workflowIdPrefix: "job" })).map((w) => w.status)).toEqual([
      "ERROR",
    ]);
    await client.close();
    await engine.shutdown();
  });

  it("reports when each workflow started and finished, and takes time ranges as Dates", async () => {
    const { engine } = await setup();
    await engine.run(parent, 1, { id: "p" });
    const [info] = await engine.listWorkflows({ workflowIds: ["p"] });
    expect(info?.startedAt).toEqual(info?.createdAt);
    expect(info?.completedAt).toBeInstanceOf(Date);
    expect(info?.completedAt?.getTime()).toBeGreaterThanOrEqual(info?.startedAt?.getTime() ?? 0);
    expect(info).toMatchObject({
      priority: undefined,
      dedupId: undefined,
      partitionKey: undefined,
    });
    const status = await engine.retrieve("p").status();
    expect(status.completedAt).toEqual(info?.completedAt);
    const completed = info?.completedAt ?? new Date(0);
    const inRange = await engine.listWorkflows({
      completedAfter: completed,
      completedBefore: completed.getTime() + 1,
      name: "parent",
    });
    expect(inRange.map((w) => w.workflowId)).toEqual(["p"]);
    expect(await engine.listWorkflows({ startedBefore: info?.startedAt ?? 0 })).toEqual([]);
    await engine.shutdown();
  });

  it("pages by keyset with the last row of the previous page, and leaves values out", async () => {
    const { engine } = await setup();
    for (let i = 0; i < 5; i++) await engine.run(parent, i, { id: `p-${i}` });
    const all = await engine.listWorkflows({ name: "parent", order: "desc" });
    const seen: string[] = [];
    let page = await engine.listWorkflows({ name: "parent", order: "desc", limit: 2 });
    while (page.length > 0) {
      seen.push(...page.map((w) => w.workflowId));
      page = await engine.listWorkflows({
        name: "parent",
        order: "desc",
        limit: 2,
        after: page.at(-1),
        loadInput: false,
        loadOutput: false,
      });
      for (const w of page)
        expect([w.input, w.output, w.error]).toEqual([undefined, undefined, undefined]);
    }
    expect(seen).toEqual(all.map((w) => w.workflowId));
    expect(all[0]?.output).toEqual({ total: 5, blob: "x".repeat(100) });
    await engine.shutdown();
  });

  it("refuses a bad filter with InvalidOptionError naming the field", async () => {
    const { engine } = await setup();
    const bad = [
      [{ createdAfter: new Date(Number.NaN) }, "createdAfter"],
      [{ completedBefore: Number.POSITIVE_INFINITY }, "completedBefore"],
      [{ limit: -1 }, "limit"],
      [{ offset: 1.5 }, "offset"],
      [{ after: { createdAt: new Date(Number.NaN), workflowId: "x" } }, "after.createdAt"],
    ] as const;
    for (const [filter, option] of bad) {
      const listing = engine.listWorkflows(filter);
      await expect(listing).rejects.toThrow(InvalidOptionError);
      await expect(listing).rejects.toMatchObject({ option });
    }
    await engine.shutdown();
  });
});
