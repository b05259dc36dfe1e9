// The rules the README test reads Markdown by (test/readme-snippets.ts).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { extractSnippets, shellCommands, shellScript } from "./readme-snippets.js";

describe("README snippet rules", () => {
  it("runs sh and js blocks, writes file blocks, skips with a reason, ignores other languages", () => {
    const md = [
      "```sh", "echo one", "```",
      "<!-- readme-test: skip (needs a server) -->", "", "```js", "serve()", "```",
      "<!-- readme-test: file src/a.ts -->", "```ts", "export const a = 1;", "```",
      "```ts", "not run", "```",
      "```", "plain text", "```",
    ].join("\n");
    expect(extractSnippets(md, "X.md").map(({ where, lang, action, path, reason }) => ({ where, lang, action, path, reason }))).toEqual([
      { where: "X.md:1", lang: "sh", action: "run", path: undefined, reason: undefined },
      { where: "X.md:6", lang: "js", action: "skip", path: undefined, reason: "needs a server" },
      { where: "X.md:10", lang: "ts", action: "file", path: "src/a.ts", reason: undefined },
    ]);
    expect(() => extractSnippets("<!-- readme-test: skip -->\n```sh\nx\n```", "Y.md")).toThrow(/needs a reason/);
  });

  it("splits commands: continuations joined, here-documents whole, `# exit N` expected", () => {
    const code = [
      "# a comment line", "npx asc a.ts \\", "  -o a.wasm", "cat > a.c <<'EOF'", "int x; # not a comment", "EOF",
      "npx rcalloc check a.wasm   # exit 1: leaks", "",
    ].join("\n");
    expect(shellCommands(code)).toEqual([
      { command: "npx asc a.ts    -o a.wasm", exit: 0 },
      { command: "cat > a.c <<'EOF'\nint x; # not a comment\nEOF", exit: 0 },
      { command: "npx rcalloc check a.wasm  ", exit: 1 },
    ]);
  });

  it("the script stops at the first command with an unexpected status, and cd carries over", () => {
    const ok = spawnSync("bash", ["-c", shellScript([{ command: "cd /", exit: 0 }, { command: "test \"$PWD\" = /", exit: 0 }, { command: "false", exit: 1 }])]);
    expect(ok.status).toBe(0);
    const bad = spawnSync("bash", ["-c", shellScript([{ command: "false", exit: 0 }, { command: "true", exit: 0 }])], { encoding: "utf8" });
    expect(bad.status).toBe(99);
    expect(bad.stderr).toMatch(/readme-test: false exited 1, expected 0/);
  });
});
