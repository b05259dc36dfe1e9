// Shared heaps in real headless browsers (browser-harness.ts) with Web Workers: the threads
// stress and a deliberate race on a cross-origin isolated page (COOP/COEP from the local test
// server), and the error a page without isolation gets.
import { expect, it } from "vitest";
import { describeEachBrowser } from "./browser-harness.js";

type Win = {
  ready?: boolean;
  runStress(o: object): Promise<Record<string, number | number[] | object>>;
  runRace(o: object): Promise<{ a: { code: string }[]; b: { code: string }[]; leftObjects: number; leftReferences: number }>;
  tryShared(): Promise<{ created: boolean; isolated: boolean; message?: string }>;
};

describeEachBrowser("shared heaps", (session) => {
  it("Web Workers stress both shared builds, and two workers putting one handle are caught every time", async () => {
    const results = await session.withPage("/test/fixtures/threads.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as Win).ready === true);
      const runs = [];
      for (const [checked, workers, seed, yieldEvery] of [[false, 4, 11, 0], [true, 6, 12, 100]] as const) {
        runs.push(await page.evaluate((o) => (window as unknown as Win).runStress(o), { checked, workers, ops: 3000, seed, yieldEvery, stacks: checked }));
      }
      const race = await page.evaluate(() => (window as unknown as Win).runRace({ checked: true, kind: "double-put", rounds: 150 }));
      return { runs, race };
    }, { isolated: true });
    for (const r of results.runs) {
      expect(r.wrongCounts).toBe(0);
      expect(r.objectsAtQuietPoint).toBeGreaterThan(0);
      expect((r.done as { pops: number }).pops).toBeGreaterThan(0);
      expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
    }
    expect(results.runs[1].threadsNamed).toEqual(expect.arrayContaining(results.runs[1].workerThreads as number[]));
    const { a, b } = results.race;
    for (let i = 0; i < a.length; i++) expect([a[i].code, b[i].code].sort()).toEqual(["DOUBLE_PUT", "ok"]);
    expect([results.race.leftObjects, results.race.leftReferences]).toEqual([0, 0]);
  });

  it("a page that is not cross-origin isolated gets an error that names the COOP/COEP headers", async () => {
    const result = await session.withPage("/test/fixtures/threads.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as Win).ready === true);
      return page.evaluate(() => (window as unknown as Win).tryShared());
    });
    expect(result.isolated).toBe(false);
    expect(result.created).toBe(false);
    expect(result.message).toMatch(/cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
  });

  it("reads strings out of a shared memory (C string sites, readString), which TextDecoder refuses to decode in place", async () => {
    const text = await session.withPage("/test/fixtures/threads.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as Win).ready === true);
      // A string, so that vitest leaves its import() alone.
      return page.evaluate(`(async () => {
        const api = await import("/dist/browser.js");
        const attempt = (read) => { try { return read(); } catch (e) { return "threw " + e; } };
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
        new Uint8Array(memory.buffer).set(new TextEncoder().encode("parser.c:42\\0"), 1024);
        const site = attempt(() => api.readSiteString(memory, api.cStringSite(1024)));
        const heap = await api.createHeap({ shared: true, checked: true });
        const h = heap.allocString("héllo");
        return { site, string: attempt(() => heap.readString(h)) };
      })()`) as Promise<{ site: string; string: string }>;
    }, { isolated: true });
    expect(text).toEqual({ site: "parser.c:42", string: "héllo" });
  });

  it("the minimal WASI prints a linked C module's output from a shared memory (TextDecoder refuses it in place)", async () => {
    const lines = await session.withPage("/test/fixtures/threads.html", async (page) => {
      await page.waitForFunction(() => (window as unknown as Win).ready === true);
      return page.evaluate(`(async () => {
        const { minimalWasi } = await import("/dist/wasi.js");
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
        new Uint8Array(memory.buffer).set(new TextEncoder().encode("héllo\\n"), 1024);
        const iov = new DataView(memory.buffer);
        iov.setUint32(64, 1024, true); iov.setUint32(68, 7, true);
        const out = [];
        const wasi = minimalWasi(() => memory, (fd, line) => out.push(fd + ":" + line));
        try { wasi.fd_write(1, 64, 1, 72); }
        catch (e) { out.push("threw " + e); }
        // getRandomValues refuses a view of shared memory in browsers: random_get fills a copy.
        try { out.push("random_get " + wasi.random_get(2048, 1024) + " " + new Uint8Array(memory.buffer, 2048, 1024).some((b) => b !== 0)); }
        catch (e) { out.push("random_get threw " + e); }
        return out;
      })()`) as Promise<string[]>;
    }, { isolated: true });
    expect(lines).toEqual(["1:héllo", "random_get 0 true"]);
  });
});
