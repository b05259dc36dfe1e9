// The browser bindings in real headless browsers: load, double put, typed error, and sites that
// name the page's own lines (in the error, the report, the HTML report and a Ref's creation).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { describeEachBrowser } from "./browser-harness.js";

/** "browser.html:LINE:" of the fixture's line marked `// SITE: name`, as a pattern of a site label. */
const fixture = readFileSync(new URL("fixtures/browser.html", import.meta.url), "utf8").split("\n");
const site = (name: string) => {
  const line = fixture.findIndex((l) => l.endsWith(`// SITE: ${name}`)) + 1;
  expect(line).toBeGreaterThan(0);
  return `http://127\\.0\\.0\\.1:\\d+/test/fixtures/browser\\.html:${line}:\\d+`;
};

describeEachBrowser("the browser bindings", (session) => {
  it("loads the browser bindings, and a double put raises DoublePutError naming the page's lines", async () => {
    const result = await session.withPage("/test/fixtures/browser.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      return page.evaluate(() => (window as unknown as { runDoublePut(): Promise<Record<string, unknown>> }).runDoublePut());
    });
    expect(result.userAgent).toMatch(session.kind.userAgent);
    expect(result).toMatchObject({
      thrown: true, isDoublePut: true, isRcError: true, name: "DoublePutError", code: "DOUBLE_PUT",
      refsLeft: 1, bytesIntact: true,
    });
    expect(result.handle).toBe(result.expectedHandle);
    expect(result.site).toMatch(new RegExp(`^${site("get")}$`));
    expect(result.putSite).toMatch(new RegExp(`^${site("put")}$`));
    expect(result.message).toMatch(new RegExp(`double put.*; taken at ${site("get")}; first put at ${site("put")}\\)$`));
  });

  it("turns each misuse into the same typed error, with the same details, naming the page's lines", async () => {
    const result = await session.withPage("/test/fixtures/browser.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      return page.evaluate(() => (window as unknown as { runMisuse(): Promise<Record<string, unknown>[]> }).runMisuse());
    });
    const line = (name: string) => expect.stringMatching(new RegExp(`^${site(name)}$`));
    const object = expect.any(Number);
    expect(result.map(({ message: _, ...e }) => e)).toEqual([
      { what: "use after put", name: "UseAfterPutError", code: "USE_AFTER_PUT", handle: expect.any(Number), object, site: line("misuse get"), putSite: line("misuse put") },
      { what: "invalid handle", name: "InvalidHandleError", code: "INVALID_HANDLE", handle: 12345 },
      { what: "not a u32", name: "InvalidHandleError", code: "INVALID_HANDLE", handle: 0 },
      { what: "out of memory", name: "OutOfMemoryError", code: "OUT_OF_MEMORY", handle: 0 },
      { what: "invalid argument", name: "InvalidArgumentError", code: "INVALID_ARGUMENT", handle: 0 },
      { what: "ownership", name: "OwnershipError", code: "OWNERSHIP", handle: expect.any(Number), object },
      { what: "use after move", name: "UseAfterMoveError", code: "USE_AFTER_MOVE", handle: expect.any(Number), object, site: line("misuse get again"), putSite: line("misuse move") },
      { what: "shared resize", name: "SharedResizeError", code: "SHARED_RESIZE", handle: expect.any(Number), object, site: line("misuse alloc") },
      { what: "double free", name: "DoublePutError", code: "DOUBLE_PUT", handle: 0, object, site: line("misuse malloc"), putSite: line("misuse free") },
      { what: "free of no block", name: "InvalidHandleError", code: "INVALID_HANDLE", handle: 0, object },
    ].map((e) => ({ ...e, typed: true })));
    for (const e of result) {
      expect(e.message).toMatch(/^rcalloc: /);
      if (e.site) expect(e.message).toContain(`taken at ${e.site}`);
    }
    expect(result[2].message).toBe("rcalloc: invalid handle: -1 is not a u32");
  });

  it("names a leak's line and function in the report and the HTML report, and a Ref's creation", async () => {
    const result = await session.withPage("/test/fixtures/browser.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      return page.evaluate(() => (window as unknown as { runReport(): Promise<Record<string, unknown>> }).runReport());
    });
    expect(result.text).toMatch(new RegExp(`\\n1 reference taken at ${site("leak")} \\(`));
    expect(result.functions).toEqual(["rememberUser"]);
    expect(result.refError).toMatchObject({ name: "DoublePutError" });
    expect((result.refError as { site: string }).site).toMatch(new RegExp(`^${site("allocRef")}$`));
    expect((result.refError as { message: string }).message).toMatch(new RegExp(`; created at ${site("allocRef")}\\)$`));
  });
});
