/**
 * `cairn executors`: every engine that ever heartbeated — alive, expired (its lease ran out:
 * others are taking its workflows over) or stopped cleanly — with its application version, its
 * last heartbeat on the database clock, its lease, and how many running workflows it owns.
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

export const executors: Command = {
  words: ["executors"],
  summary: "List executors: state, version, last heartbeat, lease, running workflows",
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
        ],
        rows.map((r) => [
          r.executorId,
          paint(ctx.style, r.state),
          r.appVersion ?? "-",
          formatRelative(now - r.heartbeatAgeMs, now),
          formatDuration(r.leaseMs),
          String(r.running),
        ]),
        ctx.style,
        "no executor has heartbeated on this schema",
      ),
    );
  },
};
