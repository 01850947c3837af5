/**
 * The durable operations of a Cairn workflow, as Effects: each is core's context method of the
 * same name (checkpointed, so a replay sees the recorded value), with Effect's types at the edge —
 * a `Duration.Input` for sleeps and timeouts, an `Option` for waits that may time out, a
 * `Schema` to decode what arrives. Used inside a workflow body; they need `CurrentWorkflow`.
 */
import { Duration, Effect, Option } from "effect";
import { decodeValue, encodeValue, type ValueSchema } from "./codec.js";
import { CurrentWorkflow, withContext } from "./current-workflow.js";

const millis = (duration: Duration.Input): number =>
  Duration.toMillis(Duration.fromInputUnsafe(duration));

/**
 * Sleeps durably: the wake-up time is checkpointed, so after a restart the workflow sleeps only
 * what remains. Takes an Effect duration: `sleep("2 hours")`, `sleep(Duration.days(1))`.
 */
export const sleep = (duration: Duration.Input): Effect.Effect<void, never, CurrentWorkflow> =>
  withContext((context) => context.sleep(millis(duration)));

/** The current time in epoch milliseconds, checkpointed. */
export const now: Effect.Effect<number, never, CurrentWorkflow> = withContext((context) =>
  context.now(),
);

/** A random number in [0, 1), checkpointed. */
export const random: Effect.Effect<number, never, CurrentWorkflow> = withContext((context) =>
  context.random(),
);

/** A random UUID, checkpointed. */
export const uuid: Effect.Effect<string, never, CurrentWorkflow> = withContext((context) =>
  context.uuid(),
);

/** The ID of the running workflow. */
export const workflowId: Effect.Effect<string, never, CurrentWorkflow> = CurrentWorkflow.useSync(
  ({ context }) => context.workflowId,
);

/** Options of {@link recv} and {@link getEvent}. */
export interface WaitOptions<A> {
  /** Give up after this long with `Option.none()`. The deadline is checkpointed. */
  readonly timeout?: Duration.Input;
  /** Decodes what arrives (it was encoded with the same schema by the sender). */
  readonly schema?: ValueSchema<A>;
}

const waitOptions = (timeout: Duration.Input | undefined) =>
  timeout === undefined ? undefined : { timeoutMs: millis(timeout) };

/** Takes the oldest message on `topic` sent to this workflow, exactly once, waiting for one. */
export const recv = <A = unknown>(
  topic: string,
  options: WaitOptions<A> = {},
): Effect.Effect<Option.Option<A>, never, CurrentWorkflow> =>
  withContext((context) => context.recv(topic, waitOptions(options.timeout))).pipe(
    Effect.map((message) =>
      message === undefined ? Option.none() : Option.some(decodeValue(options.schema, message)),
    ),
  );

/** Sends a message to another workflow, exactly once (a replay does not send it again). */
export const send = <A>(
  destination: string,
  topic: string,
  message: A,
  schema?: ValueSchema<A>,
): Effect.Effect<void, never, CurrentWorkflow> =>
  withContext((context) => context.send(destination, topic, encodeValue(schema, message)));

/** Sets this workflow's event `key` (last write wins). */
export const setEvent = <A>(
  key: string,
  value: A,
  schema?: ValueSchema<A>,
): Effect.Effect<void, never, CurrentWorkflow> =>
  withContext((context) => context.setEvent(key, encodeValue(schema, value)));

/** Reads another workflow's event, waiting up to `timeout` for it; checkpointed. */
export const getEvent = <A = unknown>(
  workflowId: string,
  key: string,
  options: WaitOptions<A> = {},
): Effect.Effect<Option.Option<A>, never, CurrentWorkflow> =>
  withContext((context) => context.getEvent(workflowId, key, waitOptions(options.timeout))).pipe(
    Effect.map((value) =>
      value === undefined ? Option.none() : Option.some(decodeValue(options.schema, value)),
    ),
  );
