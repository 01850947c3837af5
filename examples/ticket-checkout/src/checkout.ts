/**
 * The checkout workflow: reserve a ticket, take the payment, and release the reservation when
 * the payment fails. Each step's result is checkpointed, so after a crash the workflow resumes
 * where it stopped: a reservation that was made is not made again.
 */
import { NonRetryableError, step, workflow } from "@cairn/core";
import { z } from "zod";
import { CardDeclinedError, type CheckoutServices } from "./services.js";

/** What a checkout needs; validated before anything is stored. */
export const CheckoutInput = z.object({
  ticketId: z.string().min(1),
  cardToken: z.string().min(1),
  cents: z.number().int().positive(),
});
export type CheckoutInput = z.input<typeof CheckoutInput>;

/** How a checkout ended. */
export type CheckoutResult =
  | { readonly status: "confirmed"; readonly holdId: string; readonly receiptId: string }
  | { readonly status: "sold-out" }
  | { readonly status: "payment-failed"; readonly reason: string; readonly released: string };

/** Builds the checkout workflow over the services it calls. */
export function createCheckout(services: CheckoutServices) {
  const reserveTicket = step("reserveTicket", (ticketId: string) =>
    services.tickets.hold(ticketId),
  );

  const processPayment = step.withContext(
    { name: "processPayment", retry: { maxAttempts: 4, initialDelayMs: 100, backoffFactor: 2 } },
    async ({ workflowId }, cardToken: string, cents: number) => {
      // The body may run again after a crash: the key makes the provider charge only once.
      const idempotencyKey = `${workflowId}:payment`;
      try {
        return await services.payments.charge({ cardToken, cents, idempotencyKey });
      } catch (error) {
        if (error instanceof CardDeclinedError) {
          throw new NonRetryableError(error.message, { cause: error });
        }
        throw error; // transient: retried by the policy above
      }
    },
  );

  const releaseReservation = step("releaseReservation", (holdId: string) =>
    services.tickets.release(holdId),
  );

  return workflow(
    { name: "checkout", input: CheckoutInput },
    async (ctx, { ticketId, cardToken, cents }): Promise<CheckoutResult> => {
      const holdId = await reserveTicket(ctx, ticketId);
      if (holdId === undefined) return { status: "sold-out" };
      try {
        const { receiptId } = await processPayment(ctx, cardToken, cents);
        return { status: "confirmed", holdId, receiptId };
      } catch (error) {
        await releaseReservation(ctx, holdId); // compensate
        const reason = error instanceof Error ? error.message : String(error);
        return { status: "payment-failed", reason, released: holdId };
      }
    },
  );
}
