// Real headless browsers on pages served from the repository over loopback, for tests of the
// browser bindings: Debian's Chromium (V8, over the DevTools protocol) and Firefox ESR
// (SpiderMonkey, over WebDriver BiDi), both driven by puppeteer-core, which downloads nothing.
// A test file declares its browser tests once (describeEachBrowser); they run in each browser, one
// browser launched per file and browser.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, describe } from "vitest";
// @ts-expect-error: plain JS example script
import { ISOLATION_HEADERS, serveDirectory } from "../examples/serve.js";

export type { Browser, Page };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const FIREFOX = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";

/** A browser the tests run in. */
export interface BrowserKind {
  name: "Chromium" | "Firefox";
  /** Its JavaScript engine, as bindings/measure.ts names it. */
  engine: "V8" | "SpiderMonkey";
  /** What its navigator.userAgent matches. */
  userAgent: RegExp;
  /** Not installed here: its tests are skipped, except on CI (which installs it: .ci/run). */
  missing: boolean;
  launch(): Promise<Browser>;
}

export const CHROMIUM_BROWSER: BrowserKind = {
  name: "Chromium", engine: "V8", userAgent: /HeadlessChrome|Chromium|Chrome/,
  missing: !existsSync(CHROMIUM) && !process.env.CI,
  // the flags this machine's closed network needs
  launch: () => puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  }),
};

export const FIREFOX_BROWSER: BrowserKind = {
  name: "Firefox", engine: "SpiderMonkey", userAgent: /Firefox\/\d+/,
  missing: !existsSync(FIREFOX) && !process.env.CI,
  // A fresh profile each launch (puppeteer's, whose prefs already point updates, telemetry and
  // remote settings at a dummy host); these turn off the background requests left.
  launch: () => (removeStaleProfiles(), puppeteer.launch({
    browser: "firefox", executablePath: FIREFOX, headless: true,
    extraPrefsFirefox: {
      "app.normandy.enabled": false,
      "messaging-system.rsexperimentloader.enabled": false,
      "network.captive-portal-service.enabled": false,
      "network.connectivity-service.enabled": false,
      "browser.region.network.url": "",
      "browser.topsites.contile.enabled": false,
    },
  })),
};

/** Firefox profiles of test runs stopped while Firefox ran (puppeteer removes a profile once its
 *  browser exits, which a killed run never sees): removed once an hour old, so never the profile
 *  of a test file running beside this one. */
function removeStaleProfiles(): void {
  const dir = tmpdir();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith("puppeteer_dev_firefox_profile-")) continue;
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // another run removed it first
    }
  }
}

export const BROWSERS: readonly BrowserKind[] = [CHROMIUM_BROWSER, FIREFOX_BROWSER];

/** Serves `root` (default: the repository) read-only on 127.0.0.1 at a free port; `isolated`:
 *  with the COOP/COEP headers shared memory needs. */
export function serveRepository(root?: string, isolated = false): Promise<{ url: string; server: Server }> {
  return serveDirectory(root, 0, isolated ? ISOLATION_HEADERS : {});
}

/** One browser of a kind for a describe block's tests: launched at first use, closed after them. */
export class BrowserSession {
  private launched?: Promise<Browser>;

  constructor(readonly kind: BrowserKind) {}

  browser(): Promise<Browser> {
    return (this.launched ??= this.kind.launch());
  }

  async close(): Promise<void> {
    const launched = this.launched;
    this.launched = undefined;
    if (launched) await (await launched).close();
  }

  /** Opens `url` in a fresh page (its uncaught errors fail the call) and runs `body` with it. */
  async withUrl<T>(url: string, body: (page: Page) => Promise<T>): Promise<T> {
    const page = await (await this.browser()).newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    try {
      await page.goto(url);
      const result = await body(page);
      if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
      return result;
    } finally {
      await page.close();
    }
  }

  /** Opens `path` (served from the repository, cross-origin isolated with `isolated`) in a fresh
   *  page and runs `body` with it. */
  async withPage<T>(path: string, body: (page: Page) => Promise<T>, options: { isolated?: boolean } = {}): Promise<T> {
    const { url, server } = await serveRepository(undefined, options.isolated);
    try {
      return await this.withUrl(url + path, body);
    } finally {
      server.close();
    }
  }
}

/**
 * Declares the describe block "`title` in headless Chromium", and the same in Firefox: `body`
 * declares the tests with that browser's session. A browser that is not installed skips its
 * block, except on CI.
 */
export function describeEachBrowser(title: string, body: (session: BrowserSession) => void): void {
  for (const kind of BROWSERS) {
    describe.skipIf(kind.missing)(`${title} in headless ${kind.name}`, () => {
      const session = new BrowserSession(kind);
      afterAll(() => session.close());
      body(session);
    });
  }
}

/** Opens `path` in a page of a Chromium launched for this call alone (tests of pages, not of engines). */
export async function withPage<T>(path: string, body: (page: Page) => Promise<T>, options: { isolated?: boolean } = {}): Promise<T> {
  const session = new BrowserSession(CHROMIUM_BROWSER);
  try {
    return await session.withPage(path, body, options);
  } finally {
    await session.close();
  }
}
