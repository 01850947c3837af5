/**
 * `cairn dashboard`: serves the web dashboard on its own `node:http` server until Ctrl-C. It
 * binds 127.0.0.1 by default; binding any other address needs `--token` (or
 * `CAIRN_DASHBOARD_TOKEN`), and then every request needs it. On loopback a random token is made
 * when none is given, and the printed URL carries it in its fragment (never sent to the server
 * in a request line, never logged): cancel, resume and fork always need it.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { usageError } from "../cli-error.js";
import { stringOption, type Command } from "../command.js";
import { createDashboardHandler } from "../dashboard/dashboard.js";
import { isLoopback, loopbackHosts } from "../dashboard/security.js";

const DEFAULT_PORT = 4555;

export const dashboard: Command = {
  words: ["dashboard"],
  summary: "Serve the web dashboard (default http://127.0.0.1:4555)",
  usage: "dashboard [--port <n>] [--host <address>] [--token <secret>]",
  description:
    "Open the printed URL: it carries the token that cancel, resume and fork need. Binding\n" +
    "an address other than loopback needs a token, and then reads need it too.",
  options: {
    port: { type: "string", short: "p" },
    host: { type: "string" },
    token: { type: "string" },
  },
  optionHelp: {
    port: ["<n>", `port to listen on (default ${DEFAULT_PORT}; 0: any free port)`],
    host: ["<address>", "address to bind (default 127.0.0.1)"],
    token: [
      "<secret>",
      "the token (default $CAIRN_DASHBOARD_TOKEN, else a random one on loopback)",
    ],
  },
  examples: [
    "cairn dashboard --url postgres://localhost/app",
    "CAIRN_DASHBOARD_TOKEN=$(openssl rand -hex 24) cairn dashboard --host 0.0.0.0",
  ],
  async run(ctx) {
    const host = stringOption(ctx.options, "host") ?? "127.0.0.1";
    const portText = stringOption(ctx.options, "port") ?? String(DEFAULT_PORT);
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65_535) {
      throw usageError(`--port "${portText}" is not a port number`, "dashboard");
    }
    const loopback = isLoopback(host);
    const given = stringOption(ctx.options, "token") ?? process.env["CAIRN_DASHBOARD_TOKEN"];
    if (!loopback && !given) {
      throw usageError(
        `binding ${host} (not loopback) needs --token or CAIRN_DASHBOARD_TOKEN`,
        "dashboard",
      );
    }
    if (given !== undefined && given.length < 16) {
      throw usageError("the token must be at least 16 characters", "dashboard");
    }
    const token = given ?? randomBytes(24).toString("base64url");
    const connection = await ctx.connect();
    const server = createServer();
    await listen(server, port, host);
    const bound = (server.address() as AddressInfo).port;
    const handler = createDashboardHandler(connection, {
      policy: {
        token,
        tokenForReads: !loopback,
        allowedHosts: loopback ? loopbackHosts(bound) : undefined,
      },
      pathPrefix: "",
      closeSources: () => Promise.resolve(), // the command's connection closes after run
    });
    server.on("request", (req, res) => void handler.handle(req, res));
    const shown = host.includes(":") ? `[${host}]` : host;
    ctx.out(`Cairn dashboard on http://${shown}:${bound}/#token=${token}`);
    ctx.out(ctx.style.dim(`showing ${connection.target}; Ctrl-C to stop`));
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await handler.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
};

function listen(server: ReturnType<typeof createServer>, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
