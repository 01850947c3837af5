/**
 * `EnginePluginHost.run` with `finish`: the runs a plugin starts this way record their outcome
 * through the plugin's finisher instead of the store (a queue plugin writes them with its next
 * claim), and a finisher that reports lost ownership ends the run as lost, writing nothing.
 */
import { describe, expect, it } from "vitest";
import {
  createEngine,
  workflow,
  WorkflowOwnershipLostError,
  type EnginePlugin,
  type EnginePluginHost,
  type Fence,
  type RunFinisher,
  type WorkflowOutcome,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const doubled = workflow({ name: "doubled" }, async (_ctx, n: number) => n * 2);

/** A plugin that keeps the host it is started with. */
function hostCatcher() {
  let host: EnginePluginHost | undefined;
  const plugin: EnginePlugin = {
    kind: "test/host",
    start: (h) => {
      host = h;
    },
    stop: () => Promise.resolve(),
  };
  return { plugin, host: () => host ?? expect.fail("the plugin was not started") };
}

async function setUp() {
  const store = createMemoryStore();
  const caught = hostCatcher();
  const engine = createEngine({
    store,
    workflows: [doubled],
    plugins: [caught.plugin],
    executorId: "me",
    logger: recordingLogger(),
  });
  await engine.launch();
  const host = caught.host();
  const { workflow: record } = await store.createWorkflow({
    workflowId: "w",
    name: "doubled",
    input: host.serializer.serialize(21, "input"),
    executorId: "me",
  });
  return { store, engine, host, record };
}

describe("a plugin's run with its own finisher", () => {
  it("records the outcome through the finisher, not the store", async () => {
    const { store, engine, host, record } = await setUp();
    const calls: [WorkflowOutcome, Fence][] = [];
    const finish: RunFinisher = async (outcome, fence) => {
      calls.push([outcome, fence]);
      return store.finishWorkflow(outcome, fence);
    };
    await host.run([record], { withoutSteps: ["w"], finish });
    expect(await engine.retrieve(doubled, "w").result()).toBe(42);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toMatchObject({ workflowId: "w", executorId: "me", status: "SUCCESS" });
    expect(calls[0]?.[1]).toEqual({ executorId: "me", epoch: record.ownerEpoch });
    await engine.shutdown();
  });

  it("ends the run as lost when the finisher reports that another executor owns it", async () => {
    const { store, engine, host, record } = await setUp();
    const ended: string[] = [];
    host.onRunEnded((id, status) => ended.push(`${id}:${status}`));
    const finish: RunFinisher = (_outcome, fence) =>
      Promise.reject(new WorkflowOwnershipLostError("w", fence.executorId));
    await host.run([record], { withoutSteps: ["w"], finish });
    await expect.poll(() => ended).toEqual(["w:PENDING"]);
    expect(await store.getWorkflow("w")).toMatchObject({ status: "PENDING" }); // nothing written
    await engine.shutdown();
  });
});
