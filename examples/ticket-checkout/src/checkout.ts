/**
 * The checkout workflow: reserve a ticket, take the payment, and undo the reservation when the
 * payment fails. The reservation and its undo are transactions on the `tickets` table: each
 * commits together with its checkpoint, so after a crash it has either happened once (and is not
 * run again) or not at all. The payment is a step — an outside call, made safe to repeat by an
 * idempotency key.
 */
import { NonRetryableError, step, workflow } from "@cairn/core";
import { transaction, type DriverTransaction } from "@cairn/pg-store";
import { z } from "zod";
import { CardDeclinedError, type PaymentProvider } from "./services.js";
import { query } from "./tickets.js";

/** What a checkout needs; validated before anything is stored. */
export const CheckoutInput = z.object({
  ticketId: z.string().min(1),
  cardToken: z.string().min(1),
  cents: z.number().int().positive(),
});
export type CheckoutInput = z.input<typeof CheckoutInput>;

/** How a checkout ended. */
export type CheckoutResult =
  | { readonly status: "confirmed"; readonly receiptId: string }
  | { readonly status: "sold-out" }
  | { readonly status: "payment-failed"; readonly reason: string };

/** Hooks the demo uses to narrate (and to die at the worst moment). */
export interface CheckoutHooks {
  /** Called inside a transaction (`reserveTicket`, `undoReserveTicket`) after its writes, before its commit. */
  readonly beforeCommit?: (transaction: string) => void;
}

/** Builds the checkout workflow over the payment provider. */
export function createCheckout(payments: PaymentProvider, hooks: CheckoutHooks = {}) {
  /** Holds the ticket for this workflow, if nobody holds it. One commit with its checkpoint. */
  const reserveTicket = transaction.withContext(
    "reserveTicket",
    async ({ workflowId }, tx: DriverTransaction, ticketId: string) => {
      const held = await query(
        tx,
        "update tickets set held_by = $1 where id = $2 and held_by is null returning id",
        [workflowId, ticketId],
      );
      if (held.length === 0) return false;
      await query(
        tx,
        "insert into ticket_log (ticket_id, action, workflow_id) values ($1, 'reserved', $2)",
        [ticketId, workflowId],
      );
      hooks.beforeCommit?.("reserveTicket");
      return true;
    },
  );

  const processPayment = step.withContext(
    { name: "processPayment", retry: { maxAttempts: 4, initialDelayMs: 100, backoffFactor: 2 } },
    async ({ workflowId }, cardToken: string, cents: number) => {
      // The body may run again after a crash: the key makes the provider charge only once.
      const idempotencyKey = `${workflowId}:payment`;
      try {
        return await payments.charge({ cardToken, cents, idempotencyKey });
      } catch (error) {
        if (error instanceof CardDeclinedError) {
          throw new NonRetryableError(error.message, { cause: error });
        }
        throw error; // transient: retried by the policy above
      }
    },
  );

  /** Gives the ticket back: the compensation of `reserveTicket`, also exactly once. */
  const undoReserveTicket = transaction.withContext(
    "undoReserveTicket",
    async ({ workflowId }, tx: DriverTransaction, ticketId: string) => {
      await query(tx, "update tickets set held_by = null where id = $1 and held_by = $2", [
        ticketId,
        workflowId,
      ]);
      await query(
        tx,
        "insert into ticket_log (ticket_id, action, workflow_id) values ($1, 'released', $2)",
        [ticketId, workflowId],
      );
      hooks.beforeCommit?.("undoReserveTicket");
    },
  );

  return workflow(
    { name: "checkout", input: CheckoutInput },
    async (ctx, { ticketId, cardToken, cents }): Promise<CheckoutResult> => {
      if (!(await reserveTicket(ctx, ticketId))) return { status: "sold-out" };
      try {
        const { receiptId } = await processPayment(ctx, cardToken, cents);
        return { status: "confirmed", receiptId };
      } catch (error) {
        await undoReserveTicket(ctx, ticketId); // compensate
        return { status: "payment-failed", reason: (error as Error).message };
      }
    },
  );
}
