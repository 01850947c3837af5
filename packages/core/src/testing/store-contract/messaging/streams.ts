/** Contract tests for `writeStream` and `readStream`: ordered, replay-safe appends. */
import { beforeEach, describe, expect, it } from "vitest";
import type { SerializedValue } from "../../../store/records.js";
import { type Fixture, newWorkflow, stepAt, tricky } from "../fixtures.js";

const entry = (value: SerializedValue | undefined, key = "progress", workflowId = "wf-1") => ({
  workflowId,
  key,
  value,
  closed: value === undefined,
});

const writeStep = (position: number, workflowId = "wf-1") =>
  stepAt(workflowId, position, { name: "cairn.writeStream", output: "-1" });

export function describeStreams(fx: Fixture): void {
  describe("writeStream and readStream", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
    });

    it("reads nothing from a stream never written", async () => {
      expect(await fx.store.readStream("wf-1", "progress", 0, 10)).toEqual([]);
      expect(await fx.store.readStream("nope", "progress", 0, 10)).toEqual([]);
    });

    it("numbers entries from offset 0 in write order, whatever their positions", async () => {
      await fx.store.writeStream(entry('"a"'), writeStep(2));
      await fx.store.recordStep(stepAt("wf-1", 3));
      await fx.store.writeStream(entry('"b"'), writeStep(5));
      await fx.store.writeStream(entry('"c"'), writeStep(11));
      expect(await fx.store.readStream("wf-1", "progress", 0, 10)).toEqual([
        { offset: 0, value: '"a"', closed: false },
        { offset: 1, value: '"b"', closed: false },
        { offset: 2, value: '"c"', closed: false },
      ]);
    });

    it("records the step of each write in the same call", async () => {
      await fx.store.writeStream(entry('"a"'), writeStep(0));
      await fx.store.writeStream(entry('"b"'), writeStep(1));
      expect(await fx.store.listSteps("wf-1")).toEqual([writeStep(0), writeStep(1)]);
    });

    it("appends nothing when a write is replayed at the same position", async () => {
      await fx.store.writeStream(entry('"a"'), writeStep(0));
      await fx.store.writeStream(entry('"a"'), writeStep(0));
      await fx.store.writeStream(entry('"changed"'), writeStep(0));
      expect(await fx.store.readStream("wf-1", "progress", 0, 10)).toEqual([
        { offset: 0, value: '"a"', closed: false },
      ]);
      expect(await fx.store.listSteps("wf-1")).toEqual([writeStep(0)]);
    });

    it("reads the closing entry with value undefined and closed true", async () => {
      await fx.store.writeStream(entry('"a"'), writeStep(0));
      await fx.store.writeStream(entry(undefined), writeStep(1));
      expect(await fx.store.readStream("wf-1", "progress", 0, 10)).toEqual([
        { offset: 0, value: '"a"', closed: false },
        { offset: 1, value: undefined, closed: true },
      ]);
    });

    it("reads up to limit entries from offset on", async () => {
      for (let i = 0; i < 6; i++) await fx.store.writeStream(entry(`${i}`), writeStep(i));
      const page = await fx.store.readStream("wf-1", "progress", 2, 3);
      expect(page).toEqual([2, 3, 4].map((i) => ({ offset: i, value: `${i}`, closed: false })));
      expect(await fx.store.readStream("wf-1", "progress", 5, 10)).toEqual([
        { offset: 5, value: "5", closed: false },
      ]);
      expect(await fx.store.readStream("wf-1", "progress", 6, 10)).toEqual([]);
    });

    it("keeps streams apart by workflow and key", async () => {
      await fx.store.writeStream(entry('"1p"'), writeStep(0));
      await fx.store.writeStream(entry('"1l"', "log"), writeStep(1));
      await fx.store.writeStream(entry('"2p"', "progress", "wf-2"), writeStep(0, "wf-2"));
      const read = async (workflowId: string, key: string) =>
        (await fx.store.readStream(workflowId, key, 0, 10)).map((e) => e.value);
      expect(await read("wf-1", "progress")).toEqual(['"1p"']);
      expect(await read("wf-1", "log")).toEqual(['"1l"']);
      expect(await read("wf-2", "progress")).toEqual(['"2p"']);
    });

    for (const [label, value] of Object.entries(tricky)) {
      it(`keeps a stream value byte-for-byte (${label})`, async () => {
        await fx.store.writeStream(entry(value), writeStep(0));
        expect((await fx.store.readStream("wf-1", "progress", 0, 1))[0]?.value).toBe(value);
      });
    }
  });
}
