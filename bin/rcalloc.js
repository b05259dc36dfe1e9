#!/usr/bin/env node
// The `rcalloc` command. Its code is bindings/cli.ts, compiled into dist/ by `npm run build:ts`;
// this file only loads it and sets the exit status. See `rcalloc --help`.
let cli;
try {
  cli = await import("../dist/cli.js");
} catch (e) {
  process.stderr.write(`rcalloc: failed: cannot load its code (dist/cli.js): ${e.message}; run npm run build\n`);
  process.exit(4);
}
process.exitCode = await cli.main(process.argv.slice(2));
