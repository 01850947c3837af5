/**
 * A TCP proxy on 127.0.0.1 in front of the test server, so a test can take "the database" away
 * and bring it back without touching the server other test files share. `cut()` drops every
 * open connection and stops listening, so new ones are refused as by a server that is down;
 * `restore()` listens on the same port again. Loopback only, on both sides. With
 * `breakFirstQueries: n`, the first n connections are reset the moment the client sends its first
 * query after the startup handshake (what a server restart does to a connection just opened).
 */
import { createConnection, createServer, type Socket } from "node:net";

/** A running proxy. */
export interface TcpProxy {
  /** The URL of the server behind, with host and port replaced by the proxy's. */
  readonly url: string;
  /** Connections forwarded so far. */
  readonly forwarded: number;
  /** Connections dropped at their first query (see `breakFirstQueries`). */
  readonly broken: number;
  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): Promise<void>;
  /** Accepts and forwards connections again, on the same port. */
  restore(): Promise<void>;
  /** Stops listening and drops everything. */
  close(): Promise<void>;
}

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Drop this many connections (the first ones) at their first query. Default 0. */
  readonly breakFirstQueries?: number;
}

/** Starts a proxy to the server of `targetUrl` (which must be on loopback). */
export async function startTcpProxy(
  targetUrl: string,
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(target.hostname)) {
    throw new Error(`the proxy forwards to loopback only, not ${target.hostname}`);
  }
  const open = new Set<Socket>();
  let forwarded = 0;
  let broken = 0;
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    forwarded++;
    const upstream = createConnection({ host: "127.0.0.1", port: Number(target.port || 5432) });
    track(upstream);
    if (forwarded <= (options.breakFirstQueries ?? 0)) {
      const watch = firstQueryWatch();
      client.on("data", (chunk: Buffer) => {
        if (!watch(chunk)) return void upstream.write(chunk);
        broken++;
        client.resetAndDestroy(); // a reset, as a restarting server's kernel sends
        upstream.destroy();
      });
    } else {
      client.pipe(upstream);
    }
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of open) socket.destroy();
    await closed;
  };
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  const port = address.port;
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    get forwarded() {
      return forwarded;
    },
    get broken() {
      return broken;
    },
    cut: () => (server.listening ? stop() : Promise.resolve()),
    restore: () => (server.listening ? Promise.resolve() : listen(port)),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}

/** Codes of the untyped requests a client may send before its startup message. */
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/**
 * Reads the client's side of the wire protocol; answers true once a chunk holds the first query
 * (`Q`, simple, or `P`, extended) after the startup message.
 */
function firstQueryWatch(): (chunk: Buffer) => boolean {
  let pending = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (!started) {
        if (pending.length < 8) return false;
        const length = pending.readInt32BE(0);
        const code = pending.readInt32BE(4);
        if (pending.length < length) return false;
        pending = pending.subarray(length);
        started = code !== SSL_REQUEST && code !== GSS_REQUEST;
        continue;
      }
      if (pending.length < 5) return false;
      const type = String.fromCharCode(pending[0] ?? 0);
      if (type === "Q" || type === "P") return true;
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return false;
      pending = pending.subarray(1 + length);
    }
  };
}
