/**
 * The dashboard's defences, over HTTP against the built binary and against the handler mounted in
 * an application's own server: the strict CSP and no inline script in the page; mutations refused
 * without the token, from another origin, or as a form post; a foreign Host refused on loopback
 * (DNS rebinding); binding beyond loopback refused without a token, and then reads need it too.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, type Dashboard } from "@cairn/cli";
import { createPgStore } from "@cairn/pg-store";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cairn, startCairn } from "./support/cli.js";
import { SEEDED, seedStore } from "./support/seed.js";

const databaseUrl = inject("databaseUrl");
const schema = `dsec_${Math.random().toString(36).slice(2, 10)}`;

describe.skipIf(!databaseUrl)("dashboard security", () => {
  const url = databaseUrl ?? "";
  let server: ReturnType<typeof startCairn>;
  let base = "";
  let token = "";

  beforeAll(async () => {
    await seedStore(createPgStore({ url, schema, max: 4 }));
    server = startCairn(["dashboard", "--port", "0", "--url", url, "--schema", schema]);
    await server.until((out) => /#token=\S+/.test(out));
    const match = /(http:\/\/\S+?\/)#token=(\S+)/.exec(server.stdout());
    base = match?.[1] ?? "";
    token = match?.[2] ?? "";
  });

  afterAll(async () => {
    server?.child.kill("SIGINT");
    await server?.exited;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  const cancel = (headers: Record<string, string>, body = "{}") =>
    fetch(`${base}api/workflows/${SEEDED.queued[0]}/cancel`, { method: "POST", headers, body });

  it("serves the page with a strict CSP and no inline script", async () => {
    const response = await fetch(base);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/https?:\/\//); // nothing loaded from elsewhere
  });

  it("refuses mutations without the token, from another origin, or not as JSON", async () => {
    const json = { "content-type": "application/json" };
    expect((await cancel(json)).status).toBe(401);
    expect((await cancel({ ...json, "x-cairn-token": "wrong-token-wrong-token" })).status).toBe(
      401,
    );
    const crossSite = await cancel({
      ...json,
      "x-cairn-token": token,
      origin: "http://evil.example",
    });
    expect(crossSite.status).toBe(403);
    const form = await cancel(
      { "content-type": "application/x-www-form-urlencoded", "x-cairn-token": token },
      "a=1",
    );
    expect(form.status).toBe(415);
    const status = await cairn([
      "workflows",
      "show",
      SEEDED.queued[0],
      "--json",
      "--url",
      url,
      "--schema",
      schema,
    ]);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: "ENQUEUED" });
    const allowed = await cancel({
      ...json,
      "x-cairn-token": token,
      origin: base.replace(/\/$/, ""),
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ cancelled: [SEEDED.queued[0]] });
  });

  it("refuses a Host that is not loopback (DNS rebinding)", async () => {
    const port = new URL(base).port;
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/api/workflows",
          headers: { host: `evil.example:${port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it("will not bind beyond loopback without a token", async () => {
    const run = await cairn([
      "dashboard",
      "--host",
      "0.0.0.0",
      "--port",
      "0",
      "--url",
      url,
      "--schema",
      schema,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("needs --token");
  });

  describe("mounted in an application's server", () => {
    let app: Server;
    let dashboard: Dashboard;
    let origin = "";
    const secret = "a-long-enough-secret-token";

    beforeAll(async () => {
      dashboard = createDashboard({
        store: createPgStore({ url, schema, max: 2 }),
        token: secret,
        pathPrefix: "/ops/cairn",
      });
      app = createServer((req, res) => {
        void dashboard.handle(req, res).then((handled) => {
          if (!handled) res.writeHead(200, { "content-type": "text/plain" }).end("the app");
        });
      });
      await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
      origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await dashboard?.close();
      await new Promise((resolve) => app?.close(resolve));
    });

    it("serves under its prefix, leaves other paths to the app, and needs the token for reads", async () => {
      expect(await (await fetch(`${origin}/elsewhere`)).text()).toBe("the app");
      const page = await fetch(`${origin}/ops/cairn/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>Cairn dashboard</title>");
      expect((await fetch(`${origin}/ops/cairn/api/workflows`)).status).toBe(401);
      const listed = await fetch(`${origin}/ops/cairn/api/workflows?status=ERROR`, {
        headers: { "x-cairn-token": secret },
      });
      const body = (await listed.json()) as { workflows: { workflowId: string }[] };
      expect(body.workflows.map((w) => w.workflowId)).toEqual([SEEDED.failed]);
    });

    it("refuses a short token", () => {
      expect(() =>
        createDashboard({ store: createPgStore({ url, schema }), token: "short" }),
      ).toThrow(TypeError);
    });
  });
});
