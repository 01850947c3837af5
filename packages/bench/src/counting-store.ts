/**
 * Wraps a `WorkflowStore` to count the engine's calls per method. Beside the statements on the
 * wire, this tells whether a cost comes from core (which calls) or from the store (how each call
 * becomes SQL).
 */
import type { WorkflowStore } from "@cairn/core";

export type StoreCalls = Record<string, number>;

export interface CountingStore {
  readonly store: WorkflowStore;
  /** Starts a tally; `read()` returns the calls per method since. */
  mark(): { read(): StoreCalls };
}

/** Every method call on the returned store is counted by name, whatever the store's methods. */
export function countingStore(inner: WorkflowStore): CountingStore {
  const calls: StoreCalls = {};
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      return (...args: unknown[]): unknown => {
        calls[property] = (calls[property] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store,
    mark() {
      const start = { ...calls };
      return {
        read: () =>
          Object.fromEntries(
            Object.entries(calls)
              .map(([method, n]): [string, number] => [method, n - (start[method] ?? 0)])
              .filter(([, n]) => n > 0),
          ),
      };
    },
  };
}
