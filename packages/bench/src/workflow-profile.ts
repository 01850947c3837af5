/**
 * What a workflow and a step cost the Postgres server: three-step workflows at `--inflight` in
 * flight (and no-step ones, for start and finish alone), then sequential 20-step runs (and
 * no-step runs), each phase with this process's CPU, the server's CPU split into backends and
 * background processes (WAL writer, checkpointer, autovacuum; from /proc, so a local server
 * only, best a private one) and the statements the server executed (pg_stat_statements, where
 * preloaded), per workflow and per step. `--phases` picks phases; `--rounds N` repeats them in
 * turn; `finish1` and `step1` time the store's lone finish and lone checkpoint, one call at a
 * time, `finish100` finishes at `--inflight` in flight (all among `--runs` PENDING workflows). Prints one JSON object. A measurement, not a test. Run it with
 * `pnpm --filter @cairn/bench exec tsx src/workflow-profile.ts --url <private server>`.
 */
import { randomBytes } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createEngine, step, workflow } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import postgres from "postgres";
import { slidingWindow } from "./measure.js";
import { perSecond, round } from "./stats.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    url: {
      type: "string",
      default: process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    },
    workflows: { type: "string", default: "4000" },
    inflight: { type: "string", default: "100" },
    runs: { type: "string", default: "200" },
    rounds: { type: "string", default: "1" },
    phases: { type: "string", default: "three,none,seq20,seq0" },
    statements: { type: "string", default: "6" },
  },
});
const workflows = Number(values.workflows);
const inflight = Number(values.inflight);
const runs = Number(values.runs);
const phases = values.phases.split(",");
const progress = (message: string) => process.stderr.write(`[workflow-profile] ${message}\n`);

const bump = step("bump", (n: number) => n + 1);
const chain = (name: string, steps: number) =>
  workflow(name, async (ctx, start: number) => {
    let n = start;
    for (let i = 0; i < steps; i++) n = await bump(ctx, n);
    return n;
  });
const twenty = chain("profile.twenty", 20);
const three = chain("profile.three", 3);
const none = chain("profile.none", 0);

const TICKS_MS = 10; // Linux USER_HZ = 100

/** CPU milliseconds of the server's backends and of its other processes, from /proc. */
async function serverCpuSplit(postmaster: number) {
  let backends = 0;
  let backendsSystem = 0;
  let background = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== postmaster) continue;
      const ms = (Number(fields[11]) + Number(fields[12])) * TICKS_MS;
      const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(cmd)) {
        backends += ms;
        backendsSystem += Number(fields[12]) * TICKS_MS;
      } else background += ms;
    } catch {
      // ended meanwhile
    }
  }
  const own = await readFile(`/proc/${postmaster}/stat`, "utf8");
  const f = own.slice(own.lastIndexOf(")") + 2).split(" ");
  // ended children (autovacuum workers, backends closed): counted as background
  background += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICKS_MS;
  return { backends, backendsSystem, background };
}

