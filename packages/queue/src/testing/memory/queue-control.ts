/**
 * Queues as the memory store records them — the definitions of serving processes and the limits
 * set at runtime — and the cron schedules: the ticks of those in code, and those stored at
 * runtime (create, update by revision, delete, read).
 */
import type {
  QueueLimitsPatch,
  QueueRecord,
  QueueStore,
  StoredSchedule,
} from "../../queue-store.js";
import type { MemoryQueueRow, MemoryQueueTables } from "./queue-tables.js";

type ControlMethods = Pick<
  QueueStore,
  | "defineQueues"
  | "setQueueLimits"
  | "getQueue"
  | "listQueues"
  | "lastTick"
  | "recordTick"
  | "createSchedule"
  | "updateSchedule"
  | "deleteSchedule"
  | "getSchedule"
  | "listSchedules"
>;

/** A copy as stored: what JSON keeps (`undefined` keys dropped, `null` kept). */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function memoryQueueControl(t: MemoryQueueTables): ControlMethods {
  const row = (queueName: string): MemoryQueueRow => {
    let found = t.queues.get(queueName);
    if (!found) {
      found = { definition: undefined, limits: undefined, updatedAt: t.now() };
      t.queues.set(queueName, found);
    }
    return found;
  };
  const stored = (name: string) => t.schedules.get(name)?.stored;
  const withTick = (name: string): StoredSchedule | undefined => {
    const found = t.schedules.get(name);
    return found?.stored && { ...found.stored, lastTickAt: found.lastTickAt };
  };
  return {
    async defineQueues(queues) {
      t.enter("defineQueues");
      for (const definition of queues) {
        const r = row(definition.queueName);
        r.definition = asStored(definition);
        r.updatedAt = t.now();
      }
    },
    async setQueueLimits(queueName, patch) {
      t.enter("setQueueLimits");
      const r = row(queueName);
      r.limits = patch === undefined ? undefined : { ...r.limits, ...asStored(patch) };
      r.updatedAt = t.now();
      return toRecord(queueName, r);
    },
    async getQueue(queueName) {
      t.enter("getQueue");
      const r = t.queues.get(queueName);
      return r && toRecord(queueName, r);
    },
    async listQueues() {
      t.enter("listQueues");
      return [...t.queues.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, r]) => toRecord(name, r));
    },
    async lastTick(scheduleName) {
      t.enter("lastTick");
      return t.schedules.get(scheduleName)?.lastTickAt;
    },
    async recordTick(scheduleName, tickAt) {
      t.enter("recordTick");
      const found = t.schedules.get(scheduleName);
      const at = Math.round(tickAt);
      if (!found) t.schedules.set(scheduleName, { lastTickAt: at, stored: undefined });
      else found.lastTickAt = Math.max(found.lastTickAt ?? at, at);
    },
    async createSchedule(schedule) {
      t.enter("createSchedule");
      if (t.schedules.has(schedule.name)) return false;
      const now = t.now();
      const copy = { ...schedule, revision: 0, createdAt: now, updatedAt: now };
      t.schedules.set(schedule.name, { lastTickAt: undefined, stored: copy });
      return true;
    },
    async updateSchedule(schedule, revision) {
      t.enter("updateSchedule");
      const found = t.schedules.get(schedule.name);
      if (!found?.stored || found.stored.revision !== revision) return undefined;
      const { createdAt } = found.stored;
      found.stored = { ...schedule, revision: revision + 1, createdAt, updatedAt: t.now() };
      return withTick(schedule.name);
    },
    async deleteSchedule(name) {
      t.enter("deleteSchedule");
      if (!stored(name)) return false;
      t.schedules.delete(name);
      return true;
    },
    async getSchedule(name) {
      t.enter("getSchedule");
      return withTick(name);
    },
    async listSchedules() {
      t.enter("listSchedules");
      const names = [...t.schedules.keys()].filter((name) => stored(name)).sort();
      return names.flatMap((name) => withTick(name) ?? []);
    },
  };
}

function toRecord(queueName: string, r: MemoryQueueRow): QueueRecord {
  const limits: QueueLimitsPatch | undefined = r.limits && { ...r.limits };
  return {
    queueName,
    partitioned: r.definition?.partitioned,
    definedLimits: r.definition && { ...r.definition.limits },
    limits,
    updatedAt: r.updatedAt,
  };
}
