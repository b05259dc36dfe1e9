// examples/node_modules/rcalloc is this package as an install places it (examples/build.js), bin
// included: `cd examples && npx rcalloc check …`, as examples/README.md says, runs the local
// command instead of asking the registry for a package named rcalloc.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
// @ts-expect-error: plain JS build script
import { buildExamples, EXAMPLES_DIR } from "../examples/build.js";

beforeAll(() => buildExamples({ names: ["leaky"] }), 120_000);

it("npx rcalloc in examples/ runs the package's bin, offline", () => {
  const r = spawnSync("npx", ["--no-install", "rcalloc", "check", join("..", "build", "examples", "leaky.wasm")], {
    cwd: EXAMPLES_DIR, encoding: "utf8", env: { ...process.env, npm_config_offline: "true" },
  });
  expect(r.stdout + r.stderr).toMatch(/LEAKS\s+3 references/);
  expect(r.status).toBe(1);
});
