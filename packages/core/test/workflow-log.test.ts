import { describe, expect, it } from "vitest";
import { createEngine, workflow } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

describe("ctx.log", () => {
  it("works with its methods taken off the object, each line carrying the workflow's fields", async () => {
    const logger = recordingLogger();
    const greeter = workflow("greeter", async (ctx, names: string[]) => {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- what this test checks
      const { info } = ctx.log;
      info("starting");
      // eslint-disable-next-line @typescript-eslint/unbound-method -- as above
      const { warn } = ctx.log;
      for (const name of names) warn(name);
      return names.length;
    });
    const engine = createEngine({ store: createMemoryStore(), workflows: [greeter], logger });
    await engine.launch();
    try {
      await expect(engine.run(greeter, ["ada", "bo"], { id: "g1" })).resolves.toBe(2);
    } finally {
      await engine.shutdown();
    }
    const own = logger.lines.filter((line) => line.fields?.["workflowId"] === "g1");
    expect(own.map(({ level, message }) => [level, message])).toEqual(
      expect.arrayContaining([
        ["info", "starting"],
        ["warn", "ada"],
        ["warn", "bo"],
      ]),
    );
  });
});
