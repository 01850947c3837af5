/**
 * Live updates for the browser: a server-sent event stream (`GET /api/live`) that forwards the
 * store's change notifications (Postgres LISTEN/NOTIFY, or PGlite's in-process ones) — a
 * workflow created, cancelled, resumed, forked or finished, a message, an event, a stream
 * write. Pages re-read what they show when one concerns them. One store subscription serves
 * every open page; a comment every 15 s keeps proxies from closing idle streams.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StoreNotification } from "@cairn/core";
import type { PgStore } from "@cairn/pg-store";

const KEEPALIVE_MS = 15_000;

/** The set of open event streams over one store subscription. */
export interface LiveUpdates {
  /** Answers `GET /api/live`: keeps the response open and writes each notification. */
  attach(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

export function createLiveUpdates(store: PgStore): LiveUpdates {
  const clients = new Set<ServerResponse>();
  let subscription: Promise<() => Promise<void>> | undefined;
  const broadcast = (notification: StoreNotification) => {
    const text = `event: change\ndata: ${JSON.stringify(notification)}\n\n`;
    for (const res of clients) res.write(text);
  };
  const keepalive = setInterval(() => {
    for (const res of clients) res.write(": keepalive\n\n");
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    async attach(req, res) {
      subscription ??= store.subscribe(broadcast);
      await subscription;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write("event: ready\ndata: {}\n\n");
      clients.add(res);
      req.on("close", () => clients.delete(res));
    },
    async close() {
      clearInterval(keepalive);
      for (const res of clients) res.end();
      clients.clear();
      if (subscription) await (await subscription)().catch(() => {});
    },
  };
}
