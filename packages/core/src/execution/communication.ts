/**
 * The durable operations a workflow uses to talk and to wait: `send`, `recv`, `setEvent`,
 * `getEvent`, stream writes and `race`. Each is one checkpointed position (waits with a timeout
 * take a second one, before it, for their deadline, so a restart does not restart the wait).
 * Where a write and its checkpoint must not come apart — consuming a message, setting an event,
 * appending to a stream — the store does both in one transaction. A long wait may suspend the
 * run instead of waiting in memory (`suspending-waits.ts`).
 */
import type { RaceBranch, ResultSource, WaitOptions } from "../context.js";
import { toMs } from "../duration.js";
import {
  InvalidOptionError,
  ResultTimeoutError,
  ValidationError,
  WorkflowNotFoundError,
} from "../errors.js";
import type { WorkflowHandle } from "../handle.js";
import type { Serializer } from "../serialization.js";
import type { StepRecord, WorkflowRecord, WorkflowStatus } from "../store/records.js";
import { wakeKeyOf, type WakeOn } from "../store/suspension-store.js";
import type { Journal } from "./journal.js";
import { resultOf } from "./record-info.js";
import { parseForReceiver } from "./receiver-channels.js";
import { childResult, waitOrSuspend } from "./suspending-waits.js";
import type { Watch } from "./wakeups.js";

const RACE_PREFIX = "cairn.race#";
const terminal: ReadonlySet<WorkflowStatus> = new Set([
  "SUCCESS",
  "ERROR",
  "CANCELLED",
  "DEAD_LETTER",
]);

/** Sends a message; its ID is derived from the sender's position, so a replay never sends twice. */
export function send(
  journal: Journal,
  destinationId: string,
  topic: string,
  message: unknown,
): Promise<void> {
  const name = "cairn.send";
  return journal.operation<void>(name, async (position, startedAt) => {
    let value: unknown;
    try {
      const read = (id: string) => journal.guard(() => journal.host.store.getWorkflow(id), name);
      value = await parseForReceiver(journal.host.receivers, read, destinationId, topic, message);
    } catch (error) {
      if (!ValidationError.is(error)) throw error;
      // Recorded, so a replay rethrows it without reading the receiver again.
      return journal.checkpoint(position, name, startedAt, {
        error: journal.host.serializer.serializeError(error, name),
      });
    }
    // Serialized before the store call, so a bad message is a SerializationError, not an outage.
    const serialized = journal.host.serializer.serialize(value, `message on topic "${topic}"`);
    const result = await journal.guard(
      () =>
        journal.host.store.sendMessage({
          destinationId,
          topic,
          message: serialized,
          messageId: `wf:${journal.workflowId}:${position}`,
        }),
      name,
    );
    if (result === "workflow-not-found") {
      return journal.checkpoint(position, name, startedAt, {
        error: journal.host.serializer.serializeError(
          new WorkflowNotFoundError(destinationId),
          name,
        ),
      });
    }
    return journal.checkpoint(position, name, startedAt, {
      output: journal.host.serializer.serialize(undefined, name),
    });
  });
}

/**
 * Takes the oldest message on `topic`, waiting up to the checkpointed deadline. Counted as in
 * flight from the call (`waitingOutside`, with the deadline's record), so another wait of the run
 * never suspends it while its next position is on the way.
 */
export async function recv(
  journal: Journal,
  topic: string,
  options?: WaitOptions,
): Promise<unknown> {
  const [deadlineAt, recvAt] = [journal.takePosition(), journal.takePosition()];
  return journal.waitingOutside(() => recvAfter(journal, topic, options, deadlineAt, recvAt));
}

async function recvAfter(
  journal: Journal,
  topic: string,
  options: WaitOptions | undefined,
  deadlineAt: number,
  recvAt: number,
): Promise<unknown> {
  const deadline = await recordDeadline(journal, deadlineAt, "cairn.recv.deadline", options);
  const name = "cairn.recv";
  return journal.operationAt(recvAt, name, (position, startedAt) =>
    watching(journal, [`message:${journal.workflowId}:${topic}`], async (watch) => {
      for (;;) {
        journal.throwIfStopped();
        const template = journal.checkpoint(position, name, startedAt, {});
        const consumed = await journal.guard(
          () => journal.host.store.consumeMessage(topic, template, journal.fence),
          name,
        );
        if (consumed) return { recorded: consumed };
        if (deadline !== null && journal.host.clock.now() >= deadline) {
          return journal.checkpoint(position, name, startedAt, {
            output: journal.host.serializer.serialize(undefined, name),
          });
        }
        await waitOrSuspend(journal, watch, {
          since: startedAt,
          own: 2, // this operation, and the whole recv
          waitMs: remaining(journal, deadline),
          wakeAt: deadline ?? undefined,
          wakeOn: [{ kind: "message", workflowId: journal.workflowId, topic }],
        });
      }
    }),
  );
}

