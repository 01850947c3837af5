import { createMemoryStore } from "@cairn/core/testing";
import { Cause, Effect, Exit, Fiber, type Layer, Option, Schedule, Schema } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import {
  CairnEngine,
  recv,
  sleep,
  step,
  uuid,
  workflow,
  WorkflowCancelled,
  type AnyEffectWorkflow,
} from "../../src/index.js";
import { build, silent, type Built } from "../support/scoped.js";

class Rejected extends Schema.TaggedError<Rejected>()("Rejected", { code: Schema.Number }) {}

let open: Built<CairnEngine>[] = [];
afterEach(async () => {
  await Promise.all(open.map((engine) => engine.close()));
  open = [];
});

async function engineWith(workflows: readonly AnyEffectWorkflow[]) {
  const store = createMemoryStore();
  const layer = CairnEngine.layer({ store, workflows, pollIntervalMs: 20, logger: silent });
  const engine = await build(layer as Layer.Layer<CairnEngine>);
  open.push(engine);
  return { engine, store };
}

const exploding = step("explode", () => Effect.die(new RangeError("boom")));
const quitting = step("quit", () => Effect.interrupt);
const rejecting = step({ name: "reject", error: Rejected }, (code: number) =>
  Effect.fail(new Rejected({ code })),
);

const failures = workflow(
  { name: "failures", input: Schema.Struct({ kind: Schema.String }), error: Rejected },
  ({ kind }) =>
    kind === "defect" ? exploding() : kind === "interrupt" ? quitting() : rejecting(7),
);

describe("how an Effect workflow's failure reaches its caller", () => {
  it("delivers a typed failure as the same class in the error channel", async () => {
    const { engine } = await engineWith([failures]);
    const exit = await engine.runExit(CairnEngine.use((e) => e.run(failures, { kind: "typed" })));
    expect(exit).toEqual(Exit.fail(new Rejected({ code: 7 })));
    const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none();
    expect(Option.getOrThrow(error)).toBeInstanceOf(Rejected);
  });

  it("keeps a defect a defect, with its name and message", async () => {
    const { engine } = await engineWith([failures]);
    const exit = await engine.runExit(CairnEngine.use((e) => e.run(failures, { kind: "defect" })));
    expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true);
    expect(Exit.isFailure(exit) && Cause.hasFails(exit.cause)).toBe(false);
    const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined;
    expect(defect).toMatchObject({ name: "RangeError", message: "boom" });
  });

  it("keeps an interruption inside the workflow an interruption", async () => {
    const { engine } = await engineWith([failures]);
    const exit = await engine.runExit(
      CairnEngine.use((e) => e.run(failures, { kind: "interrupt" })),
    );
    expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true);
  });
});

const waiting = workflow({ name: "waiting" }, (_: string) =>
  recv("go").pipe(Effect.onInterrupt(() => Effect.sync(() => (interruptedBodies += 1)))),
);
let interruptedBodies = 0;

describe("interruption and cancellation", () => {
  it("cancels the workflow when the fiber running it is interrupted", async () => {
    const { engine } = await engineWith([waiting]);
    const fiber = Effect.runFork(
      Effect.provideContext(
        CairnEngine.use((e) => e.run(waiting, "x", { id: "w1" })),
        engine.context,
      ),
    );
    const status = CairnEngine.use((e) => e.retrieve(waiting, "w1").status);
    while ((await engine.runExit(status))._tag === "Failure") await new Promise(setImmediate);
    await Effect.runPromise(Fiber.interrupt(fiber));
    expect((await engine.run(status)).status).toBe("CANCELLED");
  });

  it("interrupts the body of a cancelled workflow and fails its caller with WorkflowCancelled", async () => {
    const { engine } = await engineWith([waiting]);
    interruptedBodies = 0;
    const handle = await engine.run(CairnEngine.use((e) => e.start(waiting, "x", { id: "w2" })));
    await engine.run(handle.cancel);
    const exit = await engine.runExit(handle.result);
    expect(exit).toEqual(Exit.fail(new WorkflowCancelled({ workflowId: "w2" })));
    while (interruptedBodies === 0) await new Promise(setImmediate);
    expect(interruptedBodies).toBe(1);
  });
});

let attempts = 0;
const flaky = step({ name: "flaky", retry: Schedule.recurs(3) }, () =>
  Effect.suspend(() =>
    ++attempts < 3 ? Effect.fail("not yet" as const) : Effect.succeed(attempts),
  ),
);
const timed = workflow(
  { name: "timed", input: Schema.Struct({ amount: Schema.Number }) },
  ({ amount }) =>
    Effect.gen(function* () {
      const id = yield* uuid;
      yield* sleep("5 millis");
      const tries = yield* flaky();
      return { amount, tries, idLength: id.length };
    }),
);

describe("schemas, retries and durable operations", () => {
  it("rejects an input that does not match its schema, writing nothing", async () => {
    const { engine } = await engineWith([timed]);
    const exit = await engine.runExit(
      CairnEngine.use((e) => e.start(timed, { amount: "ten" } as unknown as { amount: number })),
    );
    expect(Exit.isFailure(exit) && Cause.hasFails(exit.cause)).toBe(true);
    const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined;
    expect(Schema.isSchemaError(error)).toBe(true);
    expect(
      await engine.run(CairnEngine.use((e) => Effect.promise(() => e.engine.listWorkflows()))),
    ).toEqual([]);
  });

  it("retries a step on its Schedule and records one checkpoint per durable operation", async () => {
    attempts = 0;
    const { engine } = await engineWith([timed]);
    const result = await engine.run(
      CairnEngine.use((e) => e.run(timed, { amount: 3 }, { id: "t1" })),
    );
    expect(result).toEqual({ amount: 3, tries: 3, idLength: 36 });
    const steps = await engine.run(
      CairnEngine.use((e) => Effect.promise(() => e.engine.listSteps("t1"))),
    );
    expect(steps.map((s) => s.name)).toEqual(["cairn.uuid", "cairn.sleep", "flaky"]);
  });
});
