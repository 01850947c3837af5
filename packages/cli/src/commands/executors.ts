/**
 * `cairn executors`: every engine that ever heartbeated — alive, expired (its lease ran out:
 * others are taking its workflows over) or stopped cleanly — with its application version, its
 * last heartbeat on the database clock, its lease, how many running workflows it owns, and the
 * workflow names it advertises (what a client's start by name is checked against).
 */
import type { ExecutorRecord } from "@cairn/core";
import type { Command } from "../command.js";
import type { Style } from "../output/style.js";
import { renderTable } from "../output/table.js";
import { formatDuration, formatRelative } from "../output/time.js";

/** An executor's state as operators read it. */
export const executorState = (e: ExecutorRecord): "alive" | "expired" | "stopped" =>
  e.status === "stopped" ? "stopped" : e.expired ? "expired" : "alive";

const paint = (style: Style, state: string) =>
  state === "alive"
    ? style.green(state)
    : state === "expired"
      ? style.red(state)
      : style.dim(state);

const MAX_NAMES_SHOWN = 3;

export const executors: Command = {
  words: ["executors"],
  summary: "List executors: state, version, last heartbeat, lease, running workflows, names",
  usage: "executors",
  async run(ctx) {
    const { store, inspector } = await ctx.connect();
    const [list, load, now] = await Promise.all([
      store.listExecutors(),
      inspector.executorLoad(),
      inspector.now(),
    ]);
    const rows = list.map((e) => ({
      executorId: e.executorId,
      state: executorState(e),
      appVersion: e.appVersion ?? null,
      heartbeatAt: new Date(e.heartbeatAt).toISOString(),
      heartbeatAgeMs: now - e.heartbeatAt,
      leaseMs: e.leaseMs,
      running: load.get(e.executorId) ?? 0,
      // null: an engine that advertises no names (an older Cairn): every name passes for it.
      workflowNames: e.workflowNames ?? null,
    }));
    if (ctx.json) {
      ctx.out(JSON.stringify({ executors: rows }, null, 2));
      return;
    }
    ctx.out(
      renderTable(
        [
          { header: "EXECUTOR" },
          { header: "STATE" },
          { header: "VERSION" },
          { header: "HEARTBEAT" },
          { header: "LEASE", align: "right" },
          { header: "RUNNING", align: "right" },
          { header: "WORKFLOWS" },
        ],
        rows.map((r) => [
          r.executorId,
          paint(ctx.style, r.state),
          r.appVersion ?? "-",
          formatRelative(now - r.heartbeatAgeMs, now),
          formatDuration(r.leaseMs),
          String(r.running),
          namesOf(r.workflowNames),
        ]),
        ctx.style,
        "no executor has heartbeated on this schema",
      ),
    );
  },
};

/** The names an executor advertises, short enough for a table cell. */
function namesOf(names: readonly string[] | null): string {
  if (names === null) return "-";
  const shown = names.slice(0, MAX_NAMES_SHOWN).join(", ");
  const more = names.length - MAX_NAMES_SHOWN;
  return more > 0 ? `${shown} +${more}` : shown || "(none)";
}
