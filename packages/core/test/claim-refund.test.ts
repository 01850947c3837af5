/**
 * A claim counts a recovery attempt for each workflow it hands over, before the run starts (so
 * a process that dies in the run is counted). When a shutdown overtakes the claim, the engine
 * leaves those workflows PENDING unrun, and must give that attempt back: otherwise a process
 * shut down during every launch dead-letters workflows that never ran. One test per claim: the
 * launch's counted claim, a recovered page that waited for room, and a takeover.
 */
import { describe, expect, it } from "vitest";
import {
  UNASSIGNED_EXECUTOR,
  createEngine,
  workflow,
  type LaunchClaim,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

let bodies = 0;
const left = workflow("left", async (_ctx, release?: boolean) => {
  bodies++;
  if (release === true) await firstRun.wait;
  return "ran";
});
let firstRun = gate();

/**
 * A memory store whose claims matching `holds` wait for `held` once entered; `entered` opens
 * then. The shutdown closes this store, not the underlying one the test reads afterwards.
 */
function holdingClaims(holds: { recovery?: (c: LaunchClaim) => boolean; takeOver?: boolean }) {
  const store = createMemoryStore();
  const held = gate();
  const entered = gate();
  const hold = async () => {
    entered.open();
    await held.wait;
  };
  const watched: WorkflowStore = {
    ...store,
    exclusive: false,
    async claimRecoverable(claim) {
      if (holds.recovery?.(claim) === true) await hold();
      return store.claimRecoverable(claim);
    },
    async takeOver(claim) {
      if (holds.takeOver === true) await hold();
      return store.takeOver(claim);
    },
    close: () => Promise.resolve(),
  };
  return { store: watched, underlying: store, held, entered };
}

/** PENDING for `executorId`, as a process that died mid-run (or a client) left it. */
async function pending(store: WorkflowStore, workflowId: string, executorId = "e1", input = "-1") {
  await store.createWorkflow({ workflowId, name: "left", input, executorId });
}

const engineOn = (store: WorkflowStore, runCapacity?: number) =>
  createEngine({
    store,
    workflows: [left],
    executorId: "e1",
    logger: recordingLogger(),
    ...(runCapacity === undefined ? {} : { runCapacity }),
  });

describe("a claim overtaken by a shutdown", () => {
  it("gives back the attempt the launch's claim counted for what it leaves unrun", async () => {
    bodies = 0;
    const counted = (c: LaunchClaim) => c.countAttempts !== false;
    const { store, underlying, held, entered } = holdingClaims({ recovery: counted });
    await pending(store, "left-1");
    const engine = engineOn(store);
    const launching = engine.launch().catch((error: unknown) => error);
    await entered.wait; // the launch's counted claim is under way
    const shutting = engine.shutdown();
    held.open();
    await Promise.all([launching, shutting]);
    expect(bodies).toBe(0);
    expect(await underlying.getWorkflow("left-1")).toMatchObject({
      status: "PENDING",
      recoveryAttempts: 0, // the next launch counts its first attempt, not its second
    });
  });

  it("gives back the attempt counted for a recovered page that waited for room", async () => {
    bodies = 0;
    firstRun = gate();
    const waiting = (c: LaunchClaim) => c.workflowIds?.includes("left-2") === true;
    const { store, underlying, held, entered } = holdingClaims({ recovery: waiting });
    await pending(store, "left-1", "e1", "[true]"); // runs first and holds the only room
    await pending(store, "left-2");
    const engine = engineOn(store, 1);
    await engine.launch();
    firstRun.open(); // its end frees the room: left-2's page is claimed
    await entered.wait;
    const shutting = engine.shutdown();
    held.open();
    await shutting;
    expect(bodies).toBe(1);
    expect(await underlying.getWorkflow("left-2")).toMatchObject({
      status: "PENDING",
      recoveryAttempts: 0,
    });
  });

  it("gives back the attempt a takeover counted for what it leaves unrun", async () => {
    bodies = 0;
    const { store, underlying, held, entered } = holdingClaims({ takeOver: true });
    const engine = engineOn(store);
    await engine.launch();
    await pending(store, "u-1", UNASSIGNED_EXECUTOR); // announced: the engine takes it over
    await entered.wait;
    const shutting = engine.shutdown();
    held.open();
    await shutting;
    expect(bodies).toBe(0);
    expect(await underlying.getWorkflow("u-1")).toMatchObject({
      status: "PENDING",
      executorId: "e1",
      recoveryAttempts: 0,
    });
  });

  it("gives the attempt back before the executor is marked stopped and others take over", async () => {
    bodies = 0;
    const store = createMemoryStore();
    const held = gate();
    const entered = gate();
    const claimed = gate();
    const takenOver = gate();
    let stopping = false;
    const watched: WorkflowStore = {
      ...store,
      exclusive: false,
      async takeOver(claim) {
        entered.open();
        await held.wait;
        const result = await store.takeOver(claim);
        claimed.open();
        return result;
      },
      async subscribe(listener) {
        const unsubscribe = await store.subscribe!(listener);
        // Called by the shutdown beside its stop of the executor: the held claim commits now.
        return async () => {
          held.open();
          await unsubscribe();
        };
      },
      async stopExecutor(executorId) {
        stopping = true;
        await claimed.wait;
        await store.stopExecutor(executorId);
        // Another engine's takeover, as soon as e1 is stopped.
        const other = { executorId: "e2", names: ["left"], maxRecoveryAttempts: {} };
        await store.takeOver({ ...other, limit: 10, ignoreLeases: false });
        takenOver.open();
      },
      async refundRecoveryAttempts(executorId, workflows) {
        if (stopping) await takenOver.wait; // a refund after the stop comes after that takeover
        return store.refundRecoveryAttempts!(executorId, workflows);
      },
      close: () => Promise.resolve(),
    };
    const engine = engineOn(watched);
    await engine.launch();
    await pending(store, "u-1", UNASSIGNED_EXECUTOR); // announced: the engine takes it over
    await entered.wait;
    await engine.shutdown();
    expect(bodies).toBe(0);
    expect(await store.getWorkflow("u-1")).toMatchObject({
      status: "PENDING",
      executorId: "e2",
      recoveryAttempts: 1, // e2's claim only: e1's was given back before e2 could claim
    });
  });
});
