/**
 * The sockets of a postgres.js client that the store owns, made by the store so it can stop
 * them all. postgres.js schedules a reconnect after a failed attempt and does not cancel that
 * timer when the client ends, so a client ended during an outage used to open a fresh
 * connection once the database came back, and that idle socket kept the process alive. Here,
 * once `close()` ran, a new socket is refused (postgres.js then fails the connection and stops
 * trying) and every socket still open is destroyed. It connects as postgres.js would: to the
 * Unix socket `path`, or to each of the URL's hosts in turn.
 */
import { connect, type Socket } from "node:net";

/** What postgres.js passes to its `socket` option: its parsed connection options. */
interface ConnectTarget {
  readonly host: readonly string[];
  readonly port: readonly number[];
  readonly path?: string | false | undefined;
}

/** A socket factory for postgres.js's `socket` option, and the switch that ends them all. */
export interface ClosableSockets {
  readonly socket: (target: ConnectTarget) => Socket;
  /** Refuses new sockets from now on and destroys the open ones. */
  close(): void;
}

export function closableSockets(): ClosableSockets {
  const open = new Set<Socket>();
  let closed = false;
  let next = 0;
  return {
    socket(target) {
      if (closed) throw new Error("the store is closed: no new database connections");
      const index = next++ % Math.max(1, target.host.length);
      const host = target.host[index] ?? "localhost";
      const socket = target.path ? connect(target.path) : connect(target.port[index] ?? 5432, host);
      // postgres.js reads these (TLS server name, error messages).
      Object.assign(socket, { host, port: target.port[index] });
      open.add(socket);
      socket.once("close", () => open.delete(socket));
      return socket;
    },
    close() {
      closed = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}
