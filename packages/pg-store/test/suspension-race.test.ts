/**
 * Suspensions that wait for arrivals, racing those arrivals across connections on a real server
 * (decision 0014, migration 0013). Each round writes a suspension waiting for a message, an
 * event or a child's end on one client while another client makes it arrive; whatever the
 * interleaving, the arrival is never lost: either the suspension was refused (it saw the
 * arrival) or it is due at once. PGlite runs one statement at a time, so only Postgres can
 * interleave them.
 */
import type { Fence, WakeOn } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const fence: Fence = { executorId: "e", epoch: 0 };
const newWorkflow = (workflowId: string) => ({
  workflowId,
  name: "n",
  input: "1",
  executorId: "e",
});

describe.skipIf(!databaseUrl)("suspensions racing their arrivals (Postgres)", () => {
  let admin: postgres.Sql;
  let waiter: PgStore;
  let writer: PgStore;
  let drop: () => Promise<void>;

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  beforeEach(async () => {
    const fresh = freshSchema(admin);
    drop = fresh.drop;
    waiter = createPgStore({ url: databaseUrl, schema: fresh.schema, max: 2 });
    writer = createPgStore({ url: databaseUrl, schema: fresh.schema, max: 2 });
    await Promise.all([waiter.migrate(), writer.migrate()]);
  });
  afterEach(async () => {
    await Promise.all([waiter.close(), writer.close()]);
    await drop();
  });

  /** Races one suspension of `id` against `arrive`; the arrival must be seen or wake it. */
  async function race(id: string, wakeOn: WakeOn[], arrive: () => Promise<unknown>) {
    const [suspended] = await Promise.all([
      waiter.suspendWorkflow(id, undefined, fence, wakeOn),
      arrive(),
    ]);
    const { workflows } = await waiter.claimDueWorkflows({ executorId: "e", now: 1, limit: 10 });
    // Suspended: the arrival made it due. Refused: it is not suspended at all.
    expect({ id, suspended, due: workflows.map((w) => w.workflowId) }).toEqual({
      id,
      suspended,
      due: suspended ? [id] : [],
    });
    expect((await waiter.listRunnable("e", 1000)).some((w) => w.workflowId === id)).toBe(true);
  }

  it("never loses a message, an event or a child's end sent while the suspension is written", async () => {
    for (let round = 0; round < 60; round++) {
      const [id, source] = [`w-${round}`, `s-${round}`];
      await writer.createWorkflow(newWorkflow(id));
      await writer.createWorkflow(newWorkflow(source));
      if (round % 3 === 0) {
        await race(id, [{ kind: "message", workflowId: id, topic: "go" }], () =>
          writer.sendMessage({ destinationId: id, topic: "go", message: "1", messageId: id }),
        );
      } else if (round % 3 === 1) {
        await race(id, [{ kind: "event", workflowId: source, key: "k" }], () =>
          writer.setEvent({ workflowId: source, key: "k", value: "1" }, undefined, fence),
        );
      } else {
        await race(id, [{ kind: "status", workflowId: source }], () =>
          writer.finishWorkflow(
            { workflowId: source, executorId: "e", status: "SUCCESS", output: "1" },
            fence,
          ),
        );
      }
    }
  });
});
