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
import type { WaitForOptions } from "../wait-options.js";

export type { WaitForOptions };

const FIRST_POLL_MS = 10;
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
  const watch = source.wakeups.watch(...ids.map((id) => `status:${id}`));
  const limit = deadline(timeoutMs);
  try {
    const done = new Set<string>();
    for (
      let pollMs = FIRST_POLL_MS;
      ;
      pollMs = Math.min(pollMs * 2, source.wakeups.pollIntervalMs)
    ) {
      source.assertOpen();
      const open = ids.filter((id) => !done.has(id));
      const records = await source.store.listWorkflows({
        workflowIds: open,
        limit: open.length,
        loadInput: false, // whether they finished is all this reads; results come from handles
        loadOutput: false,
      });
      // A set of what was read: `open.find` over `records.some` was quadratic (10,000 handles:
      // 10^8 comparisons per wake-up).
      const read = new Set<string>();
      for (const record of records) {
        read.add(record.workflowId);
        if (finished(record)) done.add(record.workflowId);
      }
      const missing = open.find((id) => !read.has(id));
      if (missing !== undefined) throw new WorkflowNotFoundError(missing);
      if (mode === "first" ? done.size > 0 : done.size === ids.length) {
        return workflowIds.filter((id) => done.has(id));
      }
      if (limit.signal?.aborted) {
        throw new ResultTimeoutError(
          open.filter((id) => !done.has(id)),
          timeoutMs ?? 0,
        );
      }
      await nextWake(source, watch, pollMs, open, limit.signal);
    }
  } finally {
    limit.clear();
    watch.close();
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

/** Waits for a notification, a local run of `ids` ending, the poll interval, or the deadline. */
async function nextWake(
  source: HandleSource,
  watch: { next(ms: number, signal?: AbortSignal): Promise<void> },
  pollMs: number,
  ids: readonly string[],
  limit: AbortSignal | undefined,
): Promise<void> {
  const local = new AbortController();
  // Aborted once: `abort()` builds its DOMException reason at every call, aborted or not, and
  // thousands of local runs each call it when they end.
  const wake = () => {
    if (!local.signal.aborted) local.abort();
  };
  for (const id of ids) void source.localRun(id)?.then(wake, wake);
  const signal = limit ? AbortSignal.any([limit, local.signal]) : local.signal;
  try {
    await watch.next(pollMs, signal);
  } finally {
    wake(); // detaches nothing else: the run promises only abort this controller
  }
}
