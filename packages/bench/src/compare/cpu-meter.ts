/**
 * CPU per item, the figure a busy machine moves least (a rate swings with every other process
 * on the cores; the CPU an item costs much less): the system's Node side (this child process,
 * `process.cpuUsage`) and its Postgres backends, found in `pg_stat_activity` by database and read
 * from `/proc/<pid>/schedstat` (nanoseconds on the CPU). The backends' figure needs the server on
 * this machine, in this process namespace: where `/proc` has none of them it is absent. A backend
 * that connects during the window counts from its start; one that disconnects before the end is
 * not counted (the systems keep their pools open through a phase).
 */
import { readFile } from "node:fs/promises";
import type postgres from "postgres";

export interface CpuPerItem {
  readonly nodeUs: number;
  /** Absent when the backends' CPU cannot be read (a server elsewhere). */
  readonly serverUs?: number;
}

export interface CpuMark {
  /** CPU since the mark, per item of `items`. */
  read(items: number): Promise<CpuPerItem>;
}

/** Nanoseconds on the CPU from the text of `/proc/<pid>/schedstat`; undefined when unreadable. */
export function schedstatNs(text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0];
  if (first === undefined || !/^\d+$/.test(first)) return undefined;
  return Number(first);
}

async function cpuNs(pid: number): Promise<number | undefined> {
  try {
    return schedstatNs(await readFile(`/proc/${pid}/schedstat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** The system's backends: every other session on the observer's database. */
async function backends(observer: postgres.Sql): Promise<Map<number, number | undefined>> {
  const rows = await observer<{ pid: number }[]>`
    select pid from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`;
  const pids = rows.map(({ pid }) => pid);
  const times = await Promise.all(pids.map(cpuNs));
  return new Map(pids.map((pid, i) => [pid, times[i]]));
}

/**
 * The server side of {@link CpuPerItem}: the backends' CPU between two readings, a backend new
 * at the end counted from zero; undefined when no backend's CPU could be read.
 */
export function serverNsBetween(
  before: ReadonlyMap<number, number | undefined>,
  after: ReadonlyMap<number, number | undefined>,
): number | undefined {
  let total = 0;
  let read = false;
  for (const [pid, end] of after) {
    if (end === undefined) continue;
    const start = before.has(pid) ? before.get(pid) : 0;
    if (start === undefined) continue;
    total += end - start;
    read = true;
  }
  return read ? total : undefined;
}

/** Marks this process's and the observer's database's backends' CPU now. */
export async function markCpu(observer: postgres.Sql): Promise<CpuMark> {
  const before = await backends(observer);
  const node = process.cpuUsage();
  return {
    async read(items) {
      const { user, system } = process.cpuUsage(node);
      const serverNs = serverNsBetween(before, await backends(observer));
      const per = items > 0 ? items : 1;
      return {
        nodeUs: (user + system) / per,
        ...(serverNs === undefined ? {} : { serverUs: serverNs / 1000 / per }),
      };
    },
  };
}
