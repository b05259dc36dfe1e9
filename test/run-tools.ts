// The two tools tests run in-process: the rcalloc CLI and the AssemblyScript compiler, each with
// its output captured (no child process: faster, and a failure shows the tool's own words).

import { main as cliMain } from "../bindings/cli.js";

export interface CliRun { status: number; stdout: string; stderr: string }

/** Runs `rcalloc ...args` in-process: exit status, stdout (lines) and stderr. */
export async function rcalloc(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await cliMain(args, { log: (line: string) => out.push(line) }, { write: (s: string) => err.push(s), isTTY: false });
  return { status, stdout: out.join("\n"), stderr: err.join("") };
}

/** Runs `asc ...args`: the compiler's error (null when it built) and everything it printed. */
export async function asc(args: string[]): Promise<{ error: Error | null; output: string }> {
  const { main } = await import("assemblyscript/asc");
  const output: string[] = [];
  const stream = { write: (chunk: unknown) => { output.push(String(chunk)); return true; } };
  const { error } = await main(args, { stdout: stream, stderr: stream });
  return { error, output: output.join("") };
}
