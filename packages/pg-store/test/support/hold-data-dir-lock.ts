// Child process for pglite-lock.test.ts: takes the data directory lock of argv[2] by creating a
// store (the lock is taken at creation; PGlite never opens), says so, then waits to be killed.
import { createPgliteStore } from "../../src/index.js";

createPgliteStore({ dataDir: process.argv[2] ?? "" });
process.stdout.write("locked\n");
setInterval(() => {}, 60_000);
