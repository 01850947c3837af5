import { CairnError } from "@cairn/core";
import { describe, expect, it } from "vitest";
import {
  CronExpressionInvalidError,
  DuplicateDedupIdError,
  QueueError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  WorkflowNotWaitingError,
} from "../src/index.js";

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

describe("runtime control errors", () => {
  it("carry their codes and fields, and each is() tells them apart", () => {
    const notWaiting = new WorkflowNotWaitingError("wf-1", "set the priority");
    const exists = new ScheduleExistsError("nightly");
    const missing = new ScheduleNotFoundError("nightly");
    expect(notWaiting).toMatchObject({ code: "WORKFLOW_NOT_WAITING", workflowId: "wf-1" });
    expect(exists).toMatchObject({ code: "SCHEDULE_EXISTS", scheduleName: "nightly" });
    expect(missing).toMatchObject({ code: "SCHEDULE_NOT_FOUND", scheduleName: "nightly" });
    for (const error of [notWaiting, exists, missing]) expect(QueueError.is(error)).toBe(true);
    expect(ScheduleExistsError.is(missing)).toBe(false);
    expect(WorkflowNotWaitingError.is(notWaiting)).toBe(true);
  });
});