/** Sets an event and records the call in one transaction. */
export function setEvent(journal: Journal, at: number, key: string, value: unknown): Promise<void> {
  const name = "cairn.setEvent";
  return journal.operationAt<void>(at, name, async (position, startedAt) => {
    const serialized = journal.host.serializer.serialize(value, `event "${key}"`);
    const checkpoint = journal.checkpoint(position, name, startedAt, {
      output: journal.host.serializer.serialize(undefined, name),
    });
    await journal.guard(
      () =>
        journal.host.store.setEvent(
          { workflowId: journal.workflowId, key, value: serialized },
          checkpoint,
          journal.fence,
        ),
      name,
    );
    return { recorded: checkpoint };
  });
}

/**
 * Reads another workflow's event, waiting up to the checkpointed deadline for it to be set.
 * Counted as in flight from the call, as `recv` is.
 */
export async function getEvent(
  journal: Journal,
  workflowId: string,
  key: string,
  options?: WaitOptions,
): Promise<unknown> {
  const [deadlineAt, getAt] = [journal.takePosition(), journal.takePosition()];
  return journal.waitingOutside(() =>
    getEventAfter(journal, workflowId, key, options, deadlineAt, getAt),
  );
}

async function getEventAfter(
  journal: Journal,
  workflowId: string,
  key: string,
  options: WaitOptions | undefined,
  deadlineAt: number,
  getAt: number,
): Promise<unknown> {
  const deadline = await recordDeadline(journal, deadlineAt, "cairn.getEvent.deadline", {
    timeoutMs: options?.timeoutMs ?? 0,
  });
  const name = "cairn.getEvent";
  return journal.operationAt(getAt, name, (position, startedAt) =>
    watching(journal, [`event:${workflowId}:${key}`], async (watch) => {
      for (;;) {
        journal.throwIfStopped();
        const value = await journal.guard(() => journal.host.store.getEvent(workflowId, key), name);
        if (value !== undefined || (deadline !== null && journal.host.clock.now() >= deadline)) {
          return journal.checkpoint(position, name, startedAt, {
            output: value ?? journal.host.serializer.serialize(undefined, name),
          });
        }
        await waitOrSuspend(journal, watch, {
          since: startedAt,
          own: 2, // this operation, and the whole getEvent
          waitMs: remaining(journal, deadline),
          wakeAt: deadline ?? undefined,
          wakeOn: [{ kind: "event", workflowId, key }],
        });
      }
    }),
  );
}

/** Appends to (or closes) one of this workflow's streams, with its checkpoint, in one transaction. */
export function writeStream(
  journal: Journal,
  at: number,
  key: string,
  value: unknown,
  closed: boolean,
): Promise<void> {
  const name = closed ? "cairn.closeStream" : "cairn.writeStream";
  return journal.operationAt<void>(at, name, async (position, startedAt) => {
    const serialized = closed
      ? undefined
      : journal.host.serializer.serialize(value, `stream "${key}"`);
    const checkpoint = journal.checkpoint(position, name, startedAt, {
      output: journal.host.serializer.serialize(undefined, name),
    });
    await journal.guard(
      () =>
        journal.host.store.writeStream(
          { workflowId: journal.workflowId, key, value: serialized, closed },
          checkpoint,
          journal.fence,
        ),
      name,
    );
    return { recorded: checkpoint };
  });
}

/**
 * The handle of a child the run of `journal` started or enqueued. Awaited during the run, its
 * `result()` waits as `await child(ctx, ...)` does, and may suspend the run; with `timeoutMs` it
 * is `ctx.race` of the child's result and a timer (its two positions checkpoint when the wait
 * began and which came first), so the timeout survives a suspension or a restart, and a replay
 * meets the same outcome: the result, or `ResultTimeoutError` again. After the run, a handle's
 * ordinary wait.
 */
export function childHandle(
  journal: Journal,
  handle: WorkflowHandle<unknown>,
): WorkflowHandle<unknown> {
  return {
    ...handle,
    result: async (options) => {
      if (journal.hasEnded) return handle.result(options);
      const { workflowId } = handle;
      if (options?.timeoutMs === undefined) return childResult(journal, workflowId);
      const timeoutMs = toMs(options.timeoutMs, "timeoutMs");
      const source: ResultSource<unknown> = { workflowId, result: () => handle.result() };
      const won = (await race(journal, { result: source, timeout: { timer: timeoutMs } })) as {
        key: string;
        value: unknown;
      };
      if (won.key === "timeout") throw new ResultTimeoutError([workflowId], timeoutMs);
      return won.value;
    },
  };
}

type Branch = { key: string } & (
  | { kind: "message"; topic: string }
  | { kind: "timer"; ms: number }
  | { kind: "result"; source: ResultSource<unknown> }
);

/**
 * Waits for the first branch to be ready and records the winner as `cairn.race#<key>`. A message
 * branch wins by consuming its message in the same transaction as that record; every other
 * branch wins by recording first, so exactly one branch ever wins a position. Counted as in
 * flight from the call, as `recv` is.
 */
export async function race(
  journal: Journal,
  branches: Record<string, RaceBranch>,
): Promise<unknown> {
  const [startAt, raceAt] = [journal.takePosition(), journal.takePosition()];
  const parsed = parseBranches(branches);
  return journal.waitingOutside(() => raceAfter(journal, parsed, startAt, raceAt));
}

