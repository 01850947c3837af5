/**
 * `pnpm bench --compare`'s command line. The defaults are the figures issue 11 names: 200
 * sequential 20-step runs, 2,000 three-step workflows with 100 in flight, 5,000 queue items
 * drained 50 at a time, 1,000 half-done workflows recovered, bulk batches of 1,000; three rounds.
 */
import { parseArgs } from "node:util";
import { SYSTEMS, type Sizes, type SystemName } from "./protocol.js";

export interface CompareOptions {
  readonly rounds: number;
  readonly systems: readonly SystemName[];
  readonly sizes: Sizes;
  /** Smaller sizes for the statement-counting pass (statement counts do not need many samples). */
  readonly countSizes: Sizes | undefined;
  /** A Postgres server URL; each system gets a database of its own on that server. */
  readonly url: string;
  readonly out: string | undefined;
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export const COMPARE_USAGE = `usage: pnpm bench --compare [options]
  --rounds N        interleaved rounds (Cairn, DBOS, pg-boss, repeated); medians over them (default 3)
  --systems L       comma list of ${SYSTEMS.join(",")} (default all)
  --runs N          sequential 20-step runs (default 200), after --warmup N (default 20)
  --workflows N     three-step workflows (default 2000), --inflight N outstanding (default 100)
  --queue-items N   items enqueued one at a time, then drained (default 5000)
  --concurrency N   the drain's workerConcurrency (default 50)
  --batch N         items per bulk enqueue call (default 1000), --batches N calls (default 5)
  --recovery N      half-done workflows killed and recovered (default 1000)
  --dbos-poll-ms N  DBOS queue minPollingIntervalMs (default 10; DBOS's own default is 1000)
  --no-count        skip the statement-counting pass
  --url URL         the Postgres server (default DATABASE_URL's server, then ${DEFAULT_URL});
                    the compare mode creates and drops one database per system per round
  --out FILE        also write the JSON report to FILE`;

export function parseCompareOptions(argv: readonly string[]): CompareOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--" && arg !== "--compare"),
    options: {
      rounds: { type: "string", default: "3" },
      systems: { type: "string", default: SYSTEMS.join(",") },
      runs: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      workflows: { type: "string", default: "2000" },
      inflight: { type: "string", default: "100" },
      "queue-items": { type: "string", default: "5000" },
      concurrency: { type: "string", default: "50" },
      batch: { type: "string", default: "1000" },
      batches: { type: "string", default: "5" },
      recovery: { type: "string", default: "1000" },
      "dbos-poll-ms": { type: "string", default: "10" },
      "no-count": { type: "boolean", default: false },
      url: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) exitWithUsage();
  const sizes: Sizes = {
    runs: positive("runs", values.runs),
    warmup: positive("warmup", values.warmup, 0),
    workflows: positive("workflows", values.workflows),
    inflight: positive("inflight", values.inflight),
    queueItems: positive("queue-items", values["queue-items"], 10),
    batch: positive("batch", values.batch),
    batches: positive("batches", values.batches),
    recovery: positive("recovery", values.recovery),
    concurrency: positive("concurrency", values.concurrency),
    dbosPollMs: positive("dbos-poll-ms", values["dbos-poll-ms"]),
  };
  return {
    rounds: positive("rounds", values.rounds),
    systems: systemList(values.systems),
    sizes,
    countSizes: values["no-count"]
      ? undefined
      : {
          ...sizes,
          runs: Math.min(sizes.runs, 20),
          warmup: Math.min(sizes.warmup, 5),
          workflows: Math.min(sizes.workflows, 500),
          queueItems: Math.min(sizes.queueItems, 1000),
          recovery: Math.min(sizes.recovery, 200),
          batches: 1,
        },
    url: serverUrl(values.url ?? process.env["DATABASE_URL"] ?? DEFAULT_URL),
    out: values.out,
  };
}

/** The server part of `text`, pointed at the `postgres` maintenance database. */
function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return exitWithUsage(`--url is not a URL`);
  }
  url.pathname = "/postgres";
  return url.toString();
}

function positive(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) exitWithUsage(`--${flag} expects an integer >= ${min}`);
  return n;
}

function systemList(text: string): SystemName[] {
  const names = text.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(SYSTEMS as readonly string[]).includes(name)) exitWithUsage(`unknown system ${name}`);
  }
  return names as SystemName[];
}

function exitWithUsage(problem?: string): never {
  if (problem) console.error(problem);
  console.error(COMPARE_USAGE);
  process.exit(problem ? 2 : 0);
}
