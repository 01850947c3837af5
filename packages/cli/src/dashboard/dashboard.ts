/**
 * The dashboard as a request handler: static front end at `/`, JSON API under `/api/`, live
 * updates at `/api/live`. `cairn dashboard` serves it on its own `node:http` server; an
 * application mounts it inside its own server with `createDashboard` (under a path prefix if it
 * likes). Every request passes the checks of `security.ts` first.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createClient, type Logger, type SerializationOptions } from "@cairn/core";
import type { PgStore } from "@cairn/pg-store";
import { createPgInspector } from "@cairn/pg-store/inspect";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { toCliError, EXIT } from "../cli-error.js";
import * as actions from "./actions.js";
import { loadAssets, type Asset } from "./assets.js";
import { HttpError, readJsonBody, sendJson } from "./http.js";
import { createLiveUpdates } from "./live.js";
import * as reads from "./read-routes.js";
import {
  checkHost,
  checkMutation,
  checkRead,
  setSecurityHeaders,
  type SecurityPolicy,
} from "./security.js";
import type { DashboardSources } from "./sources.js";

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The store to show (from `createPgStore` or `createPgliteStore`); the dashboard closes it. */
  readonly store: PgStore;
  /**
   * The secret every mutating request (cancel, resume, fork) must carry; also every read unless
   * `tokenForReads` is false. Open the page as `<url>#token=<token>` or type it when asked.
   */
  readonly token: string;
  /** Reads need the token too. Default `true`: turn off only behind your own authentication. */
  readonly tokenForReads?: boolean;
  /**
   * Your engines' `serialization` (custom types, codec), to show their values. A value it cannot
   * decode shows as `"[encoded]"` or `"[TypeName]"`. Default: devalue, no codec.
   */
  readonly serialization?: SerializationOptions;
  /** Where it is mounted, e.g. `"/cairn"`: requests under it are served. Default `""`. */
  readonly pathPrefix?: string;
  /**
   * Host headers to answer (e.g. `["ops.internal:8080"]`), refusing others (DNS rebinding).
   * Default: any.
   */
  readonly allowedHosts?: readonly string[];
}

/** A mounted dashboard. */
export interface Dashboard {
  /**
   * Handles a request; resolves when answered. Returns `false` without answering when the path is
   * outside `pathPrefix`, so the application's own routes can take it.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends live streams, stops listening and closes the store. */
  close(): Promise<void>;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Creates the dashboard over a store, to mount in your own Node server.
 *
 * @example
 * const dashboard = createDashboard({ store: createPgStore({ url }), token: process.env.CAIRN_TOKEN!, pathPrefix: "/cairn" });
 * http.createServer(async (req, res) => {
 *   if (!(await dashboard.handle(req, res))) app(req, res);
 * });
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  if (typeof options.token !== "string" || options.token.length < 16) {
    throw new TypeError("createDashboard: token must be a string of at least 16 characters");
  }
  const { store } = options;
  const serialization = { ...options.serialization, undecodable: "describe" } as const;
  const client = createClient({ store, logger: quiet, serialization });
  const sources = {
    store,
    client,
    inspector: createPgInspector(store, client.serializer),
    queues: createPgQueueStore(store),
  };
  return createDashboardHandler(sources, {
    policy: {
      token: options.token,
      tokenForReads: options.tokenForReads ?? true,
      allowedHosts: options.allowedHosts,
    },
    pathPrefix: options.pathPrefix ?? "",
    closeSources: () => client.close(),
  });
}

/** The handler over open sources; `cairn dashboard` calls this with its connection. */
export function createDashboardHandler(
  sources: DashboardSources,
  settings: {
    readonly policy: SecurityPolicy;
    readonly pathPrefix: string;
    readonly closeSources: () => Promise<void>;
  },
): Dashboard {
  const prefix = settings.pathPrefix.replace(/\/+$/, "");
  const live = createLiveUpdates(sources.store);
  let assets: Promise<ReadonlyMap<string, Asset>> | undefined;

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => {
    checkHost(req, settings.policy);
    if (!path.startsWith("/api/")) {
      assets ??= loadAssets();
      return serveAsset(res, await assets, path);
    }
    const parts = path.slice("/api/".length).split("/").map(decodeURIComponent);
    if (req.method === "GET") {
      checkRead(req, url, settings.policy);
      return answerRead(req, res, sources, parts, url.searchParams, live);
    }
    checkMutation(req, url, settings.policy);
    return sendJson(res, 200, await answerMutation(sources, parts, await readJsonBody(req)));
  };

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? "/", "http://dashboard");
      if (prefix && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false;
      if (prefix && url.pathname === prefix) {
        res.writeHead(308, { location: `${prefix}/` }).end();
        return true;
      }
      setSecurityHeaders(res);
      try {
        await route(req, res, url, url.pathname.slice(prefix.length) || "/");
      } catch (error) {
        if (!res.headersSent) sendError(res, error);
        else res.end();
      }
      return true;
    },
    async close() {
      await live.close();
      await settings.closeSources();
    },
  };
}

function serveAsset(res: ServerResponse, assets: ReadonlyMap<string, Asset>, path: string): void {
  const name = path === "/" ? "index.html" : path.slice(1);
  const asset = assets.get(name);
  if (!asset) throw new HttpError(404, "not found");
  res.writeHead(200, {
    "content-type": asset.type,
    "cache-control": "no-cache",
    "content-length": asset.body.length,
  });
  res.end(asset.body);
}

async function answerRead(
  req: IncomingMessage,
  res: ServerResponse,
  sources: DashboardSources,
  parts: string[],
  params: URLSearchParams,
  live: ReturnType<typeof createLiveUpdates>,
): Promise<void> {
  const [resource, id, sub, key] = parts;
  if (resource === "live" && parts.length === 1) return live.attach(req, res);
  if (resource === "session" && parts.length === 1) return sendJson(res, 200, { ok: true });
  if (resource === "queues" && parts.length === 1)
    return sendJson(res, 200, await reads.listQueues(sources));
  if (resource === "executors" && parts.length === 1) {
    return sendJson(res, 200, await reads.listExecutors(sources));
  }
  if (resource === "workflows" && parts.length === 1) {
    return sendJson(res, 200, await reads.listWorkflows(sources, params));
  }
  if (resource === "workflows" && id && parts.length === 2) {
    return sendJson(res, 200, await reads.showWorkflow(sources, id));
  }
  if (resource === "workflows" && id && sub === "streams" && key && parts.length === 4) {
    return sendJson(res, 200, await reads.streamValues(sources, id, key, params));
  }
  throw new HttpError(404, "not found");
}

async function answerMutation(
  sources: DashboardSources,
  parts: string[],
  body: Record<string, unknown>,
): Promise<unknown> {
  const [resource, id, action] = parts;
  if (resource !== "workflows" || !id || parts.length !== 3) throw new HttpError(404, "not found");
  if (action === "cancel") return actions.cancel(sources, id);
  if (action === "resume") return actions.resume(sources, id);
  if (action === "fork") return actions.fork(sources, id, body);
  throw new HttpError(404, "not found");
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
  const failure = toCliError(error);
  const status =
    failure.exitCode === EXIT.notFound ? 404 : failure.exitCode === EXIT.usage ? 400 : 500;
  sendJson(res, status, { error: failure.message });
}
