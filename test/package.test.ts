// The package as users get it: `npm pack`, install the tarball into an empty project, and import
// `rcalloc` from plain Node JS (ESM), both builds, typed errors included.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rcalloc-package-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });

describe("npm package", () => {
  it("installs from its tarball and imports from plain Node JS", () => {
    npm(["pack", "--ignore-scripts", "--pack-destination", work, ROOT], work);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    expect(tarball).toMatch(/^rcalloc-.*\.tgz$/);
    const app = join(work, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    npm(["install", "--prefer-offline", join(work, tarball)], app);
    writeFileSync(join(app, "main.js"), `
      import { createHeap, DoublePutError } from "rcalloc";
      const out = {};
      for (const checked of [false, true]) {
        const heap = await createHeap({ checked });
        const a = heap.alloc(40);
        const b = heap.get(a);
        heap.put(b);
        out[checked ? "checked" : "unchecked"] = { refs: heap.refs(a), size: heap.size(a) };
        if (checked) {
          try { heap.put(b); } catch (e) { out.error = { isDoublePut: e instanceof DoublePutError, code: e.code }; }
        }
      }
      console.log(JSON.stringify(out));
    `);
    const out = JSON.parse(execFileSync("node", ["main.js"], { cwd: app, encoding: "utf8" }));
    expect(out).toEqual({
      unchecked: { refs: 1, size: 40 },
      checked: { refs: 1, size: 40 },
      error: { isDoublePut: true, code: "DOUBLE_PUT" },
    });
  });
});
