/**
 * The verdict of a chaos run: reads Cairn's tables and the audit tables (see `audit-schema.ts`)
 * after everything drained, and checks every property the run is meant to prove. Times are
 * database times in milliseconds: commit timestamps (`pg_xact_commit_timestamp`) for checkpoints
 * and ownership changes, the statement time for effects. Each check says in its description why
 * a violation it reports cannot happen in a correct system. It also measures re-runs and the time
 * from each kill to the takeover of the killed executor's workflows.
 */
import { isDeepStrictEqual } from "node:util";
import { deserialize, UNASSIGNED_EXECUTOR } from "@cairn/core";
import type postgres from "postgres";
import type { PoolEvent } from "./worker-pool.js";
import { expectedResult, OPERATION_NAMES, TRANSACTION_NAME, type StepOutput } from "./workflow.js";

/** One property, checked. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly violations: number;
  readonly why: string;
  /** Up to 10 violations, described. */
  readonly examples: readonly string[];
}

/** Kill-to-takeover times. */
export interface TakeoverTimes {
  /** Kills and pauses of an executor that owned unfinished workflows at that moment. */
  readonly events: number;
  /** Per event, until the last of its workflows had a new owner (ms). */
  readonly allTakenMedianMs: number | undefined;
  readonly allTakenMaxMs: number | undefined;
  /** Per event, until the first of its workflows had a new owner (ms). */
  readonly firstTakenMedianMs: number | undefined;
  /** The same per event, split: taken by other executors, or resumed by a same-ID restart. */
  readonly byOthers: {
    readonly events: number;
    readonly medianMs: number | undefined;
    readonly maxMs: number | undefined;
  };
  readonly bySameId: {
    readonly events: number;
    readonly medianMs: number | undefined;
    readonly maxMs: number | undefined;
  };
  readonly perEvent: readonly {
    readonly kind: "kill" | "pause";
    readonly executorId: string;
    readonly owned: number;
    readonly taken: number;
    readonly by: "others" | "same ID" | "mixed";
    readonly firstMs: number | undefined;
    readonly lastMs: number | undefined;
  }[];
}

export interface AuditReport {
  readonly checks: readonly CheckResult[];
  readonly counts: {
    readonly workflows: number;
    readonly checkpoints: number;
    readonly effects: number;
    /** Effects beyond one per checkpoint: bodies that ran again because their first run never got recorded. */
    readonly reruns: number;
    /** Of those, bodies run by a fenced-off (paused or superseded) run that no longer owned the workflow. */
    readonly zombieBodies: number;
    /** Zombie bodies that even started after the step's checkpoint was recorded by the owner. */
    readonly zombieBodiesAfterCheckpoint: number;
    readonly ownershipChanges: number;
    readonly takeovers: number;
    readonly sameIdRecoveries: number;
  };
  readonly takeover: TakeoverTimes;
  /** From the first workflow created to the last finished (ms, database clock). */
  readonly spanMs: number;
}

interface WorkflowRow {
  workflow_id: string;
  status: string;
  output: string | null;
  owner_epoch: number;
  created_at: string;
  updated_at: string;
}
interface StepRow {
  workflow_id: string;
  position: number;
  name: string;
  output: string | null;
  error: string | null;
  committed: number;
}
interface EffectRow {
  effect_id: string;
  workflow_id: string;
  step: string;
  position: number;
  executor_id: string;
  run_epoch: number;
  run_id: string;
  db_executor_id: string | null;
  db_epoch: number | null;
  at: number;
}
interface OwnershipRow {
  workflow_id: string;
  executor_id: string;
  owner_epoch: number;
  status: string;
  updated_at: string;
  committed: number;
}
interface HeartbeatRow {
  executor_id: string;
  status: string;
  heartbeat_at: string;
  lease_ms: string;
  committed: number;
}

/** Commit timestamps are taken just before the commit is flushed and becomes visible. */
const VISIBILITY_SLACK_MS = 100;

