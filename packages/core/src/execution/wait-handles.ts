/**
 * Waiting for many workflows at once from outside a workflow (`waitFirst`, `waitAll`, and
 * `handle.result({ timeoutMs })`): one watch on all their status keys and one store read of all
 * that are still unfinished per wake-up, woken by the status notifications workflows send when
 * they finish (or by a local run ending) — one wait, not one poll loop per handle. A timeout
 * gives up with `ResultTimeoutError`; the workflows keep running. Inside a workflow, waits are
 * durable operations on `ctx` instead.
 */
import { toMs } from "../duration.js";
import { InvalidOptionError, ResultTimeoutError, WorkflowNotFoundError } from "../errors.js";
import type { WorkflowRecord } from "../store/records.js";
import type { HandleSource } from "./handle-source.js";
import type { Watch } from "./wakeups.js";
import type { WaitForOptions } from "../wait-options.js";

export type { WaitForOptions };

const FIRST_POLL_MS = 10;
const STATUS_KEY = "status:";
const MAX_TIMER_MS = 2_147_483_647;

const finished = (record: Pick<WorkflowRecord, "status">): boolean =>
  record.status !== "PENDING" && record.status !== "ENQUEUED";

/** A signal that aborts after `timeoutMs` (never when undefined), and its clean-up. */
export function deadline(timeoutMs: number | undefined): {
  signal: AbortSignal | undefined;
  clear: () => void;
} {
  if (timeoutMs === undefined) return { signal: undefined, clear: () => undefined };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.min(timeoutMs, MAX_TIMER_MS));
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** The timeout in ms of `options`, validated. */
export function timeoutOf(options: WaitForOptions | undefined): number | undefined {
  return options?.timeoutMs === undefined ? undefined : toMs(options.timeoutMs, "timeoutMs");
}

/**
 * Waits until the first (`"first"`) or every (`"all"`) workflow of `workflowIds` has finished.
 * Resolves with the IDs found finished, in `workflowIds` order.
 * @throws WorkflowNotFoundError, ResultTimeoutError, InvalidOptionError (no IDs)
 */
export async function waitForWorkflows(
  source: HandleSource,
  workflowIds: readonly string[],
  mode: "first" | "all",
  options?: WaitForOptions,
): Promise<string[]> {
  if (workflowIds.length === 0) throw new InvalidOptionError("handles", "expected at least one");
  const timeoutMs = timeoutOf(options);
  const ids = [...new Set(workflowIds)];
  const watch = source.wakeups.watch(...ids.map((id) => `${STATUS_KEY}${id}`));
  const limit = deadline(timeoutMs);
  const local = new LocalEnds(source);
  try {
    const done = new Set<string>();
    // The first read takes every workflow; after a wake-up, only those whose status was notified
    // or whose local run ended (10,000 handles re-read whole at each of thousands of wake-ups
    // was ~20% of the CPU of a bulk start waited to its end). A wake-up that names none (the
    // poll that backs notifications up, the deadline, the engine closing) reads all that are open,
    // and so does the first wake-up a poll interval after the last such read: a notification
    // lost while others keep arriving is found as late as it would be with no notifications.
    let changed: ReadonlySet<string> | undefined;
    let readAllAt = 0;
    for (
      let pollMs = FIRST_POLL_MS;
      ;
      pollMs = Math.min(pollMs * 2, source.wakeups.pollIntervalMs)
    ) {
      source.assertOpen();
      const open = ids.filter((id) => !done.has(id));
      const now = Date.now();
      if (changed && now - readAllAt >= pollMs) changed = undefined;
      if (!changed) readAllAt = now;
      const toRead = changed ? open.filter((id) => changed!.has(id)) : open;
      if (toRead.length > 0) {
        const records = await source.store.listWorkflows({
          workflowIds: toRead,
          limit: toRead.length,
          loadInput: false, // whether they finished is all this reads; results come from handles
          loadOutput: false,
        });
        // A set of what was read: `open.find` over `records.some` was quadratic (10,000
        // handles: 10^8 comparisons per wake-up).
        const read = new Set<string>();
        for (const record of records) {
          read.add(record.workflowId);
          if (finished(record)) done.add(record.workflowId);
        }
        const missing = toRead.find((id) => !read.has(id));
        if (missing !== undefined) throw new WorkflowNotFoundError(missing);
      }
      if (mode === "first" ? done.size > 0 : done.size === ids.length) {
        return workflowIds.filter((id) => done.has(id));
      }
      if (limit.signal?.aborted) {
        throw new ResultTimeoutError(
          ids.filter((id) => !done.has(id)),
          timeoutMs ?? 0,
        );
      }
      changed = await nextWake(
        watch,
        local,
        pollMs,
        ids.filter((id) => !done.has(id)),
        limit.signal,
      );
    }
  } finally {
    limit.clear();
    watch.close();
    local.close();
  }
}

