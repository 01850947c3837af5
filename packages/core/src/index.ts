/**
 * `@cairn/core`: durable workflows for TypeScript. Wrap async functions with `workflow()` and
 * `step()`, run them with `createEngine()`, and they resume from their last checkpoint after a
 * crash. This barrel is the public API: a change here is an API change.
 */
export {
  workflow,
  type Workflow,
  type WorkflowOptions,
  type AnyWorkflow,
  type WorkflowInput,
  type WorkflowOutput,
  type WorkflowDefinition,
  type WorkflowChannels,
} from "./workflow.js";
export {
  step,
  type Step,
  type StepOptions,
  type StepContext,
  type StepDefinition,
} from "./step.js";
export {
  runDurableOperation,
  type DurableOperationScope,
  type DurableOperationOutcome,
  type DurableOperationPerform,
} from "./durable-operation.js";
export {
  pipeline,
  type Pipeline,
  type PipelineOptions,
  type PipelineStage,
  type PipelineStageMismatch,
} from "./pipeline.js";
export type {
  WorkflowContext,
  AnyWorkflowContext,
  ChildOptions,
  ChildEnqueueOptions,
  EnqueueTarget,
  ChildWorkflow,
  WaitOptions,
  RaceBranch,
  RaceResult,
  ResultSource,
} from "./context.js";
export type { ChannelSchemas, ChannelName, ChannelInput, ChannelOutput } from "./channels.js";
export type {
  StandardSchema,
  AnySchema,
  SchemaInput,
  SchemaOutput,
  SchemaResult,
  SchemaIssue,
} from "./schema.js";
export { createEngine, type Engine, type HandleOf } from "./engine.js";
export type { EngineOptions, StartOptions, ForkOptions } from "./engine-options.js";
export type { LaunchReport } from "./execution/recovery.js";
export type {
  CancelManyResult,
  ResumeManyResult,
  SkippedWorkflow,
  WorkflowOperations,
  StartManyItem,
  StartManyItemOptions,
  StartManyOptions,
} from "./workflow-operations.js";
export type { WaitForOptions } from "./execution/wait-handles.js";
export type { DeleteWorkflowsOptions } from "./execution/delete-workflows.js";
export type { RetentionOptions } from "./execution/background.js";
export type {
  EnginePlugin,
  EnginePluginHost,
  PluginRunOptions,
  RunFinisher,
  ChildEnqueueWrite,
  QueuedChild,
} from "./plugin.js";
export type {
  EngineObserver,
  LifecycleEvent,
  RunInfo,
  RunCause,
  RunEnd,
  AttemptInfo,
  AttemptEnd,
  TraceCarrier,
} from "./observer.js";
export {
  createClient,
  type Client,
  type ClientOptions,
  type ClientStartOptions,
  type ClientStartManyItemOptions,
  type ClientStartManyOptions,
} from "./client.js";
export type {
  WorkflowHandle,
  WorkflowStatusInfo,
  SendOptions,
  ReadStreamOptions,
} from "./handle.js";
export type { ListWorkflowsFilter, WorkflowInfo, StepInfo } from "./inspection.js";
export type { RetryOptions } from "./execution/retry-policy.js";
export type { Duration } from "./duration.js";
export { systemClock, type Clock } from "./clock.js";
export { consoleLogger, type Logger, type LogFields, type LogLevel } from "./logger.js";
export {
  serialize,
  deserialize,
  serializeError,
  createSerializer,
  defaultSerializer,
} from "./serialization.js";
export type { CustomType, SerializationOptions, Serializer, ValueCodec } from "./serialization.js";
export { assertWorkflowId, MAX_WORKFLOW_ID_LENGTH } from "./workflow-id.js";
export {
  assertAttributes,
  MAX_ATTRIBUTES_BYTES,
  type JsonValue,
  type WorkflowAttributes,
} from "./attributes.js";
export {
  CairnError,
  ValidationError,
  SerializationError,
  DeserializationError,
  NonDeterminismError,
  WorkflowConflictError,
  WorkflowNotFoundError,
  WorkflowNotRegisteredError,
  WorkflowDeadLetteredError,
  WorkflowCancelledError,
  WorkflowInterruptedError,
  WorkflowOwnershipLostError,
  StoreUnavailableError,
  NotInWorkflowError,
  ContextEndedError,
  EngineNotLaunchedError,
  EngineClosedError,
  StepTimeoutError,
  ResultTimeoutError,
  InvalidOptionError,
  StartItemsInvalidError,
  NonRetryableError,
  type InvalidStartItem,
  type CairnErrorCode,
  type AnyCairnErrorCode,
  isCairnErrorCode,
} from "./errors.js";
export type { WorkflowStore } from "./store/workflow-store.js";
export type {
  SerializedValue,
  WorkflowStatus,
  WorkflowRecord,
  StepRecord,
  StepAttempt,
  Fence,
  CallerTransaction,
} from "./store/records.js";
export type {
  RunningStore,
  NewWorkflow,
  CreateWorkflowResult,
  WorkflowOutcome,
  WorkflowFilter,
  WorkflowCursor,
  ListedWorkflow,
} from "./store/running-store.js";
export type {
  MessagingStore,
  NewMessage,
  SendResult,
  EventWrite,
  StreamWrite,
  StreamEntry,
  StoreNotification,
} from "./store/messaging-store.js";
export type {
  OwnershipStore,
  ExecutorRecord,
  ExecutorFilter,
  LaunchClaim,
  RecoveryClaim,
  TakeoverClaim,
  RecoveryResult,
} from "./store/ownership-store.js";
export type { CancelScope, ControlStore, ForkQueue, ForkRequest } from "./store/control-store.js";
export type { LifecycleStore } from "./store/lifecycle-store.js";
export type { SuspensionStore, DueClaim, DueWorkflows, WakeOn } from "./store/suspension-store.js";
export { wakeKeyOf } from "./store/suspension-store.js";
export { UNASSIGNED_EXECUTOR, QUEUED_EXECUTOR } from "./store/executor-ids.js";