async function raceAfter(
  journal: Journal,
  parsed: readonly Branch[],
  startAt: number,
  raceAt: number,
): Promise<{ key: string; value: unknown }> {
  const startedAt = await journal.internal(
    "cairn.race.start",
    () => journal.host.clock.now(),
    startAt,
  );
  const deadlineOf = (b: Branch) =>
    b.kind === "timer" ? startedAt + b.ms : Number.POSITIVE_INFINITY;
  return journal.operationAt(
    raceAt,
    "cairn.race",
    (position, opStartedAt) =>
      watching(journal, wakeOnOf(journal, parsed).map(wakeKeyOf), async (watch) => {
        for (;;) {
          journal.throwIfStopped();
          let missing = false;
          for (const branch of parsed) {
            const name = `${RACE_PREFIX}${branch.key}`;
            const template = journal.checkpoint(position, name, opStartedAt, {});
            if (branch.kind === "message") {
              const consumed = await journal.guard(
                () => journal.host.store.consumeMessage(branch.topic, template, journal.fence),
                name,
              );
              if (consumed) return { recorded: consumed };
            } else if (branch.kind === "timer") {
              if (journal.host.clock.now() >= deadlineOf(branch))
                return { ...template, output: journal.host.serializer.serialize(undefined, name) };
            } else {
              const record = await journal.guard(
                () => journal.host.store.getWorkflow(branch.source.workflowId),
                name,
              );
              if (record && terminal.has(record.status))
                return settled(template, record, journal.host.serializer);
              missing ||= record === undefined;
            }
          }
          const nextTimer = Math.min(...parsed.map(deadlineOf));
          const finite = Number.isFinite(nextTimer);
          await waitOrSuspend(journal, watch, {
            // A workflow that does not exist yet keeps the race in memory, on its watch: a
            // store can only wake a suspension on a workflow that existed when it was written
            // (it answers "arrived" otherwise, and the race would ask again at once).
            since: missing ? Number.POSITIVE_INFINITY : opStartedAt,
            own: 2, // this operation, and the whole race
            waitMs: finite ? nextTimer - journal.host.clock.now() : Number.POSITIVE_INFINITY,
            wakeAt: finite ? nextTimer : undefined,
            wakeOn: wakeOnOf(journal, parsed),
          });
        }
      }),
    {
      matches: (recordedName) => recordedName.startsWith(RACE_PREFIX),
      decode: (record: StepRecord) => ({
        key: record.name.slice(RACE_PREFIX.length),
        value: journal.outcome(record),
      }),
    },
  );
}

/** A result branch's checkpoint: the finished workflow's own output or error, nothing else. */
function settled(template: StepRecord, record: WorkflowRecord, serializer: Serializer): StepRecord {
  try {
    return {
      ...template,
      output: serializer.serialize(resultOf(record, serializer), template.name),
    };
  } catch (error) {
    return { ...template, error: serializer.serializeError(error, template.name) };
  }
}

/** The arrivals that may make a race branch ready. */
function wakeOnOf(journal: Journal, branches: readonly Branch[]): WakeOn[] {
  return branches.flatMap((b): WakeOn[] =>
    b.kind === "message"
      ? [{ kind: "message", workflowId: journal.workflowId, topic: b.topic }]
      : b.kind === "result"
        ? [{ kind: "status", workflowId: b.source.workflowId }]
        : [],
  );
}

/** Runs `body` with a watch on `keys` opened before its first read, and closes it after. */
async function watching<T>(
  journal: Journal,
  keys: string[],
  body: (watch: Watch) => Promise<T>,
): Promise<T> {
  const watch = journal.host.wakeups.watch(...keys);
  try {
    return await body(watch);
  } finally {
    watch.close();
  }
}

function parseBranches(branches: Record<string, RaceBranch>): Branch[] {
  const parsed = Object.entries(branches).map(([key, branch]): Branch => {
    if ("message" in branch) return { key, kind: "message", topic: branch.message };
    if ("timer" in branch)
      return { key, kind: "timer", ms: toMs(branch.timer, `ctx.race branch "${key}"`) };
    if ("workflowId" in branch && typeof branch.result === "function")
      return { key, kind: "result", source: branch };
    throw new InvalidOptionError(
      `ctx.race branch "${key}"`,
      "expected { message }, { timer } or a workflow handle",
    );
  });
  if (parsed.length === 0) throw new InvalidOptionError("ctx.race", "expected at least one branch");
  return parsed;
}

async function recordDeadline(
  journal: Journal,
  at: number,
  name: string,
  options: WaitOptions | undefined,
): Promise<number | null> {
  const timeoutMs =
    options?.timeoutMs === undefined ? undefined : toMs(options.timeoutMs, `${name} timeoutMs`);
  return journal.internal(
    name,
    () => (timeoutMs === undefined ? null : journal.host.clock.now() + timeoutMs),
    at,
  );
}

function remaining(journal: Journal, deadline: number | null): number {
  return deadline === null
    ? Number.POSITIVE_INFINITY
    : Math.max(0, deadline - journal.host.clock.now());
}