/** `waitFirst` of the engine and the client: the first of `handles` to finish. */
export async function waitFirst<H extends { readonly workflowId: string }>(
  source: HandleSource,
  handles: readonly H[],
  options?: WaitForOptions,
): Promise<H> {
  const ids = handles.map((h) => h.workflowId);
  const [first] = await waitForWorkflows(source, ids, "first", options);
  return handles.find((h) => h.workflowId === first) ?? handles[0]!;
}

/** `waitAll` of the engine and the client: `handles`, once every one has finished. */
export async function waitAll<H extends { readonly workflowId: string }>(
  source: HandleSource,
  handles: readonly H[],
  options?: WaitForOptions,
): Promise<H[]> {
  await waitForWorkflows(
    source,
    handles.map((h) => h.workflowId),
    "all",
    options,
  );
  return [...handles];
}

/**
 * The local runs of the workflows waited for: each one's end is listened to once (not at every
 * wake-up), and remembered until the next `take()`.
 */
class LocalEnds {
  private readonly source: HandleSource;
  private readonly listened = new Set<string>();
  private ended = new Set<string>();
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(source: HandleSource) {
    this.source = source;
  }

  /** Listens to the end of each of `ids` that runs here now and is not listened to yet. */
  listen(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.listened.has(id)) continue;
      const run = this.source.localRun(id);
      if (!run) continue; // not here (yet): its status notification, or a later listen, tells
      this.listened.add(id);
      const ended = () => {
        if (this.closed) return;
        this.ended.add(id);
        this.wake?.();
      };
      void run.then(ended, ended);
    }
  }

  /** Calls `wake` when a listened run ends (at once if one ended since the last `take()`). */
  onEnd(wake: (() => void) | undefined): void {
    this.wake = wake;
    if (wake && this.ended.size > 0) wake();
  }

  /** The IDs whose local run ended since the last call. */
  take(): Set<string> {
    const ended = this.ended;
    this.ended = new Set();
    return ended;
  }

  close(): void {
    this.closed = true;
    this.wake = undefined;
  }
}

/**
 * Waits for a notification, a local run of `open` ending, the poll interval, or the deadline.
 * Returns the IDs to read again, or undefined when the wake-up did not say which (read all).
 */
async function nextWake(
  watch: Watch,
  local: LocalEnds,
  pollMs: number,
  open: readonly string[],
  limit: AbortSignal | undefined,
): Promise<ReadonlySet<string> | undefined> {
  local.listen(open);
  const controller = new AbortController();
  // Aborted once: `abort()` builds its DOMException reason at every call, aborted or not.
  local.onEnd(() => {
    if (!controller.signal.aborted) controller.abort();
  });
  const signal = limit ? AbortSignal.any([limit, controller.signal]) : controller.signal;
  try {
    await watch.next(pollMs, signal);
  } finally {
    local.onEnd(undefined);
  }
  const fired = watch.takeFiredKeys();
  const ended = local.take();
  if (fired === undefined) return undefined;
  for (const key of fired) ended.add(key.slice(STATUS_KEY.length));
  return ended.size > 0 ? ended : undefined; // nothing named: the poll or the deadline
}
