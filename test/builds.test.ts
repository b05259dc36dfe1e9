// What the compiler made of the two builds: the unchecked hot paths carry no table and no checks,
// the checked build carries both. Reads the generated .wat text next to each .wasm.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const wat = (build: string) => readFileSync(new URL(`../build/rcalloc.${build}.wat`, import.meta.url), "utf8");

/** The body of `(func $assembly/index/NAME ...)` in a .wat file. */
function body(text: string, name: string): string {
  const start = text.indexOf(`(func $assembly/index/${name} `);
  expect(start, `function ${name} in the .wat`).toBeGreaterThanOrEqual(0);
  const end = text.indexOf("\n (func ", start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

describe("unchecked build", () => {
  const text = wat("unchecked");

  it.each(["get", "getAt", "ptr", "refs", "size"])("%s is straight-line: no calls, no branches to a trap", (name) => {
    const code = body(text, name);
    expect(code).not.toMatch(/\bcall\b/);
    expect(code).not.toMatch(/unreachable|abort/);
  });

  it("put is a decrement; only the last put calls out, to one shared function", () => {
    const code = body(text, "put");
    expect(code.match(/\bcall \S+/g) ?? []).toEqual(["call $assembly/lifecycle/releaseObject"]);
    expect(code).not.toMatch(/abort|unreachable/);
  });

  it("alloc's fast path is inline; growth, medium sizes and traps are calls to shared functions", () => {
    const calls = new Set(body(text, "alloc").match(/\bcall \S+/g) ?? []);
    expect(calls).toEqual(new Set([
      "call $assembly/blocks/allocFromLists", "call $assembly/blocks/allocClassBlock", "call $~lib/builtins/abort",
    ]));
  });

  // The checked build's table functions that stay out of line (resolve/issue/release are inlined,
  // so they never appear as functions). Each must exist in the checked build, or this test would
  // pass for a name that no longer exists.
  const tableFunctions = ["handles/refuse", "handles/badSlot", "handles/growTable", "lifecycle/reserveSlotSlow"];

  it.each(tableFunctions)("has no %s (it exists in the checked build)", (name) => {
    expect(wat("checked")).toMatch(new RegExp(`\\(func \\$assembly/${name}\\s`));
    expect(text).not.toContain(`$assembly/${name}`);
  });

  it("has none of the checked build's messages", () => {
    for (const message of ["double put", "use after put", "another heap"]) {
      expect(text).not.toContain(message.split("").join("\\00")); // UTF-16 in the data segment
    }
  });
});

describe("checked build", () => {
  const text = wat("checked");

  it("get, put and ptr check the handle inline and trap through one out-of-line function", () => {
    for (const name of ["get", "put", "ptr"]) {
      const calls = body(text, name).match(/\bcall \S+/g) ?? [];
      expect(calls).toContain("call $assembly/handles/refuse");
    }
  });

  it("carries its messages", () => {
    expect(text).toContain("d\\00o\\00u\\00b\\00l\\00e\\00 \\00p\\00u\\00t");
  });
});
