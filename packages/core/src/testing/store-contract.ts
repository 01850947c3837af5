/**
 * The store contract suite: one set of vitest tests that every `WorkflowStore` must pass, run
 * against the in-memory store, Postgres and PGlite alike (and any third-party store). Each test
 * gets a fresh, migrated store from the factory and closes it afterwards. It checks semantics
 * visible through the interface only; cost (statements per call) and durability across processes
 * are each store's own tests.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  NewWorkflow,
  RecoveryClaim,
  StepRecord,
  WorkflowOutcome,
  WorkflowStore,
} from "../store/workflow-store.js";

/**
 * Makes one fresh, empty store for one test. The suite calls `migrate()` on it, closes it after
 * the test, then calls `cleanup` (drop a schema, delete files).
 */
export type StoreContractFactory = () => Promise<{
  store: WorkflowStore;
  cleanup?: () => Promise<void>;
}>;

/** Serialized values a store must keep byte-for-byte. */
const tricky = {
  keyOrder: '{"b":1,"a":2}',
  unicode: "🪨 cairn — ñandú 日本語 \u2028\u2029 \u00e9 vs e\u0301",
  whitespace: "  leading\n\ttabs\r\nand trailing  ",
  escapes: String.raw`quote " backslash \ escaped nul \u0000`,
  empty: "",
  nullWord: "null",
  long: "x".repeat(300_000) + "🪨".repeat(10_000),
};

/** A contract test's store, plus what it was created with. */
interface Fixture {
  store: WorkflowStore;
  closed: boolean;
  cleanup: (() => Promise<void>) | undefined;
}

const newWorkflow = (workflowId: string, patch: Partial<NewWorkflow> = {}): NewWorkflow => ({
  workflowId,
  name: "checkout",
  input: '{"ticket":1}',
  executorId: "executor-a",
  ...patch,
});

const stepAt = (
  workflowId: string,
  position: number,
  patch: Partial<StepRecord> = {},
): StepRecord => ({
  workflowId,
  position,
  name: `step-${position}`,
  output: `"out-${position}"`,
  error: undefined,
  childWorkflowId: undefined,
  attempts: 1,
  startedAt: 1_700_000_000_000 + position,
  completedAt: 1_700_000_000_500 + position,
  ...patch,
});

const success = (workflowId: string, output = '"done"'): WorkflowOutcome => ({
  workflowId,
  executorId: "executor-a",
  status: "SUCCESS",
  output,
});

const claimFor = (patch: Partial<RecoveryClaim> = {}): RecoveryClaim => ({
  executorId: "executor-a",
  names: ["checkout"],
  maxRecoveryAttempts: {},
  ...patch,
});

const ids = (rows: readonly { workflowId: string }[]): string[] =>
  rows.map((r) => r.workflowId).sort();

/**
 * Registers the store contract tests under `describe(name)`.
 *
 * @example
 * describeStoreContract("memory", async () => ({ store: createMemoryStore() }));
 */
export function describeStoreContract(name: string, factory: StoreContractFactory): void {
  describe(`${name} store contract`, () => {
    const fx: Fixture = {
      store: undefined as unknown as WorkflowStore,
      closed: false,
      cleanup: undefined,
    };

    beforeEach(async () => {
      const made = await factory();
      fx.store = made.store;
      fx.closed = false;
      fx.cleanup = made.cleanup;
      await fx.store.migrate();
    });

    afterEach(async () => {
      if (!fx.closed) await fx.store.close();
      await fx.cleanup?.();
    });

    describeCreateAndGet(fx);
    describeSteps(fx);
    describeSerializedValues(fx);
    describeFinish(fx);
    describeRecovery(fx);
    describeConcurrencyAndClose(fx);
  });
}

