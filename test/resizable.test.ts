// HeapOptions.resizable in headless Chromium and Firefox, whose engines have toResizableBuffer
// (Node 20 has not): plain views survive growth when the memory declares a maximum, the string
// helpers still work, and TextDecoder refuses such views (why the option is off by default).
// Without a maximum the heap says it stayed non-resizable.
import { describe, expect, it } from "vitest";
import { createHeap } from "../bindings/node.js";
import { describeEachBrowser } from "./browser-harness.js";

describe("resizable buffers", () => {
  it("falls back to detaching views where it cannot (Node 20 lacks it; our builds declare no maximum)", async () => {
    const heap = await createHeap({ checked: true, resizable: true });
    expect(heap.resizable).toBe(false);
    const h = heap.alloc(4);
    expect(heap.bytes(h).length).toBe(4);
    heap.put(h);
  });
});

describeEachBrowser("resizable buffers", (session) => {
  it("views survive growth with a memory maximum", async () => {
    const result = await session.withPage("/test/fixtures/resizable.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      return page.evaluate(() => (window as unknown as { runResizable(): Promise<Record<string, unknown>> }).runResizable());
    });
    expect(result.engineHasIt).toBe(true);
    expect(result).toMatchObject({
      withoutMaximum: false, withMaximum: true, survivesGrowth: true,
      readString: "héllo wörld", readString2: "日本語 and more", textDecoder: "TypeError",
    });
  });
});
