/**
 * Stand-ins for the outside world the checkout talks to: a ticket inventory and a payment
 * provider. They keep their state in memory and know nothing of Cairn; in a real application
 * these would be your database and your payment service's SDK.
 */
import { createHash } from "node:crypto";

/** Holds and releases tickets. */
export interface TicketInventory {
  /** Holds the ticket; returns the hold's ID, or undefined when the ticket is taken. */
  hold(ticketId: string): Promise<string | undefined>;
  release(holdId: string): Promise<void>;
}

/** What a payment provider is asked to charge. */
export interface ChargeRequest {
  readonly cardToken: string;
  readonly cents: number;
  /** The provider charges a key at most once and answers a repeat with the first receipt. */
  readonly idempotencyKey: string;
}

/** Charges cards. */
export interface PaymentProvider {
  /** @throws CardDeclinedError for a declined card; any other error is transient. */
  charge(request: ChargeRequest): Promise<{ readonly receiptId: string }>;
}

/** The card was declined: retrying will not help. */
export class CardDeclinedError extends Error {
  override readonly name = "CardDeclinedError";
}

/** Everything the checkout calls. */
export interface CheckoutServices {
  readonly tickets: TicketInventory;
  readonly payments: PaymentProvider;
}

/** Cards the fake provider understands. */
export const cards = {
  /** Always accepted. */
  ok: "tok_visa",
  /** Always declined. */
  declined: "tok_declined",
  /** Fails once with a timeout, then accepted: shows retries. */
  flaky: "tok_flaky",
} as const;

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

/** An in-memory inventory in which every ticket can be held once. */
export function fakeTicketInventory(): TicketInventory {
  const holds = new Map<string, string>(); // holdId -> ticketId
  return {
    async hold(ticketId) {
      if ([...holds.values()].includes(ticketId)) return undefined;
      const holdId = `hold_${shortHash(`${ticketId}:${holds.size}`)}`;
      holds.set(holdId, ticketId);
      return holdId;
    },
    async release(holdId) {
      holds.delete(holdId);
    },
  };
}

/** An in-memory payment provider; receipts are derived from the idempotency key. */
export function fakePaymentProvider(): PaymentProvider {
  const attempts = new Map<string, number>();
  return {
    async charge({ cardToken, idempotencyKey }) {
      const attempt = (attempts.get(idempotencyKey) ?? 0) + 1;
      attempts.set(idempotencyKey, attempt);
      if (cardToken === cards.declined) throw new CardDeclinedError("card declined");
      if (cardToken === cards.flaky && attempt === 1) throw new Error("payment provider timed out");
      return { receiptId: `rcpt_${shortHash(idempotencyKey)}` };
    },
  };
}
