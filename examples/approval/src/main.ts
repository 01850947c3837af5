/**
 * `pnpm --filter approval-example start`: two expense requests on embedded PGlite (no server;
 * the data lives in `./.cairn`, wiped at each run). This script plays the humans from the
 * outside, through the workflow's typed handle: it follows each request's progress stream and
 * answers when a person is asked. The manager approves the first request — after a malformed
 * decision is refused — and stays silent on the second, which escalates to the director.
 */
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createEngine, ValidationError } from "@cairn/core";
import { createPgliteStore } from "@cairn/pg-store";
import { createExpenseApproval, euros, type Expense } from "./expense.js";

/** `CAIRN_DEMO_DATA_DIR` lets the smoke test use a temporary directory. */
const dataDir =
  process.env["CAIRN_DEMO_DATA_DIR"] ?? fileURLToPath(new URL("../.cairn", import.meta.url));
rmSync(dataDir, { recursive: true, force: true });

const say = (line = "") => console.log(line);
const approval = createExpenseApproval({
  async ask(person, expenseId, summary) {
    say(`  ✉ ${person} asked about ${expenseId} (${summary})`);
  },
});
const engine = createEngine({ store: createPgliteStore({ dataDir }), workflows: [approval] });

const submit = (id: string, expense: Expense) => engine.start(approval, expense, { id });
type Handle = Awaited<ReturnType<typeof submit>>;

/** Prints the request's progress as it is written, and lets `human` react to each status. */
async function follow(handle: Handle, human: (status: string) => Promise<void>): Promise<void> {
  for await (const { status, text } of handle.readStream("progress")) {
    say(`  [${handle.workflowId}] ${status.padEnd(19)} ${text}`);
    await human(status);
  }
}

async function request(
  id: string,
  expense: Expense,
  human: (h: Handle) => Parameters<typeof follow>[1],
) {
  say();
  say(
    `Expense ${id}: ${expense.employee} asks for ${euros(expense.amountCents)} (${expense.description})`,
  );
  const handle = await submit(id, expense);
  await follow(handle, human(handle));
  const result = await handle.result();
  say(
    `  result: ${JSON.stringify(result)}; status event: ${String(await handle.getEvent("status"))}`,
  );
}

try {
  await engine.launch();

  await request(
    "exp-1",
    { employee: "Ana", description: "train to Lyon", amountCents: 8_450 },
    (handle) => async (status) => {
      if (status !== "waiting-for-manager") return;
      try {
        // @ts-expect-error `approved` must be a boolean: the channel's schema refuses it at send.
        await handle.send("decision", { approved: "sure", by: "Maya" });
      } catch (error) {
        if (!ValidationError.is(error)) throw error;
        say(
          `  ✗ Maya's first reply ({ approved: "sure" }) was refused: ${error.name}, nothing stored`,
        );
      }
      say(`  ✓ Maya (manager) approves`);
      await handle.send("decision", { approved: true, by: "Maya (manager)" });
    },
  );

  await request(
    "exp-2",
    { employee: "Ben", description: "a 4K monitor", amountCents: 61_900, managerWaitMs: 1_500 },
    (handle) => async (status) => {
      if (status === "waiting-for-manager")
        say(`  … the manager is on holiday and does not answer`);
      if (status !== "escalated") return;
      say(`  ✓ Dana (director) rejects`);
      await handle.send("decision", {
        approved: false,
        by: "Dana (director)",
        note: "over budget",
      });
    },
  );

  const listed = await engine.listWorkflows({ name: "expense-approval" });
  say();
  say(`All requests: ${listed.map((w) => `${w.workflowId} ${w.status}`).join(", ")}`);
} finally {
  await engine.shutdown();
}
