/**
 * The crash worker: one process running an unmodified `effect/workflow` program on
 * `layerWorkflowEngine`. It starts (or, after a crash, recovers) one execution and reports each
 * moment a test may kill it at: an activity starting, the durable clock's wake-up time being
 * recorded, the execution suspended on its deferred. Configured by {@link WorkerConfig}.
 */
import { Effect, Layer, Option, Schedule, Schema } from "effect";
import { Activity, DurableClock, DurableDeferred, Workflow } from "effect/workflow";
import { layerWorkflowEngine } from "../../src/index.js";
import { storeAt } from "../support/store-at.js";
import { CONFIG_ENV, printMarker } from "./process.js";

export interface WorkerConfig {
  readonly address: string;
  readonly databaseUrl: string | undefined;
  readonly payload: {
    readonly orderId: string;
    readonly clockMs: number;
    readonly approval: boolean;
  };
  /** The charge activity never finishes (the test kills the process in it). */
  readonly hangCharge?: boolean;
  /** Complete the approval deferred with this value. */
  readonly approveWith?: string;
  /** Report when the execution is suspended. */
  readonly reportSuspended?: boolean;
}

const config = JSON.parse(process.env[CONFIG_ENV] ?? "{}") as WorkerConfig;

const Approval = DurableDeferred.make("approval", { success: Schema.String });

const Order = Workflow.make("CrashOrder", {
  payload: { orderId: Schema.String, clockMs: Schema.Number, approval: Schema.Boolean },
  success: Schema.String,
  idempotencyKey: ({ orderId }) => orderId,
});

const activity = (name: string, run: Effect.Effect<string>) =>
  Activity.make({
    name,
    success: Schema.String,
    execute: Effect.andThen(
      Effect.sync(() => printMarker({ kind: `activity:${name}` })),
      run,
    ),
  });

const OrderLive = Order.toLayer(({ orderId, clockMs, approval }) =>
  Effect.gen(function* () {
    const reservation = yield* activity("reserve", Effect.succeed(`R-${orderId}`));
    const approver = approval ? yield* DurableDeferred.await(Approval) : "nobody";
    if (clockMs > 0) {
      yield* DurableClock.sleep({ name: "cool-off", duration: clockMs, inMemoryThreshold: 0 });
    }
    const receipt = yield* activity(
      "charge",
      config.hangCharge ? Effect.never : Effect.succeed("paid"),
    );
    return `${reservation} / ${approver} / ${receipt}`;
  }),
);

const store = storeAt(config.address, config.databaseUrl);
const live = OrderLive.pipe(
  Layer.provideMerge(layerWorkflowEngine({ store, executorId: "crash-worker", leaseMs: 60_000 })),
);

const spaced = Schedule.spaced("10 millis");

const program = Effect.gen(function* () {
  const id = yield* Order.execute(config.payload, { discard: true });
  printMarker({ kind: "started", id });
  const clockKey = "effect/clock/cool-off";
  const clock = Effect.promise(() => store.getEvent(id, clockKey)).pipe(
    Effect.repeat({ schedule: spaced, until: (value) => value !== undefined }),
  );
  if (config.payload.clockMs > 0) {
    yield* clock.pipe(
      Effect.tap((wakeAt) => Effect.sync(() => printMarker({ kind: "clock", wakeAt }))),
      Effect.forkChild,
    );
  }
  if (config.reportSuspended) {
    yield* Order.poll(id).pipe(
      Effect.repeat({
        schedule: spaced,
        until: (result) => Option.isSome(result) && result.value._tag === "Suspended",
      }),
    );
    printMarker({ kind: "suspended" });
  }
  if (config.approveWith !== undefined) {
    const token = yield* DurableDeferred.tokenFromPayload(Approval, {
      workflow: Order,
      payload: config.payload,
    });
    yield* DurableDeferred.succeed(Approval, { token, value: config.approveWith });
  }
  const result = yield* Order.execute(config.payload);
  const wakeAt = yield* Effect.promise(() => store.getEvent(id, clockKey));
  printMarker({ kind: "result", result, wakeAt });
});

await Effect.runPromise(program.pipe(Effect.provide(live)));
process.exit(0);
