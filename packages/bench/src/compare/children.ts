/**
 * Starting the compare mode's child processes (child.ts, with the parent's tsx loader) and
 * reading their one message back; the crash child is SIGKILLed once it reports every workflow
 * parked half-way.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildMessage, ChildSpec, StatementFigure } from "./protocol.js";
import type { FigureKey } from "./table.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
/** A child that has not answered by then is killed and its phase reported as failed. */
const CHILD_TIMEOUT_MS = 15 * 60_000;

function start(spec: ChildSpec): ChildProcess {
  // Children inherit process.execArgv (tsx's loader); their output goes to our stderr.
  return fork(CHILD, [JSON.stringify(spec)], { stdio: ["ignore", 2, 2, "ipc"] });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** The first message of `child` of the wanted type; rejects on an error message, exit or timeout. */
function firstMessage<T extends ChildMessage["type"]>(
  child: ChildProcess,
  type: T,
  what: string,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what}: no answer in ${CHILD_TIMEOUT_MS / 60_000} minutes`));
    }, CHILD_TIMEOUT_MS);
    const done = () => clearTimeout(timer);
    child.on("message", (message: ChildMessage) => {
      if (message.type === type) {
        done();
        resolve(message as Extract<ChildMessage, { type: T }>);
      } else if (message.type === "error") {
        done();
        reject(new Error(`${what}: ${message.message}`));
      }
    });
    child.once("exit", (code, signal) => {
      done();
      reject(new Error(`${what}: exited (${signal ?? code}) without a ${type} message`));
    });
  });
}

export async function runChild(spec: ChildSpec): Promise<{
  figures: Partial<Record<FigureKey, number>>;
  statements: Partial<Record<FigureKey, StatementFigure>>;
}> {
  const child = start(spec);
  try {
    const result = await firstMessage(child, "result", `${spec.system} ${spec.phase}`);
    return { figures: result.figures, statements: result.statements };
  } finally {
    await exited(child);
  }
}

/** Starts the crash child, waits until every workflow is parked half-way, and SIGKILLs it. */
export async function runCrash(spec: ChildSpec): Promise<void> {
  const child = start(spec);
  try {
    await firstMessage(child, "parked", `${spec.system} crash`);
  } finally {
    child.kill("SIGKILL");
    await exited(child);
  }
}
