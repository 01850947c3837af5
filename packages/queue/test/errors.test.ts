import { CairnError } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { CronExpressionInvalidError, DuplicateDedupIdError, QueueError } from "../src/index.js";

describe("queue errors", () => {
  it("are Cairn errors with their own codes, recognised by every is()", () => {
    const error = new DuplicateDedupIdError("emails", "welcome-42", "wf-1");
    expect(CairnError.is(error)).toBe(true);
    expect(CairnError.is(error, "DUPLICATE_DEDUP_ID")).toBe(true);
    expect(QueueError.is(error)).toBe(true);
    expect(DuplicateDedupIdError.is(error)).toBe(true);
    expect(CronExpressionInvalidError.is(error)).toBe(false);
    expect(error).toMatchObject({
      name: "DuplicateDedupIdError",
      queueName: "emails",
      dedupId: "welcome-42",
    });
  });
});
