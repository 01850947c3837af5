#!/usr/bin/env node
/**
 * The `cairn` executable: runs the command line on this process's arguments and streams, stops
 * long-running commands on SIGINT/SIGTERM, and exits with the command's code.
 */
import { main } from "../main.js";

const stop = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => stop.abort());
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: stop.signal,
});
process.exitCode = code;
