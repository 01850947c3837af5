/** The database clock in epoch milliseconds: one value per statement, shared by all processes. */
export const NOW_MS = "floor(extract(epoch from statement_timestamp()) * 1000)::bigint";
