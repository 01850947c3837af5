/**
 * `pnpm bench --compare`: the same scenarios on Cairn, DBOS Transact and pg-boss, on the same
 * Postgres server, interleaved (Cairn, DBOS, pg-boss, then again), each system in a database of
 * its own that this run creates and drops, each phase in a fresh child process. Prints the
 * medians and Cairn's ratio to each peer as Markdown tables, then a statement-counting pass
 * through a loopback proxy. A measurement, not a test: nothing fails on a slow figure.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import postgres from "postgres";
import { measureFloor } from "../floor.js";
import { runChild, runCrash } from "./children.js";
import { parseCompareOptions, type CompareOptions } from "./options.js";
import type { ChildSpec, Phase, Sizes, StatementFigure, SystemName } from "./protocol.js";
import { UNSUPPORTED } from "./support.js";
import { formatTable, summarize, type FigureDef, type FigureKey, type Round } from "./table.js";

const progress = (message: string) =>
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const n = (x: number) => x.toLocaleString("en-US");

export function timeFigures(sizes: Sizes): FigureDef[] {
  return [
    { key: "msPerStep", label: "ms per step, 20-step workflow run sequentially", better: "lower" },
    {
      key: "workflowsPerSecond",
      label: `three-step workflows/s, ${sizes.inflight} in flight`,
      better: "higher",
    },
    {
      key: "recoverySeconds",
      label: `recovery of ${n(sizes.recovery)} half-done workflows, s`,
      better: "lower",
    },
    {
      key: "drainPerSecond",
      label: `queue drain, ${n(sizes.queueItems)} trivial items, concurrency ${sizes.concurrency}, items/s`,
      better: "higher",
    },
    {
      key: "enqueuePerSecond",
      label: `enqueue one at a time, ${sizes.inflight} in flight, items/s`,
      better: "higher",
    },
    {
      key: "bulkEnqueuePerSecond",
      label: `bulk enqueue, batches of ${n(sizes.batch)}, items/s`,
      better: "higher",
    },
    { key: "drainNodeCpuUs", label: "queue drain: Node CPU per item, µs", better: "lower" },
    {
      key: "drainServerCpuUs",
      label: "queue drain: Postgres backends' CPU per item, µs",
      better: "lower",
    },
    { key: "bulkNodeCpuUs", label: "bulk enqueue: Node CPU per item, µs", better: "lower" },
    {
      key: "bulkServerCpuUs",
      label: "bulk enqueue: Postgres backends' CPU per item, µs",
      better: "lower",
    },
  ];
}

export const STATEMENT_FIGURES: FigureDef[] = [
  { key: "statementsPerStep", label: "statements per step (sequential)", better: "lower" },
  {
    key: "statementsPerWorkflow",
    label: "statements per three-step workflow, 100 in flight",
    better: "lower",
  },
  { key: "statementsPerEnqueue", label: "statements per single enqueue", better: "lower" },
  { key: "statementsPerBulkItem", label: "statements per bulk-enqueued item", better: "lower" },
  {
    key: "statementsPerDrainedItem",
    label: "statements per drained item (steady state)",
    better: "lower",
  },
  {
    key: "statementsPerRecoveredWorkflow",
    label: "statements per recovered workflow (5 steps replayed, 5 run)",
    better: "lower",
  },
];

const PHASE_FIGURES: Record<Exclude<Phase, "crash">, readonly FigureKey[]> = {
  workflows: ["msPerStep", "workflowsPerSecond"],
  enqueue: ["enqueuePerSecond", "bulkEnqueuePerSecond", "bulkNodeCpuUs", "bulkServerCpuUs"],
  drain: ["drainPerSecond", "drainNodeCpuUs", "drainServerCpuUs"],
  recover: ["recoverySeconds", "statementsPerRecoveredWorkflow"],
};

const supports = (system: SystemName, phase: Exclude<Phase, "crash">) =>
  PHASE_FIGURES[phase].some((key) => UNSUPPORTED[system][key] === undefined);

interface SystemRun {
  readonly figures: Partial<Record<FigureKey, number>>;
  readonly statements: Partial<Record<FigureKey, StatementFigure>>;
}

/** Every phase of `system` in a fresh database, dropped at the end whatever happened. */
async function runSystem(
  admin: postgres.Sql,
  options: CompareOptions,
  system: SystemName,
  sizes: Sizes,
  count: boolean,
): Promise<SystemRun> {
  const database = `bench_cmp_${system.replace("-", "")}_${randomBytes(4).toString("hex")}`;
  const url = new URL(options.url);
  url.pathname = `/${database}`;
  await admin.unsafe(`create database ${database}`);
  const spec = (phase: Phase): ChildSpec => ({
    system,
    phase,
    url: url.toString(),
    count,
    sizes,
  });
  const figures: SystemRun["figures"] = {};
  const statements: SystemRun["statements"] = {};
  const take = (result: SystemRun) => {
    Object.assign(figures, result.figures);
    Object.assign(statements, result.statements);
  };
  try {
    for (const phase of ["workflows", "enqueue", "drain"] as const) {
      if (!supports(system, phase)) continue;
      progress(`${system}: ${phase}${count ? " (counting statements)" : ""}`);
      take(await runChild(spec(phase)));
    }
    if (supports(system, "recover")) {
      progress(`${system}: crash with ${sizes.recovery} workflows half-done, then recover`);
      await runCrash(spec("crash"));
      take(await runChild(spec("recover")));
    }
    return { figures, statements };
  } finally {
    await admin.unsafe(`drop database if exists ${database} with (force)`);
  }
}

