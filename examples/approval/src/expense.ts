/**
 * The expense-approval workflow. It declares its channels once — the `decision` message it waits
 * for, the `status` event it keeps current, the `progress` stream it narrates on — so senders
 * and readers are typed and a malformed decision is refused before it is stored. It asks the
 * manager, waits for a decision (a durable race between the message and a timer), escalates to
 * the director when the manager stays silent, and rejects the expense if nobody answers.
 */
import { step, workflow } from "@cairn/core";
import { z } from "zod";

export const Expense = z.object({
  employee: z.string().min(1),
  description: z.string().min(1),
  amountCents: z.number().int().positive(),
  /** How long the manager has before the request goes to the director. */
  managerWaitMs: z
    .number()
    .int()
    .positive()
    .default(24 * 3_600_000),
  /** How long the director has before the request is rejected for want of an answer. */
  directorWaitMs: z
    .number()
    .int()
    .positive()
    .default(3 * 24 * 3_600_000),
});
export type Expense = z.input<typeof Expense>;

export const Decision = z.object({
  approved: z.boolean(),
  by: z.string().min(1),
  note: z.string().optional(),
});
export type Decision = z.infer<typeof Decision>;

export const Status = z.enum([
  "submitted",
  "waiting-for-manager",
  "escalated",
  "approved",
  "rejected",
]);
export type Status = z.infer<typeof Status>;

/** One line of the workflow's story, with the status it was written in. */
export const Progress = z.object({ status: Status, text: z.string() });
export type Progress = z.infer<typeof Progress>;

export interface ApprovalResult {
  readonly approved: boolean;
  readonly decidedBy: string;
  readonly escalated: boolean;
}

/** Who gets asked; a real application would send an e-mail or a chat message here. */
export interface Notifier {
  ask(person: "manager" | "director", expenseId: string, summary: string): Promise<void>;
}

export const euros = (cents: number) => `€${(cents / 100).toFixed(2)}`;
const duration = (ms: number) =>
  ms >= 3_600_000 ? `${ms / 3_600_000} h` : ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1_000} s`;

/** Builds the workflow around a notifier (the steps' side effect). */
export function createExpenseApproval(notifier: Notifier) {
  const askManager = step("askManager", (id: string, summary: string) =>
    notifier.ask("manager", id, summary),
  );
  const askDirector = step("askDirector", (id: string, summary: string) =>
    notifier.ask("director", id, summary),
  );

  return workflow(
    {
      name: "expense-approval",
      input: Expense,
      channels: {
        messages: { decision: Decision },
        events: { status: Status },
        streams: { progress: Progress },
      },
    },
    async (ctx, expense): Promise<ApprovalResult> => {
      const say = async (status: Status, text: string) => {
        await ctx.setEvent("status", status);
        await ctx.writeStream("progress", { status, text });
      };
      const summary = `${expense.employee}: ${euros(expense.amountCents)} for ${expense.description}`;
      await say("submitted", `submitted by ${summary}`);

      await askManager(ctx, ctx.workflowId, summary);
      await say(
        "waiting-for-manager",
        `manager asked; waiting up to ${duration(expense.managerWaitMs)}`,
      );
      const first = await ctx.race({
        decision: { message: "decision" },
        timeout: { timer: expense.managerWaitMs },
      });

      let decision: Decision | undefined = first.key === "decision" ? first.value : undefined;
      const escalated = decision === undefined;
      if (escalated) {
        await say("escalated", `no answer from the manager; escalated to the director`);
        await askDirector(ctx, ctx.workflowId, summary);
        decision = await ctx.recv("decision", { timeoutMs: expense.directorWaitMs });
      }

      const outcome = decision ?? { approved: false, by: "nobody", note: "no answer in time" };
      const verdict = outcome.approved ? "approved" : "rejected";
      const note = outcome.note === undefined ? "" : ` (${outcome.note})`;
      await say(verdict, `${verdict} by ${outcome.by}${note}`);
      await ctx.closeStream("progress");
      return { approved: outcome.approved, decidedBy: outcome.by, escalated };
    },
  );
}

export type ExpenseApproval = ReturnType<typeof createExpenseApproval>;
