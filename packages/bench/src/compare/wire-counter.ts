/**
 * A statement-counting proxy on loopback for clients we do not construct (DBOS and pg-boss use
 * node-postgres; Cairn uses postgres.js): each client connects to the proxy's port, the proxy
 * connects to the real server and forwards every byte unchanged in both directions, and reads
 * the client's side of the Postgres protocol to count what it asks the server to run. Counted:
 * one per Execute message of the extended protocol (keyed by the text its portal was bound from)
 * and one per simple Query message (keyed by its text, however many statements it holds). The
 * server's settings are never touched. It adds a hop, so the compare mode only counts through it,
 * in passes separate from the timed ones.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { StatementCounter } from "../statement-counter.js";

export interface WireCounter {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the proxy in front of `upstream` (loopback only), recording into `counter`. */
export async function startWireCounter(
  upstream: { readonly host: string; readonly port: number },
  counter: StatementCounter,
): Promise<WireCounter> {
  if (!["127.0.0.1", "localhost", "::1"].includes(upstream.host)) {
    throw new Error(`the statement counter only proxies loopback, not ${upstream.host}`);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const target = connect(upstream.port, upstream.host);
    sockets.add(client).add(target);
    const parser = clientParser(counter);
    client.on("data", (chunk: Buffer) => {
      parser(chunk);
      target.write(chunk);
    });
    target.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      target.destroy();
      sockets.delete(client);
      sockets.delete(target);
    };
    for (const socket of [client, target]) {
      socket.on("close", end);
      socket.on("error", end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Reads the frontend's messages out of the byte stream of one connection. The first message has
 * no type byte (startup, or an SSL/GSS request that precedes it); every later one is a type
 * byte, an int32 length that counts itself, and the body.
 */
export function clientParser(counter: StatementCounter): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let startup = true;
  const statements = new Map<string, string>(); // prepared statement name → text
  const portals = new Map<string, string>(); // portal name → text
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (startup) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        const code = pending.readInt32BE(4);
        pending = pending.subarray(length);
        // An SSL or GSS request is followed by the real startup message.
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) startup = false;
        continue;
      }
      if (pending.length < 5) return;
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      const type = String.fromCharCode(pending[0] ?? 0);
      const body = pending.subarray(5, 1 + length);
      pending = pending.subarray(1 + length);
      switch (type) {
        case "Q":
          counter.record(cString(body, 0).text);
          break;
        case "P": {
          const name = cString(body, 0);
          statements.set(name.text, cString(body, name.next).text);
          break;
        }
        case "B": {
          const portal = cString(body, 0);
          const statement = cString(body, portal.next);
          portals.set(portal.text, statements.get(statement.text) ?? "<unknown statement>");
          break;
        }
        case "E":
          counter.record(portals.get(cString(body, 0).text) ?? "<unknown portal>");
          break;
        default:
          break; // Sync, Describe, Flush, Close, Terminate, password and copy messages
      }
    }
  };
}

function cString(buffer: Buffer, start: number): { text: string; next: number } {
  const end = buffer.indexOf(0, start);
  const stop = end < 0 ? buffer.length : end;
  return { text: buffer.toString("utf8", start, stop), next: stop + 1 };
}
