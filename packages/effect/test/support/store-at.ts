/** Opens the database a test described by address, from a crash worker's process. */
import type { WorkflowStore } from "@cairn/core";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";

/** `pglite:<data dir>` or `postgres:<schema>` (on `url`). */
export function storeAt(address: string, url: string | undefined): WorkflowStore {
  if (address.startsWith("pglite:")) return createPgliteStore({ dataDir: address.slice(7) });
  if (address.startsWith("postgres:"))
    return createPgStore({ url, schema: address.slice(9), max: 4 });
  throw new Error(`unknown database address ${address}`);
}
