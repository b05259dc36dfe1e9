// Real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) on a page served
// from the repository over loopback, for tests of the browser bindings.
import type { Server } from "node:http";
import { chromium, type Browser, type Page } from "playwright-core";
// @ts-expect-error: plain JS example script
import { ISOLATION_HEADERS, serveDirectory } from "../examples/serve.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Serves `root` (default: the repository) read-only on 127.0.0.1 at a free port; `isolated`:
 *  with the COOP/COEP headers shared memory needs. */
export function serveRepository(root?: string, isolated = false): Promise<{ url: string; server: Server }> {
  return serveDirectory(root, 0, isolated ? ISOLATION_HEADERS : {});
}

/** Launches headless Chromium with the flags this machine's closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Opens `path` (served from the repository, cross-origin isolated with `isolated`) in a fresh
 *  page and runs `body` with it. */
export async function withPage<T>(path: string, body: (page: Page) => Promise<T>, options: { isolated?: boolean } = {}): Promise<T> {
  const { url, server } = await serveRepository(undefined, options.isolated);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url + path);
    const result = await body(page);
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    return result;
  } finally {
    await browser.close();
    server.close();
  }
}