/** Reads everything and checks it. `workflows`: how many the driver started (`wf-0`…). */
export async function audit(
  sql: postgres.Sql,
  workflows: number,
  events: readonly PoolEvent[],
): Promise<AuditReport> {
  const data = await load(sql);
  const checks = new Checks();
  const claims = claimIndex(data.ownership);
  checkResults(checks, data.workflows, workflows);
  checkHistories(checks, data, workflows);
  checkTransactionEffects(checks, data, workflows);
  checkWriters(checks, data, claims);
  const reruns = checkReruns(checks, data, claims);
  checkFinishes(checks, data, claims);
  checkEpochs(checks, data, claims);
  const takeovers = checkTakeoversOfLiveExecutors(checks, data, claims);
  const created = data.workflows.map((w) => Number(w.created_at));
  const finished = data.workflows.map((w) => Number(w.updated_at));
  return {
    checks: checks.results(),
    counts: {
      workflows: data.workflows.length,
      checkpoints: data.steps.length,
      effects: data.effects.length,
      ...reruns,
      ownershipChanges: data.ownership.length,
      ...takeovers,
    },
    takeover: takeoverTimes(events, data.ownership),
    spanMs: created.length ? Math.max(...finished) - Math.min(...created) : 0,
  };
}

async function load(sql: postgres.Sql) {
  const committed = "extract(epoch from pg_xact_commit_timestamp(xmin))::float8 * 1000";
  const [workflows, steps, duplicates, effects, ownership, heartbeats] = await Promise.all([
    sql.unsafe<WorkflowRow[]>(
      `select workflow_id, status, output, owner_epoch, created_at, updated_at from cairn.workflows`,
    ),
    sql.unsafe<StepRow[]>(
      `select workflow_id, position, name, output, error, ${committed} as committed
       from cairn.steps`,
    ),
    sql.unsafe<{ workflow_id: string; position: number; n: number }[]>(
      `select workflow_id, position, count(*)::int as n from cairn.steps
       group by 1, 2 having count(*) > 1`,
    ),
    sql.unsafe<EffectRow[]>(
      `select effect_id, workflow_id, step, position, executor_id, run_epoch, run_id, db_executor_id, db_epoch,
              extract(epoch from at)::float8 * 1000 as at
       from chaos.effects`,
    ),
    sql.unsafe<OwnershipRow[]>(
      `select workflow_id, executor_id, owner_epoch, status, updated_at, ${committed} as committed
       from chaos.ownership order by committed, id`,
    ),
    sql.unsafe<HeartbeatRow[]>(
      `select executor_id, status, heartbeat_at, lease_ms, ${committed} as committed
       from chaos.heartbeats order by committed, id`,
    ),
  ]);
  return { workflows, steps, duplicates, effects, ownership, heartbeats };
}
type Data = Awaited<ReturnType<typeof load>>;

/** Collects violations per check. */
class Checks {
  private readonly found = new Map<string, { why: string; examples: string[]; count: number }>();

  define(name: string, why: string): (example: string) => void {
    const entry = { why, examples: [] as string[], count: 0 };
    this.found.set(name, entry);
    return (example) => {
      entry.count++;
      if (entry.examples.length < 10) entry.examples.push(example);
    };
  }

  results(): CheckResult[] {
    return [...this.found].map(([name, { why, examples, count }]) => ({
      name,
      ok: count === 0,
      violations: count,
      why,
      examples,
    }));
  }
}

/** Per workflow, its ownership claims (inserts and epoch changes) by epoch. */
type ClaimIndex = Map<string, Map<number, OwnershipRow>>;

