/**
 * The persistence contract between the engine and a checkpoint store, as six roles:
 *
 * - `RunningStore` (running-store.ts): create, checkpoint, finish, read and list workflows.
 * - `MessagingStore` (messaging-store.ts): messages, events, streams, notifications.
 * - `OwnershipStore` (ownership-store.ts): heartbeats, recovery and takeover claims, versions.
 * - `ControlStore` (control-store.ts): cancel, resume, fork.
 * - `LifecycleStore` (lifecycle-store.ts): migrate, retention, exclusivity, close.
 * - `SuspensionStore` (suspension-store.ts): waiting workflows out of memory, and when they are due.
 *
 * Core declares it; `@cairn/pg-store` (Postgres, PGlite) and the in-memory store from
 * `@cairn/core/testing` implement it, and every implementation proves itself with
 * `describeStoreContract` from `@cairn/core/testing/contract`, whose folders mirror these roles.
 * Each method is one atomic transition and, on a SQL store, one round trip. Every write made for
 * a running workflow takes a `Fence` as its last argument (records.ts).
 */
import type { ControlStore } from "./control-store.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import type { MessagingStore } from "./messaging-store.js";
import type { OwnershipStore } from "./ownership-store.js";
import type { RunningStore } from "./running-store.js";
import type { SuspensionStore } from "./suspension-store.js";

/** What the engine needs from persistence: every role. */
export interface WorkflowStore
  extends
    RunningStore,
    MessagingStore,
    OwnershipStore,
    ControlStore,
    LifecycleStore,
    SuspensionStore {}
