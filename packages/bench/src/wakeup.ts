/**
 * Scenario (e): how long a message takes from `client.send` to the `ctx.recv` that waits for it.
 * A workflow loops on `recv("ping")` in its own engine; a client on its own connection sends one
 * ping at a time, each only once the recv has looked, found nothing and parked (so every sample
 * is a real wake-up, not a message already waiting), and the workflow body notes when its recv
 * returned. Both run with the default polling fallback (1,000 ms): a wake-up well under that
 * came from a notification (LISTEN/NOTIFY on Postgres, in process on PGlite and memory).
 */
import { createClient, createEngine, workflow, type WorkflowStore } from "@cairn/core";
import { distribution } from "./stats.js";

/** Opens another store on the bench's database (its own connection, its own listener). */
export type StoreOpener = () => WorkflowStore;

/** Timestamps (performance.now()) the scenario and the workflow body share. */
interface Probe {
  parked: (() => void) | undefined;
  received: ((at: number) => void) | undefined;
}

/** Resolves with the time of the probe's next `key` call. */
const nextCall = (probe: Probe, key: "parked" | "received") =>
  new Promise<number>((resolve) => {
    probe[key] = (at: number = performance.now()) => {
      probe[key] = undefined;
      resolve(at);
    };
  });

/** `store`, telling the probe each time a recv found no message and is about to wait. */
function parking(store: WorkflowStore, probe: Probe): WorkflowStore {
  return {
    ...store,
    async consumeMessage(topic, step) {
      const consumed = await store.consumeMessage(topic, step);
      // After this turn: the recv registers its waiter in the microtasks that follow.
      if (!consumed) setImmediate(() => probe.parked?.());
      return consumed;
    },
  };
}

export async function runWakeup(open: StoreOpener, samples: number, warmup: number) {
  const probe: Probe = { parked: undefined, received: undefined };
  const echo = workflow("bench.wakeup", async (ctx, count: number) => {
    for (let i = 0; i < count; i++) {
      await ctx.recv("ping");
      probe.received?.(performance.now());
    }
  });
  const engine = createEngine({
    store: parking(open(), probe),
    workflows: [echo],
    executorId: "bench-wakeup",
  });
  const client = createClient({ store: open() });
  try {
    await engine.launch();
    const sendToRecv: number[] = [];
    const commitToRecv: number[] = [];
    let parked = nextCall(probe, "parked");
    const handle = await engine.start(echo, warmup + samples);
    for (let i = 0; i < warmup + samples; i++) {
      await parked;
      const received = nextCall(probe, "received");
      parked = nextCall(probe, "parked");
      const sending = performance.now();
      await client.send(handle.workflowId, "ping", i);
      const committed = performance.now();
      const at = await received;
      if (i < warmup) continue;
      sendToRecv.push(at - sending);
      commitToRecv.push(at - committed);
    }
    await handle.result();
    return {
      shape:
        `${samples} pings from a client on its own connection to a workflow parked in recv, ` +
        `one at a time, after ${warmup} warm-up pings; polling fallback at the default 1,000 ms`,
      sendToRecvMs: distribution(sendToRecv),
      commitToRecvMs: distribution(commitToRecv),
    };
  } finally {
    await client.close();
    await engine.shutdown();
  }
}