function claimIndex(ownership: readonly OwnershipRow[]): ClaimIndex {
  const index: ClaimIndex = new Map();
  const last = new Map<string, OwnershipRow>();
  for (const row of ownership) {
    const previous = last.get(row.workflow_id);
    last.set(row.workflow_id, row);
    if (previous && previous.owner_epoch === row.owner_epoch) continue; // a status change
    let epochs = index.get(row.workflow_id);
    if (!epochs) index.set(row.workflow_id, (epochs = new Map<number, OwnershipRow>()));
    if (!epochs.has(row.owner_epoch)) epochs.set(row.owner_epoch, row);
  }
  return index;
}

/** The first claim of `workflowId` at an epoch above `epoch`. */
function nextClaim(
  claims: ClaimIndex,
  workflowId: string,
  epoch: number,
): OwnershipRow | undefined {
  let next: OwnershipRow | undefined;
  for (const [e, row] of claims.get(workflowId) ?? []) {
    if (e > epoch && (!next || e < next.owner_epoch)) next = row;
  }
  return next;
}

const idOf = (n: number) => `wf-${n}`;
const decode = <T>(text: string | null): T | undefined =>
  text === null ? undefined : deserialize<T>(text);

function checkResults(checks: Checks, rows: readonly WorkflowRow[], count: number): void {
  const violation = checks.define(
    "every workflow finished with the right result",
    "each workflow's result is a pure function of its input (the step values, in order)",
  );
  const byId = new Map(rows.map((r) => [r.workflow_id, r]));
  for (let n = 0; n < count; n++) {
    const row = byId.get(idOf(n));
    if (!row) violation(`${idOf(n)}: missing`);
    else if (row.status !== "SUCCESS") violation(`${idOf(n)}: ${row.status}`);
    else {
      const output = decode<unknown>(row.output);
      if (!isDeepStrictEqual(output, expectedResult({ n })))
        violation(
          `${idOf(n)}: ${JSON.stringify(output)} ≠ ${JSON.stringify(expectedResult({ n }))}`,
        );
    }
  }
}

function checkHistories(checks: Checks, data: Data, count: number): void {
  const twice = checks.define(
    "no checkpoint recorded twice",
    "(workflow_id, position) is the steps table's primary key; counted anyway",
  );
  for (const d of data.duplicates) twice(`${d.workflow_id}#${d.position}: ${d.n} rows`);
  const history = checks.define(
    "each history is exactly the five steps and the transaction in order",
    "the workflow calls s1…s5 and then t6 once each; any other history means replay mixed runs",
  );
  const byWorkflow = groupBy(data.steps, (s) => s.workflow_id);
  for (let n = 0; n < count; n++) {
    const steps = [...(byWorkflow.get(idOf(n)) ?? [])].sort((a, b) => a.position - b.position);
    const names = steps.map((s) => `${s.position}:${s.name}${s.error === null ? "" : "!"}`);
    const expected = OPERATION_NAMES.map((name, i) => `${i}:${name}`);
    if (!isDeepStrictEqual(names, expected)) history(`${idOf(n)}: ${names.join(", ")}`);
  }
}

/** A transaction's effect commits with its checkpoint: exactly one per workflow, whatever happened. */
function checkTransactionEffects(checks: Checks, data: Data, count: number): void {
  const violation = checks.define(
    "every transaction's effect committed exactly once",
    "t6 writes its effect row inside the transaction that records its checkpoint: a kill, pause " +
      "or takeover rolls both back, so each workflow has exactly one t6 effect, never two or none",
  );
  const perWorkflow = new Map<string, number>();
  for (const e of data.effects) {
    if (e.step === TRANSACTION_NAME)
      perWorkflow.set(e.workflow_id, (perWorkflow.get(e.workflow_id) ?? 0) + 1);
  }
  for (let n = 0; n < count; n++) {
    const effects = perWorkflow.get(idOf(n)) ?? 0;
    if (effects !== 1) violation(`${idOf(n)}: ${effects} transaction effects`);
  }
}

