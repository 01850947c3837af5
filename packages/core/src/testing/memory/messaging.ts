/** The messaging role of the memory store: messages, events, streams and notifications. */
import type { MessagingStore } from "../../store/messaging-store.js";
import type { StepRecord } from "../../store/records.js";
import { wakeKeyOf } from "../../store/suspension-store.js";
import {
  pairKey,
  type MemoryTables,
  type StoredEventWrite,
  type StoredMessage,
  type StoredStreamEntry,
} from "./tables.js";

export function memoryMessaging(t: MemoryTables): Required<MessagingStore> {
  return {
    async sendMessage(message, options) {
      t.enter("sendMessage");
      t.refuseTransaction(options);
      if (!t.workflows.has(message.destinationId)) return "workflow-not-found";
      if (t.messages.has(message.messageId)) return "duplicate";
      const { destinationId, topic } = message;
      const seq = (t.messageSeq += 1);
      t.messages.set(message.messageId, {
        destinationId,
        topic,
        message: message.message,
        seq,
        consumed: false,
      });
      t.notify({ kind: "message", workflowId: destinationId, topic });
      t.arrived(wakeKeyOf({ kind: "message", workflowId: destinationId, topic }));
      return "sent";
    },
    async consumeMessage(topic, step, fence) {
      t.enter("consumeMessage");
      t.checkFence(step.workflowId, fence);
      const existing = t.steps.get(step.workflowId)?.get(step.position);
      if (existing) return existing;
      let oldest: StoredMessage | undefined;
      for (const m of t.messages.values()) {
        if (m.consumed || m.destinationId !== step.workflowId || m.topic !== topic) continue;
        if (!oldest || m.seq < oldest.seq) oldest = m;
      }
      if (!oldest) return undefined;
      oldest.consumed = true;
      const recorded: StepRecord = { ...step, output: oldest.message, error: undefined };
      t.insertStep(recorded);
      return recorded;
    },
    async setEvent({ workflowId, key, value }, step, fence) {
      t.enter("setEvent");
      t.checkFence(workflowId, fence);
      if (step) {
        t.insertStep(step);
        let history = t.eventHistory.get(workflowId);
        if (!history)
          t.eventHistory.set(workflowId, (history = new Map<number, StoredEventWrite>()));
        history.set(step.position, { key, value });
      }
      t.events.set(pairKey(workflowId, key), value);
      t.notify({ kind: "event", workflowId, key });
      t.arrived(wakeKeyOf({ kind: "event", workflowId, key }));
    },
    async getEvent(workflowId, key) {
      t.enter("getEvent");
      return t.events.get(pairKey(workflowId, key));
    },
    async writeStream(entry, step, fence) {
      t.enter("writeStream");
      t.checkFence(entry.workflowId, fence);
      const streamKey = pairKey(entry.workflowId, entry.key);
      let stream = t.streams.get(streamKey);
      if (!stream) t.streams.set(streamKey, (stream = new Map<number, StoredStreamEntry>()));
      t.insertStep(step);
      if (stream.has(step.position)) return;
      stream.set(step.position, { value: entry.value, closed: entry.closed });
      t.notify({ kind: "stream", workflowId: entry.workflowId, key: entry.key });
    },
    async readStream(workflowId, key, offset, limit) {
      t.enter("readStream");
      const stream = t.streams.get(pairKey(workflowId, key));
      const ordered = [...(stream?.entries() ?? [])].sort(([a], [b]) => a - b);
      return ordered
        .map(([, e], index) => ({ offset: index, value: e.value, closed: e.closed }))
        .slice(offset, offset + limit);
    },
    async subscribe(listener) {
      t.enter("subscribe");
      t.listeners.add(listener);
      return async () => {
        t.listeners.delete(listener);
      };
    },
  };
}
