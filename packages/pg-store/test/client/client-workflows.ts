/**
 * The workflows `client-process.test.ts` runs in its engine. The client program imports this
 * module for its types only (`import type`), so none of this code is loaded in that process.
 */
import { workflow } from "@cairn/core";
import { z } from "zod";

/** Waits for a greeting and answers with it, naming the process that ran it. */
export const greeter = workflow(
  { name: "client.greeter", channels: { messages: { greeting: z.string() } } },
  async (ctx, name: string) => {
    const greeting = await ctx.recv("greeting", { timeoutMs: "1m" });
    return { text: `${greeting ?? "Nobody said hello"}, ${name}`, ranIn: process.pid };
  },
);

/** Sleeps for an hour: something to cancel. */
export const sleeper = workflow("client.sleeper", async (ctx) => {
  await ctx.sleep("1h");
  return "woke";
});

/** Sends nothing, but says where it ran: the queue client's workflow. */
export const mailer = workflow("client.mailer", async (_ctx, input: { to: string }) => ({
  sent: input.to,
  ranIn: process.pid,
}));
