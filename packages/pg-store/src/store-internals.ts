/**
 * What modules of this package that build on a store (the queue store of
 * `@cairn/pg-store/queue`) may reach inside it: its driver, its names and whether it is the only
 * process on its database. Kept in a WeakMap keyed by the store object, so nothing of it is on
 * the store's public type and nothing outside this package can get at it; a module-private
 * symbol on the store also carries it, so a wrapper made with `{ ...store }` still leads here.
 */
import type { SqlExecutor } from "./executors/sql-executor.js";
import type { SchemaNames } from "./schema-names.js";

/** A store's insides, for this package's own modules. */
export interface StoreInternals {
  readonly db: SqlExecutor;
  readonly names: SchemaNames;
  /** Only one process can open the database (PGlite): every other executor in it is gone. */
  readonly exclusive: boolean;
  isClosed(): boolean;
}

const registry = new WeakMap<object, StoreInternals>();
const carried = Symbol("@cairn/pg-store internals");

/** Called once by the store's constructor. */
export function registerInternals(store: object, internals: StoreInternals): void {
  registry.set(store, internals);
  Object.defineProperty(store, carried, { value: internals, enumerable: true });
}

/** The insides of a store made by this package (or a spread copy); undefined for others. */
export function internalsOf(store: object): StoreInternals | undefined {
  return registry.get(store) ?? (store as { [carried]?: StoreInternals })[carried];
}
