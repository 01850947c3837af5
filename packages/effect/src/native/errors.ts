/**
 * The typed failures `@cairn/effect` adds to a caller's error channel. A workflow's own typed
 * failures pass through unchanged; these describe what happened to the run itself.
 */
import { Data } from "effect";

/** The workflow was cancelled (by `cancel`, a timeout, or an interrupted caller) before it finished. */
export class WorkflowCancelled extends Data.TaggedError("WorkflowCancelled")<{
  readonly workflowId: string;
}> {
  override get message(): string {
    return `Workflow ${this.workflowId} was cancelled`;
  }
}
