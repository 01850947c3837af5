/**
 * One child process of the compare mode: runs one phase of one system against that system's
 * database and sends its figures to the parent over IPC. The spec is argv[2] as JSON. In a
 * counting pass the system connects through the statement-counting proxy. A crash child sends
 * "parked" once every workflow is blocked half-way and waits for the parent's SIGKILL.
 */
import postgres from "postgres";
import { createStatementCounter } from "../statement-counter.js";
import type { ChildMessage, ChildSpec, SystemName } from "./protocol.js";
import {
  drainPhase,
  enqueuePhase,
  recoverPhase,
  workflowsPhase,
  type PhaseResult,
} from "./scenarios.js";
import type { SystemAdapter } from "./system.js";
import { startWireCounter, type WireCounter } from "./wire-counter.js";

/** Imports only the adapter asked for: each system's package loads in its own children only. */
async function adapterOf(system: SystemName): Promise<SystemAdapter> {
  switch (system) {
    case "cairn":
      return (await import("./cairn.js")).cairn;
    case "dbos":
      return (await import("./dbos.js")).dbos;
    case "pg-boss":
      return (await import("./pg-boss.js")).pgBoss;
  }
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error("the compare child runs under the compare parent (IPC)");
    process.send(message, undefined, {}, () => resolve());
  });
}

async function crash(adapter: SystemAdapter, spec: ChildSpec): Promise<never> {
  if (!adapter.recovery) throw new Error(`${spec.system} has no workflows to recover`);
  let parked = 0;
  const all = new Promise<void>((resolve) => {
    void adapter.recovery?.crash(spec.url, spec.sizes.recovery, () => {
      if (++parked === spec.sizes.recovery) resolve();
    });
  });
  await all;
  await send({ type: "parked", count: parked });
  return new Promise<never>(() => {}); // the parent kills this process
}

async function run(spec: ChildSpec): Promise<PhaseResult> {
  const adapter = await adapterOf(spec.system);
  if (spec.phase === "crash") return crash(adapter, spec);
  const counter = createStatementCounter(adapter.schema);
  const direct = new URL(spec.url);
  let proxy: WireCounter | undefined;
  let url = spec.url;
  if (spec.count) {
    proxy = await startWireCounter({ host: direct.hostname, port: Number(direct.port) }, counter);
    const through = new URL(spec.url);
    through.port = String(proxy.port);
    url = through.toString();
  }
  const observer = postgres(spec.url, { max: 1, onnotice: () => {} });
  try {
    switch (spec.phase) {
      case "workflows":
        return await workflowsPhase(adapter, url, spec.sizes, counter);
      case "enqueue":
        return await enqueuePhase(adapter, url, spec.sizes, counter, observer);
      case "drain":
        return await drainPhase(adapter, url, spec.sizes, counter, observer);
      case "recover":
        return await recoverPhase(adapter, url, spec.sizes, counter, observer);
      default:
        throw new Error("unreachable: the crash phase returned above");
    }
  } finally {
    await observer.end({ timeout: 5 });
    await proxy?.close();
  }
}

const spec = JSON.parse(process.argv[2] ?? "{}") as ChildSpec;
try {
  const result = await run(spec);
  await send({ type: "result", figures: result.figures, statements: result.statements });
  process.exit(0);
} catch (error) {
  await send({
    type: "error",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
}