async function main() {
  const schema = `wprof_${randomBytes(4).toString("hex")}`;
  const admin = postgres(values.url, { max: 1, onnotice: () => {} });
  const [pidRow] = await admin<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const stat = await readFile(`/proc/${pidRow?.pid}/stat`, "utf8");
  const postmaster = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  const stats = {
    reset: async () => {
      await admin`select pg_stat_statements_reset()`;
    },
    read: async (top: number) => {
      const rows = await admin<
        {
          query: string;
          calls: string;
          total: number;
          plan: number;
          plans: string;
          toplevel: boolean;
        }[]
      >`
        select query, calls, total_exec_time as total, total_plan_time as plan, plans, toplevel
        from pg_stat_statements
        where query not like '%pg_stat_statements%' and query not like '%pg_backend_pid%'
        order by total_exec_time + total_plan_time desc limit ${top}`;
      return rows.map((r) => ({
        query: (r.toplevel ? "" : "(nested) ") + r.query.replace(/\s+/g, " "),
        calls: Number(r.calls),
        totalMs: r.total,
        planMs: r.plan,
        plans: Number(r.plans),
      }));
    },
  };
  const store = createPgStore({ url: values.url, schema });
  const engine = createEngine({ store, workflows: [twenty, three, none] });
  await engine.launch();
  progress(`schema ${schema}; warm-up`);
  await slidingWindow(500, inflight, () => engine.run(three, 0));
  for (let i = 0; i < 20; i++) await engine.run(twenty, 0);

  const measure = async (name: string, units: number, body: () => Promise<unknown>) => {
    await stats.reset();
    const load = loadavg()[0];
    const server = await serverCpuSplit(postmaster);
    const node = process.cpuUsage();
    const started = performance.now();
    await body();
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(node);
    const after = await serverCpuSplit(postmaster);
    const statements = await stats.read(Number(values.statements));
    return {
      phase: name,
      load: round(load ?? 0),
      perSecond: perSecond(units, ms),
      nodeUs: round((user + system) / units),
      backendUs: round(((after.backends - server.backends) * 1000) / units),
      backendSystemUs: round(((after.backendsSystem - server.backendsSystem) * 1000) / units),
      backgroundUs: round(((after.background - server.background) * 1000) / units),
      statements: statements?.map((s) => ({
        calls: round(s.calls / units),
        usPerUnit: round((s.totalMs * 1000) / units),
        usPerCall: round((s.totalMs * 1000) / Math.max(1, s.calls)),
        planUsPerUnit: round((s.planMs * 1000) / units),
        plansPerCall: round(s.plans / Math.max(1, s.calls)),
        query: s.query.replaceAll(`"${schema}".`, "").slice(0, 80),
      })),
    };
  };

  const results = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const phase of phases) {
      progress(`round ${r + 1}: ${phase}`);
      if (phase === "three")
        results.push(
          await measure("three@" + inflight, workflows, () =>
            slidingWindow(workflows, inflight, () => engine.run(three, 0)),
          ),
        );
      else if (phase === "none")
        results.push(
          await measure("none@" + inflight, workflows, () =>
            slidingWindow(workflows, inflight, () => engine.run(none, 0)),
          ),
        );
      else if (phase === "seq20")
        results.push(
          await measure("seq20 (per step)", runs * 20, async () => {
            for (let i = 0; i < runs; i++) await engine.run(twenty, 0);
          }),
        );
      else if (phase === "finish1" || phase === "step1" || phase === "finish100") {
        // The store alone, one call at a time: a lone finish (one-row statement), a lone step.
        const ids = Array.from({ length: runs }, (_, i) => `${phase}-${r}-${i}`);
        for (let i = 0; i < ids.length; i += 500)
          await Promise.all(
            ids.slice(i, i + 500).map((workflowId) =>
              store.createWorkflow({
                workflowId,
                // No engine here runs it, so none takes it over from "other" (never alive).
                name: "profile.elsewhere",
                input: "[0]",
                executorId: "other",
              }),
            ),
          );
        const fence = { executorId: "other", epoch: 0 };
        results.push(
          await measure(phase, runs, async () => {
            if (phase === "finish100") {
              await slidingWindow(ids.length, inflight, (i) =>
                store.finishWorkflow(
                  { workflowId: ids[i] ?? "", executorId: "other", status: "SUCCESS", output: "1" },
                  fence,
                ),
              );
              return;
            }
            for (const [i, workflowId] of ids.entries()) {
              if (phase === "finish1")
                await store.finishWorkflow(
                  { workflowId, executorId: "other", status: "SUCCESS", output: "1" },
                  fence,
                );
              else
                await store.recordStep(
                  {
                    workflowId,
                    position: 0,
                    name: "bump",
                    output: String(i),
                    error: undefined,
                    childWorkflowId: undefined,
                    attempts: 1,
                    startedAt: 1,
                    completedAt: 2,
                  },
                  fence,
                );
            }
          }),
        );
      } else if (phase === "seq0")
        results.push(
          await measure("seq0 (per workflow)", runs, async () => {
            for (let i = 0; i < runs; i++) await engine.run(none, 0);
          }),
        );
    }
  }
  await engine.shutdown();
  await admin.unsafe(`drop schema if exists "${schema}" cascade`);
  await admin.end({ timeout: 5 });
  process.stdout.write(JSON.stringify({ date: new Date().toISOString(), results }, null, 1) + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