function describeCreateAndGet(fx: Fixture): void {
  describe("createWorkflow and getWorkflow", () => {
    it("can migrate again an already migrated store", async () => {
      await fx.store.migrate();
      expect((await fx.store.createWorkflow(newWorkflow("wf-1"))).created).toBe(true);
    });

    it("inserts a PENDING workflow with the given fields and reports created: true", async () => {
      const before = Date.now();
      const result = await fx.store.createWorkflow(
        newWorkflow("wf-1", { parentWorkflowId: "wf-0" }),
      );
      expect(result.created).toBe(true);
      expect(result.workflow).toMatchObject({
        workflowId: "wf-1",
        name: "checkout",
        status: "PENDING",
        input: '{"ticket":1}',
        executorId: "executor-a",
        parentWorkflowId: "wf-0",
        recoveryAttempts: 0,
      });
      expect(result.workflow.output).toBeUndefined();
      expect(result.workflow.error).toBeUndefined();
      expect(result.workflow.updatedAt).toBe(result.workflow.createdAt);
      // The store's clock may be the database's: allow skew, but catch seconds-for-milliseconds.
      expect(Math.abs(result.workflow.createdAt - before)).toBeLessThan(60_000);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(result.workflow);
    });

    it("leaves parentWorkflowId undefined when none is given", async () => {
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(workflow.parentWorkflowId).toBeUndefined();
      expect((await fx.store.getWorkflow("wf-1"))?.parentWorkflowId).toBeUndefined();
    });

    it("returns the existing workflow untouched with created: false when the ID is taken", async () => {
      const first = await fx.store.createWorkflow(newWorkflow("wf-1"));
      const second = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(second).toEqual({ created: false, workflow: first.workflow });
    });

    it("returns the existing row even when the second call has another name, input and executor", async () => {
      const first = await fx.store.createWorkflow(newWorkflow("wf-1"));
      const second = await fx.store.createWorkflow(
        newWorkflow("wf-1", {
          name: "refund",
          input: '"other"',
          executorId: "executor-b",
          parentWorkflowId: "p",
        }),
      );
      expect(second).toEqual({ created: false, workflow: first.workflow });
      expect(await fx.store.getWorkflow("wf-1")).toEqual(first.workflow);
    });

    it("returns a finished workflow with its outcome when its ID is taken", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.finishWorkflow(success("wf-1", '"result"'));
      const again = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(again.created).toBe(false);
      expect(again.workflow).toMatchObject({ status: "SUCCESS", output: '"result"' });
    });

    it("lets exactly one of many concurrent creates with the same ID win", async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fx.store.createWorkflow(newWorkflow("wf-1", { input: `${i}` })),
        ),
      );
      const winners = results.filter((r) => r.created);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r.workflow).toEqual(winners[0]?.workflow);
    });

    it("returns undefined for an unknown workflow ID", async () => {
      expect(await fx.store.getWorkflow("nope")).toBeUndefined();
    });
  });
}

function describeSteps(fx: Fixture): void {
  describe("recordStep and listSteps", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
    });

    it("stores a checkpoint with all its fields and returns true", async () => {
      const step = stepAt("wf-1", 0, { childWorkflowId: "child-1", attempts: 3 });
      expect(await fx.store.recordStep(step)).toBe(true);
      expect(await fx.store.listSteps("wf-1")).toEqual([step]);
    });

    it("stores an error checkpoint with output undefined", async () => {
      const step = stepAt("wf-1", 0, { output: undefined, error: '{"message":"boom"}' });
      expect(await fx.store.recordStep(step)).toBe(true);
      expect(await fx.store.listSteps("wf-1")).toEqual([step]);
    });

    it("keeps the first checkpoint and returns false when a second write targets the same position", async () => {
      const first = stepAt("wf-1", 0, { output: '"first"' });
      expect(await fx.store.recordStep(first)).toBe(true);
      expect(
        await fx.store.recordStep(stepAt("wf-1", 0, { name: "other", output: '"second"' })),
      ).toBe(false);
      expect(await fx.store.listSteps("wf-1")).toEqual([first]);
    });

    it("lets exactly one of concurrent writes to the same position win", async () => {
      const writes = Array.from({ length: 10 }, (_, i) => stepAt("wf-1", 0, { output: `"${i}"` }));
      const results = await Promise.all(writes.map((s) => fx.store.recordStep(s)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await fx.store.listSteps("wf-1")).toEqual([writes[results.indexOf(true)]]);
    });

    it("returns an empty list for a workflow without checkpoints or an unknown ID", async () => {
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
      expect(await fx.store.listSteps("nope")).toEqual([]);
    });

    it("lists checkpoints ordered by numeric position whatever the write order", async () => {
      for (const position of [10, 2, 0, 9, 1]) await fx.store.recordStep(stepAt("wf-1", position));
      const positions = (await fx.store.listSteps("wf-1")).map((s) => s.position);
      expect(positions).toEqual([0, 1, 2, 9, 10]);
    });

    it("lists only the checkpoints of the given workflow", async () => {
      await fx.store.recordStep(stepAt("wf-1", 0));
      await fx.store.recordStep(stepAt("wf-2", 0, { output: '"other"' }));
      await fx.store.recordStep(stepAt("wf-2", 1));
      expect(await fx.store.listSteps("wf-1")).toEqual([stepAt("wf-1", 0)]);
      expect((await fx.store.listSteps("wf-2")).map((s) => s.output)).toEqual([
        '"other"',
        '"out-1"',
      ]);
    });
  });
}

