/**
 * Records `fixtures/expense-approval-v1.json`: the history of an expense that escalated and was
 * rejected for want of an answer, exported with `exportHistory`. Run it once per released version
 * of the workflow (`pnpm --filter approval-example record-fixture`) and keep the files: the replay
 * test proves every later version still resumes these runs.
 */
import { writeFileSync } from "node:fs";
import { createEngine } from "@cairn/core";
import { createMemoryStore, createVirtualClock, exportHistory } from "@cairn/core/testing";
import { createExpenseApproval } from "../src/expense.js";

const clock = createVirtualClock(Date.UTC(2026, 10, 1));
const store = createMemoryStore();
const approval = createExpenseApproval({ ask: async () => undefined });
const engine = createEngine({ store, workflows: [approval], clock });
await engine.launch();
const handle = await engine.start(
  approval,
  { employee: "Ben", description: "a 4K monitor", amountCents: 61_900 },
  { id: "exp-recorded" },
);
await clock.untilSleeping();
await clock.advance("24h");
await clock.untilSleeping();
await clock.advance("3d");
await handle.result();
const history = await exportHistory(store, "exp-recorded");
const target = new URL("./fixtures/expense-approval-v1.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(history, null, 2)}\n`);
await engine.shutdown();
console.log(`recorded ${history.steps.length} checkpoints to ${target.pathname}`);
