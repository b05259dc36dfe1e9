// The command line's contract with its caller: exit statuses, usage errors (one line on stderr,
// exit 3), option parsing, and the files it writes (checked before anything runs).
import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Exit statuses, as `rcalloc --help` and the README document them. */
export const EXIT = { CLEAN: 0, LEAKS: 1, MISUSE: 2, USAGE: 3, FAILED: 4 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** Bad arguments or an unusable file: printed as one line, exit 3. */
export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(message);
}

/** Where a command prints: `log` for results (stdout), `err` for errors and progress (stderr). */
export interface Output {
  log(line: string): void;
}
export interface ErrorOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ParsedArgs {
  files: string[];
  [option: string]: string | boolean | string[] | undefined;
}

/** Options of one command: flags take no value, values take one (`--name value` or `--name=value`). */
export function parseArgs(
  argv: readonly string[], spec: { flags?: string[]; values?: string[]; aliases?: Record<string, string> },
): ParsedArgs {
  const { flags = [], values = [], aliases = {} } = spec;
  const out: ParsedArgs = { files: [] };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (aliases[arg]) arg = aliases[arg];
    if (!arg.startsWith("-") || arg === "-") {
      out.files.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq > 0 ? arg.slice(0, eq) : arg).replace(/^--?/, "");
    if (flags.includes(name)) {
      if (eq > 0) fail(`option --${name} takes no value`);
      out[name] = true;
    } else if (values.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "") fail(`option --${name} needs a value`);
      out[name] = value;
    } else {
      fail(`unknown option ${arg}`);
    }
  }
  return out;
}

/**
 * Refuses an output file that cannot be written, before the command runs: its folder must exist
 * and it must not be a folder itself. `option` names the option in the message.
 */
export function checkOutputFile(path: string, option: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) fail(`${option} ${path}: folder ${folder} does not exist (create it first, or write elsewhere)`);
  if (!statSync(folder).isDirectory()) fail(`${option} ${path}: ${folder} is not a folder`);
  if (existsSync(path) && statSync(path).isDirectory()) fail(`${option} ${path} is a folder: give a file name, such as ${path.replace(/\/+$/, "")}/report.html`);
}

/** Writes an output file; a failure (permissions, a full disk) is a usage error naming the file. */
export function writeOutputFile(path: string, option: string, contents: string | Uint8Array): void {
  try {
    writeFileSync(path, contents);
  } catch (e) {
    fail(`${option} ${path}: cannot write it (${(e as Error).message})`);
  }
}
