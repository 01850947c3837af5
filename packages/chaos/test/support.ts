/**
 * Whether a chaos test can run here: it needs a Postgres installation (initdb, pg_ctl) to start a
 * cluster of its own. Without one the tests skip, unless CAIRN_REQUIRE_POSTGRES=1 (CI), where they
 * run and fail with the reason.
 */
import { findPostgresBin } from "../src/cluster.js";

export const skipWithoutPostgres: boolean =
  findPostgresBin() === undefined && process.env["CAIRN_REQUIRE_POSTGRES"] !== "1";

if (skipWithoutPostgres) {
  console.warn("chaos: no initdb/pg_ctl found (set CAIRN_PG_BIN); the chaos tests are skipped");
}
