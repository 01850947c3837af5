/**
 * Where an engine is in its life — created, launching, running, closing, closed — and the checks
 * its operations make against it: most need a launched engine; reading a result only needs one
 * that is not closing.
 */
import { EngineClosedError, EngineNotLaunchedError } from "../errors.js";

type Phase = "created" | "launching" | "running" | "closing" | "closed";

/** An engine's phase. */
export class EngineState {
  phase: Phase = "created";

  get running(): boolean {
    return this.phase === "running";
  }

  get closing(): boolean {
    return this.phase === "closing" || this.phase === "closed";
  }

  /** @throws EngineClosedError after shutdown began; EngineNotLaunchedError before launch. */
  assertRunning(operation: string): void {
    if (this.closing) throw new EngineClosedError(operation);
    if (this.phase !== "running") throw new EngineNotLaunchedError(operation);
  }

  /** @throws EngineClosedError after shutdown began. */
  assertNotClosing(operation: string): void {
    if (this.closing) throw new EngineClosedError(operation);
  }
}
