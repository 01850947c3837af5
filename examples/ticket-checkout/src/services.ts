/**
 * A stand-in for the outside world the checkout talks to: a payment provider. It keeps its state
 * in memory and knows nothing of Cairn; in a real application this would be your payment
 * service's SDK. (The tickets are real rows: see `tickets.ts`.)
 */
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";

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

/**
 * A payment provider in memory; receipts are derived from the idempotency key. With `ledger`,
 * every charge request is also appended to that file, so a demo can count them across processes.
 */
export function fakePaymentProvider(ledger?: string): PaymentProvider {
  const attempts = new Map<string, number>();
  return {
    async charge({ cardToken, cents, idempotencyKey }) {
      const attempt = (attempts.get(idempotencyKey) ?? 0) + 1;
      attempts.set(idempotencyKey, attempt);
      if (ledger)
        appendFileSync(ledger, `${JSON.stringify({ idempotencyKey, cardToken, cents })}\n`);
      if (cardToken === cards.declined) throw new CardDeclinedError("card declined");
      if (cardToken === cards.flaky && attempt === 1) throw new Error("payment provider timed out");
      return { receiptId: `rcpt_${shortHash(idempotencyKey)}` };
    },
  };
}
