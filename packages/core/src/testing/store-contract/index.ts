/**
 * The store contract suite: one set of vitest tests that every `WorkflowStore` must pass, run
 * against the in-memory store, Postgres and PGlite alike (and any third-party store). Each test
 * gets a fresh, migrated store from the factory and closes it afterwards. It checks semantics
 * visible through the interface only; cost (statements per call) and durability across processes
 * are each store's own tests. One folder per role of the interface (`running/`, `messaging/`,
 * `ownership/`, `control/`, `lifecycle/`, `suspension/`), as in `store/`. Imports vitest: use it from a test.
 */
import { afterEach, beforeEach, describe } from "vitest";
import type { WorkflowStore } from "../../store/workflow-store.js";
import { describeAttributes } from "./control/attributes.js";
import { describeBulkControl } from "./control/bulk.js";
import { describeClose } from "./lifecycle/close.js";
import { describeControl } from "./control/control.js";
import { describeCreateMany } from "./running/create-many.js";
import { describeDelete } from "./control/delete.js";
import { describeForkCopies } from "./control/fork-copies.js";
import { describeEvents } from "./messaging/events.js";
import { describeExecutorNames } from "./ownership/executor-names.js";
import type { Fixture, StoreContractFactory } from "./fixtures.js";
import { describeListing } from "./running/listing.js";
import { describeListingFilters } from "./running/listing-filters.js";
import { describeListingPages } from "./running/listing-pages.js";
import { describeMessages } from "./messaging/messages.js";
import { describeNotifications } from "./messaging/notifications.js";
import { describeOwnership } from "./ownership/fencing.js";
import { describeRecovery } from "./ownership/recovery.js";
import { describeRetention } from "./lifecycle/retention.js";
import { describeRunTimes } from "./running/run-times.js";
import { describeStepAttempts } from "./running/step-attempts.js";
import { describeSteps } from "./running/steps.js";
import { describeStreams } from "./messaging/streams.js";
import { describeSuspensionArrivals } from "./suspension/arrivals.js";
import { describeSuspension } from "./suspension/suspension.js";
import { describeTakeover } from "./ownership/takeover.js";
import { describeWorkflows } from "./running/workflows.js";

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

    // running
    describeWorkflows(fx);
    describeCreateMany(fx);
    describeSteps(fx);
    describeStepAttempts(fx);
    describeListing(fx);
    describeListingFilters(fx);
    describeListingPages(fx);
    describeRunTimes(fx);
    // messaging
    describeMessages(fx);
    describeEvents(fx);
    describeStreams(fx);
    describeNotifications(fx);
    // ownership
    describeRecovery(fx);
    describeOwnership(fx);
    describeTakeover(fx);
    describeExecutorNames(fx);
    // control
    describeControl(fx);
    describeBulkControl(fx);
    describeDelete(fx);
    describeForkCopies(fx);
    describeAttributes(fx);
    // lifecycle
    describeRetention(fx);
    describeClose(fx);
    // suspension
    describeSuspension(fx);
    describeSuspensionArrivals(fx);
  });
}
