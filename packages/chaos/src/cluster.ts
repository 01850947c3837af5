/**
 * A throwaway Postgres cluster for one chaos run: `initdb` in a temporary directory, a server on a
 * free port of its own (never the shared 5432 one), restartable at will, and removed at the end.
 * Because nothing else connects to it, restarting it disturbs no other test. Postgres refuses to
 * run as root, so as root every server command runs as the `postgres` user. It does not decide
 * when to restart; the chaos driver does.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { appendFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running cluster. */
export interface Cluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust auth. */
  readonly url: string;
  readonly port: number;
  /** Restarts the server (`pg_ctl restart -m fast`): every connection drops. Resolves with ms taken. */
  restart(): Promise<number>;
  /** Stops the server and deletes the directory. Safe to call twice. */
  destroy(): Promise<void>;
  /** The server log so far, for failure messages. */
  log(): string;
}

/** Raised when no `initdb`/`pg_ctl` can be found. */
export class PostgresBinariesMissingError extends Error {
  override readonly name = "PostgresBinariesMissingError";
  readonly code = "POSTGRES_BINARIES_MISSING";

  constructor(looked: string) {
    super(
      `the chaos suite needs a Postgres installation (initdb and pg_ctl) to run a cluster of its ` +
        `own; looked in ${looked}. Install the server package (apt-get install postgresql) or set ` +
        `CAIRN_PG_BIN to the directory holding initdb.`,
    );
  }
}

/** The directory holding `initdb` and `pg_ctl`: `CAIRN_PG_BIN`, else the newest under /usr/lib/postgresql. */
export function findPostgresBin(): string | undefined {
  const given = process.env["CAIRN_PG_BIN"];
  const candidates = given ? [given] : debianBins();
  return candidates.find(
    (dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")),
  );
}

function debianBins(): string[] {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, "bin"));
}

/** Initializes and starts a cluster on the first free port from `port` (default 5544). */
export async function startCluster(options: { port?: number } = {}): Promise<Cluster> {
  const bin = findPostgresBin();
  if (!bin)
    throw new PostgresBinariesMissingError(
      process.env["CAIRN_PG_BIN"] ?? "/usr/lib/postgresql/*/bin",
    );
  const root = mkdtempSync(join(tmpdir(), "cairn-chaos-pg-"));
  const data = join(root, "data");
  const logFile = join(root, "server.log");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = await postgresUser();
    chownSync(root, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    command(
      asRoot ? "runuser" : join(bin, tool),
      asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args,
      root,
    );
  const ctl = (args: string[]) =>
    run("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "60", ...args]);
  let stopped = false;
  // If this process exits without destroy() (Ctrl-C), stop the server and remove its files anyway.
  const onExit = () => {
    killPostmaster(data);
    rmSync(root, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  const destroy = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    await ctl(["stop", "-m", "immediate"]).catch(() => killPostmaster(data));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await run("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    const port = await startOnFreePort(options.port ?? 5544, data, root, ctl);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      async restart() {
        const started = Date.now();
        await ctl(["restart", "-m", "fast"]);
        return Date.now() - started;
      },
      destroy,
      log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** Writes the port into the configuration and starts; on a port taken meanwhile, tries the next. */
async function startOnFreePort(
  from: number,
  data: string,
  socketDir: string,
  ctl: (args: string[]) => Promise<string>,
): Promise<number> {
  for (let port = from, tries = 0; tries < 20; port++, tries++) {
    if (!(await portIsFree(port))) continue;
    appendFileSync(join(data, "postgresql.conf"), settings(port, socketDir));
    try {
      await ctl(["start"]);
      return port;
    } catch {
      // Lost a race for the port: the next settings block overrides this one.
    }
  }
  throw new Error(`no free port for the chaos cluster from ${from}`);
}

/** The server settings: its own port and socket; commit timestamps for the audit; room for workers. */
function settings(port: number, socketDir: string): string {
  return [
    "",
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${socketDir}'`,
    "max_connections = 300",
    "track_commit_timestamp = on",
    "shared_buffers = 64MB",
    "",
  ].join("\n");
}

/** SIGQUIT (immediate shutdown) to the server, synchronously: for exit handlers. */
function killPostmaster(data: string): void {
  try {
    const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGQUIT");
  } catch {
    // Not running.
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function postgresUser(): Promise<[number, number]> {
  try {
    const [uid, gid] = await Promise.all([
      command("id", ["-u", "postgres"]),
      command("id", ["-g", "postgres"]),
    ]);
    return [Number(uid.trim()), Number(gid.trim())];
  } catch {
    throw new Error("running as root, and there is no `postgres` user to run the chaos cluster as");
  }
}

function command(file: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
