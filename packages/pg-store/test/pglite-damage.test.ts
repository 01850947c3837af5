import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPgliteStore, DataDirDamagedError } from "../src/index.js";
import { copyPgliteTemplate, tempDir } from "./support/databases.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A copy of the PGlite template with one workflow stored in it, closed again. */
async function databaseWithWorkflow(): Promise<string> {
  const dir = tempDir("damage");
  cleanups.push(dir.remove);
  const dataDir = copyPgliteTemplate(dir.path);
  const store = createPgliteStore({ dataDir });
  await store.migrate();
  await store.createWorkflow({ workflowId: "kept", name: "n", input: "x", executorId: "e" });
  await store.close();
  return dataDir;
}

/** A digest of every file name and content under `dir`, to prove nothing was written. */
function fingerprint(dir: string): string {
  const hash = createHash("sha256");
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(path, entry.name);
      hash.update(full);
      if (entry.isDirectory()) walk(full);
      else hash.update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/** Opens a store on `dataDir`; resolves to the error its first call failed with. */
async function openError(dataDir: string): Promise<unknown> {
  const store = createPgliteStore({ dataDir });
  try {
    await store.migrate();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await store.close();
  }
}

describe("a damaged PGlite data directory", () => {
  it("refuses a non-empty directory without PG_VERSION instead of initializing it", async () => {
    const dataDir = await databaseWithWorkflow();
    rmSync(join(dataDir, "PG_VERSION"));
    const before = fingerprint(dataDir);
    const error = await openError(dataDir);
    expect(DataDirDamagedError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: "DATA_DIR_DAMAGED", dataDir });
    expect((error as DataDirDamagedError).problem).toContain("PG_VERSION is missing");
    expect((error as Error).message).toContain(dataDir);
    expect(fingerprint(dataDir)).toBe(before);
  });

  it("reports a truncated control file as damage, naming the file", async () => {
    const dataDir = await databaseWithWorkflow();
    truncateSync(join(dataDir, "global", "pg_control"), 100);
    const before = fingerprint(dataDir);
    const error = await openError(dataDir);
    expect(error).toBeInstanceOf(DataDirDamagedError);
    expect((error as DataDirDamagedError).problem).toMatch(/PANIC: .*global\/pg_control/);
    expect(fingerprint(dataDir)).toBe(before);
  });

  it("reports an overwritten WAL segment as damage, with the database's own words", async () => {
    const dataDir = await databaseWithWorkflow();
    const walDir = join(dataDir, "pg_wal");
    for (const segment of readdirSync(walDir).filter((name) => /^[0-9A-F]{24}$/.test(name))) {
      writeFileSync(join(walDir, segment), Buffer.alloc(64 * 1024, 0x5a), { flag: "r+" });
    }
    const before = fingerprint(dataDir);
    const error = await openError(dataDir);
    expect(error).toBeInstanceOf(DataDirDamagedError);
    expect((error as DataDirDamagedError).problem).toContain("checkpoint record");
    expect(fingerprint(dataDir)).toBe(before);
  });

  it("refuses a data directory path that is a file", async () => {
    const dir = tempDir("damage-file");
    cleanups.push(dir.remove);
    const dataDir = join(dir.path, "data");
    writeFileSync(dataDir, "not a database");
    const error = await openError(dataDir);
    expect(error).toMatchObject({ name: "DataDirDamagedError", dataDir });
    expect(readFileSync(dataDir, "utf8")).toBe("not a database");
  });

  it("still initializes an empty directory", async () => {
    const dir = tempDir("damage-empty");
    cleanups.push(dir.remove);
    const dataDir = join(dir.path, "data");
    mkdirSync(dataDir);
    const store = createPgliteStore({ dataDir });
    cleanups.push(() => store.close());
    await store.migrate();
    expect(readdirSync(dataDir)).toContain("PG_VERSION");
  });
});
