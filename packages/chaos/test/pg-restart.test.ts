/**
 * Postgres restarts under a running engine, on a cluster of this file's own (so no other test
 * sees the restart): a workflow caught in the middle of a step while the server restarts records
 * that step once the server is back and finishes, every step recorded once and run once; and a
 * batch of workflows survives several restarts the same way. Nothing dies but the server, so no
 * step body may run twice.
 */
import {
  createEngine,
  step,
  workflow,
  type Engine,
  type Logger,
  type WorkflowStore,
} from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../src/cluster.js";
import { skipWithoutPostgres } from "./support.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe.skipIf(skipWithoutPostgres)("a Postgres restart mid-workflow", () => {
  let cluster: Cluster;
  const opened: { engine: Engine; store: WorkflowStore }[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ port: 5800 + Math.floor(Math.random() * 200) });
  });
  afterAll(async () => {
    for (const { engine } of opened) await engine.shutdown().catch(() => undefined);
    await cluster?.destroy();
  });

  const engineWith = async (
    schema: string,
    workflows: Parameters<typeof createEngine>[0]["workflows"],
  ) => {
    const store = createPgStore({ url: cluster.url, schema, max: 4 });
    const engine = createEngine({
      store,
      workflows,
      logger: quiet,
      pollIntervalMs: 200,
      leaseMs: 3_000,
    });
    opened.push({ engine, store });
    await engine.launch();
    return { engine, store };
  };

  it("a step running while the server restarts is recorded once it is back, and the workflow finishes", async () => {
    const runs: Record<string, number> = {};
    const inside = gate();
    const release = gate();
    const counted = (name: string, body: () => Promise<void> = async () => undefined) =>
      step(name, async (n: number) => {
        runs[name] = (runs[name] ?? 0) + 1;
        await body();
        return n + 1;
      });
    const s1 = counted("s1");
    const s2 = counted("s2", async () => {
      inside.open();
      await release.wait;
    });
    const s3 = counted("s3");
    const s4 = counted("s4");
    const flow = workflow("restart.mid-step", async (ctx, n: number) =>
      s4(ctx, await s3(ctx, await s2(ctx, await s1(ctx, n)))),
    );
    const { engine, store } = await engineWith("restart_mid_step", [flow]);
    const handle = await engine.start(flow, 10, { id: "mid" });
    await inside.wait; // s1 is recorded; s2's body is running
    await cluster.restart(); // every connection drops; the server comes back
    release.open(); // s2 returns: its checkpoint is written to the restarted server
    await expect(handle.result()).resolves.toBe(14);
    const steps = await store.listSteps("mid");
    expect(steps.map((s) => `${s.position}:${s.name}`)).toEqual(["0:s1", "1:s2", "2:s3", "3:s4"]);
    expect(runs).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
  });

  it("a batch of workflows runs through three restarts, each step run and recorded once", async () => {
    const runs = new Map<string, number>();
    const names = ["a", "b", "c", "d", "e"];
    const steps = names.map((name) =>
      step.withContext(name, async ({ workflowId }, n: number) => {
        runs.set(`${workflowId}/${name}`, (runs.get(`${workflowId}/${name}`) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
        return n * 2;
      }),
    );
    const flow = workflow("restart.batch", async (ctx, n: number) => {
      let value = n;
      for (const s of steps) value = await s(ctx, value);
      return value;
    });
    const { engine, store } = await engineWith("restart_batch", [flow]);
    const handles = await Promise.all(
      Array.from({ length: 30 }, (_, i) => engine.start(flow, i, { id: `b-${i}` })),
    );
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 80));
      await cluster.restart();
    }
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i * 32));
    for (let i = 0; i < 30; i++) {
      const recorded = await store.listSteps(`b-${i}`);
      expect(recorded.map((s) => s.name)).toEqual(names);
      for (const name of names) expect(runs.get(`b-${i}/${name}`), `b-${i}/${name}`).toBe(1);
    }
  });
});
