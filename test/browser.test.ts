// The browser bindings in real headless Chromium: load, double put, typed error.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHROMIUM, withPage } from "./browser-harness.js";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("headless Chromium", () => {
  it("loads the browser bindings, and a double put raises DoublePutError", async () => {
    const result = await withPage("/test/fixtures/browser.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      return page.evaluate(() => (window as unknown as { runDoublePut(): Promise<Record<string, unknown>> }).runDoublePut());
    });
    expect(result.userAgent).toMatch(/HeadlessChrome|Chromium|Chrome/);
    expect(result).toMatchObject({
      thrown: true, isDoublePut: true, isRcError: true, name: "DoublePutError", code: "DOUBLE_PUT",
      refsLeft: 1, bytesIntact: true,
    });
    expect(result.handle).toBe(result.expectedHandle);
    expect(result.message).toMatch(/double put.*taken at .*browser\.html:\d+:\d+.*first put at .*browser\.html:\d+/);
  });
});
