/**
 * What the compiler infers for `transaction()`: the call takes the workflow context then the
 * body's own arguments and resolves to the body's awaited result; `tx` is postgres.js's
 * `TransactionSql` unless the body annotates it (PGlite's `Transaction`).
 */
import type { WorkflowContext } from "@cairn/core";
import { describe, expectTypeOf, it } from "vitest";
import {
  transaction,
  type PGliteTransaction,
  type PostgresTransaction,
  type TransactionContext,
} from "../../src/index.js";

declare const ctx: WorkflowContext;

describe("transaction() types", () => {
  it("infers arguments and result, with postgres.js's transaction by default", () => {
    const reserve = transaction("reserve", async (tx, id: string, seats: number) => {
      expectTypeOf(tx).toEqualTypeOf<PostgresTransaction>();
      return { id, seats };
    });
    expectTypeOf(reserve(ctx, "a", 2)).toEqualTypeOf<Promise<{ id: string; seats: number }>>();
    // @ts-expect-error the body's arguments are checked
    void reserve(ctx, 2, "a");
  });

  it("takes PGlite's transaction when the body annotates it, and a context first", () => {
    const audit = transaction.withContext(
      "audit",
      async (tcx, tx: PGliteTransaction, what: string) => {
        expectTypeOf(tcx).toEqualTypeOf<TransactionContext>();
        expectTypeOf(tx).toEqualTypeOf<PGliteTransaction>();
        return what.length;
      },
    );
    expectTypeOf(audit(ctx, "x")).toEqualTypeOf<Promise<number>>();
  });
});
