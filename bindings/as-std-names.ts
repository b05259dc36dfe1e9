// AssemblyScript's standard library by name. asc names the files (and so the functions and
// globals) of its standard library `~lib/<file>/...`, and those of a package it found in
// node_modules (or on --path) `~lib/<package>/...` too: json-as is `~lib/json-as/...`. A package
// is the program's own code (its globals are roots, its lines are sites); the standard library
// and rcalloc are the toolchain's.

/** Top folders and files of AssemblyScript's standard library (std/assembly). */
const STD_LIBRARY = new Set(["array", "arraybuffer", "atomics", "bindings", "builtins", "compat", "console",
  "crypto", "dataview", "date", "diagnostics", "error", "function", "iterator", "map", "math", "memory", "number",
  "object", "performance", "polyfills", "process", "reference", "regexp", "rt", "set", "shared", "staticarray",
  "string", "symbol", "table", "typedarray", "uri", "util", "vector"]);

/** Whether a source, function or global name (`~lib/...`) is of AssemblyScript's standard library
 *  or of rcalloc installed as a package (`~lib/rcalloc/...`); not a name of another package. */
export function isStdLibraryName(name: string): boolean {
  if (!name.startsWith("~lib/")) return false;
  const top = name.slice(5).split("/")[0].replace(/\.ts$/, "");
  return top === "rcalloc" || STD_LIBRARY.has(top);
}
