import { createMemoryStore } from "@cairn/core/testing";
import { Cause, Exit, Layer } from "effect";
import { describe, expect, it } from "vitest";
import { CairnEngine } from "../../src/index.js";
import { build, silent } from "../support/scoped.js";
import { newProbe, order, paymentsLayer, probeLayer, type Probe } from "./fixtures.js";

/**
 * In-process crashes: the first engine's scope is abandoned while `ship` hangs, and a second
 * engine on the same store recovers the run. (Real SIGKILL tests are in test/crash/.)
 */
const engineLayer = (store: ReturnType<typeof createMemoryStore>, probe: Probe["Service"]) =>
  CairnEngine.layer({ store, workflows: [order], pollIntervalMs: 20, logger: silent }).pipe(
    Layer.provide(Layer.mergeAll(paymentsLayer, probeLayer(probe))),
  );

async function crashAtShip(input: { sku: string; amount: number }) {
  const store = createMemoryStore();
  const probe = newProbe();
  probe.hangShip = true;
  const first = await build(engineLayer(store, probe));
  await first.run(CairnEngine.use((engine) => engine.start(order, input, { id: "o1" })));
  await until(() => probe.runs["ship"] === 1);
  const before = { ...probe.runs };
  probe.hangShip = false;
  const second = await build(engineLayer(store, probe));
  const output = await second.run(CairnEngine.use((engine) => engine.retrieve(order, "o1").result));
  await second.close();
  return { output, before, after: probe.runs };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("Effect-native workflows after a crash", () => {
  it("does not run recorded steps again and finishes with the services of the new layers", async () => {
    const { output, before, after } = await crashAtShip({ sku: "book", amount: 40 });
    expect(output).toBe("R-book / receipt-40 / shipped-book");
    expect(before).toEqual({ reserve: 1, charge: 1, ship: 1 });
    expect(after).toEqual({ reserve: 1, charge: 1, ship: 2 });
  });

  it("replays a recorded Schema error as an instance of its class, so catchTag takes the same branch", async () => {
    const { output, after } = await crashAtShip({ sku: "book", amount: 150 });
    expect(output).toBe("R-book / declined(limit exceeded by 50, class=true) / shipped-book");
    expect(after["charge"]).toBe(1);
  });

  it("replays a schema-less tagged error with its _tag and fields, so catchTag still matches", async () => {
    const { output, after } = await crashAtShip({ sku: "none", amount: 40 });
    // Without an error schema the class is not known on replay: the value is an Error carrying
    // the same _tag and fields (documented in docs/effect.md).
    expect(output).toBe("no-none:false / receipt-40 / shipped-none");
    expect(after["reserve"]).toBe(1);
  });
});

describe("running an Effect workflow to the end", () => {
  it("gives the same result without a crash as after one", async () => {
    const probe = newProbe();
    const engine = await build(engineLayer(createMemoryStore(), probe));
    const exit = await engine.runExit(
      CairnEngine.use((e) => e.run(order, { sku: "book", amount: 150 })),
    );
    await engine.close();
    expect(exit).toEqual(
      Exit.succeed("R-book / declined(limit exceeded by 50, class=true) / shipped-book"),
    );
  });

  it("lets the layer's scope shut the engine down: later calls fail", async () => {
    const store = createMemoryStore();
    const engine = await build(engineLayer(store, newProbe()));
    await engine.close();
    const exit = await engine.runExit(
      CairnEngine.use((e) => e.start(order, { sku: "a", amount: 1 })),
    );
    expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true);
  });
});
