/**
 * `pnpm --filter email-queue-example start`: a burst of emails through a rate-limited queue on
 * embedded PGlite (no server; `DATABASE_URL` switches to Postgres). A `newsletter` workflow fans
 * one issue out to 12 people through the queue (`ctx.enqueue`, then waits for every send), a
 * password reset that jumps the queue (priority), a welcome email enqueued twice
 * (dedup: sent once), a reminder for later (delay), and three "digest" updates for one user
 * (debounce: one email, with the latest content). Then it prints when each API call happened,
 * and the most starts (never more than the queue's 4) and calls in any second.
 */
import { createEngine } from "@cairn/core";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues } from "@cairn/queue";
import { emails, newsletter, provider, sendEmail } from "./emails.js";

const say = (line = "") => console.log(line);
const url = process.env["DATABASE_URL"];
const store = url ? createPgStore({ url }) : createPgliteStore({ dataDir: "memory://" });
const engine = createEngine({
  store,
  workflows: [sendEmail, newsletter],
  plugins: [createQueues({ store: createPgQueueStore(store), serve: [emails] })],
});
await engine.launch();
const started = Date.now();

// The newsletter is a workflow that enqueues one email per reader (ctx.enqueue) and waits for all.
const readers = Array.from({ length: 12 }, (_, i) => `reader${i + 1}@example.com`);
const issue = await engine.start(newsletter, { issue: 42, readers }, { id: "newsletter-42" });
const handles = [];
handles.push(
  await emails.enqueue(
    engine,
    sendEmail,
    { to: "ada@example.com", subject: "Reset your password", body: "…" },
    { priority: 0 },
  ),
);
const welcome = { to: "grace@example.com", subject: "Welcome!", body: "…" };
const first = await emails.enqueue(engine, sendEmail, welcome, { dedupId: "welcome:grace" });
const again = await emails.enqueue(engine, sendEmail, welcome, { dedupId: "welcome:grace" });
say(`welcome enqueued twice, one workflow: ${first.workflowId === again.workflowId}`);
handles.push(first);
handles.push(
  await emails.enqueue(
    engine,
    sendEmail,
    { to: "linus@example.com", subject: "Your trial ends soon", body: "…" },
    { delayMs: 3_000 },
  ),
);
let digest;
for (const count of [1, 2, 3]) {
  digest = await emails.debounce(
    engine,
    "digest:ada",
    sendEmail,
    { to: "ada@example.com", subject: `You have ${count} new comments`, body: "…" },
    { periodMs: 500, maxWaitMs: 5_000 },
  );
}
if (digest) handles.push(digest);
say(`queued: ${JSON.stringify(await emails.counts(engine))}`);

for (const handle of handles) await handle.result();
const messageIds = await issue.result();
const children = await engine.listWorkflows({ parentWorkflowId: issue.workflowId });
say(
  `newsletter #42: ${messageIds.length} emails sent by one workflow, ${children.length} children`,
);

say();
say("API calls, by time since the first enqueue:");
for (const call of provider.calls) {
  say(`  +${String(call.at - started).padStart(5)} ms  ${call.to.padEnd(22)} ${call.subject}`);
}
/** The most of `times` (epoch ms) in any sliding second. */
const mostInASecond = (times: number[]) =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1_000).length));
const starts = (await engine.listWorkflows({ queue: "emails" })).map(
  (w) => w.startedAt?.getTime() ?? 0,
);
say();
say(`${starts.length} starts; the most in any 1 s window: ${mostInASecond(starts)} (queue: 4/s)`);
say(
  `${provider.calls.length} calls; the most in any 1 s window: ${mostInASecond(provider.calls.map((c) => c.at))} (provider: 5/s)`,
);
say(`done: ${JSON.stringify(await emails.counts(engine))}`);
await engine.shutdown();
