// Where the examples live, where their builds go (build/examples/, gitignored), and the rcalloc
// "installed" in examples/node_modules that they build against.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const EXAMPLES_DIR = join(ROOT, "examples");
export const OUT = join(ROOT, "build", "examples");

/**
 * examples/node_modules/rcalloc (and as-library's): this package as an install would place it,
 * with its package.json and its bin linked in node_modules/.bin, so `npx rcalloc` runs there.
 */
export function linkPackage() {
  for (const modules of [join(EXAMPLES_DIR, "node_modules"), join(EXAMPLES_DIR, "as-library", "node_modules")]) {
    const at = join(modules, "rcalloc");
    mkdirSync(at, { recursive: true });
    for (const entry of ["assembly", "runtime", "include", "bin", "package.json"]) {
      const link = join(at, entry);
      if (existsSync(link)) continue;
      const isFile = entry.endsWith(".json");
      symlinkSync(relative(at, join(ROOT, entry)), link, isFile ? "file" : process.platform === "win32" ? "junction" : "dir");
    }
    const bin = join(modules, ".bin", "rcalloc");
    mkdirSync(join(modules, ".bin"), { recursive: true });
    if (!existsSync(bin)) symlinkSync(join("..", "rcalloc", "bin", "rcalloc.js"), bin, "file");
  }
}
