/**
 * The built `cairn` binary on a PGlite data directory (`--pglite`) seeded by a real engine:
 * listing, showing, cancelling and resuming, migrations, the dashboard with its live stream, and
 * the clear failure when another process holds the directory (PGlite allows one process per data
 * directory).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgliteStore } from "@cairn/pg-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cairn, cairnJson, startCairn } from "./support/cli.js";
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

  it("cancels and resumes many by IDs or by a filter, listing what it skipped", async () => {
    const [, second = "", third = ""] = SEEDED.queued;
    const cancel = await cairnJson<{ cancelled: string[]; skipped: unknown[] }>(
      on("workflows", "cancel", second, third, SEEDED.succeeded, "ghost"),
    );
    expect([...cancel.cancelled].sort()).toEqual([second, third]);
    expect(cancel.skipped).toEqual([
      { workflowId: SEEDED.succeeded, reason: "status", status: "SUCCESS" },
      { workflowId: "ghost", reason: "not-found" },
    ]);
    const resume = await cairn(
      on(
        "workflows",
        "resume",
        "--queue",
        "emails",
        "--id-prefix",
        "email-",
        "--status",
        "CANCELLED,SUCCESS",
      ),
    );
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain(`resumed 2 workflows: ${second}, ${third}`);
    const queued = await cairnJson<{ workflows: { workflowId: string }[] }>(
      on("workflows", "list", "--queue", "emails", "--status", "ENQUEUED"),
    );
    expect(queued.workflows.map((w) => w.workflowId)).toEqual(
      expect.arrayContaining([second, third]),
    );
    const refused = await cairn(on("workflows", "cancel"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/give workflow IDs, or filter options/);
  });

  it("reports the schema up to date", async () => {
    const check = await cairnJson<{ state: string }>(on("migrate", "--check"));
    expect(check.state).toBe("current");
  });

  it("serves the dashboard, with live updates from PGlite's in-process notifications", async () => {
    const server = startCairn(on("dashboard", "--port", "0"));
    try {
      await server.until((out) => /#token=\S+/.test(out));
      const [, base = "", token = ""] = /(http:\/\/\S+?\/)#token=(\S+)/.exec(server.stdout()) ?? [];
      const listed = (await (await fetch(`${base}api/workflows?name=checkout`)).json()) as {
        workflows: { workflowId: string }[];
      };
      expect(listed.workflows.map((w) => w.workflowId)).toEqual([SEEDED.succeeded]);
      const live = await fetch(`${base}api/live`);
      const reader = (live.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      const next = async () => {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the live stream ended; it sent: ${seen}`);
        return decoder.decode(value);
      };
      let seen = "";
      while (!seen.includes("event: ready")) seen += await next();
      const cancelled = await fetch(`${base}api/workflows/${SEEDED.queued[0]}/cancel`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-cairn-token": token },
        body: "{}",
      });
      expect(cancelled.status).toBe(200);
      while (!seen.includes(SEEDED.queued[0]))
        seen += decoder.decode((await reader?.read())?.value);
      expect(seen).toMatch(/"kind":"status".*"status":"CANCELLED"/);
      await reader.cancel();
    } finally {
      server.child.kill("SIGINT");
      expect(await server.exited).toBe(0);
    }
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
