/**
 * The email queue: a `sendEmail` workflow whose one step calls the email provider's API, and the
 * queue that protects that API — the provider takes at most 5 calls per second, so the queue
 * starts at most 4 workflows per second and runs 3 at once, across every process that serves it.
 * (The limit counts starts; each API call follows its start by a few milliseconds, and that
 * jitter can bunch calls slightly: leave the provider some headroom.) The `newsletter` workflow
 * fans one issue out to its readers through the queue with `ctx.enqueue` and waits for every
 * send. The provider is an in-memory stand-in that records when it was called.
 */
import { step, workflow } from "@cairn/core";
import { defineQueue } from "@cairn/queue";
import { z } from "zod";

export const Email = z.object({
  to: z.email(),
  subject: z.string().min(1),
  body: z.string(),
});
export type Email = z.infer<typeof Email>;

/** The provider allows 5 requests per second; the queue keeps us under it. */
export const emails = defineQueue("emails", {
  concurrency: 3,
  rateLimit: { limit: 4, periodMs: 1_000 },
});

/** A stand-in for the email provider's HTTP API: slow-ish, and it notes every call. */
export const provider = {
  calls: [] as { at: number; to: string; subject: string }[],
  async send(email: Email): Promise<string> {
    this.calls.push({ at: Date.now(), to: email.to, subject: email.subject });
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    return `msg_${this.calls.length}`;
  },
};

const callProvider = step(
  { name: "callProvider", retry: { maxAttempts: 3, backoffFactor: 2 } },
  async (email: Email) => provider.send(email),
);

export const sendEmail = workflow({ name: "sendEmail", input: Email }, async (ctx, email) => ({
  to: email.to,
  messageId: await callProvider(ctx, email),
}));

/**
 * One newsletter issue to every reader: each email is a child on the `emails` queue (so the
 * queue's limits pace them), enqueued once even if this workflow replays after a crash; then it
 * waits for all of them. Cancelling it cancels the emails not sent yet.
 */
export const newsletter = workflow(
  { name: "newsletter", input: z.object({ issue: z.number().int(), readers: z.array(z.email()) }) },
  async (ctx, { issue, readers }) => {
    const sends = await Promise.all(
      readers.map((to) =>
        ctx.enqueue(
          emails,
          sendEmail,
          { to, subject: `Newsletter #${issue}`, body: "…" },
          { priority: 5 },
        ),
      ),
    );
    const sent = await Promise.all(sends.map((send) => send.result()));
    return sent.map((s) => s.messageId);
  },
);
