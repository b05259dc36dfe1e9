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
