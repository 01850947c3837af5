import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createPgliteStore, DataDirLockedError, type PgStore } from "../src/index.js";
import { copyPgliteTemplate, tempDir } from "./support/databases.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A data directory path inside a fresh temporary directory (not created yet). */
function dataDirPath(): string {
  const dir = tempDir("lock");
  cleanups.push(dir.remove);
  return join(dir.path, "data");
}

function track(store: PgStore): PgStore {
  cleanups.push(() => store.close());
  return store;
}

/** Starts a child process that holds the lock on `dataDir`; resolves once it does. */
async function lockInChild(dataDir: string): Promise<ChildProcess> {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const script = fileURLToPath(new URL("./support/hold-data-dir-lock.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", tsx, script, dataDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(() => child.kill("SIGKILL"));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("locked")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`lock holder exited early with ${code}`)));
  });
  return child;
}

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.once("exit", () => resolve()),
  );

/** The pid on the first line of the lock file of `dataDir`. */
const lockPid = (dataDir: string): number =>
  Number(readFileSync(`${dataDir}.lock`, "utf8").split("\n")[0]);

/** A live process that holds no lock: stands for whoever was given a dead holder's pid. */
function bystander(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 60_000)"], {
    stdio: "ignore",
  });
  cleanups.push(() => child.kill("SIGKILL"));
  return child;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(done.stdout.toString());
}

describe("PGlite data directory lock", () => {
  it("refuses a second store on the same dataDir in this process", () => {
    const dataDir = dataDirPath();
    track(createPgliteStore({ dataDir }));
    expect(() => createPgliteStore({ dataDir })).toThrow(DataDirLockedError);
    try {
      createPgliteStore({ dataDir: `${dataDir}/` });
    } catch (error) {
      expect(DataDirLockedError.is(error)).toBe(true);
      expect(error).toMatchObject({ code: "DATA_DIR_LOCKED", dataDir, pid: process.pid });
    }
  });

  it("refuses a dataDir locked by another live process, naming its pid", async () => {
    const dataDir = dataDirPath();
    const child = await lockInChild(dataDir);
    expect(() => createPgliteStore({ dataDir })).toThrow(
      expect.objectContaining({ name: "DataDirLockedError", pid: child.pid }) as Error,
    );
  });

  it("takes over the lock of a process that was killed with SIGKILL", async () => {
    const dataDir = dataDirPath();
    const child = await lockInChild(dataDir);
    child.kill("SIGKILL");
    await exited(child);
    expect(lockPid(dataDir)).toBe(child.pid);
    track(createPgliteStore({ dataDir }));
    expect(lockPid(dataDir)).toBe(process.pid);
  });

  it("takes over a stale lock file whose pid is dead", () => {
    const dataDir = dataDirPath();
    writeFileSync(`${dataDir}.lock`, `${deadPid()}\n`);
    expect(() => track(createPgliteStore({ dataDir }))).not.toThrow();
  });

  it("takes over a lock whose pid was reused by a live process that started later", async () => {
    const dataDir = dataDirPath();
    const holder = await lockInChild(dataDir);
    const [, identity] = readFileSync(`${dataDir}.lock`, "utf8").split("\n");
    expect(identity).toMatch(/^\d+@/); // the holder recorded when it started
    holder.kill("SIGKILL");
    await exited(holder);
    // The dead holder's pid now belongs to another live process (as after a container restart).
    const reuser = bystander();
    writeFileSync(`${dataDir}.lock`, `${reuser.pid}\n${identity}\n`);
    track(createPgliteStore({ dataDir }));
    expect(lockPid(dataDir)).toBe(process.pid);
    expect(reuser.exitCode).toBeNull();
  });

  it("takes over a lock naming this process when no store in this process holds it", () => {
    // A container that restarts gets pid 1 again: the lock its previous life left names us.
    const dataDir = dataDirPath();
    writeFileSync(`${dataDir}.lock`, `${process.pid}\n`);
    expect(() => track(createPgliteStore({ dataDir }))).not.toThrow();
    expect(() => createPgliteStore({ dataDir })).toThrow(DataDirLockedError);
  });

  it("lets a live holder win even when its lock records no start time", () => {
    const dataDir = dataDirPath();
    const holder = bystander();
    writeFileSync(`${dataDir}.lock`, `${holder.pid}\n`);
    expect(() => createPgliteStore({ dataDir })).toThrow(
      expect.objectContaining({ name: "DataDirLockedError", pid: holder.pid }) as Error,
    );
  });

  it("releases the lock on close, so the directory opens again with its data", async () => {
    const dir = tempDir("reopen");
    cleanups.push(dir.remove);
    const dataDir = copyPgliteTemplate(dir.path);
    const first = createPgliteStore({ dataDir });
    await first.migrate();
    await first.createWorkflow({ workflowId: "wf", name: "n", input: "kept", executorId: "e" });
    await first.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    const second = track(createPgliteStore({ dataDir }));
    await second.migrate();
    expect((await second.getWorkflow("wf"))?.input).toBe("kept");
  });

  it("takes no lock for an in-memory database", () => {
    track(createPgliteStore({ dataDir: "memory://" }));
    expect(() => track(createPgliteStore({ dataDir: "memory://" }))).not.toThrow();
  });
});
