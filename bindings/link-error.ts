// LinkError: a user module cannot be linked against the allocator (read, checked or instantiated);
// its code says which rule it broke and its message what to change. A leaf, so the wasm reader
// and the link checks can both raise it.

export type LinkErrorCode =
  | "NOT_WASM"            // not a wasm binary, or one that does not compile
  | "NO_RCALLOC_IMPORTS"  // imports nothing from "rcalloc": not built to link against it
  | "UNKNOWN_IMPORT"      // imports something from "rcalloc" the allocator does not export
  | "OWN_MEMORY"          // defines its own memory instead of importing the allocator's
  | "DATA_OVERLAP"        // its static data overlaps the allocator's (wrong --memoryBase)
  | "DATA_UNPLACED"       // a data segment at a non-constant offset (position-independent code)
  | "EXPORT_CONFLICT"     // static link: an export name the allocator also exports
  | "MEMORY_LIMIT"        // its memory (data and stack) leaves the heap no room below the page limit
  | "OWN_ALLOCATOR"       // runs AssemblyScript's own allocator: a second heap in the allocator's memory
  | "GROWS_MEMORY"        // grows memory itself (an allocator of its own, likely), without ownsMemoryGrowth
  | "MISSING_IMPORT"      // imports something nobody provides
  | "INSTANTIATE";        // WebAssembly refused to instantiate it (missing imports, ...)

/** The user module cannot be linked: the message says why and what to change. */
export class LinkError extends Error {
  readonly code: LinkErrorCode;
  constructor(code: LinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LinkError";
    this.code = code;
  }
}
