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

  it("put traps on nothing and touches no table; only freeing calls out (TLSF, pairs)", () => {
    const code = body(text, "put");
    const calls = code.match(/\bcall \S+/g) ?? [];
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).toMatch(/^call \$assembly\/(tlsf|pairs)\//);
    expect(code).not.toMatch(/abort|unreachable/);
  });

  it("has no handle table and none of the checked build's messages", () => {
    expect(text).not.toMatch(/assembly\/handles\/(resolve|issue|release|staleHandle|growTable)/);
    for (const message of ["double put", "use after put", "another heap"]) {
      expect(text).not.toContain(message.split("").join("\\00")); // UTF-16 in the data segment
    }
  });
});

describe("checked build", () => {
  const text = wat("checked");

  it("get and put check the handle and can trap", () => {
    for (const name of ["get", "put", "ptr"]) expect(body(text, name)).toMatch(/call \$~lib\/builtins\/abort/);
  });

  it("carries its messages", () => {
    expect(text).toContain("d\\00o\\00u\\00b\\00l\\00e\\00 \\00p\\00u\\00t");
  });
});
