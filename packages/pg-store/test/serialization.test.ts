/**
 * Pluggable serialization through a real engine and client on the memory store, Postgres
 * (skipped without a server) and PGlite: a custom type round-trips as input, step output,
 * message, event, stream entry and result; a codec leaves no plaintext in the stored rows and
 * still decodes; a codec that gained a new key reads what the old key wrote; a reader without the
 * type or the codec gets a DeserializationError naming what is missing.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import {
  createClient,
  createEngine,
  DeserializationError,
  SerializationError,
  step,
  workflow,
  type Client,
  type Engine,
  type SerializationOptions,
  type ValueCodec,
  type WorkflowStore,
} from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { beforeEach, describe, expect, it } from "vitest";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
} from "./support/engine-databases.js";

/** A Decimal-like value class: devalue alone refuses it (not a plain object). */
class Money {
  readonly cents: bigint;
  readonly currency: string;
  constructor(cents: bigint, currency: string) {
    this.cents = cents;
    this.currency = currency;
  }
  plus(other: Money): Money {
    return new Money(this.cents + other.cents, this.currency);
  }
}

const money = {
  is: (value: unknown) => value instanceof Money,
  encode: (value: Money) => `${value.cents} ${value.currency}`,
  decode: (text: string) => {
    const [cents = "0", currency = ""] = text.split(" ");
    return new Money(BigInt(cents), currency);
  },
};

/** AES-256-GCM; the stored text starts with the key's id, so old keys stay readable. */
function aesCodec(keys: Readonly<Record<string, Buffer>>, current: string): ValueCodec {
  return {
    encode(text) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", keys[current]!, iv);
      const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64"));
      return [current, ...parts].join(".");
    },
    decode(stored) {
      const [keyId = "", iv = "", tag = "", body = ""] = stored.split(".");
      const key = keys[keyId];
      if (key === undefined) throw new Error(`unknown key id "${keyId}"`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
      decipher.setAuthTag(Buffer.from(tag, "base64"));
      const text = Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]);
      return text.toString("utf8");
    },
  };
}

class Unregistered {
  readonly secret = "x";
}

const doubled = step("ser.double", async (amount: Money) => amount.plus(amount));

const ledger = workflow("ser.ledger", async (ctx, input: { total: Money; memo: string }) => {
  const twice = await doubled(ctx, input.total);
  await ctx.setEvent("balance", twice);
  await ctx.writeStream("entries", twice);
  await ctx.closeStream("entries");
  const adjustment = (await ctx.recv("adjust")) as Money;
  return { total: twice.plus(adjustment), memo: input.memo };
});

const leaky = workflow("ser.leaky", async () => new Unregistered());

/** One backend's store factory and, for SQL backends, raw reads of a table's text columns. */
interface Backend {
  readonly name: string;
  readonly skip: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  database(): {
    store(): WorkflowStore;
    query: ((text: string) => Promise<Record<string, unknown>[]>) | undefined;
    drop(): Promise<void>;
  };
}

const memoryBackend: Backend = {
  name: "the memory store",
  skip: false,
  open: () => Promise.resolve(),
  close: () => Promise.resolve(),
  database() {
    const store = createMemoryStore();
    // Engines and clients each close their store; the memory store is shared, so only the test ends it.
    const shared = new Proxy(store, {
      get: (target, key) =>
        key === "close" ? () => Promise.resolve() : (Reflect.get(target, key) as unknown),
    });
    return { store: () => shared, query: undefined, drop: () => store.close() };
  },
};

const backends: Backend[] = [
  memoryBackend,
  ...engineBackends.map((backend) => ({
    ...backend,
    open: () => backend.open(),
    close: () => backend.close(),
    database: () => {
      const db = backend.database();
      return {
        store: () => db.store(),
        query: (text: string) => db.query(text),
        drop: () => db.drop(),
      };
    },
  })),
];

const key1 = randomBytes(32);
const key2 = randomBytes(32);

