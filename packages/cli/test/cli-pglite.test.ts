/**
 * The built `cairn` binary on a PGlite data directory (`--pglite`) seeded by a real engine:
 * listing, showing, cancelling and resuming, migrations, and the clear failure when another
 * process holds the directory (PGlite allows one process per data directory).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgliteStore } from "@cairn/pg-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cairn, cairnJson } from "./support/cli.js";
import { SEEDED, seedStore } from "./support/seed.js";

describe("cairn on PGlite", () => {
  const root = mkdtempSync(join(tmpdir(), "cairn-cli-pglite-"));
  const dataDir = join(root, "data");
  const on = (...args: string[]) => [...args, "--pglite", dataDir];

  beforeAll(async () => {
    await seedStore(createPgliteStore({ dataDir }));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("lists and shows workflows", async () => {
    const { workflows } = await cairnJson<{ workflows: { workflowId: string; status: string }[] }>(
      on("workflows", "list", "--status", "SUCCESS", "--name", "checkout"),
    );
    expect(workflows.map((w) => w.workflowId)).toEqual([SEEDED.succeeded]);
    const show = await cairn(on("workflows", "show", SEEDED.parent));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Children \(2\)/);
    expect(show.stdout).toMatch(/workflow:shipItem/);
  });

  it("cancels and resumes a waiting workflow", async () => {
    const cancel = await cairn(on("workflows", "cancel", SEEDED.waiting));
    expect(cancel.stdout).toContain(`cancelled 1 workflow: ${SEEDED.waiting}`);
    const resumed = await cairnJson<{ status: string }>(on("workflows", "resume", SEEDED.waiting));
    expect(resumed.status).toBe("PENDING");
  });

  it("reports the schema up to date", async () => {
    const check = await cairnJson<{ state: string }>(on("migrate", "--check"));
    expect(check.state).toBe("current");
  });

  it("fails with exit code 4 while another process holds the data directory", async () => {
    const holder = createPgliteStore({ dataDir });
    try {
      await holder.listExecutors();
      const run = await cairn(on("executors"));
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/^cairn: PGlite data directory .* is in use by process \d+/);
    } finally {
      await holder.close();
    }
  });
});
