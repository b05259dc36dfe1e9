// AssemblyScript's standard library by name. asc names the files (and so the functions and
// globals) of its standard library `~lib/<file>/...`, and those of a package it found in
// node_modules (or on --path) `~lib/<package>/...` too: json-as is `~lib/json-as/...`. A package
// is the program's own code (its globals are roots, its lines are sites); the standard library
// and rcalloc are the toolchain's. A package may share a name with a standard file (a package
// `date`: `~lib/date/assembly/index/...` against the library's `~lib/date/Date#getTime`), so a
// name is the library's only when it is one of its files, or one of its files and a member.

/** AssemblyScript's standard library files (std/assembly, without .ts; test/as-std-names.test.ts
 *  compares this with the installed assemblyscript's). */
export const STD_LIBRARY_FILES: ReadonlySet<string> = new Set(["array", "arraybuffer", "atomics", "bindings/asyncify",
  "bindings/dom", "bindings/node", "builtins", "compat", "console", "crypto", "dataview", "date", "diagnostics",
  "error", "function", "iterator", "map", "math", "memory", "number", "object", "performance", "polyfills",
  "process", "reference", "regexp", "rt", "rt/common", "rt/index-incremental", "rt/index-minimal",
  "rt/index-stub", "rt/itcms", "rt/rtrace", "rt/stub", "rt/tcms", "rt/tlsf", "set", "shared/feature",
  "shared/runtime", "shared/target", "shared/typeinfo", "staticarray", "string", "symbol", "table", "typedarray",
  "uri", "util/bytes", "util/casemap", "util/error", "util/hash", "util/math", "util/memory", "util/number",
  "util/sort", "util/string", "util/uri", "vector"]);

/** `name` without its type arguments (`Map<~lib/string/String,i32>#set` → `Map#set`). */
function withoutTypeArguments(name: string): string {
  let out = name;
  for (let before = ""; before !== out; ) {
    before = out;
    out = out.replace(/<[^<>]*>/g, "");
  }
  return out;
}

/** Whether a source, function or global name (`~lib/...`) is of AssemblyScript's standard library
 *  or of rcalloc installed as a package (`~lib/rcalloc/...`); not a name of another package. */
export function isStdLibraryName(name: string): boolean {
  if (!name.startsWith("~lib/")) return false;
  const rest = name.slice(5);
  if (rest === "rcalloc" || rest.startsWith("rcalloc/")) return true;
  if (rest.endsWith(".ts")) return STD_LIBRARY_FILES.has(rest.slice(0, -3)); // a source
  if (STD_LIBRARY_FILES.has(rest)) return true;
  // a function or global: a file, then a member, whose name holds no "/" but in type arguments
  for (let at = rest.indexOf("/"); at > 0; at = rest.indexOf("/", at + 1)) {
    if (STD_LIBRARY_FILES.has(rest.slice(0, at)) && !withoutTypeArguments(rest.slice(at + 1)).includes("/")) return true;
  }
  return false;
}
