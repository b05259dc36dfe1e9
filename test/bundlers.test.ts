// rcalloc through bundlers, with no bundler configuration: a small page (test/fixtures/bundler)
// in a project that installed the packed package, built with `vite build`, served by the Vite dev
// server, and bundled by webpack 5 (its defaults, an entry and nothing else), each opened in
// headless Chromium: both builds load, a double put is caught, bytes() goes through TextDecoder,
// link() runs a small module.
import { copyFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium, serveRepository } from "./browser-harness.js";
import { projectWithPackedRcalloc, ROOT } from "./packed-install.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";

const EXPECTED = {
  uncheckedBuild: true, doublePut: "DOUBLE_PUT", text: "héllo", isView: true, linkedDoublePut: "DOUBLE_PUT",
};

let app = "";
let browser: Browser;

beforeAll(async () => {
  await buildExamples({ names: ["double-put"] });
  app = projectWithPackedRcalloc("bundler", join(ROOT, "test", "fixtures", "bundler"));
  copyFileSync(examplePath("double-put"), join(app, "double-put.wasm"));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Opens `url` in a new page and runs the fixture's runRcalloc(). */
async function runPage(url: string): Promise<Record<string, unknown>> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const result = await page.evaluate(() => (window as unknown as { runRcalloc(): Promise<Record<string, unknown>> }).runRcalloc());
    expect(errors).toEqual([]);
    return result;
  } finally {
    await page.close();
  }
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("bundlers", () => {
  it("vite build: the wasm builds are emitted and load in Chromium", async () => {
    const { build } = await import("vite");
    const warnings: string[] = [];
    await build({
      root: app, logLevel: "warn", configFile: false,
      customLogger: { info() {}, warn: (m: string) => warnings.push(m), warnOnce: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), clearScreen() {}, hasErrorLogged: () => false, hasWarned: false },
    });
    expect(warnings.filter((w) => /rcalloc|wasm|import\.meta\.url/.test(w))).toEqual([]);
    const { url, server } = await serveRepository(join(app, "dist"));
    try {
      const result = await runPage(url + "/");
      expect(result.userAgent).toMatch(/HeadlessChrome|Chromium|Chrome/);
      expect(result).toMatchObject(EXPECTED);
    } finally {
      server.close();
    }
  });

  it("vite dev server: the wasm builds are served and load in Chromium", async () => {
    const { createServer } = await import("vite");
    const server = await createServer({
      root: app, logLevel: "silent", configFile: false,
      server: { host: "127.0.0.1", port: 0, strictPort: false },
    });
    await server.listen();
    try {
      const url = server.resolvedUrls?.local[0];
      expect(url).toBeTruthy();
      expect(await runPage(url!)).toMatchObject(EXPECTED);
    } finally {
      await server.close();
    }
  });

  it("webpack 5: the wasm builds are emitted as assets and load in Chromium", async () => {
    const { default: webpack } = await import("webpack");
    const out = join(app, "dist-webpack");
    const stats = await new Promise<import("webpack").Stats>((resolve, reject) => {
      webpack({
        mode: "production", context: app, entry: "./main.js", output: { path: out },
        infrastructureLogging: { level: "none" },
      }, (err, result) => (err || !result ? reject(err) : resolve(result)));
    });
    expect(stats.toJson({ all: false, errors: true, warnings: true }).errors ?? []).toEqual([]);
    const assets = Object.keys(stats.compilation.assets);
    expect(assets.filter((a) => a.endsWith(".wasm")).length).toBeGreaterThanOrEqual(3); // both builds, the app
    writeFileSync(join(out, "index.html"), '<!doctype html><meta charset="utf-8"><script src="main.js"></script>');
    const { url, server } = await serveRepository(out);
    try {
      expect(await runPage(url + "/")).toMatchObject(EXPECTED);
    } finally {
      server.close();
    }
  });
});
