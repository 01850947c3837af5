import { findTestPostgres, type TestPostgres } from "@cairn/pg-store/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientParser, startWireCounter } from "../src/compare/wire-counter.js";
import { createStatementCounter } from "../src/statement-counter.js";

/** One frontend message: type byte, int32 length counting itself, body. */
function message(type: string, ...parts: (string | Buffer)[]): Buffer {
  const body = Buffer.concat(
    parts.map((part) => (typeof part === "string" ? Buffer.from(`${part}\0`) : part)),
  );
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function startup(): Buffer {
  const body = Buffer.from("user\0postgres\0\0");
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, body]);
}

const int16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

describe("clientParser", () => {
  // Startup, then a named statement prepared once and executed twice, the unnamed statement
  // once, and a simple query.
  const stream = Buffer.concat([
    startup(),
    message("P", "s1", "select $1::int", int16(0)),
    message("B", "", "s1", int16(0), int16(0), int16(0)),
    message("E", "", Buffer.alloc(4)),
    message("S"),
    message("B", "p2", "s1", int16(0), int16(0), int16(0)),
    message("E", "p2", Buffer.alloc(4)),
    message("P", "", "insert into t values ($1)", int16(0)),
    message("B", "", "", int16(0), int16(0), int16(0)),
    message("D", "P", ""),
    message("E", "", Buffer.alloc(4)),
    message("S"),
    message("Q", "begin"),
  ]);
  const expected = { "select $1::int": 2, "insert into t": 1, begin: 1 };

  it("counts each Execute by the text its portal was bound from, and each simple query", () => {
    const counter = createStatementCounter("unused");
    const mark = counter.mark();
    clientParser(counter)(stream);
    expect(mark.read()).toEqual({ total: 4, byText: expected });
  });

  it("counts the same when the stream arrives one byte at a time", () => {
    const counter = createStatementCounter("unused");
    const mark = counter.mark();
    const parse = clientParser(counter);
    for (let i = 0; i < stream.length; i++) parse(stream.subarray(i, i + 1));
    expect(mark.read()).toEqual({ total: 4, byText: expected });
  });
});

let pg: TestPostgres | undefined;
beforeAll(async () => {
  pg = await findTestPostgres();
}, 120_000);
afterAll(() => pg?.stop());

describe("startWireCounter on a real server", () => {
  it("counts what postgres.js's own debug hook sees, statement by statement", async (context) => {
    if (!pg) return context.skip();
    const server = new URL(pg.url);
    const onWire = createStatementCounter("unused");
    const inDriver = createStatementCounter("unused");
    const proxy = await startWireCounter(
      { host: server.hostname, port: Number(server.port || 5432) },
      onWire,
    );
    const through = new URL(pg.url);
    through.port = String(proxy.port);
    const wireMark = onWire.mark();
    const driverMark = inDriver.mark();
    const sql = postgres(through.toString(), {
      max: 3,
      onnotice: () => {},
      debug: (_connection, query) => inDriver.record(query),
    });
    try {
      for (let i = 0; i < 5; i++) await sql`select ${i}::int as n`;
      await sql.begin(async (tx) => {
        await tx`select 1 as one`;
        await tx`select ${"x"}::text as x`;
      });
      await Promise.all(Array.from({ length: 30 }, (_, i) => sql`select ${i}::int + 1 as m`));
    } finally {
      await sql.end({ timeout: 5 });
      await proxy.close();
    }
    const seenOnWire = wireMark.read();
    expect(seenOnWire.total).toBeGreaterThanOrEqual(5 + 4 + 30);
    expect(seenOnWire).toEqual(driverMark.read());
  });
});
