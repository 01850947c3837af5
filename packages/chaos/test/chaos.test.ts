/**
 * The chaos suite, small enough for CI: 3 worker processes, 200 workflows, 12 s of SIGKILLs,
 * pauses and one Postgres restart, on a cluster of the test's own (another port, so the restart
 * disturbs no other test), then the full audit. `pnpm chaos` is the same with bigger numbers.
 */
import { describe, expect, it } from "vitest";
import { formatReport } from "../src/format-report.js";
import { runChaos } from "../src/run-chaos.js";
import { skipWithoutPostgres } from "./support.js";

describe.skipIf(skipWithoutPostgres)("chaos", () => {
  it("every workflow finishes right through kills, pauses and a server restart, and every audit check holds", async () => {
    const report = await runChaos({
      workers: 3,
      workflows: 200,
      seconds: 12,
      pgRestarts: 1,
      port: 5600 + Math.floor(Math.random() * 200),
      drainTimeoutMs: 60_000,
    });
    const failed = report.audit.checks.filter((c) => !c.ok);
    expect(failed, formatReport(report)).toEqual([]);
    expect(report.timeline.pgRestartsMs).toHaveLength(1);
    expect(report.timeline.kills).toBeGreaterThan(0);
    expect(report.audit.counts.checkpoints).toBe(200 * 6); // five steps and a transaction
  });
});
