/**
 * An engine's two transitions. `launch`: migrate the store; then at once heartbeat (alive before
 * claiming anything), listen for notifications (held: nothing heard is delivered before the
 * heartbeat is done) and prepare the plugins (a queue's definitions); then recover this
 * executor's workflows, start the background loops, then the plugins. A launch that fails
 * leaves nothing listening or running (one whose recovery failed keeps its lease while its runs
 * stop); one overtaken by `shutdown()` fails with `EngineClosedError` and starts nothing.
 * `shutdown`: stop the plugins and the runs within one grace period, release the lease and the
 * listener, close the store — bounded even when the database is gone.
 */
import { InvalidOptionError, EngineClosedError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { EnginePlugin, EnginePluginHost } from "../plugin.js";
import { delay } from "./delay.js";
import type { EngineParts } from "./engine-parts.js";
import type { LaunchReport } from "./recovery.js";
import { SHUTDOWN_MARGIN_MS, SHUTDOWN_PHASE_MS, settleWithin } from "./shutdown-bounds.js";

/** `engine.launch()`. */
export async function launchEngine(
  parts: EngineParts,
  pluginHost: EnginePluginHost,
): Promise<LaunchReport> {
  const { state, config, background, wakeups, recovery } = parts;
  if (state.phase !== "created") {
    throw new InvalidOptionError("launch", `the engine is already ${state.phase}`);
  }
  state.phase = "launching";
  let alive = false;
  try {
    await config.store.migrate();
    // A shutdown that began meanwhile may have marked the executor stopped already: a heartbeat
    // now would mark it alive again (one sent from here on, the shutdown waits for).
    stopIfClosing(state);
    await settleAll([
      // alive before claiming anything
      background.heartbeat().then(() => {
        alive = true;
      }),
      wakeups.start({ held: true }), // never rejects: a store that cannot listen polls
      ...config.plugins.map(async (plugin) => plugin.prepare?.()),
    ]);
    stopIfClosing(state);
    wakeups.release(); // what it hears may claim work: only now, once alive
    state.phase = "running";
  } catch (error) {
    await wakeups.stop();
    // Nothing runs here yet: give up the lease the heartbeat took, so that a launch failing
    // again and again (a plugin's prepare, say) does not keep this executor's workflows from
    // the others' takeover. (A shutdown marks it stopped itself.)
    if (alive && !state.closing) await markStopped(parts);
    // Checked after the last await: what failed may be the shutdown's doing (the store closed),
    // and a shutdown that began meanwhile keeps the engine closed.
    stopIfClosing(state);
    state.phase = "created";
    throw error;
  }
  let report: LaunchReport;
  try {
    report = await recovery.recover();
  } catch (error) {
    // The store failed mid-claim (say, a server restart): stop listening, give up the lease as
    // a failure before recovery does, and leave the engine as created, so the caller may launch
    // again. A claim that committed after all is claimed again, at a newer epoch, by the next
    // launch (or by another engine's takeover, now that this executor is stopped).
    // A shutdown that began during recovery may have caused the failure (the store closed); one
    // that began while the runs stopped did not, and the launch fails with `error` (the engine
    // stays closed).
    const overtaken = state.closing;
    await stopStartedRuns(parts);
    if (!state.closing) await markStopped(parts);
    if (overtaken) stopIfClosing(state);
    if (!state.closing) state.phase = "created";
    throw error;
  }
  // Shut down while recovering: the background loops and the plugins, which the shutdown has
  // already stopped (or is stopping), are not started after it.
  stopIfClosing(state);
  wakeups.launched();
  background.start();
  for (const plugin of config.plugins) await plugin.start(pluginHost);
  return report;
}

/**
 * A `shutdown()` called while the launch waited: the launch fails and leaves the engine to the
 * shutdown, which has stopped (or is stopping) what a launch starts and closes the store.
 */
function stopIfClosing(state: EngineParts["state"]): void {
  if (state.closing) throw new EngineClosedError("launch");
}

/**
 * Stops what a failed recovery may have started already: its own runs (on an exclusive store,
 * before its takeover failed) and those a notification started. They stop as a shutdown stops
 * them, and claims under way give back their counts, before the lease is given up: others then
 * take those workflows over at once, and a step still running here would run twice. The lease
 * is renewed meanwhile (the lease loop never started), or others would take them over when it
 * ran out. Bounded as a shutdown's stop is: `shutdownGraceMs`, a second for abandoned runs, half
 * the lease-release phase for claims (one may hang). Not running, the engine starts nothing
 * more meanwhile. A shutdown that begins does the rest itself: the wait ends, and the beats go
 * on until the shutdown's stop of the loops, which waits for them.
 */
async function stopStartedRuns(parts: EngineParts): Promise<void> {
  const { state, config, closing, wakeups, suspensions, runs, recovery, background } = parts;
  if (!state.closing) state.phase = "launching";
  await wakeups.stop();
  if (state.closing) return;
  suspensions.stop();
  const stopped = new AbortController();
  background.keepLeaseUntil(stopped.signal);
  try {
    await untilAborted(runs.stopAll(config.shutdownGraceMs), closing.signal);
    await claimsSettledWithin(recovery, SHUTDOWN_PHASE_MS / 2, closing.signal);
  } finally {
    if (!state.closing) {
      stopped.abort();
      // None may land after the stop that follows: it would mark this executor alive again.
      await background.beatsSettled();
    }
  }
}

/** Waits for `work`, or until `signal` aborts. */
async function untilAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

async function markStopped({ config }: EngineParts): Promise<void> {
  await config.store.stopExecutor(config.executorId).catch((error: unknown) => {
    config.logger.warn("could not mark this executor stopped; others wait for its lease", {
      error,
    });
  });
}

/** Waits for every one of `work` to settle, then throws the first failure (in order), if any. */
async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  for (const result of await Promise.allSettled(work)) {
    if (result.status === "rejected") throw result.reason;
  }
}

