/**
 * Runs one of the repository's examples as its own process (`node --import tsx`), the way its
 * README command does, with a private PGlite data directory; resolves with the exit code and
 * everything it printed.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** Runs `examples/<path>` with `CAIRN_DEMO_DATA_DIR` set to `dataDir`. */
export function runExample(
  path: string,
  dataDir: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", `${repoRoot}examples/${path}`], {
    cwd: repoRoot,
    env: { ...process.env, CAIRN_DEMO_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}
