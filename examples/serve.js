#!/usr/bin/env node
// A static file server for the browser examples (no bundler, no dependencies): serves the
// repository read-only on 127.0.0.1, with the content types ES modules and wasm need.
//
//   node examples/serve.js [port]     then open http://127.0.0.1:PORT/examples/measure/
//
// It sends the cross-origin isolation headers (COOP/COEP), so pages may use shared heaps.
//
// The headless browser tests (Chromium, Firefox) serve pages with serveDirectory() too.
import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TYPES = {
  ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".map": "application/json", ".svg": "image/svg+xml",
};

/** Headers that make a page cross-origin isolated, which shared memory (shared heaps) needs. */
export const ISOLATION_HEADERS = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

/**
 * Serves `root` read-only on 127.0.0.1 (`port` 0: a free one); a directory serves its index.html.
 * `headers` go on every response (ISOLATION_HEADERS for pages that use shared heaps).
 */
export async function serveDirectory(root = ROOT, port = 0, headers = {}) {
  const base = root.endsWith(sep) ? root : root + sep;
  const server = createServer((req, res) => {
    let file = join(base, normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${address.port}`, server };
}

// Run when executed, not when imported by the tests.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { url } = await serveDirectory(ROOT, Number(process.argv[2] ?? 8080), ISOLATION_HEADERS);
  console.log(`serving ${ROOT} at ${url}/ (Ctrl-C stops)\n  ${url}/examples/measure/`);
}
