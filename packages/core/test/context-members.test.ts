/**
 * The object a workflow body receives is a context and nothing more: exactly the members of
 * `WorkflowContext`, no store, no engine, no run internals reachable through it (only the
 * durable calls `step()` and `workflow()` find under their private symbol).
 */
import { describe, expect, it } from "vitest";
import { createEngine, step, workflow, type WorkflowContext } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";

const MEMBERS = [
  "workflowId",
  "workflowName",
  "log",
  "sleep",
  "now",
  "random",
  "uuid",
  "start",
  "enqueue",
  "send",
  "recv",
  "setEvent",
  "getEvent",
  "writeStream",
  "closeStream",
  "race",
  "patched",
  "deprecatePatch",
] as const satisfies readonly (keyof WorkflowContext)[];

// Fails to compile when WorkflowContext gains a member this list does not name.
type Unlisted = Exclude<keyof WorkflowContext, (typeof MEMBERS)[number]>;
const everyMemberListed: [Unlisted] extends [never] ? true : Unlisted = true;

/** Every object reachable from `root` through own properties (string and symbol keys). */
function reachable(root: object, depth: number): { objects: Set<unknown>; keys: Set<PropertyKey> } {
  const objects = new Set<unknown>([root]);
  const keys = new Set<PropertyKey>();
  let layer: object[] = [root];
  for (let d = 0; d < depth; d++) {
    const next: object[] = [];
    for (const object of layer) {
      for (const key of Reflect.ownKeys(object)) {
        keys.add(key);
        const value: unknown = Reflect.get(object, key);
        if ((typeof value === "object" || typeof value === "function") && value !== null) {
          if (!objects.has(value)) next.push(value);
          objects.add(value);
        }
      }
    }
    layer = next;
  }
  return { objects, keys };
}

describe("the context a workflow body receives", () => {
  it("has exactly WorkflowContext's members and reaches no store", async () => {
    expect(everyMemberListed).toBe(true);
    const store = createMemoryStore();
    let seen: WorkflowContext | undefined;
    const noop = step("noop", () => 1);
    const capture = workflow("capture", async (ctx) => {
      seen = ctx;
      return noop(ctx); // the durable calls behind the context still work
    });
    const engine = createEngine({ store, workflows: [capture], pollIntervalMs: 60_000 });
    await engine.launch();
    await expect(engine.run(capture, undefined)).resolves.toBe(1);
    await engine.shutdown();

    const ctx = seen as WorkflowContext;
    expect(Object.getPrototypeOf(ctx)).toBe(Object.prototype);
    const stringKeys = Reflect.ownKeys(ctx).filter((key) => typeof key === "string");
    expect(stringKeys.sort()).toEqual([...MEMBERS].sort());
    expect(Object.keys(ctx).sort()).toEqual([...MEMBERS].sort());
    // One symbol: where step() and workflow() find the run's durable calls, and only those.
    const symbols = Object.getOwnPropertySymbols(ctx);
    expect(symbols).toHaveLength(1);
    const calls = Reflect.get(ctx, symbols[0] as symbol) as object;
    expect(Object.keys(calls).sort()).toEqual(["runChild", "runOperation", "runStep"]);

    const { objects, keys } = reachable(ctx, 4);
    expect(objects.has(store)).toBe(false);
    for (const internal of ["store", "host", "fence", "fatal", "journal", "history"]) {
      expect(keys.has(internal)).toBe(false);
    }
  });
});
