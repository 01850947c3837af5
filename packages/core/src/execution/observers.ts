/**
 * The engine's side of observers: one object that calls every configured `EngineObserver` in
 * order, writes the lifecycle log lines, and keeps observers from changing what workflows do.
 * A wrapper that throws, or never calls through, cannot lose a run or an attempt: the engine
 * runs it anyway and logs the observer's mistake. With no observers, wrapping is a direct call.
 */
import type { Logger } from "../logger.js";
import type {
  AttemptEnd,
  AttemptInfo,
  EngineObserver,
  LifecycleEvent,
  RunEnd,
  RunInfo,
  TraceCarrier,
} from "../observer.js";
import { logEvent } from "./lifecycle-log.js";

/** The observers of one engine (or client). */
export class Observers {
  private readonly list: readonly EngineObserver[];
  private readonly logger: Logger;

  constructor(list: readonly EngineObserver[], logger: Logger) {
    this.list = list;
    this.logger = logger;
  }

  /** The trace context to store with a new workflow; `undefined` when no observer adds any. */
  carrier(parent: RunInfo | undefined): TraceCarrier | undefined {
    if (this.list.length === 0) return undefined;
    const carrier: Record<string, string> = {};
    for (const observer of this.list) {
      try {
        observer.inject?.(carrier, parent);
      } catch (error) {
        this.logger.warn("an observer failed to inject trace context", { error });
      }
    }
    return Object.keys(carrier).length > 0 ? carrier : undefined;
  }

  /** Runs `execute` inside every observer's `aroundRun`; they see its result as `endOf` says. */
  run<T>(info: RunInfo, execute: () => Promise<T>, endOf: (result: T) => RunEnd): Promise<T> {
    if (this.list.length === 0) return direct(execute);
    const wrappers = this.list.flatMap((o) =>
      o.aroundRun ? [(next: () => Promise<RunEnd>) => o.aroundRun?.(info, next) ?? next()] : [],
    );
    return this.around(wrappers, execute, endOf);
  }

  /** Runs `execute` inside every observer's `aroundAttempt`. */
  attempt(info: AttemptInfo, execute: () => Promise<AttemptEnd>): Promise<AttemptEnd> {
    if (this.list.length === 0) return direct(execute);
    const wrappers = this.list.flatMap((o) =>
      o.aroundAttempt
        ? [(next: () => Promise<AttemptEnd>) => o.aroundAttempt?.(info, next) ?? next()]
        : [],
    );
    return this.around(wrappers, execute, (end) => end);
  }

  /** Whether no observer is configured: runs and attempts are then called directly. */
  get none(): boolean {
    return this.list.length === 0;
  }

  /** Logs `event` and hands it to every observer. Never throws. */
  emit(event: LifecycleEvent): void {
    logEvent(this.logger, event);
    for (const observer of this.list) {
      if (!observer.onEvent) continue;
      try {
        observer.onEvent(event);
      } catch (error) {
        this.logger.warn(`an observer failed on event ${event.type}`, { error });
      }
    }
  }

  /**
   * Nests `wrappers` (the first outermost) around `execute`, which runs exactly once whatever
   * the wrappers do; the wrappers see its result through `view`, the caller gets it whole.
   */
  private async around<T, V>(
    wrappers: readonly ((next: () => Promise<V>) => Promise<V>)[],
    execute: () => Promise<T>,
    view: (result: T) => V,
  ): Promise<T> {
    let running: Promise<T> | undefined;
    const once = (): Promise<T> => (running ??= execute());
    if (wrappers.length === 0) return once();
    const innermost = () => once().then(view);
    const outermost = wrappers.reduceRight<() => Promise<V>>(
      (next, wrap) => () => wrap(next),
      innermost,
    );
    try {
      await outermost();
    } catch (error) {
      this.logger.warn("an observer's wrapper failed", { error });
    }
    return once();
  }
}

/**
 * `execute()` with no observer around it: no wrapper list, no extra async frame (a run and each
 * step attempt went through both even with no observers configured). A synchronous throw still
 * comes back as a rejection, as it did through the wrappers.
 */
function direct<T>(execute: () => Promise<T>): Promise<T> {
  try {
    return execute();
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function passes it on
    return Promise.reject(error);
  }
}