function describeSerializedValues(fx: Fixture): void {
  describe("serialized values", () => {
    for (const [label, value] of Object.entries(tricky)) {
      it(`keeps a workflow's input, output and error byte-for-byte (${label})`, async () => {
        await fx.store.createWorkflow(newWorkflow("wf-in", { input: value }));
        expect((await fx.store.getWorkflow("wf-in"))?.input).toBe(value);
        await fx.store.createWorkflow(newWorkflow("wf-ok"));
        await fx.store.finishWorkflow(success("wf-ok", value));
        expect((await fx.store.getWorkflow("wf-ok"))?.output).toBe(value);
        await fx.store.createWorkflow(newWorkflow("wf-err"));
        await fx.store.finishWorkflow({
          workflowId: "wf-err",
          executorId: "executor-a",
          status: "ERROR",
          error: value,
        });
        expect((await fx.store.getWorkflow("wf-err"))?.error).toBe(value);
      });

      it(`keeps a checkpoint's output and error byte-for-byte (${label})`, async () => {
        await fx.store.createWorkflow(newWorkflow("wf-1"));
        await fx.store.recordStep(stepAt("wf-1", 0, { output: value }));
        await fx.store.recordStep(stepAt("wf-1", 1, { output: undefined, error: value }));
        const [ok, failed] = await fx.store.listSteps("wf-1");
        expect(ok?.output).toBe(value);
        expect(failed?.error).toBe(value);
        expect(failed?.output).toBeUndefined();
      });
    }
  });
}

function describeFinish(fx: Fixture): void {
  describe("finishWorkflow", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
    });

    it("finishes a PENDING workflow with SUCCESS and its output", async () => {
      expect(await fx.store.finishWorkflow(success("wf-1", '"result"'))).toBe(true);
      const row = await fx.store.getWorkflow("wf-1");
      expect(row).toMatchObject({ status: "SUCCESS", output: '"result"', input: '{"ticket":1}' });
      expect(row?.error).toBeUndefined();
      expect(row?.updatedAt).toBeGreaterThanOrEqual(row?.createdAt ?? Number.NaN);
    });

    it("finishes a PENDING workflow with ERROR and its error", async () => {
      const outcome: WorkflowOutcome = {
        workflowId: "wf-1",
        executorId: "executor-a",
        status: "ERROR",
        error: '"bad"',
      };
      expect(await fx.store.finishWorkflow(outcome)).toBe(true);
      const row = await fx.store.getWorkflow("wf-1");
      expect(row).toMatchObject({ status: "ERROR", error: '"bad"' });
      expect(row?.output).toBeUndefined();
    });

    it("records the executor that finished the workflow", async () => {
      await fx.store.finishWorkflow({ ...success("wf-1"), executorId: "executor-b" });
      expect((await fx.store.getWorkflow("wf-1"))?.executorId).toBe("executor-b");
    });

    it("returns false and keeps the first outcome when the workflow is already finished", async () => {
      await fx.store.finishWorkflow(success("wf-1", '"first"'));
      const before = await fx.store.getWorkflow("wf-1");
      const again = {
        workflowId: "wf-1",
        executorId: "executor-b",
        status: "ERROR",
        error: '"late"',
      } as const;
      expect(await fx.store.finishWorkflow(again)).toBe(false);
      expect(await fx.store.finishWorkflow(success("wf-1", '"second"'))).toBe(false);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(before);
    });

    it("lets exactly one of concurrent finishes win", async () => {
      const outcomes = Array.from({ length: 10 }, (_, i) => success("wf-1", `"${i}"`));
      const results = await Promise.all(outcomes.map((o) => fx.store.finishWorkflow(o)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await fx.store.getWorkflow("wf-1"))?.output).toBe(
        outcomes[results.indexOf(true)]?.output,
      );
    });

    it("returns false for an unknown workflow and creates nothing", async () => {
      expect(await fx.store.finishWorkflow(success("nope"))).toBe(false);
      expect(await fx.store.getWorkflow("nope")).toBeUndefined();
    });
  });
}

