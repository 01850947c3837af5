/**
 * The human half of a chaos report: a few lines saying what was done, the numbers, and each
 * check with PASS or FAIL (and examples of violations). The JSON report carries everything else.
 */
import type { ChaosReport } from "./run-chaos.js";

const ms = (value: number | undefined) => (value === undefined ? "n/a" : `${value} ms`);

export function formatReport(report: ChaosReport): string {
  const { options: o, timeline: t, audit: a } = report;
  const c = a.counts;
  const lines = [
    "",
    `Cairn chaos: ${o.workflows} workflows × (5 steps + 1 transaction), ${o.workers} workers, ${o.seconds} s, ` +
      `lease ${o.leaseMs} ms, seed ${o.seed}, cluster port ${o.port}`,
    `  chaos: ${t.kills} SIGKILLs (${t.sameIdRestarts} restarted with the same ID), ` +
      `${t.pauses} SIGSTOP/SIGCONT pauses, ${t.pgRestartsMs.length} Postgres restarts ` +
      `(${t.pgRestartsMs.join(", ")} ms); drain ${t.drainMs} ms`,
    `  throughput: ${report.workflowsPerSecond.toFixed(1)} workflows/s over ${(a.spanMs / 1000).toFixed(1)} s ` +
      `(paced: starts spread over 70% of the chaos time)`,
    `  checkpoints ${c.checkpoints}, effects ${c.effects}: ${c.reruns} step bodies ran again ` +
      `(${c.zombieBodies} by fenced-off runs, ${c.zombieBodiesAfterCheckpoint} of those after ` +
      `the checkpoint; the rest were running when their process died)`,
    `  ownership: ${c.takeovers} takeovers, ${c.sameIdRecoveries} same-ID recoveries`,
    `  kill/pause → all of its workflows moved: by other executors median ` +
      `${ms(a.takeover.byOthers.medianMs)}, max ${ms(a.takeover.byOthers.maxMs)} ` +
      `(${a.takeover.byOthers.events} events); by a same-ID restart median ` +
      `${ms(a.takeover.bySameId.medianMs)}, max ${ms(a.takeover.bySameId.maxMs)} ` +
      `(${a.takeover.bySameId.events} events)`,
    `  fenced checkpoint writes logged by workers: ${report.workerLogs["fenced checkpoint writes"] ?? 0}`,
    "",
  ];
  for (const check of a.checks) {
    lines.push(
      `  ${check.ok ? "PASS" : "FAIL"}  ${check.name}${check.ok ? "" : ` (${check.violations})`}`,
    );
    for (const example of check.examples) lines.push(`          ${example}`);
  }
  lines.push("", report.ok ? "chaos: OK" : "chaos: VIOLATIONS FOUND", "");
  return lines.join("\n");
}
