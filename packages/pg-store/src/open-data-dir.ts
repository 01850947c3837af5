/**
 * Opens PGlite on a data directory without ever making things worse. PGlite runs initdb in any
 * directory that lacks `PG_VERSION`, so a directory that lost that one file would silently be
 * re-initialized and every workflow in it lost; and a damaged control file or WAL ends in an
 * opaque WASM abort. Here a directory is initialized only when it is absent or empty, and a
 * failed start becomes `DataDirDamagedError` carrying the database's own FATAL/PANIC lines, and
 * leaves the directory as it found it.
 * It does not take the directory lock (see `data-dir-lock.ts`) and never repairs anything.
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { DataDirDamagedError } from "./errors.js";

/**
 * True when `dataDir` holds a database, false when it is absent or empty (PGlite will run
 * initdb); throws `DataDirDamagedError` for anything else.
 */
export function checkDataDir(dataDir: string): boolean {
  if (!existsSync(dataDir)) return false;
  if (!statSync(dataDir).isDirectory()) {
    throw new DataDirDamagedError(dataDir, "it is a file, not a directory");
  }
  const entries = readdirSync(dataDir);
  if (entries.length === 0) return false;
  if (entries.includes("PG_VERSION")) return true;
  throw new DataDirDamagedError(
    dataDir,
    "PG_VERSION is missing, so this non-empty directory holds no complete database " +
      "(Cairn never initializes a non-empty directory)",
  );
}

/** Postgres log lines that say why start-up failed, without their timestamp and pid prefix. */
function startupProblem(log: readonly string[]): string | undefined {
  const telling = log
    .filter((line) => /\b(PANIC|FATAL):|LOG:\s+invalid/.test(line))
    .map((line) => line.replace(/^.*?\b(PANIC|FATAL|LOG):\s+/, "$1: ").trim());
  return telling.length > 0 ? telling.join("; ") : undefined;
}

/** Opens PGlite on `dataDir` (an absolute path) after {@link checkDataDir}. */
export async function openDataDir(dataDir: string): Promise<PGlite> {
  const existing = checkDataDir(dataDir);
  const pidFile = join(dataDir, "postmaster.pid");
  const hadPidFile = existsSync(pidFile);
  const log: string[] = [];
  try {
    return await PGlite.create({
      dataDir,
      onStderr: (text) => {
        if (log.length < 200) log.push(text);
        return false;
      },
    });
  } catch (error) {
    if (!existing) throw error; // initdb of a new directory failed: not a damaged database
    if (!hadPidFile) rmSync(pidFile, { force: true }); // a failed start leaves it behind
    const problem = startupProblem(log) ?? `PGlite failed to start (${String(error)})`;
    throw new DataDirDamagedError(dataDir, problem, { cause: error });
  }
}
