/**
 * `pnpm chaos`: runs the chaos suite (see `run-chaos.ts`) and prints its verdict, human lines on
 * stderr-free stdout followed by the full JSON report. Exits 1 on any violation, 2 if the run could
 * not be carried out (no Postgres installation, say).
 *
 *   pnpm chaos [--workflows 2000] [--seconds 30] [--workers 4] [--lease-ms 1500]
 *              [--pg-restarts 2] [--step-delay-ms 60] [--seed N] [--port 5544]
 */
import { parseArgs } from "node:util";
import { formatReport } from "./format-report.js";
import { runChaos, type ChaosOptions } from "./run-chaos.js";

const { values } = parseArgs({
  options: {
    workflows: { type: "string" },
    seconds: { type: "string" },
    workers: { type: "string" },
    "lease-ms": { type: "string" },
    "pg-restarts": { type: "string" },
    "step-delay-ms": { type: "string" },
    seed: { type: "string" },
    port: { type: "string" },
  },
});

const number = (name: keyof typeof values): number | undefined => {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a number, got ${text}`);
  return n;
};

const options: ChaosOptions = Object.fromEntries(
  Object.entries({
    workflows: number("workflows"),
    seconds: number("seconds"),
    workers: number("workers"),
    leaseMs: number("lease-ms"),
    pgRestarts: number("pg-restarts"),
    stepDelayMs: number("step-delay-ms"),
    seed: number("seed"),
    port: number("port"),
  }).filter(([, v]) => v !== undefined),
);

process.once("SIGINT", () => process.exit(130));

runChaos({ ...options, log: (line) => console.log(`chaos: ${line}`) }).then(
  (report) => {
    console.log(formatReport(report));
    console.log(JSON.stringify(report, null, 2));
    process.exit(report.ok ? 0 : 1);
  },
  (error: unknown) => {
    console.error("chaos: the run could not be carried out:", error);
    process.exit(2);
  },
);
