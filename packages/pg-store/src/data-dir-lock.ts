/**
 * One process per PGlite data directory. PGlite itself happily opens a directory that another
 * process has open (and corrupts it), so the store takes `<dataDir>.lock` first: a file naming
 * the owner (its pid and, where the system tells it, when that process started), created
 * atomically (written aside, then hard-linked into place, so nobody ever reads a half-written
 * lock). A pid alone does not prove a holder: after a crash the same pid may belong to another
 * process (a container restarting as pid 1). So a lock is stale, and is taken over, when its pid
 * is dead, when that pid now belongs to a process that started at another time (see
 * `process-identity.ts`), or when it names this process but no store in this process holds it.
 * Otherwise the holder is live and wins: `DataDirLockedError`. This module does not open PGlite.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DataDirLockedError } from "./errors.js";
import { processIdentity } from "./process-identity.js";

/** A held lock. */
export interface DataDirLock {
  /** The lock file, `<dataDir>.lock`. */
  readonly path: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

/** What a lock file says: the holder's pid and, when recorded, its start identity. */
interface LockOwner {
  readonly pid: number;
  readonly identity: string | undefined;
}

/** Lock files held by this process, shared by every copy of this package loaded in it. */
const held: Set<string> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for("cairn.pg-store.heldDataDirLocks")
] ??= new Set<string>()) as Set<string>;

const code = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/** The owner a lock file names, or undefined when it vanished or names no pid. */
function readOwner(path: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
  const [pidLine = "", identityLine = ""] = text.split("\n");
  const pid = Number.parseInt(pidLine, 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, identity: identityLine.trim() || undefined };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) !== "ESRCH"; // EPERM: alive, owned by another user
  }
}

/** True when the process the lock names is provably not its holder any more. */
function isStale(path: string, owner: LockOwner): boolean {
  if (owner.pid === process.pid) return !held.has(path);
  if (!isAlive(owner.pid)) return true;
  if (owner.identity === undefined) return false; // a lock without identity: the pid must die
  const current = processIdentity(owner.pid);
  return current !== undefined && current !== owner.identity;
}

/** Creates the lock file naming this process; false when it already exists. */
function tryCreate(path: string): boolean {
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(aside, `${process.pid}\n${processIdentity(process.pid) ?? ""}\n`);
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

const sameOwner = (a: LockOwner | undefined, b: LockOwner): boolean =>
  a?.pid === b.pid && a.identity === b.identity;

/** Moves a stale lock out of the way, unless someone replaced it since we read `stale`. */
function removeStale(path: string, stale: LockOwner): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if (code(error) === "ENOENT") return; // another process removed it first
    throw error;
  }
  if (!sameOwner(readOwner(aside), stale)) {
    // We moved a fresh lock taken by a racing process: put it back unless yet another exists.
    try {
      linkSync(aside, path);
    } catch {
      // someone holds the path already; their lock stands
    }
  }
  unlinkSync(aside);
}

function heldLock(path: string): DataDirLock {
  held.add(path);
  let holding = true;
  return {
    path,
    release() {
      if (holding && readOwner(path)?.pid === process.pid) unlinkSync(path);
      if (holding) held.delete(path);
      holding = false;
    },
  };
}

/** Takes the lock of `dataDir` (an absolute path) or throws `DataDirLockedError`. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${dataDir.replace(/[\\/]+$/, "")}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 10; attempt++) {
    if (tryCreate(path)) return heldLock(path);
    const owner = readOwner(path);
    if (owner === undefined) continue; // released meanwhile
    if (!isStale(path, owner)) throw new DataDirLockedError(dataDir, owner.pid);
    removeStale(path, owner);
  }
  throw new DataDirLockedError(dataDir, readOwner(path)?.pid ?? 0);
}
