// Where the examples live, where their builds go (build/examples/, gitignored), and the rcalloc
// "installed" in examples/node_modules that they build against.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const EXAMPLES_DIR = join(ROOT, "examples");
export const OUT = join(ROOT, "build", "examples");

/** examples/node_modules/rcalloc (and as-library's): this package as an install would place it. */
export function linkPackage() {
  for (const at of [join(EXAMPLES_DIR, "node_modules", "rcalloc"), join(EXAMPLES_DIR, "as-library", "node_modules", "rcalloc")]) {
    mkdirSync(at, { recursive: true });
    for (const folder of ["assembly", "runtime", "include"]) {
      const link = join(at, folder);
      if (existsSync(link)) continue;
      symlinkSync(relative(at, join(ROOT, folder)), link, process.platform === "win32" ? "junction" : "dir");
    }
  }
}

