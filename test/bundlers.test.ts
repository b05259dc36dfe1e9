// rcalloc through bundlers, with no bundler configuration: a small page (test/fixtures/bundler)
// in a project that installed the packed package, built with `vite build`, served by the Vite dev
// server, and bundled by webpack 5 (its defaults, an entry and nothing else), each opened in
// headless Chromium and Firefox: both builds load, a double put is caught, bytes() goes through
// TextDecoder, link() runs a small module, and with `stacks` sites name the app's own lines (the
// builds keep source maps to read them back: the code is the same without). Each bundle is built
// once, for the first browser.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachBrowser, serveRepository } from "./browser-harness.js";
import { originalPosition } from "./js-source-map.js";
import { projectWithPackedRcalloc, ROOT } from "./packed-install.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";

const EXPECTED = {
  uncheckedBuild: true, doublePut: "DOUBLE_PUT", text: "héllo", isView: true, linkedDoublePut: "DOUBLE_PUT",
  // Sites of a linked module are its wasm frames (taken in main, first put in deliver): no bundler changes them.
  linkedSites: [expect.stringMatching(/\/main \(wasm 0x[0-9a-f]+\)$/), expect.stringMatching(/\/deliver \(wasm 0x[0-9a-f]+\)$/)],
};

/** "main.js:LINE" of the fixture's line marked `// SITE: name`. */
const fixture = readFileSync(join(ROOT, "test", "fixtures", "bundler", "main.js"), "utf8").split("\n");
const line = (name: string) => `main.js:${fixture.findIndex((l) => l.endsWith(`// SITE: ${name}`)) + 1}`;
/** Where the page's double puts and its string were taken and first put: the app's lines. */
const SITES = {
  sites: [line("get"), line("put")], refSites: [line("allocRef"), line("Ref.put")], stringSite: line("allocString"),
};

/** The page's site labels ("http://host/assets/x.js:1:2345") as "file:LINE" of the code they name,
 *  read back through the bundle's source map when `dist` (the build's folder) is given; a label
 *  that is not a frame ("(unknown)") stays as it is. */
function appLines(result: Record<string, unknown>, dist?: string): Record<string, unknown> {
  const named = (label: unknown): unknown => {
    const frame = typeof label === "string" ? /^https?:\/\/[^/]+\/(.+):(\d+):(\d+)$/.exec(label) : null;
    if (!frame) return label;
    if (!dist) return `${basename(frame[1])}:${frame[2]}`;
    const map = JSON.parse(readFileSync(join(dist, `${frame[1]}.map`), "utf8"));
    const at = originalPosition(map, Number(frame[2]), Number(frame[3]));
    return at ? `${basename(at.source)}:${at.line}` : label;
  };
  const { sites, refSites, stringSite } = result as { sites: unknown[]; refSites: unknown[]; stringSite: unknown };
  return { sites: sites?.map(named), refSites: refSites?.map(named), stringSite: named(stringSite) };
}

let app = "";

beforeAll(async () => {
  await buildExamples({ names: ["double-put"] });
  app = projectWithPackedRcalloc("bundler", join(ROOT, "test", "fixtures", "bundler"));
  copyFileSync(examplePath("double-put"), join(app, "double-put.wasm"));
}, 120_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Runs `make` once, for the first browser that asks. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** `vite build` of the app: its output folder. */
const viteBuild = once(async () => {
  const { build } = await import("vite");
  const warnings: string[] = [];
  await build({
    root: app, logLevel: "warn", configFile: false, build: { sourcemap: true },
    customLogger: { info() {}, warn: (m: string) => warnings.push(m), warnOnce: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), clearScreen() {}, hasErrorLogged: () => false, hasWarned: false },
  });
  expect(warnings.filter((w) => /rcalloc|wasm|import\.meta\.url/.test(w))).toEqual([]);
  return join(app, "dist");
});

/** webpack 5 (its defaults, an entry and nothing else) of the app: its output folder. */
const webpackBuild = once(async () => {
  const { default: webpack } = await import("webpack");
  const out = join(app, "dist-webpack");
  const stats = await new Promise<import("webpack").Stats>((resolve, reject) => {
    webpack({
      mode: "production", devtool: "source-map", context: app, entry: "./main.js", output: { path: out },
      infrastructureLogging: { level: "none" },
    }, (err, result) => (err || !result ? reject(err) : resolve(result)));
  });
  expect(stats.toJson({ all: false, errors: true, warnings: true }).errors ?? []).toEqual([]);
  const assets = Object.keys(stats.compilation.assets);
  expect(assets.filter((a) => a.endsWith(".wasm")).length).toBeGreaterThanOrEqual(3); // both builds, the app
  writeFileSync(join(out, "index.html"), '<!doctype html><meta charset="utf-8"><script src="main.js"></script>');
  return out;
});

describeEachBrowser("bundlers", (session) => {
  /** Opens `url` in a new page and runs the fixture's runRcalloc(). */
  const runPage = (url: string) => session.withUrl(url, async (page) => {
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    return page.evaluate(() => (window as unknown as { runRcalloc(): Promise<Record<string, unknown>> }).runRcalloc());
  });

  it("vite build: the wasm builds are emitted and load", async () => {
    const dist = await viteBuild();
    const { url, server } = await serveRepository(dist);
    try {
      const result = await runPage(url + "/");
      expect(result.userAgent).toMatch(session.kind.userAgent);
      expect(result).toMatchObject(EXPECTED);
      expect(appLines(result, dist)).toEqual(SITES); // the app shares assets/ with rcalloc
    } finally {
      server.close();
    }
  });

  it("vite dev server: the wasm builds are served and load", async () => {
    const { createServer } = await import("vite");
    const server = await createServer({
      root: app, logLevel: "silent", configFile: false,
      server: { host: "127.0.0.1", port: 0, strictPort: false },
    });
    await server.listen();
    try {
      const url = server.resolvedUrls?.local[0];
      expect(url).toBeTruthy();
      const result = await runPage(url!);
      expect(result).toMatchObject(EXPECTED);
      expect(appLines(result)).toEqual(SITES); // served as written
    } finally {
      await server.close();
    }
  });

  it("webpack 5: the wasm builds are emitted as assets and load", async () => {
    const out = await webpackBuild();
    const { url, server } = await serveRepository(out);
    try {
      const result = await runPage(url + "/");
      expect(result).toMatchObject(EXPECTED);
      expect(appLines(result, out)).toEqual(SITES); // rcalloc's import.meta.url is rewritten to a file: URL
    } finally {
      server.close();
    }
  });
});
