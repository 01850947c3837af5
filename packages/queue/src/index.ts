/**
 * `@cairn/queue`: durable queues and cron schedules for Cairn. Define queues with `defineQueue`
 * and schedules with `schedule`, give the engine a runtime with `createQueues`, and enqueue from
 * any process. This barrel is the public API: a change here is an API change.
 */
export {
  defineQueue,
  QUEUES_PLUGIN,
  type Queue,
  type QueueOptions,
  type EnqueueOptions,
  type EnqueueManyItem,
  type EnqueueManyOptions,
  type DebounceOptions,
  type QueueOperations,
} from "./queue.js";
export { createQueues, type QueuesOptions, type QueueRuntime } from "./create-queues.js";
/** The executor recorded on an enqueued workflow that no executor has claimed yet (from core). */
export { QUEUED_EXECUTOR } from "@cairn/core";
export { schedule, type Schedule, type ScheduleOptions, type ScheduledRun } from "./schedule.js";
export {
  withQueues,
  type QueueClient,
  type QueueClientOperations,
  type ClientEnqueueOptions,
  type ClientEnqueueManyOptions,
  type ClientEnqueueManyItem,
  type ClientDebounceOptions,
} from "./queue-client.js";
export type { QueueControl, NewStart } from "./control/queue-control.js";
export type {
  ScheduleControl,
  StoredScheduleOptions,
  ScheduleChanges,
  ScheduleInfo,
} from "./control/schedule-control.js";
export { parseCron, type CronFields } from "./cron/parse-cron.js";
export { nextTick } from "./cron/next-tick.js";
export type { QueueClock } from "./runtime/clock.js";
export {
  QueueError,
  DuplicateDedupIdError,
  EnqueueItemsInvalidError,
  type InvalidEnqueueItem,
  QueuesNotConfiguredError,
  CronExpressionInvalidError,
  WorkflowNotWaitingError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  type QueueErrorCode,
} from "./errors.js";
export type {
  QueueStore,
  QueueLimits,
  NewQueueItem,
  EnqueueResult,
  DebounceItem,
  DebounceResult,
  ClaimRequest,
  ClaimFinish,
  ClaimFinishResult,
  ClaimResult,
  QueueCounts,
  QueueLimitsPatch,
  QueueDefinitionRecord,
  QueueRecord,
  NewAvailability,
  StoredSchedule,
  NewStoredSchedule,
} from "./queue-store.js";
