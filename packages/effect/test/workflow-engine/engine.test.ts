import { Effect, Exit, Fiber, Layer, Option, Schedule } from "effect";
import { DurableDeferred, type WorkflowEngine } from "effect/workflow";
import type { WorkflowStore } from "@cairn/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { layerWorkflowEngine } from "../../src/index.js";
import {
  memoryBackend,
  pgliteBackend,
  postgresBackend,
  type Backend,
  type TestDatabase,
} from "../support/backends.js";
import { build, type Built } from "../support/scoped.js";
import {
  Approval,
  Checkout,
  Counts,
  Fulfilment,
  FulfilmentLive,
  live,
  PaymentDeclined,
  Shipment,
  ShipmentApproval,
} from "./fixtures.js";

type Engine = Built<WorkflowEngine.WorkflowEngine>;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An engine on `database`, and its store (to look at; the engine closes it). */
async function engineOn(database: TestDatabase, counts: Record<string, number>) {
  const store = database.store();
  const engine: Engine = await build(live(layerWorkflowEngine({ store }), counts));
  cleanups.push(() => engine.close());
  return Object.assign(engine, { store });
}

function newDatabase(backend: Backend): TestDatabase {
  const database = backend.database();
  cleanups.push(() => database.drop());
  return database;
}

const payload = (orderId: string, amount = 40, clockMs = 0) => ({ orderId, amount, clockMs });

/** A stand-in for encryption at rest: what it wrote is unreadable without it. */
const sealed = {
  encode: (text: string) => `sealed:${Buffer.from(text).toString("base64")}`,
  decode: (text: string) => Buffer.from(text.slice("sealed:".length), "base64").toString(),
};

/** Waits until the execution has parked (on the approval deferred). */
const suspended = (executionId: string) =>
  Checkout.poll(executionId).pipe(
    Effect.repeat({
      schedule: Schedule.spaced("5 millis"),
      until: (result) => Option.isSome(result) && result.value._tag === "Suspended",
    }),
  );

const approve = (input: ReturnType<typeof payload>, by: string) =>
  Effect.flatMap(
    DurableDeferred.tokenFromPayload(Approval, { workflow: Checkout, payload: input }),
    (token) => DurableDeferred.succeed(Approval, { token, value: by }),
  );

describe.each([memoryBackend, pgliteBackend, postgresBackend])(
  "effect/workflow programs on a Cairn store ($name)",
  (backend) => {
    beforeAll(() => backend.open());
    afterAll(() => backend.close());

    it.skipIf(backend.skip)(
      "runs activities once, waits for a deferred and a durable clock, then completes",
      async () => {
        const counts: Record<string, number> = {};
        const engine = await engineOn(newDatabase(backend), counts);
        const input = payload("o1", 40, 30);
        const fiber = Effect.runFork(
          Effect.provideContext(Checkout.execute(input), engine.context),
        );
        const id = await engine.run(Checkout.executionId(input));
        await engine.run(suspended(id));
        await engine.run(approve(input, "alice"));
        const result = await Effect.runPromise(Fiber.join(fiber));
        expect(result).toBe("R-o1 / approved by alice / paid 40");
        expect(counts).toEqual({ reserve: 1, charge: 1 });
        const polled = await engine.run(Checkout.poll(id));
        expect(Option.getOrThrow(polled)).toMatchObject({
          _tag: "Complete",
          exit: Exit.succeed(result),
        });
      },
    );

    it.skipIf(backend.skip)(
      "advertises its workflows' tags, so a client's start by name finds an engine for them",
      async () => {
        const engine = await engineOn(newDatabase(backend), {});
        const executors = await engine.store.listExecutors();
        expect(executors).toHaveLength(1);
        expect(executors[0]?.workflowNames).toEqual(expect.arrayContaining(["Checkout"]));
      },
    );

    it.skipIf(backend.skip)(
      "stores every value through the engine's serialization codec (encryption at rest)",
      async () => {
        const counts: Record<string, number> = {};
        const store = newDatabase(backend).store();
        const engine: Engine = await build(
          live(layerWorkflowEngine({ store, serialization: { codec: sealed } }), counts),
        );
        cleanups.push(() => engine.close());
        const input = payload("o9", 40, 10);
        const id = await engine.run(Checkout.execute(input, { discard: true }));
        await engine.run(suspended(id));
        await engine.run(approve(input, "erin"));
        const result = await engine.run(Checkout.execute(input));
        expect(result).toBe("R-o9 / approved by erin / paid 40");

        const record = await store.getWorkflow(id);
        const stored = [
          record?.input,
          record?.output,
          await store.getEvent(id, "effect/activity/reserve/1"),
          await store.getEvent(id, "effect/activity/charge/1"),
          await store.getEvent(id, "effect/deferred/approval"),
          await store.getEvent(id, "effect/clock/cool-off"),
        ];
        for (const text of stored) expect(text).toContain("sealed:");
        expect(stored.join(" ")).not.toContain("o9");
      },
    );

    it.skipIf(backend.skip)(
      "maps the idempotency key to one Cairn workflow and never runs an execution twice",
      async () => {
        const counts: Record<string, number> = {};
        const database = newDatabase(backend);
        const engine = await engineOn(database, counts);
        const input = payload("o2");
        const id = await engine.run(Checkout.execute(input, { discard: true }));
        await engine.run(suspended(id));
        await engine.run(Checkout.execute(input, { discard: true }));
        await engine.run(approve(input, "bob"));
        const first = await engine.run(Checkout.execute(input));
        const second = await engine.run(Checkout.execute(input));
        expect(second).toBe(first);
        expect(counts).toEqual({ reserve: 1, charge: 1 });
        const record = await engine.store.getWorkflow(id);
        expect(record).toMatchObject({ workflowId: id, name: "Checkout", status: "SUCCESS" });
      },
    );

    it.skipIf(backend.skip)(
      "runs compensation when the workflow fails and delivers the typed failure",
      async () => {
        const counts: Record<string, number> = {};
        const engine = await engineOn(newDatabase(backend), counts);
        const input = payload("o3", 150);
        const id = await engine.run(Checkout.execute(input, { discard: true }));
        await engine.run(suspended(id));
        await engine.run(approve(input, "carol"));
        const exit = await engine.runExit(Checkout.execute(input));
        const error = Option.getOrThrow(Exit.findErrorOption(exit));
        expect(error).toBeInstanceOf(PaymentDeclined);
        expect(error).toMatchObject({ _tag: "PaymentDeclined", amount: 150 });
        expect(counts).toEqual({ reserve: 1, charge: 1, release: 1 });
      },
    );

    it.skipIf(backend.skip)(
      "interrupts a suspended execution: compensations run and Cairn records it CANCELLED",
      async () => {
        const counts: Record<string, number> = {};
        const database = newDatabase(backend);
        const engine = await engineOn(database, counts);
        const input = payload("o4");
        const id = await engine.run(Checkout.execute(input, { discard: true }));
        await engine.run(suspended(id));
        await engine.run(Checkout.interrupt(id));
        const result = await engine.run(
          Checkout.poll(id).pipe(
            Effect.repeat({
              schedule: Schedule.spaced("5 millis"),
              until: (r) => Option.isSome(r) && r.value._tag === "Complete",
            }),
          ),
        );
        const exit =
          Option.isSome(result) && result.value._tag === "Complete" ? result.value.exit : undefined;
        expect(exit && Exit.hasInterrupts(exit)).toBe(true);
        expect(counts).toEqual({ reserve: 1, release: 1 });
        expect(await engine.store.getWorkflow(id)).toMatchObject({ status: "CANCELLED" });
      },
    );

    it.skipIf(backend.skip)(
      "picks an execution up after a restart without running recorded activities again",
      async () => {
        const counts: Record<string, number> = {};
        const database = newDatabase(backend);
        const first = await engineOn(database, counts);
        const input = payload("o5", 40, 20);
        const id = await first.run(Checkout.execute(input, { discard: true }));
        await first.run(suspended(id));
        await first.close();
        cleanups.splice(cleanups.length - 1, 1);
        const second = await engineOn(database, counts);
        await second.run(suspended(id));
        await second.run(approve(input, "dave"));
        const result = await second.run(Checkout.execute(input));
        expect(result).toBe("R-o5 / approved by dave / paid 40");
        expect(counts).toEqual({ reserve: 1, charge: 1 });
      },
    );
  },
);