/** Each checkpoint was written by the run that owned the workflow when it committed. */
function checkWriters(checks: Checks, data: Data, claims: ClaimIndex): void {
  const violation = checks.define(
    "every checkpoint was written by the workflow's owner at that moment",
    "a checkpoint names the executor and epoch of the run that computed it; that epoch must be " +
      "that executor's, and no later epoch may have committed before the checkpoint did " +
      "(commit timestamps): otherwise a fenced-off executor's write landed after a takeover",
  );
  const effects = new Map(data.effects.map((e) => [e.effect_id, e]));
  for (const step of data.steps) {
    const where = `${step.workflow_id}#${step.position}`;
    const output = decode<StepOutput>(step.output);
    if (!output) {
      violation(`${where}: no output`);
      continue;
    }
    const claim = claims.get(step.workflow_id)?.get(output.epoch);
    if (!claim || claim.executor_id !== output.by) {
      violation(
        `${where}: written by ${output.by} at epoch ${output.epoch}, owned by ${claim?.executor_id}`,
      );
      continue;
    }
    const next = nextClaim(claims, step.workflow_id, output.epoch);
    if (next && next.committed < step.committed) {
      const lateMs = (step.committed - next.committed).toFixed(1);
      violation(
        `${where}: ${output.by} (epoch ${output.epoch}) committed it ${lateMs} ms after ` +
          `${next.executor_id} took over (epoch ${next.owner_epoch})`,
      );
    }
    const effect = effects.get(output.effectId);
    if (!effect || effect.executor_id !== output.by || effect.position !== step.position)
      violation(
        `${where}: the checkpoint's effect row ${output.effectId} is missing or not its own`,
      );
  }
}

function checkReruns(checks: Checks, data: Data, claims: ClaimIndex) {
  const afterCheckpoint = checks.define(
    "no step whose checkpoint was recorded ran again",
    "an owning run (the database still said it owned the workflow when its effect was written) " +
      "never starts a step whose checkpoint had committed: a run loads its history after its " +
      "claim commits, and fencing keeps other runs' checkpoints from landing later. Bodies of " +
      "fenced-off runs (zombies) are counted apart, not violations: a paused process finishes " +
      "the body it was in, unaware, and its write is then refused",
  );
  const staleRun = checks.define(
    "no run that claimed a workflow after a checkpoint ran that step",
    "a run claimed after the checkpoint committed loads a history that holds it",
  );
  const twiceInRun = checks.define(
    "no run ran a step body twice",
    "one call of the workflow body executes each position once (the chaos steps never throw)",
  );
  const zombieBound = checks.define(
    "a fenced-off run starts at most one step body after losing its workflow",
    "its next checkpoint write is refused, which stops the run",
  );
  const checkpoints = new Map(data.steps.map((s) => [`${s.workflow_id}#${s.position}`, s]));
  const perRun = new Map<string, number>();
  const zombiesPerRun = new Map<string, number>();
  let zombieBodies = 0;
  let zombieBodiesAfterCheckpoint = 0;
  for (const effect of data.effects) {
    const where = `${effect.workflow_id}#${effect.position}`;
    const run = `${effect.workflow_id}/${effect.executor_id}@${effect.run_epoch}/${effect.run_id}`;
    perRun.set(`${run}#${effect.position}`, (perRun.get(`${run}#${effect.position}`) ?? 0) + 1);
    const zombie =
      effect.db_executor_id !== effect.executor_id || effect.db_epoch !== effect.run_epoch;
    if (zombie) {
      zombieBodies++;
      zombiesPerRun.set(run, (zombiesPerRun.get(run) ?? 0) + 1);
    }
    const checkpoint = checkpoints.get(where);
    if (!checkpoint) continue; // reported by the history check
    if (effect.at > checkpoint.committed) {
      if (zombie) zombieBodiesAfterCheckpoint++;
      else
        afterCheckpoint(
          `${where}: ${effect.executor_id} (epoch ${effect.run_epoch}, still the owner) ran it ` +
            `${(effect.at - checkpoint.committed).toFixed(1)} ms after the checkpoint committed`,
        );
    }
    const claim = claims.get(effect.workflow_id)?.get(effect.run_epoch);
    if (claim && claim.committed > checkpoint.committed + VISIBILITY_SLACK_MS)
      staleRun(
        `${where}: run ${effect.executor_id}@${effect.run_epoch} claimed after the checkpoint`,
      );
    if (!claim)
      staleRun(`${where}: run ${effect.executor_id}@${effect.run_epoch} never claimed it`);
  }
  for (const [key, n] of perRun) if (n > 1) twiceInRun(`${key}: ${n} bodies`);
  for (const [run, n] of zombiesPerRun) if (n > 1) zombieBound(`${run}: ${n} bodies after losing`);
  return {
    reruns: data.effects.length - data.steps.length,
    zombieBodies,
    zombieBodiesAfterCheckpoint,
  };
}

