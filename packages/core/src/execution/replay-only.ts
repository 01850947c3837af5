/**
 * Replay-only runs, for `replayHistory` in `@cairn/core/testing`: an engine given this internal
 * option replays each run against its recorded history and stops where the history ends, instead
 * of performing anything new (no step body runs, nothing is written). It is not part of the public
 * `EngineOptions`; the testing kit passes it under a symbol.
 */

/** The option's key on the object passed to `createEngine`. */
export const REPLAY_ONLY = Symbol.for("cairn.replayOnly");

/** What a replay-only engine reports. */
export interface ReplayOnly {
  /** A run reached `position`, where nothing is recorded, calling operation `name`. */
  onHistoryEnd(workflowId: string, position: number, name: string): void;
}

/** The replay-only option of `options`, if any. */
export function replayOnlyOf(options: object): ReplayOnly | undefined {
  return (options as { [REPLAY_ONLY]?: ReplayOnly })[REPLAY_ONLY];
}