describe("ownership", () => {
  it("completes an execution under the engine that took it over; the old engine's run does not compensate", async () => {
    const counts: Record<string, number> = {};
    const database = newDatabase(memoryBackend);
    const first = await engineOn(database, counts);
    const input = payload("o6");
    const id = await first.run(Checkout.execute(input, { discard: true }));
    await first.run(suspended(id));
    // The memory store is exclusive: a second engine takes every execution over at once.
    const second = await engineOn(database, counts);
    await second.run(suspended(id));
    const taken = await second.store.getWorkflow(id);
    // Completing the deferred through the first engine wakes its stale run too.
    await first.run(approve(input, "erin"));
    const result = await second.run(Checkout.execute(input));
    expect(result).toBe("R-o6 / approved by erin / paid 40");
    expect(await second.store.getWorkflow(id)).toMatchObject({
      status: "SUCCESS",
      executorId: taken?.executorId,
    });
    expect(counts["reserve"]).toBe(1);
    expect(counts["release"]).toBeUndefined();
  });
});

describe("child workflows", () => {
  const fulfilmentOn = async (store: WorkflowStore, counts: Record<string, number>) => {
    const engine = await build(
      FulfilmentLive.pipe(
        Layer.provideMerge(layerWorkflowEngine({ store })),
        Layer.provide(Layer.succeed(Counts)(counts)),
      ),
    );
    cleanups.push(() => engine.close());
    return engine;
  };
  const childParked = (childId: string) =>
    Shipment.poll(childId).pipe(
      Effect.repeat({
        schedule: Schedule.spaced("5 millis"),
        until: (r) => Option.isSome(r) && r.value._tag === "Suspended",
      }),
    );

  it.each([false, true])(
    "runs a child to completion and wakes its parent, which then completes (restart: %s)",
    async (restart) => {
      const counts: Record<string, number> = {};
      const store = newDatabase(memoryBackend).store();
      let engine = await fulfilmentOn(store, counts);
      const parentId = await engine.run(Fulfilment.execute({ orderId: "f1" }, { discard: true }));
      const childId = await engine.run(Shipment.executionId({ orderId: "f1" }));
      await engine.run(childParked(childId));
      if (restart) {
        await engine.close();
        cleanups.pop();
        engine = await fulfilmentOn(store, counts);
        await engine.run(childParked(childId));
      }
      const token = DurableDeferred.tokenFromExecutionId(ShipmentApproval, {
        workflow: Shipment,
        executionId: childId,
      });
      await engine.run(DurableDeferred.succeed(ShipmentApproval, { token, value: "ups" }));
      const result = await engine.run(Fulfilment.execute({ orderId: "f1" }));
      expect(result).toBe("packed f1; f1 shipped by ups");
      expect(counts).toEqual({ pack: 1 });
      expect(await store.getWorkflow(childId)).toMatchObject({ parentWorkflowId: parentId });
    },
  );
});