function describeRecovery(fx: Fixture): void {
  describe("claimRecoverable", () => {
    it("returns empty lists when nothing is pending", async () => {
      expect(await fx.store.claimRecoverable(claimFor())).toEqual({
        recovered: [],
        deadLettered: [],
        unknown: [],
      });
    });

    it("claims only this executor's PENDING workflows and increments recoveryAttempts", async () => {
      await fx.store.createWorkflow(newWorkflow("mine-1"));
      await fx.store.createWorkflow(newWorkflow("mine-2"));
      await fx.store.createWorkflow(newWorkflow("theirs", { executorId: "executor-b" }));
      const result = await fx.store.claimRecoverable(claimFor());
      expect(ids(result.recovered)).toEqual(["mine-1", "mine-2"]);
      for (const row of result.recovered)
        expect(row).toMatchObject({ status: "PENDING", recoveryAttempts: 1 });
      expect(result.deadLettered).toEqual([]);
      expect((await fx.store.getWorkflow("mine-1"))?.recoveryAttempts).toBe(1);
      expect((await fx.store.getWorkflow("theirs"))?.recoveryAttempts).toBe(0);
    });

    it("reports PENDING workflows with unregistered names as unknown and leaves them untouched", async () => {
      await fx.store.createWorkflow(newWorkflow("known"));
      const { workflow: before } = await fx.store.createWorkflow(
        newWorkflow("stranger", { name: "legacy" }),
      );
      const result = await fx.store.claimRecoverable(claimFor());
      expect(result.unknown).toEqual([{ workflowId: "stranger", name: "legacy" }]);
      expect(ids(result.recovered)).toEqual(["known"]);
      expect(await fx.store.getWorkflow("stranger")).toEqual(before);
    });

    it("does not touch finished workflows", async () => {
      await fx.store.createWorkflow(newWorkflow("ok"));
      await fx.store.finishWorkflow(success("ok"));
      await fx.store.createWorkflow(newWorkflow("failed", { name: "legacy" }));
      await fx.store.finishWorkflow({
        workflowId: "failed",
        executorId: "executor-a",
        status: "ERROR",
        error: "1",
      });
      const before = [await fx.store.getWorkflow("ok"), await fx.store.getWorkflow("failed")];
      expect(await fx.store.claimRecoverable(claimFor())).toEqual({
        recovered: [],
        deadLettered: [],
        unknown: [],
      });
      expect([await fx.store.getWorkflow("ok"), await fx.store.getWorkflow("failed")]).toEqual(
        before,
      );
    });

    it("increments recoveryAttempts on every claim without new checkpoints", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.recordStep(stepAt("wf-1", 0));
      const attempts: number[] = [];
      for (let i = 0; i < 3; i++) {
        attempts.push(
          (await fx.store.claimRecoverable(claimFor())).recovered[0]?.recoveryAttempts ?? -1,
        );
      }
      expect(attempts).toEqual([1, 2, 3]);
    });

    it("resets recoveryAttempts to 1 when checkpoints were recorded since the previous claim", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.claimRecoverable(claimFor());
      await fx.store.claimRecoverable(claimFor());
      await fx.store.recordStep(stepAt("wf-1", 0));
      const afterProgress = await fx.store.claimRecoverable(claimFor());
      expect(afterProgress.recovered[0]?.recoveryAttempts).toBe(1);
      const noProgress = await fx.store.claimRecoverable(claimFor());
      expect(noProgress.recovered[0]?.recoveryAttempts).toBe(2);
    });

    it("dead-letters a workflow whose attempts exceed its name's limit, and never claims it again", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const claim = claimFor({ maxRecoveryAttempts: { checkout: 2 } });
      expect((await fx.store.claimRecoverable(claim)).recovered).toHaveLength(1);
      expect((await fx.store.claimRecoverable(claim)).recovered).toHaveLength(1);
      const third = await fx.store.claimRecoverable(claim);
      expect(third.recovered).toEqual([]);
      expect(third.deadLettered).toHaveLength(1);
      expect(third.deadLettered[0]).toMatchObject({
        workflowId: "wf-1",
        status: "DEAD_LETTER",
        recoveryAttempts: 3,
      });
      expect(third.deadLettered[0]?.error).toBeUndefined();
      expect(await fx.store.getWorkflow("wf-1")).toEqual(third.deadLettered[0]);
      expect(await fx.store.claimRecoverable(claim)).toEqual({
        recovered: [],
        deadLettered: [],
        unknown: [],
      });
      expect(await fx.store.finishWorkflow(success("wf-1"))).toBe(false);
    });

    it("applies each name's own limit and leaves names without a limit unlimited", async () => {
      await fx.store.createWorkflow(newWorkflow("strict", { name: "strict" }));
      await fx.store.createWorkflow(newWorkflow("lenient", { name: "lenient" }));
      await fx.store.createWorkflow(newWorkflow("unlimited", { name: "unlimited" }));
      const claim = claimFor({
        names: ["strict", "lenient", "unlimited"],
        maxRecoveryAttempts: { strict: 0, lenient: 5 },
      });
      const first = await fx.store.claimRecoverable(claim);
      expect(ids(first.deadLettered)).toEqual(["strict"]);
      expect(ids(first.recovered)).toEqual(["lenient", "unlimited"]);
      for (let i = 0; i < 5; i++) await fx.store.claimRecoverable(claim);
      const seventh = await fx.store.claimRecoverable(claim);
      expect(ids(seventh.recovered)).toEqual(["unlimited"]);
      expect(seventh.recovered[0]?.recoveryAttempts).toBe(7);
    });
  });
}

