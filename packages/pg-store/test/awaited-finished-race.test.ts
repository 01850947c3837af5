/**
 * A suspension statement of an engine before 0020's code (it writes a wait on a workflow's end
 * without looking whether that workflow exists) while the awaited workflow is created and
 * finished (migration 0024). The mark trigger runs at the end of the suspension's statement: the
 * awaited workflow is present by then, and ended before its mark, so its finish woke nobody. The
 * waiter must still be due, or it waits for ever.
 */
import type { Fence } from "@cairn/core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../src/index.js";
import { adminSql, databaseUrl, uniqueSchema } from "./support/databases.js";

const fence: Fence = { executorId: "e", epoch: 0 };
const LOCK = 0x0a3a17ed;

describe.skipIf(!databaseUrl)(
  "a wait on a workflow created and ended during the suspension",
  () => {
    const schema = uniqueSchema();
    let admin: postgres.Sql;
    let store: PgStore;
    beforeAll(async () => {
      admin = adminSql();
      store = createPgStore({ url: databaseUrl, schema, max: 2 });
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      await admin.unsafe(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    });

    it("makes the waiter due when the awaited workflow ended before the statement's end", async () => {
      await store.createWorkflow({ workflowId: "waiter", name: "n", input: "1", executorId: "e" });
      const holder = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
      const old = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
      try {
        await holder`select pg_advisory_lock(${LOCK})`;
        // The old engine's suspension: its RETURNING waits for the lock, so the statement (and its
        // AFTER triggers) ends only when the test lets it, after the awaited workflow has ended.
        const suspending = Promise.resolve(
          old.unsafe(`
          update "${schema}".workflows
          set wake_at = null, wake_epoch = owner_epoch, wake_keys = array['status:awaited']
          where workflow_id = 'waiter'
          returning workflow_id, pg_advisory_xact_lock(${LOCK})`),
        );
        for (;;) {
          const waiting = await admin`
          select 1 from pg_stat_activity
          where wait_event = 'advisory' and query like ${`%"${schema}".workflows%`}`;
          if (waiting.length > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await store.createWorkflow({
          workflowId: "awaited",
          name: "n",
          input: "1",
          executorId: "e",
        });
        const status = "SUCCESS" as const;
        const outcome = { workflowId: "awaited", executorId: "e", status, output: "1" };
        expect(await store.finishWorkflow(outcome, fence)).toBe(true);
        await holder`select pg_advisory_unlock(${LOCK})`;
        await suspending;
      } finally {
        await holder.end();
        await old.end();
      }
      const [waiter] = await admin.unsafe<{ wake_at: string | null; now_ms: string }[]>(`
      select wake_at, floor(extract(epoch from clock_timestamp()) * 1000)::bigint as now_ms
      from "${schema}".workflows where workflow_id = 'waiter'`);
      expect(waiter?.wake_at).not.toBeNull(); // due: it reads again, and sees the awaited one ended
      expect(Number(waiter?.wake_at)).toBeLessThanOrEqual(Number(waiter?.now_ms) + 1000);
    });
  },
);
