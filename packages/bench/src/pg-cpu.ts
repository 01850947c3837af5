/**
 * What a phase cost the Postgres server, read from outside the driver: the CPU time of the
 * server's processes (postmaster, backends, WAL writer, checkpointer — read from `/proc`, so only
 * for a server on this machine that this user may inspect) and, where the server preloads
 * `pg_stat_statements`, the statements it executed with their calls, rows and execution time.
 * Either part is `null` when it cannot be read; nothing here changes what is measured.
 */
import { readFile, readdir } from "node:fs/promises";
import type postgres from "postgres";

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** Milliseconds of CPU used by `pid` and its children so far, per /proc/<pid>/stat. */
async function cpuMsOf(
  pid: number,
  withReaped = false,
): Promise<{ ms: number; ppid: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime + stime, plus cutime + cstime: the children it reaped (the postmaster's ended backends)
    const reaped = withReaped ? Number(fields[13]) + Number(fields[14]) : 0;
    const ticks = Number(fields[11]) + Number(fields[12]) + reaped;
    return { ms: (ticks * 1000) / TICKS_PER_SECOND, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** The server's CPU (all processes under the postmaster), or null when /proc cannot tell. */
export async function serverCpu(sql: postgres.Sql): Promise<() => Promise<number | null>> {
  let postmaster: number | undefined;
  try {
    const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    postmaster = row && (await cpuMsOf(row.pid))?.ppid;
  } catch {
    postmaster = undefined;
  }
  /** Sums the CPU of the postmaster, of its live children, and of those that ended. */
  const read = async (): Promise<number | null> => {
    if (postmaster === undefined) return null;
    let total = (await cpuMsOf(postmaster, true))?.ms ?? 0;
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const proc = await cpuMsOf(Number(entry));
      if (proc?.ppid === postmaster) total += proc.ms;
    }
    return total;
  };
  return read;
}

/** One statement as pg_stat_statements saw it during a phase. */
export interface ServerStatement {
  readonly query: string;
  readonly calls: number;
  readonly rows: number;
  /** Execution time, all calls. */
  readonly totalMs: number;
  /** Planning time, all calls (0 unless `pg_stat_statements.track_planning` is on). */
  readonly planMs: number;
}

/** Resets pg_stat_statements; `read()` returns the top statements since (null if unavailable). */
export async function serverStatements(sql: postgres.Sql) {
  try {
    await sql`create extension if not exists pg_stat_statements`;
    await sql`select pg_stat_statements_reset()`;
  } catch {
    return { reset: () => Promise.resolve(), read: () => Promise.resolve(null) };
  }
  return {
    reset: async () => {
      await sql`select pg_stat_statements_reset()`;
    },
    read: async (top = 8): Promise<ServerStatement[] | null> => {
      const rows = await sql<
        { query: string; calls: string; rows: string; total: number; plan: number }[]
      >`
        select query, calls, rows, total_exec_time as total, total_plan_time as plan
        from pg_stat_statements where query not like '%pg_stat_statements%'
        order by total_exec_time + total_plan_time desc limit ${top}`;
      return rows.map((r) => ({
        query: r.query.replace(/\s+/g, " ").slice(0, 100),
        calls: Number(r.calls),
        rows: Number(r.rows),
        totalMs: Math.round(r.total),
        planMs: Math.round(r.plan),
      }));
    },
  };
}
