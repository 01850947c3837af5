/**
 * The store contract suite: one set of vitest tests that every `WorkflowStore` must pass, run
 * against the in-memory store, Postgres and PGlite alike (and any third-party store). Each test
 * gets a fresh, migrated store from the factory and closes it afterwards. It checks semantics
 * visible through the interface only; cost (statements per call) and durability across processes
 * are each store's own tests. One file per area of the interface.
 */
import { afterEach, beforeEach, describe } from "vitest";
import type { WorkflowStore } from "../../store/workflow-store.js";
import { describeClose } from "./close.js";
import { describeControl } from "./control.js";
import { describeEvents } from "./events.js";
import type { Fixture, StoreContractFactory } from "./fixtures.js";
import { describeListing } from "./listing.js";
import { describeMessages } from "./messages.js";
import { describeNotifications } from "./notifications.js";
import { describeOwnership } from "./ownership.js";
import { describeRecovery } from "./recovery.js";
import { describeRetention } from "./retention.js";
import { describeSteps } from "./steps.js";
import { describeStreams } from "./streams.js";
import { describeTakeover } from "./takeover.js";
import { describeWorkflows } from "./workflows.js";

export type { StoreContractFactory } from "./fixtures.js";

/**
 * Registers the store contract tests under `describe(name)`. Notification tests skip themselves
 * on a store without `subscribe`.
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

    describeWorkflows(fx);
    describeSteps(fx);
    describeRecovery(fx);
    describeMessages(fx);
    describeEvents(fx);
    describeStreams(fx);
    describeControl(fx);
    describeListing(fx);
    describeNotifications(fx);
    describeOwnership(fx);
    describeTakeover(fx);
    describeRetention(fx);
    describeClose(fx);
  });
}
