/**
 * The two rules every store of this package applies to its calls: a closed store rejects (with a
 * `StoreClosedError` naming the method, never a driver error), and a statement that lost a race
 * to a row committed after its snapshot is tried again, a bounded number of times.
 */
import { StoreClosedError } from "./errors.js";

/** Tries of a statement that can lose a race to a row committed after its snapshot. */
const RACE_TRIES = 5;

/** Runs `fn` unless `isClosed()`, in which case the returned promise rejects. */
export function whileOpen(
  isClosed: () => boolean,
  prefix = "",
): <T>(method: string, fn: () => Promise<T>) => Promise<T> {
  return (method, fn) =>
    isClosed() ? Promise.reject(new StoreClosedError(`${prefix}${method}`)) : fn();
}

/** Runs `attempt` until it answers; `undefined` means a row committed after its snapshot. */
export async function untilSeen<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  for (let i = 0; i < RACE_TRIES; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw new Error(`${what}: concurrent writes kept hiding the row; try again`);
}
