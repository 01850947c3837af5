/**
 * Heartbeats are not queued behind workflow statements: with every connection of the store's
 * pool stuck on workflow statements (they wait on a lock the test holds), a heartbeat still
 * lands, on the store's connection of its own. Postgres only: PGlite runs one statement at a
 * time and no other process takes its work over.
 */
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const POOL = 2;
const LEASE_MS = 600_000;
/** A hang guard only: without its own connection the heartbeat waits until the lock goes. */
const GUARD_MS = 30_000;

/** Rejects if `work` has not settled within `ms` (a hang guard, not a timing assertion). */
function guarded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not land within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

describe.skipIf(!databaseUrl)("heartbeats beside a saturated pool", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  let store: PgStore;

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  beforeEach(async () => {
    ({ schema, drop } = freshSchema(admin));
    store = createPgStore({ url: databaseUrl, schema, max: POOL });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await drop();
  });

  it("lands a heartbeat while every pooled connection waits on workflow statements", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const holder = admin.begin(async (tx) => {
      await tx.unsafe(`lock table "${schema}".workflows in access exclusive mode`);
      locked();
      await released;
    });
    await lockHeld;
    // Twice the pool's size: every connection blocks, and the rest queue in the client.
    const blocked = Array.from({ length: POOL * 2 }, (_, i) => store.getWorkflow(`w-${i}`));
    try {
      const waiting = async () => {
        const [row] = await admin.unsafe<{ n: string }[]>(
          `select count(*) as n from pg_stat_activity
           where wait_event_type = 'Lock' and datname = current_database()
             and query like $1`,
          [`%"${schema}".workflows%`],
        );
        return Number(row?.n);
      };
      while ((await waiting()) < POOL) await new Promise((resolve) => setTimeout(resolve, 10));

      await guarded(
        store.heartbeat({
          executorId: "busy",
          appVersion: undefined,
          leaseMs: LEASE_MS,
          workflowNames: ["checkout"],
        }),
        GUARD_MS,
        "the heartbeat",
      );
      // Still saturated: the heartbeat did not wait for the pool to drain.
      expect(await waiting()).toBe(POOL);
      const rows = await admin.unsafe<{ expired: boolean; names: string[] }[]>(
        `select heartbeat_at + lease_ms < (extract(epoch from now()) * 1000)::bigint as expired,
                array_to_json(workflow_names) as names
         from "${schema}".executors where executor_id = 'busy'`,
      );
      expect(rows).toEqual([{ expired: false, names: ["checkout"] }]);
    } finally {
      release();
      await holder;
      await Promise.all(blocked);
    }
  });
});