function checkFinishes(checks: Checks, data: Data, claims: ClaimIndex): void {
  const violation = checks.define(
    "every outcome was written by the workflow's owner at that moment",
    "finishing is fenced by the run's epoch like a checkpoint: the finisher must own that epoch " +
      "and no later epoch may exist",
  );
  const seen = new Set<string>();
  for (const row of data.ownership) {
    if (row.status === "PENDING" || seen.has(row.workflow_id)) continue;
    seen.add(row.workflow_id);
    const claim = claims.get(row.workflow_id)?.get(row.owner_epoch);
    if (!claim || claim.executor_id !== row.executor_id)
      violation(
        `${row.workflow_id}: finished by ${row.executor_id} at epoch ${row.owner_epoch}, owned by ${claim?.executor_id}`,
      );
    const next = nextClaim(claims, row.workflow_id, row.owner_epoch);
    if (next)
      violation(`${row.workflow_id}: claimed at epoch ${next.owner_epoch} after it finished`);
  }
}

function checkEpochs(checks: Checks, data: Data, claims: ClaimIndex): void {
  const violation = checks.define(
    "one owner per epoch, epochs counting up by one",
    "every claim increments owner_epoch in one statement: epochs 0, 1, 2… each with one owner, " +
      "in commit order; the workflow's final epoch is the last claim",
  );
  const finalEpoch = new Map(data.workflows.map((w) => [w.workflow_id, w.owner_epoch]));
  const order = groupBy(data.ownership, (r) => r.workflow_id);
  for (const [workflowId, rows] of order) {
    const epochs = rows.map((r) => r.owner_epoch);
    const sorted = epochs.every((e, i) => i === 0 || e >= (epochs[i - 1] ?? 0));
    const claimed = [...(claims.get(workflowId)?.keys() ?? [])];
    const consecutive = claimed.every((e, i) => e === i);
    const ownersPerEpoch = new Map<number, Set<string>>();
    for (const r of rows) {
      const owners = ownersPerEpoch.get(r.owner_epoch) ?? new Set<string>();
      owners.add(r.executor_id);
      ownersPerEpoch.set(r.owner_epoch, owners);
    }
    const single = [...ownersPerEpoch.values()].every((owners) => owners.size === 1);
    if (!sorted || !consecutive || !single || finalEpoch.get(workflowId) !== claimed.at(-1))
      violation(
        `${workflowId}: ${rows.map((r) => `${r.owner_epoch}:${r.executor_id}:${r.status}`).join(" → ")}`,
      );
  }
}

