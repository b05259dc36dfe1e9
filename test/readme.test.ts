// The READMEs run as written: every shell command and JS snippet of README.md and
// examples/README.md (rules: test/readme-snippets.ts) runs, in order, in a temporary project that
// installed the packed package. `npm install … rcalloc` in a snippet installs the tarball;
// examples/ is copied in with node_modules/rcalloc pointing at the installed package, as
// `npm install` arranges it in the repository. A new block in either README is run without
// touching this file; a block that cannot run says why in a skip marker.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npm, projectWithPackedRcalloc, ROOT } from "./packed-install.js";
import { extractSnippets, shellCommands, shellScript, type Snippet } from "./readme-snippets.js";

const READMES = ["README.md", "examples/README.md"];
const snippets = READMES.flatMap((file) => extractSnippets(readFileSync(join(ROOT, file), "utf8"), file));

let app = "";
let tarball = "";
const env = {
  ...process.env,
  // Dependencies come from the local npm cache (filled by the repository's own install).
  npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false",
  npm_config_update_notifier: "false", npm_config_loglevel: "error",
  NODE_OPTIONS: "", // not vitest's worker options
};

beforeAll(() => {
  app = projectWithPackedRcalloc("readme");
  tarball = join(app, ".pack", readdirSync(join(app, ".pack"))[0]);
  // examples/ as the repository has it after `npm install`: node_modules/rcalloc is the package.
  cpSync(join(ROOT, "examples"), join(app, "examples"), {
    recursive: true, filter: (src) => !src.split(/[\\/]/).includes("node_modules"),
  });
  // ... and the repository's AssemblyScript compiler, which examples/README.md uses.
  const asc = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies.assemblyscript;
  npm(["install", "--prefer-offline", "-D", `assemblyscript@${asc}`], app);
  for (const [folder, up] of [["examples", "../.."], ["examples/as-library", "../../.."]]) {
    mkdirSync(join(app, folder, "node_modules"), { recursive: true });
    symlinkSync(`${up}/node_modules/rcalloc`, join(app, folder, "node_modules", "rcalloc"), "dir");
  }
}, 120_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** `npm install … rcalloc` installs the packed tarball (the package is not on the registry). */
function withTarball(command: string): string {
  return /^\s*npm (install|i|add)\b/.test(command) ? command.replace(/(?<=\s)rcalloc(?=\s|$)/, tarball) : command;
}

/** Runs a command; resolves to its exit status and output (async, so both READMEs run at once). */
function spawnAsync(command: string, args: string[], timeout: number): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: app, env, timeout });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (status) => resolve({ status, output }));
  });
}

async function run(s: Snippet, index: number): Promise<void> {
  if (s.lang === "js" || s.lang === "javascript") {
    const file = join(app, `readme-snippet-${index}.mjs`);
    writeFileSync(file, s.code);
    const r = await spawnAsync("node", [file], 60_000);
    expect(r.status, `${s.where}: node exited ${r.status}\n${r.output}`).toBe(0);
    return;
  }
  const commands = shellCommands(s.code).map((c) => ({ ...c, command: withTarball(c.command) }));
  const r = await spawnAsync("bash", ["-c", shellScript(commands)], 150_000);
  expect(r.status, `${s.where}:\n${r.output}`).toBe(0);
}

describe("README snippets", () => {
  it("every skip says why, and few are skipped", () => {
    const skipped = snippets.filter((s) => s.action === "skip");
    for (const s of skipped) expect(s.reason, s.where).toMatch(/\w{3,}/);
    expect(skipped.length).toBeLessThanOrEqual(3);
    const ran = snippets.filter((s) => s.action === "run").length;
    console.log(`README test: ${ran} snippets run, ${snippets.filter((s) => s.action === "file").length} files written, ` +
      `${skipped.length} skipped (${skipped.map((s) => `${s.where}: ${s.reason}`).join("; ")})`);
    expect(ran).toBeGreaterThan(10);
  });

  // The two READMEs run at the same time, each one's blocks in order (a block waits for the one
  // before it in its file; a failed block fails the ones after it too). A block that runs
  // `npm install` changes node_modules under everyone: the other file's blocks wait for every
  // install (README.md's are early in it), then both files run side by side. Installs in both
  // files could wait on each other, so only one file may have them.
  // Defined round-robin across the files, so vitest's concurrency limit starts both early.
  const installs = (s: Snippet) => s.action === "run" && /^\s*npm (install|i|add)\b/m.test(s.code);
  const byFile = READMES.map((file) => snippets.filter((s) => s.where.startsWith(file + ":") && s.action !== "skip"));
  const installing = byFile.filter((l) => l.some(installs));
  if (installing.length > 1) throw new Error("npm install in more than one README: their blocks would wait on each other");
  const steps = new Map(snippets.map((s) => {
    let done!: () => void;
    let failed!: (e: unknown) => void;
    const step = new Promise<void>((resolve, reject) => { done = resolve; failed = reject; });
    step.catch(() => {}); // reported by its own test
    return [s, { step, done, failed }] as const;
  }));
  const interleaved = Array.from({ length: Math.max(...byFile.map((l) => l.length)) }, (_, i) => byFile.map((l) => l[i]))
    .flat().filter((s): s is Snippet => s !== undefined);
  for (const s of snippets.filter((s) => s.action === "skip")) it.skip(`${s.where} (${s.lang}): ${s.reason}`, () => {});
  interleaved.forEach((s) => {
    const index = snippets.indexOf(s);
    const title = `${s.where} (${s.action === "file" ? `file ${s.path}` : s.lang})`;
    const file = s.where.split(":")[0];
    const mine = byFile[READMES.indexOf(file)];
    const previous = mine[mine.indexOf(s) - 1];
    const otherInstalls = byFile.filter((l) => l !== mine).flat().filter(installs);
    const before = Promise.all([previous, ...otherInstalls].filter((p) => p !== undefined).map((p) => steps.get(p)!.step)).then(() => {});
    const { done, failed } = steps.get(s)!;
    it.concurrent(title, async () => {
      try {
        await before.catch(() => { throw new Error(`a block before it in ${file}, or an npm install, failed`); });
        if (s.action === "file") {
          const path = join(app, s.path!);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, s.code);
        } else {
          await run(s, index);
        }
        done();
      } catch (e) {
        failed(e);
        throw e;
      }
    }, 400_000);
  });
});