/** `engine.shutdown()`. */
export async function shutdownEngine(parts: EngineParts): Promise<void> {
  const { state, config, closing, runs, background, wakeups, suspensions, recovery } = parts;
  const { logger, shutdownGraceMs } = config;
  if (state.closing) return;
  state.phase = "closing";
  closing.abort(new EngineClosedError("shutdown"));
  // Bounded even when the store is unreachable: grace + SHUTDOWN_MARGIN_MS at most. Plugins
  // (a queue draining its runs) and the engine's own runs share one grace period.
  const graceEnd = Date.now() + shutdownGraceMs;
  const stopping = stopPlugins(config.plugins, logger);
  await settleWithin(stopping, shutdownGraceMs, "stopping plugins", logger);
  suspensions.stop();
  await runs.stopAll(Math.max(0, graceEnd - Date.now()));
  // A claim the shutdown overtook gives back what it counted for workflows it leaves unrun,
  // before the executor is marked stopped: after, another engine's takeover may claim them first
  // and make the refund a no-op. Half the phase at most, so that the stop still lands within it.
  const refunded = claimsSettledWithin(recovery, SHUTDOWN_PHASE_MS / 2);
  const released = Promise.all([
    recovery.settled(),
    refunded.then(() => background.stop()),
    wakeups.stop(),
  ]);
  await settleWithin(released, SHUTDOWN_PHASE_MS, "releasing the lease", logger);
  state.phase = "closed";
  const left = graceEnd + SHUTDOWN_MARGIN_MS - Date.now();
  await settleWithin(config.store.close(), left, "closing the store", logger);
}

/** Waits until `recovery` has no claim or refund under way, or `ms` passed, or `until` aborts. */
async function claimsSettledWithin(
  recovery: EngineParts["recovery"],
  ms: number,
  until?: AbortSignal,
): Promise<void> {
  const bound = new AbortController();
  const ends = until ? AbortSignal.any([bound.signal, until]) : bound.signal;
  await Promise.race([recovery.settled(), delay(ms, ends).catch(() => undefined)]);
  bound.abort();
}

async function stopPlugins(plugins: readonly EnginePlugin[], logger: Logger): Promise<void> {
  for (const plugin of plugins) {
    await plugin.stop().catch((error: unknown) => {
      logger.warn(`plugin ${plugin.kind} failed to stop`, { error });
    });
  }
}