function describeConcurrencyAndClose(fx: Fixture): void {
  describe("concurrency and close", () => {
    it("lands every one of 200 concurrent checkpoints over 20 workflows", async () => {
      const workflowIds = Array.from({ length: 20 }, (_, i) => `wf-${i}`);
      await Promise.all(workflowIds.map((id) => fx.store.createWorkflow(newWorkflow(id))));
      const steps = workflowIds.flatMap((id) =>
        Array.from({ length: 10 }, (_, p) => stepAt(id, p)),
      );
      const results = await Promise.all(steps.map((s) => fx.store.recordStep(s)));
      expect(results.every(Boolean)).toBe(true);
      for (const id of workflowIds) {
        expect(await fx.store.listSteps(id)).toEqual(steps.filter((s) => s.workflowId === id));
      }
    });

    it("rejects every call after close() with a rejected promise", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.close();
      fx.closed = true;
      const calls: (() => Promise<unknown>)[] = [
        () => fx.store.migrate(),
        () => fx.store.createWorkflow(newWorkflow("wf-2")),
        () => fx.store.getWorkflow("wf-1"),
        () => fx.store.listSteps("wf-1"),
        () => fx.store.recordStep(stepAt("wf-1", 0)),
        () => fx.store.finishWorkflow(success("wf-1")),
        () => fx.store.claimRecoverable(claimFor()),
      ];
      for (const call of calls) {
        // Calling must not throw synchronously: callers chain .catch() on the returned promise.
        let returned: Promise<unknown> | undefined;
        expect(() => (returned = call())).not.toThrow();
        await expect(returned).rejects.toThrow();
      }
    });
  });
}
