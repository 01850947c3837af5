/**
 * One process per PGlite data directory. PGlite itself happily opens a directory that another
 * process has open (and corrupts it), so the store takes `<dataDir>.lock` first: a file holding
 * the owner's pid, created atomically (written aside, then hard-linked into place, so nobody ever
 * reads a half-written lock). A lock whose pid is dead, e.g. after SIGKILL, is stale and is taken
 * over; a live pid, including our own, means `DataDirLockedError`.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DataDirLockedError } from "./errors.js";

/** A held lock. */
export interface DataDirLock {
  /** The lock file, `<dataDir>.lock`. */
  readonly path: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

const code = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/** The pid in a lock file, or undefined when it vanished or holds no pid. */
function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) !== "ESRCH"; // EPERM: alive, owned by another user
  }
}

/** Creates the lock file holding our pid; false when it already exists. */
function tryCreate(path: string): boolean {
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(aside, `${process.pid}\n`);
  try {
    linkSync(aside, path);
    return true;
  } catch (error) {
    if (code(error) === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(aside);
  }
}

/** Moves a stale lock out of the way, unless someone replaced it since we read `stalePid`. */
function removeStale(path: string, stalePid: number): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if (code(error) === "ENOENT") return; // another process removed it first
    throw error;
  }
  if (readPid(aside) !== stalePid) {
    // We moved a fresh lock taken by a racing process: put it back unless yet another exists.
    try {
      linkSync(aside, path);
    } catch {
      // someone holds the path already; their lock stands
    }
  }
  unlinkSync(aside);
}

/** Takes the lock of `dataDir` (an absolute path) or throws `DataDirLockedError`. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${dataDir.replace(/[\\/]+$/, "")}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 10; attempt++) {
    if (tryCreate(path)) {
      let held = true;
      return {
        path,
        release() {
          if (held && readPid(path) === process.pid) unlinkSync(path);
          held = false;
        },
      };
    }
    const holder = readPid(path);
    if (holder === undefined) continue; // released meanwhile
    if (isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
    removeStale(path, holder);
  }
  throw new DataDirLockedError(dataDir, readPid(path) ?? 0);
}
