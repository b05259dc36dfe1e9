// Build flags (assembly/config.ts): a combination the allocator cannot honour fails to compile,
// with a message naming it, rather than building something that misbehaves at run time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { asc } from "./run-tools.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rcalloc-flags-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Compiles the shared build's entry with `use` flags; the compiler's error and output. */
async function compileShared(use: string[]): Promise<{ error: unknown; output: string }> {
  const flags = use.flatMap((u) => ["--use", u]);
  return asc([
    "assembly/shared.ts", ...flags, "--enable", "threads", "--sharedMemory", "--importMemory", "--maximumMemory", "100",
    "--runtime", "stub", "--baseDir", root, "-o", join(work, `${use.join("-")}.wasm`), "--noColors",
  ]);
}

describe("build flags", () => {
  it("RC_HOST_SITES with RC_SHARED is refused at compile time, naming both", async () => {
    const { error, output } = await compileShared(["RC_CHECKED=1", "RC_SHARED=1", "RC_HOST_SITES=1"]);
    expect(error).toBeTruthy();
    expect(output).toContain("RC_HOST_SITES=1 and RC_SHARED=1 cannot be combined");
  }, 60_000);
  // The shared builds without RC_HOST_SITES compile in every `npm install` (build:shared).
});
