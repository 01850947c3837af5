/**
 * The floor under a step on Postgres: the same client's bare round trip (`select 1`) and a
 * one-row autocommit insert (one durable commit). A checkpoint cannot cost less than the insert;
 * the gap between the two and Cairn's step latency is what Cairn itself adds.
 */
import type postgres from "postgres";
import { distribution } from "./stats.js";

export async function measureFloor(sql: postgres.Sql, schema: string, samples = 500) {
  const table = sql(schema);
  await sql`create table ${table}.bench_floor (id int primary key, data text not null)`;
  const roundTrip: number[] = [];
  const insert: number[] = [];
  for (let i = 0; i < samples; i++) {
    let started = performance.now();
    await sql`select 1`;
    roundTrip.push(performance.now() - started);
    started = performance.now();
    await sql`insert into ${table}.bench_floor values (${i}, ${"[1]"})`;
    insert.push(performance.now() - started);
  }
  return {
    shape: `${samples} of each, one at a time, on the bench's client`,
    selectOneMs: distribution(roundTrip),
    oneRowInsertCommitMs: distribution(insert),
  };
}