for (const backend of backends) {
  describe.skipIf(backend.skip)(`pluggable serialization on ${backend.name}`, () => {
    let db: ReturnType<Backend["database"]>;
    const closers = new Closers();
    databasePerTest(backend, closers, () => db);
    beforeEach(() => {
      db = backend.database();
    });

    const launch = async (serialization: SerializationOptions) => {
      const engine = createEngine({
        store: db.store(),
        workflows: [ledger, leaky],
        logger: quietLogger,
        pollIntervalMs: 50,
        shutdownGraceMs: 0,
        serialization,
      });
      closers.add(engine, (e: Engine) => e.shutdown());
      await engine.launch();
      return engine;
    };
    const connect = (serialization: SerializationOptions) => {
      const client = createClient({ store: db.store(), pollIntervalMs: 50, serialization });
      closers.add(client, (c: Client) => c.close());
      return client;
    };

    /** Runs one ledger to its end, touching every kind of stored value from the client. */
    const runLedger = async (engine: Engine, client: Client) => {
      const handle = await engine.start(ledger, { total: new Money(1050n, "EUR"), memo: "m" });
      const balance = await client.getEvent(handle.workflowId, "balance", { timeoutMs: "1m" });
      const entries: unknown[] = [];
      for await (const entry of client.readStream(handle.workflowId, "entries"))
        entries.push(entry);
      await client.send(handle.workflowId, "adjust", new Money(-100n, "EUR"));
      const result = await client.retrieve<typeof ledger>(handle.workflowId).result();
      return { workflowId: handle.workflowId, balance, entries, result };
    };

    it("round-trips a custom type as input, step output, message, event, stream and result", async () => {
      const engine = await launch({ types: { Money: money } });
      const client = connect({ types: { Money: money } });
      const run = await runLedger(engine, client);
      expect(run.balance).toEqual(new Money(2100n, "EUR"));
      expect(run.balance).toBeInstanceOf(Money);
      expect(run.entries).toEqual([new Money(2100n, "EUR")]);
      expect(run.result.total).toBeInstanceOf(Money);
      expect(run.result).toEqual({ total: new Money(2000n, "EUR"), memo: "m" });
      const [info] = await client.listWorkflows({ workflowIdPrefix: run.workflowId });
      expect(info?.input).toEqual({ total: new Money(1050n, "EUR"), memo: "m" });
      const steps = await client.listSteps(run.workflowId);
      expect(steps.map((s) => s.output)).toContainEqual(new Money(-100n, "EUR"));
    });

    it("stores no plaintext through a codec, and decodes it back", async () => {
      const serialization = {
        types: { Money: money },
        codec: aesCodec({ k1: key1 }, "k1"),
      };
      const engine = await launch(serialization);
      const client = connect(serialization);
      const run = await runLedger(engine, client);
      expect(run.result).toEqual({ total: new Money(2000n, "EUR"), memo: "m" });

      const store = db.store();
      const record = await store.getWorkflow(run.workflowId);
      const stored = [
        record?.input,
        record?.output,
        await store.getEvent(run.workflowId, "balance"),
      ];
      for (const step of await store.listSteps(run.workflowId)) stored.push(step.output);
      if (db.query) {
        for (const table of ["workflows", "steps", "events", "streams", "messages"]) {
          const rows = await db.query(`select * from {{schema}}.${table}`);
          stored.push(...rows.map((row) => JSON.stringify(row)));
        }
      }
      // Plaintext holds them as quoted strings; a ciphertext (base64url) never holds a quote, but
      // may hold the letters "EUR" by chance (one run in a few thousand did).
      for (const text of stored) {
        expect(text).toBeDefined();
        expect(text).not.toContain('"EUR');
        expect(text).not.toContain('"Money');
      }
      expect(record?.input?.startsWith("~k1.")).toBe(true);
      expect(record?.name).toBe("ser.ledger"); // names, IDs and status stay in clear
      expect(record?.status).toBe("SUCCESS");
    });

    it("reads what an old key wrote after the codec gains a new key", async () => {
      const engine = await launch({ types: { Money: money }, codec: aesCodec({ k1: key1 }, "k1") });
      const run = await runLedger(
        engine,
        connect({ types: { Money: money }, codec: aesCodec({ k1: key1 }, "k1") }),
      );
      await engine.shutdown();

      const rotated = { types: { Money: money }, codec: aesCodec({ k1: key1, k2: key2 }, "k2") };
      const client = connect(rotated);
      expect(await client.retrieve<typeof ledger>(run.workflowId).result()).toEqual(run.result);
      const newer = await launch(rotated);
      const second = await runLedger(newer, client);
      expect(second.result).toEqual(run.result);
      const record = await db.store().getWorkflow(second.workflowId);
      expect(record?.output?.startsWith("~k2.")).toBe(true);

      const onlyNew = connect({ types: { Money: money }, codec: aesCodec({ k2: key2 }, "k2") });
      const failure: unknown = await onlyNew
        .retrieve(run.workflowId)
        .result()
        .catch((e: unknown) => e);
      expect(DeserializationError.is(failure)).toBe(true);
      expect((failure as DeserializationError).reason).toBe("codec-failed");
    });

    it("names the unregistered type or the missing codec when a reader lacks it", async () => {
      const engine = await launch({ types: { Money: money } });
      const run = await runLedger(engine, connect({ types: { Money: money } }));
      const plain = connect({});
      const failure: unknown = await plain
        .retrieve(run.workflowId)
        .result()
        .catch((e: unknown) => e);
      expect(DeserializationError.is(failure)).toBe(true);
      expect(failure).toMatchObject({ reason: "unknown-type", typeName: "Money" });
      expect((failure as Error).message).toContain("register it in serialization.types");

      await engine.shutdown();
      const encrypted = await launch({
        types: { Money: money },
        codec: aesCodec({ k1: key1 }, "k1"),
      });
      const secret = await runLedger(
        encrypted,
        connect({ types: { Money: money }, codec: aesCodec({ k1: key1 }, "k1") }),
      );
      const noCodec = connect({ types: { Money: money } });
      const missing: unknown = await noCodec
        .retrieve(secret.workflowId)
        .result()
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({ code: "DESERIALIZATION_FAILED", reason: "no-codec" });
    });

    it("refuses an unregistered class instance with a SerializationError naming its class", async () => {
      const engine = await launch({ types: { Money: money } });
      const refused = await engine
        .start(ledger, { total: new Unregistered() as unknown as Money, memo: "m" })
        .catch((e: unknown) => e);
      expect(SerializationError.is(refused)).toBe(true);
      expect((refused as Error).message).toContain("Unregistered");
      const handle = await engine.start(leaky, undefined);
      const failed = await handle.result().catch((e: unknown) => e);
      expect(SerializationError.is(failed)).toBe(true);
      expect((failed as SerializationError).path).toBe("");
      expect((failed as Error).message).toContain("register it in serialization.types");
    });
  });
}
