import { describe, expect, it } from "vitest";
import { createStyle, shouldColor } from "./style.js";
import { renderTable } from "./table.js";

const ESC = String.fromCharCode(27);

describe("tables", () => {
  it("pads columns to their widest cell, colour codes not counted, numbers right-aligned", () => {
    const style = createStyle(true);
    const text = renderTable(
      [{ header: "ID" }, { header: "STATUS" }, { header: "N", align: "right" }],
      [
        ["a", style.status("SUCCESS"), "7"],
        ["long-id", style.status("ERROR"), "123"],
      ],
      createStyle(false),
      "none",
    );
    const plain = text.replaceAll(ESC, "").replace(/\[[0-9;]*m/g, "");
    expect(plain.split("\n")).toEqual([
      "ID       STATUS     N",
      "a        SUCCESS    7",
      "long-id  ERROR    123",
    ]);
  });

  it("colours only a terminal, and never when NO_COLOR is set", () => {
    const before = process.env["NO_COLOR"];
    try {
      delete process.env["NO_COLOR"];
      expect(shouldColor({ isTTY: true }, false)).toBe(true);
      expect(shouldColor({ isTTY: false }, false)).toBe(false);
      expect(shouldColor({ isTTY: true }, true)).toBe(false);
      process.env["NO_COLOR"] = "1";
      expect(shouldColor({ isTTY: true }, false)).toBe(false);
    } finally {
      if (before === undefined) delete process.env["NO_COLOR"];
      else process.env["NO_COLOR"] = before;
    }
  });
});
