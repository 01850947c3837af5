/**
 * `pnpm --filter email-queue-example start`: a burst of emails through a rate-limited queue on
 * embedded PGlite (no server; `DATABASE_URL` switches to Postgres). It enqueues a newsletter to
 * 12 people, a password reset that jumps the queue (priority), a welcome email enqueued twice
 * (dedup: sent once), a reminder for later (delay), and three "digest" updates for one user
 * (debounce: one email, with the latest content). Then it prints when each API call happened:
 * at most 4 starts and never more than 5 calls in any second.
 */
import { createEngine } from "@cairn/core";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues } from "@cairn/queue";
import { emails, provider, sendEmail } from "./emails.js";

const say = (line = "") => console.log(line);
const url = process.env["DATABASE_URL"];
const store = url ? createPgStore({ url }) : createPgliteStore({ dataDir: "memory://" });
const engine = createEngine({
  store,
  workflows: [sendEmail],
  plugins: [createQueues({ store: createPgQueueStore(store), serve: [emails] })],
});
await engine.launch();
const started = Date.now();

const handles = [];
for (let i = 1; i <= 12; i++) {
  const to = `reader${i}@example.com`;
  handles.push(
    await emails.enqueue(
      engine,
      sendEmail,
      { to, subject: "Newsletter #42", body: "…" },
      { priority: 5 },
    ),
  );
}
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

say();
say("API calls, by time since the first enqueue:");
for (const call of provider.calls) {
  say(`  +${String(call.at - started).padStart(5)} ms  ${call.to.padEnd(22)} ${call.subject}`);
}
const most = Math.max(
  ...provider.calls.map(
    (c) => provider.calls.filter((d) => d.at >= c.at && d.at < c.at + 1_000).length,
  ),
);
say();
say(
  `${provider.calls.length} calls; the most in any 1 s window: ${most} (queue: 4 starts/s; provider: 5/s)`,
);
say(`done: ${JSON.stringify(await emails.counts(engine))}`);
await engine.shutdown();
