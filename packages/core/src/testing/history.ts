/**
 * Replay tests: the check to run before every deploy. `exportHistory` reads a workflow's recorded
 * history (its checkpoints, and its children's) from a store as plain JSON, to keep as a fixture
 * file; `replayHistory` runs the current code against such a fixture on a scratch memory store,
 * replay-only — no step body runs, nothing new is recorded — and fails with the
 * `NonDeterminismError` a running workflow would hit after the deploy: the position, the
 * recorded operation and the one the new code called there.
 */
import { createEngine } from "../engine.js";
import { InvalidOptionError } from "../errors.js";
import { REPLAY_ONLY, type ReplayOnly } from "../execution/replay-only.js";
import type { Logger } from "../logger.js";
import type { SerializedValue, StepRecord, WorkflowStatus } from "../store/records.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { AnyWorkflow } from "../workflow.js";
import { createMemoryStore } from "./memory-store.js";

/** The format tag of {@link WorkflowHistory}; a future incompatible format gets a new one. */
export const HISTORY_FORMAT = "cairn.history/1";

/** One checkpoint, as a history file holds it. */
export interface HistoryStep {
  readonly position: number;
  readonly name: string;
  readonly output?: SerializedValue;
  readonly error?: SerializedValue;
  readonly childWorkflowId?: string;
  readonly attempts: number;
  readonly startedAt: number;
  readonly completedAt: number;
}

/** A workflow's recorded history: plain JSON (`JSON.stringify` it into a fixture file). */
export interface WorkflowHistory {
  readonly format: typeof HISTORY_FORMAT;
  readonly workflowId: string;
  readonly name: string;
  /** The status when it was exported; replay runs it whatever it was. */
  readonly status: WorkflowStatus;
  readonly input: SerializedValue;
  readonly output?: SerializedValue;
  readonly error?: SerializedValue;
  readonly steps: readonly HistoryStep[];
  /** The histories of the child workflows it started. */
  readonly children: readonly WorkflowHistory[];
}

/**
 * Reads the recorded history of workflow `workflowId`, its children's included, from `store`.
 * @throws InvalidOptionError when the store has no such workflow.
 */
export async function exportHistory(
  store: WorkflowStore,
  workflowId: string,
): Promise<WorkflowHistory> {
  const record = await store.getWorkflow(workflowId);
  if (!record)
    throw new InvalidOptionError("exportHistory workflowId", `no workflow "${workflowId}"`);
  const steps = await store.listSteps(workflowId);
  const childIds = steps.flatMap((step) => (step.childWorkflowId ? [step.childWorkflowId] : []));
  const children: WorkflowHistory[] = [];
  for (const childId of childIds) {
    if (await store.getWorkflow(childId)) children.push(await exportHistory(store, childId));
  }
  return {
    format: HISTORY_FORMAT,
    workflowId,
    name: record.name,
    status: record.status,
    input: record.input,
    ...(record.output === undefined ? {} : { output: record.output }),
    ...(record.error === undefined ? {} : { error: record.error }),
    steps: steps.map(({ workflowId: _omit, ...step }) => defined(step) as HistoryStep),
    children,
  };
}

/** What a replay found when it did not fail. */
export interface ReplayReport {
  readonly workflowId: string;
  /** How many recorded operations the new code replayed, all matching. */
  readonly replayed: number;
  /** True when the code ran to its end on the history (the recorded run had finished). */
  readonly finished: boolean;
}

/** Options of {@link replayHistory}. */
export interface ReplayOptions {
  /** Definitions of children whose recorded runs had not finished, to replay them too. */
  readonly workflows?: readonly AnyWorkflow[];
  /** Where the replay engine reports. Default: silent. */
  readonly logger?: Logger;
}

/**
 * Runs the current code of `workflow` against a recorded `history`, replay-only. Resolves when
 * every recorded operation matched; rejects with `NonDeterminismError` at the first position where
 * the code calls something other than what was recorded (or returns before the recorded run did).
 *
 * @example
 * const history = JSON.parse(readFileSync("test/fixtures/checkout-v1.json", "utf8"));
 * await replayHistory(checkout, history); // throws NonDeterminismError if the change breaks old runs
 */
export async function replayHistory(
  workflow: AnyWorkflow,
  history: WorkflowHistory,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  checkHistory(workflow, history, options.workflows ?? []);
  const store = createMemoryStore();
  await seed(store, history, undefined);
  let historyEnd: (position: number) => void = () => undefined;
  const ended = new Promise<number>((resolve) => (historyEnd = resolve));
  const replayOnly: ReplayOnly = { onHistoryEnd: (_id, position) => historyEnd(position) };
  const engine = createEngine({
    store,
    workflows: [workflow, ...(options.workflows ?? [])],
    executorId: "cairn-replay",
    logger: options.logger ?? silent,
    [REPLAY_ONLY]: replayOnly,
  } as Parameters<typeof createEngine>[0]);
  await engine.launch();
  try {
    const finished = engine
      .retrieve(history.workflowId)
      .result()
      .then(
        () => true,
        (error: unknown) => {
          if (error instanceof Error && error.name === "NonDeterminismError") throw error;
          return true; // the recorded run failed, and so does the replay: nothing diverged
        },
      );
    const outcome = await Promise.race([finished, ended.then(() => false)]);
    return { workflowId: history.workflowId, replayed: history.steps.length, finished: outcome };
  } finally {
    await engine.shutdown();
  }
}

function checkHistory(
  workflow: AnyWorkflow,
  history: WorkflowHistory,
  others: readonly AnyWorkflow[],
) {
  const format: unknown = (history as Partial<WorkflowHistory> | undefined)?.format;
  if (format !== HISTORY_FORMAT) {
    throw new InvalidOptionError("replayHistory history", 'expected format "cairn.history/1"');
  }
  if (history.name !== workflow.name) {
    throw new InvalidOptionError(
      "replayHistory history",
      `it records workflow "${history.name}", not "${workflow.name}"`,
    );
  }
  const known = new Set([workflow.name, ...others.map((other) => other.name)]);
  const walk = (child: WorkflowHistory) => {
    const unfinished = child.status === "PENDING" || child.status === "ENQUEUED";
    if (unfinished && !known.has(child.name)) {
      throw new InvalidOptionError(
        "replayHistory workflows",
        `child "${child.workflowId}" had not finished: pass workflow "${child.name}" in options.workflows`,
      );
    }
    child.children.forEach(walk);
  };
  history.children.forEach(walk);
}

/** Writes `history` into the scratch store: PENDING with its checkpoints, children as recorded. */
async function seed(store: WorkflowStore, history: WorkflowHistory, parent: string | undefined) {
  const executorId = "cairn-replay";
  const { workflowId } = history;
  await store.createWorkflow({
    workflowId,
    name: history.name,
    input: history.input,
    executorId,
    parentWorkflowId: parent,
  });
  for (const step of history.steps) {
    const record: StepRecord = {
      workflowId,
      position: step.position,
      name: step.name,
      output: step.output,
      error: step.error,
      childWorkflowId: step.childWorkflowId,
      attempts: step.attempts,
      startedAt: step.startedAt,
      completedAt: step.completedAt,
    };
    await store.recordStep(record);
  }
  for (const child of history.children) await seed(store, child, workflowId);
  const done = parent !== undefined && (history.status === "SUCCESS" || history.status === "ERROR");
  if (done) {
    await store.finishWorkflow({
      workflowId,
      executorId,
      status: history.status,
      output: history.output,
      error: history.error,
    });
  }
}

/** `value` without its undefined fields (JSON drops them anyway). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
