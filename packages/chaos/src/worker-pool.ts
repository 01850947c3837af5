/**
 * The driver's side of the worker processes: N slots, each running one worker process at a time
 * (`node --import tsx worker.ts`). Slot 0 runs with a configured stable executor ID and comes
 * back with it after a kill; the others get a generated ID per process, as real deploys do. It
 * kills (SIGKILL), pauses (SIGSTOP), resumes (SIGCONT) and restarts, and keeps a timeline of what
 * it did to which executor, plus a tally of what the workers logged. It picks no victims itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseLine, WORKER_CONFIG_ENV, type WorkerConfig } from "./worker-protocol.js";

/** Something the pool did to a worker, with the executor ID it ran under (when known). */
export interface PoolEvent {
  readonly kind: "spawn" | "ready" | "kill" | "pause" | "resume" | "exit";
  readonly slot: number;
  readonly executorId: string | undefined;
  /** Epoch ms (this machine's clock, the one the local server uses too). */
  readonly at: number;
  readonly detail?: string;
}

interface Slot {
  child: ChildProcess | undefined;
  executorId: string | undefined;
  paused: boolean;
  ready: Promise<void> | undefined;
  exited: Promise<void> | undefined;
}

const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The worker processes of one chaos run. */
export class WorkerPool {
  readonly events: PoolEvent[] = [];
  /** How many lines of each kind (level: message start) the workers logged. */
  readonly logTally = new Map<string, number>();
  /** The last lines each process printed outside the protocol (crashes), for the report. */
  readonly stderrTail: string[] = [];
  private readonly slots: Slot[];
  private readonly base: Omit<WorkerConfig, "executorId">;
  private readonly stableId: string;

  constructor(base: Omit<WorkerConfig, "executorId">, size: number, stableId: string) {
    this.base = base;
    this.stableId = stableId;
    this.slots = Array.from({ length: size }, () => ({
      child: undefined,
      executorId: undefined,
      paused: false,
      ready: undefined,
      exited: undefined,
    }));
  }

  get size(): number {
    return this.slots.length;
  }

  isStable(slot: number): boolean {
    return slot === 0;
  }

  /** Slots with a live process that is not paused. */
  running(): number[] {
    return this.slots.flatMap((s, i) => (s.child && !s.paused ? [i] : []));
  }

  /** Slots with no process. */
  dead(): number[] {
    return this.slots.flatMap((s, i) => (s.child ? [] : [i]));
  }

  paused(): number[] {
    return this.slots.flatMap((s, i) => (s.child && s.paused ? [i] : []));
  }

  /** Starts a process in `slot`; resolves once its engine has launched. */
  start(slot: number): Promise<void> {
    const s = this.slot(slot);
    if (s.child) throw new Error(`slot ${slot} is running`);
    const config: WorkerConfig = {
      ...this.base,
      // The stable worker's lease outlasts its restart, so its same-ID relaunch, not a takeover,
      // picks its workflows up: the way a pod with a fixed name comes back.
      ...(this.isStable(slot) ? { executorId: this.stableId, leaseMs: this.base.leaseMs * 4 } : {}),
    };
    const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
      cwd: repoRoot,
      env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(config) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    s.child = child;
    s.paused = false;
    s.executorId = undefined;
    this.record("spawn", slot, undefined, String(child.pid));
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    s.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    s.ready.catch(() => undefined);
    let pending = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const text of lines) {
        const line = parseLine(text);
        if (!line) continue;
        if (line.chaos === "id") s.executorId = line.executorId;
        else if (line.chaos === "ready") {
          this.record("ready", slot, line.executorId, `recovered ${line.recovered}`);
          markReady();
        } else {
          const key =
            line.level === "fenced"
              ? "fenced checkpoint writes"
              : `${line.level}: ${line.message.replace(/\d+/g, "N")}`;
          this.logTally.set(key, (this.logTally.get(key) ?? 0) + 1);
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderrTail.push(chunk);
      if (this.stderrTail.length > 50) this.stderrTail.shift();
    });
    s.exited = new Promise<void>((resolve) => {
      child.on("close", (code, signal) => {
        this.record("exit", slot, s.executorId, `${signal ?? code}`);
        if (s.child === child) {
          s.child = undefined;
          s.paused = false;
        }
        failReady(new Error(`worker in slot ${slot} exited (${signal ?? code}) before launching`));
        resolve();
      });
    });
    return s.ready;
  }

  /** SIGKILL: the process dies at once, holding whatever it owned. Resolves when it is gone. */
  async kill(slot: number): Promise<string | undefined> {
    const s = this.slot(slot);
    const { child, executorId, exited } = s;
    if (!child) return undefined;
    this.record("kill", slot, executorId);
    child.kill("SIGKILL");
    await exited;
    return executorId;
  }

  /** SIGSTOP: the process freezes mid-whatever (a zombie: no heartbeats, work in flight). */
  pause(slot: number): void {
    const s = this.slot(slot);
    if (!s.child || s.paused) return;
    this.record("pause", slot, s.executorId);
    s.child.kill("SIGSTOP");
    s.paused = true;
  }

  /** SIGCONT: the zombie carries on, unaware that it lost its workflows. */
  resume(slot: number): void {
    const s = this.slot(slot);
    if (!s.child || !s.paused) return;
    this.record("resume", slot, s.executorId);
    s.child.kill("SIGCONT");
    s.paused = false;
  }

  /** Every slot running and not paused. */
  async reviveAll(): Promise<void> {
    for (const slot of this.paused()) this.resume(slot);
    await Promise.all(this.dead().map((slot) => this.start(slot)));
  }

  /** Clean shutdown (SIGTERM), then SIGKILL for any process still there after `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    for (const slot of this.paused()) this.resume(slot);
    const live = this.slots.filter((s) => s.child);
    for (const s of live) s.child?.kill("SIGTERM");
    const all = Promise.all(live.map((s) => s.exited ?? Promise.resolve()));
    const timer = setTimeout(() => {
      for (const s of live) s.child?.kill("SIGKILL");
    }, graceMs);
    await all;
    clearTimeout(timer);
  }

  /** SIGKILL everything (cleanup on failure). */
  async killAll(): Promise<void> {
    for (const s of this.slots) {
      if (s.paused) s.child?.kill("SIGCONT");
      s.child?.kill("SIGKILL");
    }
    await Promise.all(this.slots.map((s) => s.exited ?? Promise.resolve()));
  }

  private record(
    kind: PoolEvent["kind"],
    slot: number,
    executorId: string | undefined,
    detail?: string,
  ) {
    this.events.push({ kind, slot, executorId, at: Date.now(), ...(detail ? { detail } : {}) });
  }

  private slot(index: number): Slot {
    const s = this.slots[index];
    if (!s) throw new Error(`no slot ${index}`);
    return s;
  }
}