/**
 * The server's floor at this moment, in a scratch database: a bare round trip and a one-row
 * autocommit insert (one durable commit). Under load the commit moves most, and every system
 * pays it per step or per enqueue, so it says how to read the figures of the round.
 */
async function floorNow(admin: postgres.Sql, options: CompareOptions) {
  const database = `bench_cmp_floor_${randomBytes(4).toString("hex")}`;
  const url = new URL(options.url);
  url.pathname = `/${database}`;
  await admin.unsafe(`create database ${database}`);
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const floor = await measureFloor(sql, "public", 200);
    return { selectOneMs: floor.selectOneMs.median, commitMs: floor.oneRowInsertCommitMs.median };
  } finally {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${database} with (force)`);
  }
}

function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

const load = () => loadavg().map((x) => Number(x.toFixed(2)));

export async function runCompare(argv: readonly string[]): Promise<void> {
  const options = parseCompareOptions(argv);
  const admin = postgres(options.url, { max: 1, onnotice: () => {} });
  const loads: { at: string; system: string; round: number; load: number[] }[] = [];
  const rounds: Round[] = [];
  const counted: Partial<Record<SystemName, SystemRun["statements"]>> = {};
  const failures: string[] = [];
  const floors: { round: number; selectOneMs: number; commitMs: number }[] = [];
  const started = new Date().toISOString();
  let serverVersion: string | undefined;
  try {
    const [row] = await admin<{ server_version: string }[]>`show server_version`;
    serverVersion = row?.server_version;
    for (let r = 1; r <= options.rounds; r++) {
      const round: Round = {};
      floors.push({ round: r, ...(await floorNow(admin, options)) });
      progress(
        `round ${r}: select 1 ${floors.at(-1)?.selectOneMs} ms, one-row commit ${floors.at(-1)?.commitMs} ms`,
      );
      for (const system of options.systems) {
        progress(`round ${r}/${options.rounds}: ${system}, load ${load().join(" ")}`);
        loads.push({ at: new Date().toISOString(), system, round: r, load: load() });
        try {
          round[system] = (await runSystem(admin, options, system, options.sizes, false)).figures;
        } catch (error) {
          failures.push(`round ${r} ${system}: ${String(error)}`);
          progress(`${system} failed: ${String(error)}`);
        }
      }
      rounds.push(round);
    }
    const countSizes = options.countSizes;
    for (const system of countSizes ? options.systems : []) {
      try {
        counted[system] = (await runSystem(admin, options, system, countSizes!, true)).statements;
      } catch (error) {
        failures.push(`counting ${system}: ${String(error)}`);
        progress(`${system} counting failed: ${String(error)}`);
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  loads.push({ at: new Date().toISOString(), system: "end", round: 0, load: load() });
  if (failures.length > 0) process.exitCode = 1;
  await printReport(options, { started, serverVersion, loads, floors, rounds, counted, failures });
}

interface Report {
  readonly started: string;
  readonly serverVersion: string | undefined;
  readonly loads: readonly { system: string; round: number; load: number[] }[];
  readonly floors: readonly { round: number; selectOneMs: number; commitMs: number }[];
  readonly rounds: readonly Round[];
  readonly counted: Partial<Record<SystemName, SystemRun["statements"]>>;
  readonly failures: readonly string[];
}

async function printReport(options: CompareOptions, report: Report) {
  const { systems, sizes } = options;
  const times = summarize(timeFigures(sizes), systems, report.rounds);
  const statementRound: Round = Object.fromEntries(
    Object.entries(report.counted).map(([system, figures]) => [
      system,
      Object.fromEntries(Object.entries(figures).map(([key, f]) => [key, f.perUnit])),
    ]),
  );
  const statements = summarize(STATEMENT_FIGURES, systems, [statementRound]);
  const oneMinute = report.loads.map((entry) => entry.load[0] ?? 0);
  const lines = [
    `## Side by side (${report.started})`,
    "",
    `Machine: ${JSON.stringify(machine())}; Postgres ${report.serverVersion ?? "?"} at ` +
      `127.0.0.1; 1-minute load average ${Math.min(...oneMinute)}–${Math.max(...oneMinute)} ` +
      `during the run. Medians of ${options.rounds} interleaved rounds. DBOS queue polling ` +
      `minPollingIntervalMs ${sizes.dbosPollMs}. Server floor per round (median of 200, ` +
      `one at a time): \`select 1\` ${report.floors.map((f) => f.selectOneMs).join(" / ")} ms, ` +
      `one-row insert commit ${report.floors.map((f) => f.commitMs).join(" / ")} ms.`,
    "",
    formatTable(times, systems, UNSUPPORTED, options.rounds),
    "",
    "Statements (one counting pass through a loopback proxy):",
    "",
    formatTable(statements, systems, UNSUPPORTED, 1),
  ];
  lines.push("", "Statements by text, per unit (the most frequent first):");
  for (const [system, figures] of Object.entries(report.counted)) {
    for (const [key, figure] of Object.entries(figures)) {
      lines.push("", `${system}, ${key} ${figure.perUnit}; per ${figure.textsPer}:`);
      for (const [text, count] of Object.entries(figure.byText).slice(0, 8)) {
        lines.push(`    ${count.toFixed(3).padStart(8)}  ${text}`);
      }
    }
  }
  if (report.failures.length > 0)
    lines.push("", "Failures:", ...report.failures.map((f) => `- ${f}`));
  console.log(lines.join("\n"));
  if (options.out !== undefined) {
    const { url: _url, ...shown } = options; // the URL may hold a password
    const json = { ...report, machine: machine(), options: shown, medians: times, statements };
    await writeFile(options.out, `${JSON.stringify(json, null, 2)}\n`);
  }
}
