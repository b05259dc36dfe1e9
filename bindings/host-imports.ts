// The host imports an AssemblyScript module expects by default, as asc's generated bindings and
// @assemblyscript/loader give them: env.trace, env.seed, and the `@external("env", "X.y")`
// imports of AssemblyScript's std/bindings/dom.ts (Math.*, Date.now, performance.now, console.*).
// link() adds them for every import the caller's `imports` leave out, so a module runs under
// `rcalloc check` and `rcalloc bench` as it runs under asc's bindings.
import type { ImportEntry } from "./wasm-reader.js";

/** Reads an AssemblyScript string of the module by its address. */
export type StringReader = (ptr: number) => string;

/** Where the module's console.log, trace, ... print (one line a call). */
export type HostPrint = (line: string) => void;

type Imported = ((...args: never[]) => unknown) | number;

/** console.* bindings that take one string (dom.ts) and the prefix they print with. */
const CONSOLE_PREFIX: Record<string, string> = {
  "console.log": "", "console.debug": "Debug: ", "console.info": "Info: ", "console.warn": "Warning: ", "console.error": "Error: ",
};

/** The value of `globalThis.A.b` for an import named "A.b", if it is a function or a number. */
function fromGlobal(name: string): Imported | undefined {
  let value: unknown = globalThis;
  let owner: unknown;
  for (const part of name.split(".")) {
    if (value === null || value === undefined) return undefined;
    owner = value;
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === "function") return (value as (...args: unknown[]) => unknown).bind(owner) as Imported;
  return typeof value === "number" ? value : undefined;
}

/** The default host import for `env.<name>`, or undefined when there is none. */
function hostImport(name: string, getString: StringReader, print: HostPrint, timers: Map<string, number>): Imported | undefined {
  if (name in CONSOLE_PREFIX) return (message: number) => print(CONSOLE_PREFIX[name] + getString(message >>> 0));
  switch (name) {
    case "trace":
      return (message: number, n: number, ...values: number[]) =>
        print(`trace: ${getString(message >>> 0)}${n > 0 ? " " + values.slice(0, n).join(", ") : ""}`);
    case "seed": return () => Date.now() * Math.random();
    case "console.assert":
      return (condition: number, message: number) => { if (!condition) print(`Assertion failed: ${getString(message >>> 0)}`); };
    case "console.time": return (label: number) => { timers.set(getString(label >>> 0), performance.now()); };
    case "console.timeLog":
    case "console.timeEnd":
      return (label: number) => {
        const text = getString(label >>> 0);
        const start = timers.get(text);
        print(start === undefined ? `Warning: no such label '${text}'` : `${text}: ${(performance.now() - start).toFixed(3)}ms`);
        if (name === "console.timeEnd") timers.delete(text);
      };
  }
  // Math.*, Date.now, performance.now: numbers in, numbers out, straight from the host.
  return /^(Math|Date|performance)\./.test(name) ? fromGlobal(name) : undefined;
}

/**
 * The default AssemblyScript host imports for the `env` imports of a module that `given` does
 * not already provide (abort and memory are link()'s own).
 */
export function assemblyScriptImports(
  imports: readonly ImportEntry[], given: Record<string, unknown>, getString: StringReader, print: HostPrint,
): Record<string, Imported> {
  const timers = new Map<string, number>();
  const out: Record<string, Imported> = {};
  for (const i of imports) {
    if (i.module !== "env" || i.name in given || (i.kind !== "function" && i.kind !== "global")) continue;
    const value = hostImport(i.name, getString, print, timers);
    if (value !== undefined && (typeof value === "number") === (i.kind === "global")) out[i.name] = value;
  }
  return out;
}

/** The imports of a module that `imports` leaves unresolved, as "module.name (kind)". */
export function missingImports(imports: readonly ImportEntry[], given: Record<string, Record<string, unknown> | undefined>): string[] {
  return imports.filter((i) => given[i.module]?.[i.name] === undefined).map((i) => `"${i.module}.${i.name}" (${i.kind})`);
}
