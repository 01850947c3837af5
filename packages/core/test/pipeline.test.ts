import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  createEngine,
  InvalidOptionError,
  pipeline,
  step,
  ValidationError,
  workflow,
  type AnyWorkflow,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, recordingLogger } from "./support.js";

async function engineOn(workflows: readonly AnyWorkflow[], store: WorkflowStore) {
  const engine = createEngine({ store, workflows, logger: recordingLogger() });
  const report = await engine.launch();
  return { engine, report };
}

const Document = z.object({ url: z.string(), body: z.string() });
interface Parsed {
  readonly url: string;
  readonly words: readonly string[];
}

const fetchDocument = workflow("fetch", async (_ctx, url: string) => ({
  url,
  body: `hello world from ${url}`,
}));
const parseDocument = workflow({ name: "parse", input: Document }, async (_ctx, { url, body }) => ({
  url,
  words: body.split(" "),
}));
const countWords = step("count", (parsed: Parsed) => parsed.words.length);
const label = workflow({ name: "label", input: z.number().int() }, async (_ctx, n) => `${n} words`);

describe("pipeline", () => {
  it("passes each stage's output to the next and returns the last one's", async () => {
    const ingest = pipeline("ingest", fetchDocument, parseDocument, countWords, label);
    const { engine } = await engineOn(ingest.workflows, createMemoryStore());
    await expect(engine.run(ingest, "a.txt")).resolves.toBe("4 words");
  });

  it("runs workflow stages as children at positions 0, 1, 2... and step stages as steps", async () => {
    const store = createMemoryStore();
    const ingest = pipeline("ingest", fetchDocument, parseDocument, countWords, label);
    const { engine } = await engineOn(ingest.workflows, store);
    await engine.run(ingest, "a.txt", { id: "i" });
    const history = await store.listSteps("i");
    expect(history.map((s) => [s.position, s.name, s.childWorkflowId])).toEqual([
      [0, "workflow:fetch", "i:0"],
      [1, "workflow:parse", "i:1"],
      [2, "count", undefined],
      [3, "workflow:label", "i:3"],
    ]);
    await expect(engine.retrieve("i:1").status()).resolves.toMatchObject({
      name: "parse",
      parentWorkflowId: "i",
      status: "SUCCESS",
    });
  });

  it("lists itself and its stage workflows in .workflows and its stages in .stages", () => {
    const ingest = pipeline("ingest", parseDocument, countWords, label);
    expect(ingest.workflows).toEqual([ingest, parseDocument, label]);
    expect(ingest.stages).toEqual([parseDocument, countWords, label]);
    expect(ingest.name).toBe("ingest");
  });

  it("fails with a ValidationError naming both stages when an output does not fit the next schema", async () => {
    const store = createMemoryStore();
    let scoreRuns = 0;
    // Typed as the next stage expects, but at run time the data says otherwise.
    const enrich = step("enrich", (words: number) => ({
      words,
      score: "high" as unknown as number,
    }));
    const score = workflow(
      { name: "score", input: z.object({ words: z.number(), score: z.number() }) },
      async (_ctx, { score: value }) => (scoreRuns++, value),
    );
    const scoring = pipeline("scoring", countWords, enrich, score);
    const { engine } = await engineOn([...scoring.workflows], store);
    const error = await engine
      .run(scoring, { url: "u", words: ["a", "b"] }, { id: "s" })
      .catch((e: unknown) => e);
    expect(ValidationError.is(error)).toBe(true);
    expect(error).toMatchObject({
      subject: 'output of stage 2 ("enrich") as input of stage 3 ("score")',
    });
    expect((error as ValidationError).issues[0]?.path).toEqual(["score"]);
    expect(store.calls.createWorkflow).toBe(1); // the pipeline only: "score" never started
    expect(scoreRuns).toBe(0);
    await expect(engine.retrieve("s").status()).resolves.toMatchObject({ status: "ERROR" });
  });

  it("checks the pipeline's input against the first stage's schema before writing anything", async () => {
    const store = createMemoryStore();
    const parseFirst = pipeline("parseFirst", parseDocument, countWords);
    const { engine } = await engineOn(parseFirst.workflows, store);
    const error = await engine.start(parseFirst, { url: 1 } as never).catch((e: unknown) => e);
    expect(ValidationError.is(error)).toBe(true);
    expect(error).toMatchObject({ subject: 'input of workflow "parseFirst"' });
    expect(store.calls.createWorkflow).toBe(0);
    await expect(engine.run(parseFirst, { url: "u", body: "a b c" })).resolves.toBe(3);
  });

  it("parses its input with the options' schema, then checks it against stage 1's", async () => {
    const trimmed = pipeline(
      { name: "trimmed", input: z.string().transform((s) => s.trim()), maxRecoveryAttempts: 3 },
      fetchDocument,
      parseDocument,
      countWords,
    );
    const { engine } = await engineOn(trimmed.workflows, createMemoryStore());
    await expect(engine.run(trimmed, "  x  ")).resolves.toBe(4);
    expect(trimmed["~cairn"].maxRecoveryAttempts).toBe(3);

    const loose = pipeline({ name: "loose", input: z.any() }, parseDocument);
    const looseEngine = await engineOn(loose.workflows, createMemoryStore());
    await expect(looseEngine.engine.run(loose, { nope: true })).rejects.toMatchObject({
      name: "ValidationError",
      subject: 'input of pipeline "loose" as input of stage 1 ("parse")',
    });
  });

  it("nests: a pipeline runs as a stage of another, its stages as grandchildren", async () => {
    const store = createMemoryStore();
    const inner = pipeline("inner", parseDocument, countWords);
    const outer = pipeline("outer", fetchDocument, inner, label);
    expect(outer.workflows).toEqual([outer, fetchDocument, inner, parseDocument, label]);
    const { engine } = await engineOn(outer.workflows, store);
    await expect(engine.run(outer, "b.txt", { id: "o" })).resolves.toBe("4 words");
    const innerHistory = await store.listSteps("o:1");
    expect(innerHistory.map((s) => [s.name, s.childWorkflowId])).toEqual([
      ["workflow:parse", "o:1:0"],
      ["count", undefined],
    ]);
  });

  it("resumes at the stage that was running after a crash, without re-running finished stages", async () => {
    const store = createMemoryStore();
    const runs = { fetch: 0, parse: 0, tokenize: 0, count: 0 };
    let crash = true;
    const fetchOnce = workflow("fetchOnce", async (_ctx, url: string) => {
      runs.fetch++;
      return { url, body: "one two three" };
    });
    const tokenize = step("tokenize", (body: string) => (runs.tokenize++, body.split(" ")));
    const slowParse = workflow({ name: "slowParse", input: Document }, async (ctx, doc) => {
      runs.parse++;
      const words = await tokenize(ctx, doc.body);
      if (crash) await forever(); // the "process" dies here, inside stage 2
      return { url: doc.url, words };
    });
    const count = step("countOnce", (parsed: Parsed) => {
      runs.count++;
      return parsed.words.length;
    });
    const crashy = pipeline("crashy", fetchOnce, slowParse, count);

    const first = await engineOn(crashy.workflows, store);
    await first.engine.start(crashy, "c.txt", { id: "c" });
    await vi.waitFor(async () => expect(await store.listSteps("c:1")).toHaveLength(1));
    expect(runs).toEqual({ fetch: 1, parse: 1, tokenize: 1, count: 0 });

    crash = false;
    const second = await engineOn(crashy.workflows, store);
    expect([...second.report.recovered].sort()).toEqual(["c", "c:1"]);
    await expect(second.engine.retrieve("c").result()).resolves.toBe(3);
    expect(runs).toEqual({ fetch: 1, parse: 2, tokenize: 1, count: 1 });
  });

  it("forks from stage k with fromStep k - 1: earlier stages are reused, stage k onwards runs again", async () => {
    const store = createMemoryStore();
    const runs = { fetch: 0, parse: 0, count: 0 };
    let scale = 1;
    const fetchCounted = workflow("fetchCounted", async (_ctx, url: string) => {
      runs.fetch++;
      return { url, body: "a b c d" };
    });
    const parseCounted = workflow({ name: "parseCounted", input: Document }, async (_ctx, doc) => {
      runs.parse++;
      return { url: doc.url, words: doc.body.split(" ") };
    });
    const countScaled = step("countScaled", (parsed: Parsed) => {
      runs.count++;
      return parsed.words.length * scale;
    });
    const forkable = pipeline("forkable", fetchCounted, parseCounted, countScaled);
    const { engine } = await engineOn(forkable.workflows, store);
    await expect(engine.run(forkable, "f.txt", { id: "orig" })).resolves.toBe(4);

    scale = 10; // stage 3 changed: re-run it alone
    const fromStage3 = await engine.fork<number>("orig", { fromStep: 2, id: "fork3" });
    await expect(fromStage3.result()).resolves.toBe(40);
    expect(runs).toEqual({ fetch: 1, parse: 1, count: 2 });

    const fromStage2 = await engine.fork<number>("orig", { fromStep: 1, id: "fork2" });
    await expect(fromStage2.result()).resolves.toBe(40);
    expect(runs).toEqual({ fetch: 1, parse: 2, count: 3 });
    const history = await store.listSteps("fork2");
    // Stage 1's checkpoint was copied and still points at the original's child; stage 2 is new.
    expect(history.map((s) => s.childWorkflowId)).toEqual(["orig:0", "fork2:1", undefined]);
  });

  it("rejects a pipeline without stages or with something that is not a stage", () => {
    const untyped = pipeline as (name: string, ...stages: unknown[]) => unknown;
    expect(() => untyped("empty")).toThrow(InvalidOptionError);
    expect(() => untyped("odd", fetchDocument, (x: string) => x)).toThrow(
      /pipeline "odd" stage 2.*expected a workflow\(\) or a step\(\)/,
    );
  });
});

describe("pipeline registration", () => {
  it("registers a pipeline's stage workflows when the pipeline alone is registered", async () => {
    const double = workflow("reg-double", async (_ctx, n: number) => n * 2);
    const describeIt = workflow("reg-describe", async (_ctx, n: number) => `got ${n}`);
    const p = pipeline("reg-pipeline", double, describeIt);
    const engine = createEngine({ store: createMemoryStore(), workflows: [p] });
    await engine.launch();
    await expect(engine.run(p, 21)).resolves.toBe("got 42");
    await engine.shutdown();
  });
});
