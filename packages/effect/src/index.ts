/**
 * `@cairn/effect`: durable workflows for Effect programs. Steps and workflow bodies are Effects,
 * the engine is a service from a `Layer`, typed failures survive a crash as the same tagged
 * values. This barrel is the public API: a change here is an API change.
 */
export { step, type Step, type StepOptions } from "./native/step.js";
export {
  workflow,
  type EffectWorkflow,
  type EffectWorkflowDefinition,
  type AnyEffectWorkflow,
  type WorkflowOptions,
  type InputOf,
  type SuccessOf,
  type ErrorOf,
  type RequirementsOf,
} from "./native/workflow.js";
export {
  CairnEngine,
  type CairnEngineService,
  type CairnEngineOptions,
  type EffectWorkflowHandle,
} from "./native/engine.js";
export { CurrentWorkflow } from "./native/current-workflow.js";
export {
  sleep,
  now,
  random,
  uuid,
  workflowId,
  recv,
  send,
  setEvent,
  getEvent,
  type WaitOptions,
} from "./native/durable.js";
export { WorkflowCancelled } from "./native/errors.js";
export { EffectFailure, type EncodedReason, type ValueSchema } from "./native/codec.js";
export {
  layerWorkflowEngine,
  type CairnWorkflowEngineOptions,
} from "./workflow-engine/cairn-workflow-engine.js";
