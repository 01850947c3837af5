/**
 * The bench's command line: how many runs, workflows and in-flight calls, which backends. The
 * defaults keep the whole bench under about a minute on a 2-core machine.
 */
import { parseArgs } from "node:util";

export type BackendName = "postgres" | "pglite" | "memory";

export interface BenchOptions {
  /** Sequential runs of the 20-step workflow, measured after `warmup` runs. */
  readonly runs: number;
  readonly warmup: number;
  /** Three-step workflows in the concurrent scenario. */
  readonly workflows: number;
  /** How many `engine.run` calls the concurrent scenario keeps outstanding. */
  readonly inflight: number;
  /** Pings measured in the send→recv wake-up scenario (after a warm-up of a tenth as many). */
  readonly wakeups: number;
  /** Workflows enqueued, then drained, in the queue scenario. */
  readonly queueItems: number;
  /** Enqueue→start latencies measured on an idle queue. */
  readonly queueLatency: number;
  /** Workflows started with `startMany` (1,000 per call) in the bulk start scenario, twice. */
  readonly bulkItems: number;
  readonly backends: readonly BackendName[];
  readonly url: string;
  /** Also write the JSON report to this file (stdout carries pnpm's and turbo's lines too). */
  readonly out: string | undefined;
}

const BACKENDS: readonly BackendName[] = ["postgres", "pglite", "memory"];
const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

const USAGE = `usage: pnpm bench [-- options]
  --runs N        sequential 20-step runs (default 200)
  --warmup N      warm-up runs before each measurement (default 20)
  --workflows N   three-step workflows in the concurrent scenario (default 2000)
  --inflight N    engine.run calls kept outstanding (default 100)
  --wakeups N     send→recv wake-ups measured (default 200)
  --queue-items N workflows enqueued then drained in the queue scenario (default 5000)
  --queue-latency N  enqueue→start latencies measured on an idle queue (default 200)
  --bulk-items N  workflows started with startMany, 1,000 per call, by a client and an engine (default 10000)
  --backends L    comma list of postgres,pglite,memory (default all three)
  --url URL       Postgres server (default DATABASE_URL, then ${DEFAULT_URL})
  --out FILE      also write the JSON report to FILE
  --compare       side by side with DBOS Transact and pg-boss instead (pnpm bench --compare --help)
  --sleepers N    park N workflows in ctx.sleep("1h") instead (pnpm bench --sleepers 100000 --help)`;

/** Parses `argv` (without node and script); exits with usage on a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--"), // `pnpm bench -- --runs 10` forwards the "--"
    options: {
      runs: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      workflows: { type: "string", default: "2000" },
      inflight: { type: "string", default: "100" },
      wakeups: { type: "string", default: "200" },
      "queue-items": { type: "string", default: "5000" },
      "queue-latency": { type: "string", default: "200" },
      "bulk-items": { type: "string", default: "10000" },
      backends: { type: "string", default: BACKENDS.join(",") },
      url: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) exitWithUsage();
  return {
    runs: positive("runs", values.runs),
    warmup: positive("warmup", values.warmup, 0),
    workflows: positive("workflows", values.workflows),
    inflight: positive("inflight", values.inflight),
    wakeups: positive("wakeups", values.wakeups),
    queueItems: positive("queue-items", values["queue-items"]),
    queueLatency: positive("queue-latency", values["queue-latency"]),
    bulkItems: positive("bulk-items", values["bulk-items"]),
    backends: backendList(values.backends),
    url: values.url ?? process.env["DATABASE_URL"] ?? DEFAULT_URL,
    out: values.out,
  };
}

function positive(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) exitWithUsage(`--${flag} expects an integer >= ${min}`);
  return n;
}

function backendList(text: string): BackendName[] {
  const names = text.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(BACKENDS as readonly string[]).includes(name)) exitWithUsage(`unknown backend ${name}`);
  }
  return names as BackendName[];
}

function exitWithUsage(problem?: string): never {
  if (problem) console.error(problem);
  console.error(USAGE);
  process.exit(problem ? 2 : 0);
}
