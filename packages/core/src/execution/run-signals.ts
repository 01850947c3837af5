/**
 * The stop state of one run — stopped (at its next durable operation), abandoned (running step
 * attempts too), ended (its body settled) — and the abort signals waits and step attempts listen
 * to, each made only when first asked for. Most runs never wait and run no step, and building
 * three controllers, two `AbortSignal.any` and an error with its stack at every run's end was a
 * tenth of the engine's own time in a queue drain (docs/benchmarks.md). A signal made late is
 * already aborted with the reason that came first, as one made at the start would be.
 *
 * A step attempt races its body against the run being abandoned through
 * {@link RunSignals.raceAttempt}, a promise rather than a signal, so an attempt needs no
 * controller. The run's end does not cut an attempt short: nobody awaits a step the body left
 * behind, and its checkpoint is refused once the run ended (the journal). So the
 * `ContextEndedError` is built at the end only when something asked for a signal. With many short
 * workflows in flight the run's controller, its listener and that error with its stack were a
 * fifth of the engine's own CPU (docs/benchmarks.md, "Session 11: the engine's own CPU").
 */

/** The three ways a run stops, in the order they may come. */
type Stop = "stop" | "abandon" | "end";

/** What a step attempt needs of its run's stop state. */
export interface AttemptStop {
  /** Aborts when the run is abandoned or ends; built when first read. */
  readonly attemptSignal: AbortSignal;
  /** Throws once the run is abandoned or ended. */
  throwIfAttemptStopped(): void;
  /** `body`'s outcome, unless the run is abandoned first. */
  raceAttempt<T>(body: Promise<T>): Promise<T>;
  /** {@link raceAttempt} of `run()` called on the next microtask, in one promise. */
  raceBody(run: () => unknown): Promise<unknown>;
}

/** One run's stop state and its lazily built signals. */
export class RunSignals implements AttemptStop {
  private readonly reasons = new Map<Stop, unknown>();
  private readonly makeEndReason: () => unknown;
  private endReason: unknown;
  /** Stop or end: what waits listen to. */
  private wait: AbortController | undefined;
  /** Abandon or end: what step attempts listen to. */
  private attempt: AbortController | undefined;
  /** Stop alone: the backoff of store retries. */
  private soft: AbortController | undefined;
  /**
   * How to reject each attempt racing the run's abandonment now: the first in a field of its
   * own, more (concurrent attempts) in a set made when first needed. Steps run one at a time in
   * most runs, and a set that grows to one entry and empties again reallocates its table.
   */
  private racer: ((reason: unknown) => void) | undefined;
  private racing: Set<(reason: unknown) => void> | undefined;

  /** `makeEndReason` builds the error an ended run's calls get, once, when first needed. */
  constructor(makeEndReason: () => unknown) {
    this.makeEndReason = makeEndReason;
  }

  get stopped(): boolean {
    return this.reasons.has("stop");
  }

  get abandoned(): boolean {
    return this.reasons.has("abandon");
  }

  get ended(): boolean {
    return this.reasons.has("end");
  }

  /** Why the run was stopped, if it was. */
  get stopReason(): unknown {
    return this.reasons.get("stop");
  }

  /** Stops the run at its next durable operation; false if it was already stopped. */
  stop(reason: unknown): boolean {
    if (!this.mark("stop", reason)) return false;
    abort(this.wait, reason);
    abort(this.soft, reason);
    return true;
  }

  /** Abandons running step attempts too. */
  abandon(reason: unknown): void {
    if (!this.mark("abandon", reason)) return;
    abort(this.attempt, reason);
    const first = this.racer;
    this.racer = undefined;
    first?.(reason);
    for (const reject of this.racing ?? []) reject(reason);
    this.racing = undefined;
  }

  /** The body settled: calls made from now on get the end reason. */
  end(): void {
    if (!this.mark("end", undefined)) return;
    if (this.wait === undefined && this.attempt === undefined) return;
    const reason = this.endError();
    abort(this.wait, reason);
    abort(this.attempt, reason);
  }

