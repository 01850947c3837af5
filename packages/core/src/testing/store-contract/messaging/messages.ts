/** Contract tests for `sendMessage` and `consumeMessage`: idempotent sends, FIFO, atomic consume. */
import { beforeEach, describe, expect, it } from "vitest";
import type { NewMessage } from "../../../store/messaging-store.js";
import type { StepRecord } from "../../../store/records.js";
import { type Fixture, newWorkflow, stepAt, tricky } from "../fixtures.js";

const message = (messageId: string, patch: Partial<NewMessage> = {}): NewMessage => ({
  destinationId: "wf-1",
  topic: "payments",
  message: `"${messageId}"`,
  messageId,
  ...patch,
});

/** A `recv` checkpoint at `position`; the store fills in the output. */
const recvAt = (position: number, workflowId = "wf-1"): StepRecord =>
  stepAt(workflowId, position, { name: "cairn.recv", output: undefined });

export function describeMessages(fx: Fixture): void {
  describe("sendMessage", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
    });

    it("stores a message for an existing workflow and answers sent", async () => {
      expect(await fx.store.sendMessage(message("m-1"))).toBe("sent");
      expect((await fx.store.consumeMessage("payments", recvAt(0)))?.output).toBe('"m-1"');
    });

    it("answers duplicate and stores nothing more when the messageId was sent before", async () => {
      expect(await fx.store.sendMessage(message("m-1"))).toBe("sent");
      expect(await fx.store.sendMessage(message("m-1", { message: '"again"' }))).toBe("duplicate");
      expect((await fx.store.consumeMessage("payments", recvAt(0)))?.output).toBe('"m-1"');
      expect(await fx.store.consumeMessage("payments", recvAt(1))).toBeUndefined();
    });

    it("answers duplicate for a messageId whose message was already consumed, and does not deliver it again", async () => {
      await fx.store.sendMessage(message("m-1"));
      await fx.store.consumeMessage("payments", recvAt(0));
      expect(await fx.store.sendMessage(message("m-1"))).toBe("duplicate");
      expect(await fx.store.consumeMessage("payments", recvAt(1))).toBeUndefined();
    });

    it("answers workflow-not-found for an unknown destination and stores nothing", async () => {
      expect(await fx.store.sendMessage(message("m-1", { destinationId: "nope" }))).toBe(
        "workflow-not-found",
      );
      await fx.store.createWorkflow(newWorkflow("nope"));
      expect(await fx.store.consumeMessage("payments", recvAt(0, "nope"))).toBeUndefined();
      expect(await fx.store.sendMessage(message("m-1", { destinationId: "nope" }))).toBe("sent");
    });

    it("lets exactly one of concurrent sends with the same messageId store it", async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => fx.store.sendMessage(message("m-1"))),
      );
      expect(results.filter((r) => r === "sent")).toHaveLength(1);
      expect(results.filter((r) => r === "duplicate")).toHaveLength(9);
    });

    for (const [label, value] of Object.entries(tricky)) {
      it(`delivers a message byte-for-byte (${label})`, async () => {
        await fx.store.sendMessage(message("m-1", { message: value }));
        expect((await fx.store.consumeMessage("payments", recvAt(0)))?.output).toBe(value);
        expect((await fx.store.listSteps("wf-1"))[0]?.output).toBe(value);
      });
    }
  });

  describe("consumeMessage", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
    });

    it("returns undefined and writes nothing when no message is waiting", async () => {
      expect(await fx.store.consumeMessage("payments", recvAt(0))).toBeUndefined();
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
    });

    it("keeps messages sent before anyone consumes, and hands them out oldest first per topic", async () => {
      for (const id of ["m-1", "m-2", "m-3"]) await fx.store.sendMessage(message(id));
      const outputs: (string | undefined)[] = [];
      for (let position = 0; position < 4; position++) {
        outputs.push((await fx.store.consumeMessage("payments", recvAt(position)))?.output);
      }
      expect(outputs).toEqual(['"m-1"', '"m-2"', '"m-3"', undefined]);
    });

    it("keeps FIFO order for many messages sent one after another", async () => {
      const sent = Array.from({ length: 30 }, (_, i) => `m-${String(29 - i).padStart(2, "0")}`);
      for (const id of sent) await fx.store.sendMessage(message(id));
      const outputs: (string | undefined)[] = [];
      for (let position = 0; position < sent.length; position++) {
        outputs.push((await fx.store.consumeMessage("payments", recvAt(position)))?.output);
      }
      expect(outputs).toEqual(sent.map((id) => `"${id}"`));
    });

    it("takes only messages of the asked topic and destination", async () => {
      await fx.store.sendMessage(message("other-topic", { topic: "refunds" }));
      await fx.store.sendMessage(message("other-workflow", { destinationId: "wf-2" }));
      await fx.store.sendMessage(message("mine"));
      expect((await fx.store.consumeMessage("payments", recvAt(0)))?.output).toBe('"mine"');
      expect(await fx.store.consumeMessage("payments", recvAt(1))).toBeUndefined();
      expect((await fx.store.consumeMessage("refunds", recvAt(2)))?.output).toBe('"other-topic"');
      expect((await fx.store.consumeMessage("payments", recvAt(0, "wf-2")))?.output).toBe(
        '"other-workflow"',
      );
    });

    it("records the checkpoint with the message as its output and returns it", async () => {
      await fx.store.sendMessage(message("m-1"));
      const step = recvAt(3);
      const recorded = await fx.store.consumeMessage("payments", step);
      expect(recorded).toEqual({ ...step, output: '"m-1"', error: undefined });
      expect(await fx.store.listSteps("wf-1")).toEqual([recorded]);
    });

    it("returns the existing checkpoint and consumes nothing when the position is already recorded", async () => {
      const existing = stepAt("wf-1", 0, { name: "cairn.recv", output: '"recorded"' });
      await fx.store.recordStep(existing);
      await fx.store.sendMessage(message("m-1"));
      expect(await fx.store.consumeMessage("payments", recvAt(0))).toEqual(existing);
      expect(await fx.store.listSteps("wf-1")).toEqual([existing]);
      expect((await fx.store.consumeMessage("payments", recvAt(1)))?.output).toBe('"m-1"');
    });

    it("returns the existing checkpoint on a replayed consume even when no message is waiting", async () => {
      await fx.store.sendMessage(message("m-1"));
      const first = await fx.store.consumeMessage("payments", recvAt(0));
      expect(await fx.store.consumeMessage("payments", recvAt(0))).toEqual(first);
    });

    it("gives one message to exactly one of two concurrent consumers", async () => {
      await fx.store.sendMessage(message("m-1"));
      const results = await Promise.all([
        fx.store.consumeMessage("payments", recvAt(0)),
        fx.store.consumeMessage("payments", recvAt(1)),
      ]);
      expect(results.filter((r) => r?.output === '"m-1"')).toHaveLength(1);
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect(await fx.store.listSteps("wf-1")).toEqual(results.filter(Boolean));
    });

    it("consumes a message once when two consumers race for the same position", async () => {
      await fx.store.sendMessage(message("m-1"));
      await fx.store.sendMessage(message("m-2"));
      const results = await Promise.all([
        fx.store.consumeMessage("payments", recvAt(0)),
        fx.store.consumeMessage("payments", recvAt(0)),
      ]);
      const steps = await fx.store.listSteps("wf-1");
      expect(steps).toHaveLength(1);
      // Each caller sees the one checkpoint, or nothing yet; m-2 is still waiting.
      for (const result of results) if (result) expect(result).toEqual(steps[0]);
      expect((await fx.store.consumeMessage("payments", recvAt(1)))?.output).toBe('"m-2"');
    });

    it("hands each of many messages to exactly one of many concurrent consumers", async () => {
      for (let i = 0; i < 10; i++) await fx.store.sendMessage(message(`m-${i}`));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, position) =>
          fx.store.consumeMessage("payments", recvAt(position)),
        ),
      );
      const outputs = results.flatMap((r) => (r?.output === undefined ? [] : [r.output]));
      expect(new Set(outputs).size).toBe(outputs.length);
      // Concurrent consumers may skip a message another holds; whatever is left stays waiting.
      let position = 20;
      for (let r = await fx.store.consumeMessage("payments", recvAt(position)); r;) {
        outputs.push(r.output ?? "");
        r = await fx.store.consumeMessage("payments", recvAt((position += 1)));
      }
      expect(outputs.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `"m-${i}"`).sort());
    });
  });
}
