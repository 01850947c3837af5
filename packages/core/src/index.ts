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
} from "./workflow.js";
export {
  step,
  type Step,
  type StepOptions,
  type StepContext,
  type StepDefinition,
} from "./step.js";
export {
  pipeline,
  type Pipeline,
  type PipelineOptions,
  type PipelineStage,
  type PipelineStageMismatch,
} from "./pipeline.js";
export type { WorkflowContext, ChildOptions } from "./context.js";
export {
  createEngine,
  type Engine,
  type EngineOptions,
  type StartOptions,
  type LaunchReport,
} from "./engine.js";
export type { WorkflowHandle, WorkflowStatusInfo } from "./handle.js";
export type { RetryOptions } from "./execution/retry-policy.js";
export type { Duration } from "./duration.js";
export { consoleLogger, type Logger, type LogFields } from "./logger.js";
export { serialize, deserialize } from "./serialization.js";
export {
  CairnError,
  ValidationError,
  SerializationError,
  NonDeterminismError,
  WorkflowConflictError,
  WorkflowNotFoundError,
  WorkflowNotRegisteredError,
  WorkflowDeadLetteredError,
  WorkflowCancelledError,
  WorkflowInterruptedError,
  NotInWorkflowError,
  EngineNotLaunchedError,
  EngineClosedError,
  StepTimeoutError,
  InvalidOptionError,
  NonRetryableError,
  type CairnErrorCode,
} from "./errors.js";
export type {
  WorkflowStore,
  WorkflowRecord,
  WorkflowStatus,
  NewWorkflow,
  CreateWorkflowResult,
  StepRecord,
  WorkflowOutcome,
  RecoveryClaim,
  RecoveryResult,
  SerializedValue,
  NewMessage,
  SendResult,
  StreamEntry,
  WorkflowFilter,
  StoreNotification,
} from "./store/workflow-store.js";