/** A workflow moves away from an executor only once that executor's lease expired or it stopped. */
function checkTakeoversOfLiveExecutors(checks: Checks, data: Data, claims: ClaimIndex) {
  const violation = checks.define(
    "no workflow taken from a live executor",
    "a takeover may claim a workflow only when its owner's last visible heartbeat is past its " +
      "lease (database clock) or it stopped; heartbeats committed well before the takeover " +
      `statement (>${VISIBILITY_SLACK_MS} ms) were visible to it. With the fenced writes this ` +
      "is what 'never owned by two live executors at once' means",
  );
  const beats = groupBy(data.heartbeats, (h) => h.executor_id);
  let takeovers = 0;
  let sameIdRecoveries = 0;
  for (const [workflowId, epochs] of claims) {
    for (const [epoch, claim] of epochs) {
      const previous = epochs.get(epoch - 1);
      if (!previous) continue;
      if (previous.executor_id === claim.executor_id) {
        sameIdRecoveries++;
        continue;
      }
      if (previous.executor_id === UNASSIGNED_EXECUTOR) continue;
      takeovers++;
      const at = Number(claim.updated_at);
      const visible = (beats.get(previous.executor_id) ?? []).filter(
        (h) => h.committed < at - VISIBILITY_SLACK_MS,
      );
      const last = visible.at(-1);
      if (
        last &&
        last.status === "alive" &&
        Number(last.heartbeat_at) + Number(last.lease_ms) >= at
      )
        violation(
          `${workflowId}: ${claim.executor_id} took it from ${previous.executor_id} at ${at}, ` +
            `whose lease ran until ${Number(last.heartbeat_at) + Number(last.lease_ms)}`,
        );
    }
  }
  return { takeovers, sameIdRecoveries };
}

/**
 * For each kill or pause of an executor that owned unfinished workflows: until they moved to a
 * new owner (or the same ID, relaunched), counting only moves before its next kill or pause.
 */
function takeoverTimes(
  events: readonly PoolEvent[],
  ownership: readonly OwnershipRow[],
): TakeoverTimes {
  const rows = groupBy(ownership, (r) => r.workflow_id);
  const perEvent: TakeoverTimes["perEvent"][number][] = [];
  const disruptions = events.filter(
    (e): e is PoolEvent & { kind: "kill" | "pause" } =>
      (e.kind === "kill" || e.kind === "pause") && e.executorId !== undefined,
  );
  for (const [i, event] of disruptions.entries()) {
    const executorId = event.executorId ?? "";
    // A move after the executor's next kill or pause belongs to that one.
    const until = disruptions.slice(i + 1).find((e) => e.executorId === executorId)?.at ?? Infinity;
    const delays: number[] = [];
    const takers = new Set<string>();
    let owned = 0;
    for (const history of rows.values()) {
      const before = history.filter((r) => r.committed <= event.at).at(-1);
      if (!before || before.executor_id !== executorId || before.status !== "PENDING") continue;
      owned++;
      const moved = history.find(
        (r) => r.committed > event.at && r.owner_epoch > before.owner_epoch,
      );
      if (!moved || moved.committed > until) continue;
      delays.push(moved.committed - event.at);
      takers.add(moved.executor_id === executorId ? "same" : "other");
    }
    if (owned === 0) continue;
    perEvent.push({
      kind: event.kind,
      executorId,
      owned,
      taken: delays.length,
      by: takers.size > 1 ? "mixed" : takers.has("same") ? "same ID" : "others",
      firstMs: delays.length ? Math.round(Math.min(...delays)) : undefined,
      lastMs: delays.length ? Math.round(Math.max(...delays)) : undefined,
    });
  }
  const last = perEvent.flatMap((e) => (e.lastMs === undefined ? [] : [e.lastMs]));
  const first = perEvent.flatMap((e) => (e.firstMs === undefined ? [] : [e.firstMs]));
  const split = (by: string) => {
    const values = perEvent.flatMap((e) =>
      e.by === by && e.lastMs !== undefined ? [e.lastMs] : [],
    );
    return {
      events: values.length,
      medianMs: median(values),
      maxMs: values.length ? Math.max(...values) : undefined,
    };
  };
  return {
    events: perEvent.length,
    byOthers: split("others"),
    bySameId: split("same ID"),
    allTakenMedianMs: median(last),
    allTakenMaxMs: last.length ? Math.max(...last) : undefined,
    firstTakenMedianMs: median(first),
    perEvent,
  };
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
