// link() in real headless browsers (browser-harness.ts): the browser bindings fetch the allocator
// build, link a user module built from AssemblyScript, and a double put in its wasm code surfaces
// as DoublePutError with the wasm sites.
import { beforeAll, expect, it } from "vitest";
import { describeEachBrowser } from "./browser-harness.js";
// @ts-expect-error: plain JS build script
import { buildExamples } from "../examples/build.js";

beforeAll(() => buildExamples({ names: ["double-put", "workload"] }), 120_000);

describeEachBrowser("link()", (session) => {
  it("links a user module; its double put raises DoublePutError; same bytes run on both builds", async () => {
    const { doublePut, workload } = await session.withPage("/test/fixtures/link/browser.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      type Page = { runDoublePut(): Promise<Record<string, unknown>>; runWorkload(): Promise<Record<string, unknown>> };
      return {
        doublePut: await page.evaluate(() => (window as unknown as Page).runDoublePut()),
        workload: await page.evaluate(() => (window as unknown as Page).runWorkload()),
      };
    });
    expect(doublePut.userAgent).toMatch(session.kind.userAgent);
    expect(doublePut).toMatchObject({ thrown: true, isDoublePut: true, isRcError: true, name: "DoublePutError", code: "DOUBLE_PUT" });
    expect(doublePut.site).toMatch(/^double-put\/index\.ts:\d+:\d+$/);
    expect(doublePut.putSite).toMatch(/^double-put\/index\.ts:\d+:\d+$/);
    expect(doublePut.putStack).toMatch(/double-put\/index\/deliver/);
    expect(doublePut.message).toMatch(/double put.*taken at double-put\/index\.ts:\d+:\d+; first put at double-put\/index\.ts:\d+:\d+/);
    expect(workload.checked).toBe(workload.unchecked);
    expect(workload).toMatchObject({ checkedLeaks: 0, uncheckedLeaks: 0 });
  });
});
