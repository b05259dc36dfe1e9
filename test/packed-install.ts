// A temporary project that installed this package from its packed tarball, as a user's would:
// for the tests that run the package the way users get it (bundlers, the README's snippets).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export const npm = (args: string[], cwd: string): string =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });

/**
 * A new temporary ESM project (its folder is returned) with `rcalloc` installed from `npm pack`
 * of the repository (its `files`, its bin), dependencies from the local npm cache when there.
 * `fixture`: a folder whose files are copied in first.
 */
export function projectWithPackedRcalloc(name: string, fixture?: string): string {
  const app = mkdtempSync(join(tmpdir(), `rcalloc-${name}-`));
  if (fixture) cpSync(fixture, app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name, private: true, type: "module" }, null, 2));
  const packs = join(app, ".pack");
  mkdirSync(packs);
  npm(["pack", "--ignore-scripts", "--pack-destination", packs, ROOT], app);
  const tarball = readdirSync(packs).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("npm pack wrote no tarball");
  npm(["install", "--prefer-offline", join(packs, tarball)], app);
  return app;
}