  /**
   * `body`'s outcome, unless the run is abandoned first: then the abandon reason, and a body that
   * keeps running is not waited for. (Not `Promise.race` against one promise per run: each race
   * would leave a reaction on it for the rest of the run, one per step.)
   */
  raceAttempt<T>(body: Promise<T>): Promise<T> {
    if (this.reasons.size > 0) {
      try {
        this.throwIfAttemptStopped();
      } catch (error) {
        body.catch(() => undefined); // not raced: its rejection is nobody's to handle
        throw error;
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.addRacer(reject);
      body.then(
        (value) => {
          this.removeRacer(reject);
          resolve(value);
        },
        (error: Error) => {
          this.removeRacer(reject);
          reject(error); // the body's own rejection, passed on as it came
        },
      );
    });
  }

  /**
   * What `raceAttempt(Promise.resolve().then(run))` gives, in one promise instead of four: `run`
   * is called on the next microtask (never inside the caller's stack; a throw is a rejection),
   * and a body that returns no thenable (most step bodies) settles the race at once.
   */
  raceBody(run: () => unknown): Promise<unknown> {
    this.throwIfAttemptStopped();
    return new Promise<unknown>((resolve, reject) => {
      this.addRacer(reject);
      const fail = (error: Error): void => {
        this.removeRacer(reject);
        reject(error); // the body's own rejection, passed on as it came
      };
      // Settles with `value`, or follows it when it is a thenable (as promise adoption would).
      const follow = (value: unknown): void => {
        let then: unknown;
        try {
          then = isObject(value) ? (value as { then?: unknown }).then : undefined;
          if (typeof then === "function") {
            return void (then as PromiseLike<unknown>["then"]).call(value, follow, fail);
          }
        } catch (error) {
          return fail(error as Error);
        }
        this.removeRacer(reject);
        resolve(value);
      };
      // A then on a settled promise, not queueMicrotask: Node's makes an AsyncResource per call.
      void SETTLED.then(() => {
        let value: unknown;
        try {
          value = run();
        } catch (error) {
          return fail(error as Error);
        }
        follow(value);
      });
    });
  }

  private addRacer(reject: (reason: unknown) => void): void {
    if (this.racer === undefined) this.racer = reject;
    else (this.racing ??= new Set()).add(reject);
  }

  private removeRacer(reject: (reason: unknown) => void): void {
    if (this.racer === reject) this.racer = undefined;
    else this.racing?.delete(reject);
  }

  /** The error a call on an ended run gets (built once). */
  endError(): unknown {
    this.endReason ??= this.makeEndReason();
    return this.endReason;
  }

  throwIfStopped(): void {
    if (this.stopped) throw this.stopReason;
  }

  throwIfAbandoned(): void {
    if (this.abandoned) throw this.reasons.get("abandon");
  }

  throwIfEnded(): void {
    if (this.ended) throw this.endError();
  }

  /** Throws the reason of the first of abandon and end, if either came: attempts stop there. */
  throwIfAttemptStopped(): void {
    if (this.reasons.size === 0) return; // a running run: no iterator made
    for (const kind of this.reasons.keys()) {
      if (kind === "abandon") this.throwIfAbandoned();
      if (kind === "end") this.throwIfEnded();
    }
  }

  /** Aborts when the run is stopped or its body settled. */
  get waitSignal(): AbortSignal {
    return (this.wait ??= this.controller(["stop", "end"])).signal;
  }

  /** Aborts when the run is abandoned or its body settled. */
  get attemptSignal(): AbortSignal {
    return (this.attempt ??= this.controller(["abandon", "end"])).signal;
  }

  /** Aborts when the run is stopped. */
  get stopSignal(): AbortSignal {
    return (this.soft ??= this.controller(["stop"])).signal;
  }

  /** Records `kind` (first time only); the map keeps the order they came in. */
  private mark(kind: Stop, reason: unknown): boolean {
    if (this.reasons.has(kind)) return false;
    this.reasons.set(kind, reason);
    return true;
  }

  /** A controller for `kinds`, aborted already with the reason of the first that came. */
  private controller(kinds: readonly Stop[]): AbortController {
    const controller = new AbortController();
    for (const [kind, reason] of this.reasons) {
      if (!kinds.includes(kind)) continue;
      controller.abort(kind === "end" ? this.endError() : reason);
      break;
    }
    return controller;
  }
}

/** Where a body's microtask is queued from (its callback never throws: see raceBody). */
const SETTLED = Promise.resolve();

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function abort(controller: AbortController | undefined, reason: unknown): void {
  if (controller && !controller.signal.aborted) controller.abort(reason);
}
