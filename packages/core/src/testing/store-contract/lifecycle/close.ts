/** Contract tests for `close()`: every call afterwards rejects, none throws synchronously. */
import { describe, expect, it } from "vitest";
import { type Fixture, claimFor, newWorkflow, stepAt, success } from "../fixtures.js";

export function describeClose(fx: Fixture): void {
  describe("close", () => {
    it("rejects every call after close() with a rejected promise", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.close();
      fx.closed = true;
      const { store } = fx;
      const calls: (() => Promise<unknown>)[] = [
        () => store.migrate(),
        () => store.createWorkflow(newWorkflow("wf-2")),
        () => store.getWorkflow("wf-1"),
        () => store.listSteps("wf-1"),
        () => store.recordStep(stepAt("wf-1", 0)),
        () => store.finishWorkflow(success("wf-1")),
        () => store.claimRecoverable(claimFor()),
        () =>
          store.sendMessage({ destinationId: "wf-1", topic: "t", message: "1", messageId: "m" }),
        () => store.consumeMessage("t", stepAt("wf-1", 0)),
        () => store.setEvent({ workflowId: "wf-1", key: "k", value: "1" }),
        () => store.getEvent("wf-1", "k"),
        () =>
          store.writeStream(
            { workflowId: "wf-1", key: "s", value: "1", closed: false },
            stepAt("wf-1", 0),
          ),
        () => store.readStream("wf-1", "s", 0, 10),
        () => store.cancelWorkflow("wf-1", { children: true }),
        () => store.resumeWorkflow("wf-1", "executor-a"),
        () =>
          store.forkWorkflow({ sourceId: "wf-1", newId: "f", fromPosition: 0, executorId: "e" }),
        () => store.listWorkflows({}),
        () => store.heartbeat({ executorId: "executor-a", appVersion: undefined, leaseMs: 1 }),
        () => store.stopExecutor("executor-a"),
        () => store.listExecutors(),
        () =>
          store.takeOver({
            ...claimFor(),
            executorId: "executor-b",
            limit: 10,
            ignoreLeases: true,
          }),
        () => store.setAppVersion(["wf-1"], "v2"),
        () => store.deleteFinished(Date.now(), 10),
      ];
      if (store.subscribe) calls.push(() => store.subscribe?.(() => {}) ?? Promise.resolve());
      for (const call of calls) {
        // Calling must not throw synchronously: callers chain .catch() on the returned promise.
        let returned: Promise<unknown> | undefined;
        expect(() => (returned = call())).not.toThrow();
        await expect(returned).rejects.toThrow();
      }
    });
  });
}
