// The measurement page (examples/measure/) in real headless browsers (browser-harness.ts): it
// measures the workload example against both builds with a progress bar and draws the chart. The
// figures must be sane — both builds ran every round, the checked build cost more, the checksums
// match, the JSON is valid — never a timing threshold. A screenshot goes to
// test-results/measure-page.png (Firefox's: measure-page-firefox.png).
import { mkdirSync } from "node:fs";
import { beforeAll, expect, it } from "vitest";
import type { OverheadResult } from "../bindings/measure.js";
import { describeEachBrowser } from "./browser-harness.js";
import { expectValidOverhead } from "./overhead-schema.js";
// @ts-expect-error: plain JS build script
import { buildExamples } from "../examples/build.js";

beforeAll(() => buildExamples({ names: ["workload"] }), 120_000);

const ROUNDS = 5;

describeEachBrowser("the measurement page", (session) => {
  // Firefox clamps performance.now() to 1 ms on a page that is not cross-origin isolated (20 µs on
  // one that is): its batches of 200 ticks made the rounds take ten times as long. Served isolated,
  // as examples/serve.js serves it; Chromium's page is not, so its coarse 0.1 ms timer is tested.
  const isolated = session.kind.name === "Firefox";
  it("measures the workload example on both builds and draws per-round times and the ratio", async () => {
    const { result, chart, ratioText } = await session.withPage(`/examples/measure/?rounds=${ROUNDS}`, async (page) => {
      await page.setViewport({ width: 900, height: 1250 });
      await page.waitForFunction(() => (window as unknown as { measurePageReady?: boolean }).measurePageReady === true);
      await page.click("#start");
      // The progress bar moves between rounds (the page yields to the browser after each). Read at
      // each change of it, not per animation frame: Firefox's 5 fast rounds could all pass between
      // two frames, and the wait then never saw a value between 0 and 1 (a CI run hung on it).
      await page.waitForFunction(() => {
        const v = (document.getElementById("progress") as HTMLProgressElement).value;
        return v > 0 && v < 1;
      }, { timeout: 60_000, polling: "mutation" });
      await page.waitForFunction(() => {
        const w = window as unknown as { overheadResult?: unknown; overheadError?: string };
        if (w.overheadError) throw new Error(w.overheadError);
        return w.overheadResult !== undefined;
      }, { timeout: 120_000 });
      mkdirSync("test-results", { recursive: true });
      await page.screenshot({ path: `test-results/measure-page${session.kind.name === "Chromium" ? "" : "-firefox"}.png`, fullPage: true });
      return {
        result: await page.evaluate(() => (window as unknown as { overheadResult: OverheadResult }).overheadResult),
        chart: await page.evaluate(() => ({
          polylines: document.querySelectorAll("#chart svg polyline").length,
          points: document.querySelectorAll("#chart svg circle").length,
        })),
        ratioText: await page.$eval("#ratio", (e) => e.textContent),
      };
    }, { isolated });
    expectValidOverhead(result);
    expect(result.environment.userAgent).toMatch(session.kind.userAgent);
    expect(result.environment.engine).toBe(session.kind.engine);
    expect(result.environment.platform).toBeNull();
    expect(result.environment.crossOriginIsolated).toBe(isolated);
    expect(result).toMatchObject({ kind: "module", entry: "run", rounds: ROUNDS, checksumsEqual: true });
    for (const build of ["unchecked", "checked"] as const) {
      expect(result.builds[build].rounds).toHaveLength(ROUNDS);
      for (const ms of result.builds[build].rounds) expect(ms).toBeGreaterThan(0);
      expect(result.builds[build].peakPages).toBeGreaterThan(0);
    }
    expect(result.builds.checked.checksum).toMatch(/^\d+$/);
    expect(result.builds.checked.checksum).toBe(result.builds.unchecked.checksum);
    expect(result.ratio.median).toBeGreaterThan(0); // a ratio, not a speed claim (no timing thresholds in npm test)
    expect(chart).toEqual({ polylines: 3, points: 3 * ROUNDS });
    expect(ratioText).toContain(`${result.ratio.median.toFixed(2)}×`);
  }, 200_000); // the page's waits above (60 s, 120 s) bound it, and each says which one timed out
});
