/**
 * The crash worker for the Effect-native API: one process running a Cairn workflow whose steps
 * are Effects. The charge step fails with a `Schema.TaggedError`; the workflow handles it with
 * `catchTag` and compensates in a step that, in the first process, never finishes (the test
 * kills the process there). The second process recovers the workflow when its engine layer is
 * built and prints the result.
 */
import { CairnEngine, step, workflow } from "@cairn/effect";
import { Effect, Schema } from "effect";
import { storeAt } from "../support/store-at.js";
import { CONFIG_ENV, printMarker } from "./process.js";

interface NativeWorkerConfig {
  readonly address: string;
  readonly databaseUrl: string | undefined;
  readonly hangRelease: boolean;
}

const config = JSON.parse(process.env[CONFIG_ENV] ?? "{}") as NativeWorkerConfig;

class Declined extends Schema.TaggedError<Declined>()("Declined", { reason: Schema.String }) {}

const marked = (name: string) => Effect.sync(() => printMarker({ kind: `step:${name}` }));

const reserve = step("reserve", () => Effect.as(marked("reserve"), "R-1"));
const charge = step({ name: "charge", error: Declined }, () =>
  Effect.andThen(marked("charge"), Effect.fail(new Declined({ reason: "no funds" }))),
);
const release = step("release", (reservation: string) =>
  Effect.andThen(
    marked("release"),
    config.hangRelease ? Effect.never : Effect.succeed(reservation),
  ),
);

const order = workflow({ name: "native-order" }, (_: string) =>
  Effect.gen(function* () {
    const reservation = yield* reserve();
    return yield* charge().pipe(
      Effect.catchTag("Declined", (e) =>
        Effect.as(
          release(reservation),
          `released ${reservation}: ${e.reason}, class=${e instanceof Declined}`,
        ),
      ),
    );
  }),
);

const program = CairnEngine.use((engine) =>
  Effect.gen(function* () {
    const handle = yield* engine.start(order, "o-1", { id: "o-1" });
    printMarker({ kind: "started" });
    const result = yield* handle.result;
    printMarker({ kind: "result", result });
  }),
);

const engine = CairnEngine.layer({
  store: () => storeAt(config.address, config.databaseUrl),
  workflows: [order],
  executorId: "native-worker",
});
await Effect.runPromise(program.pipe(Effect.provide(engine)));
process.exit(0);
