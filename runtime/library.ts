// === rcalloc's AssemblyScript runtime, for modules that compile the allocator in ===
//
//   asc app.ts --runtime ./node_modules/rcalloc/runtime/library --use RC_CHECKED=1 ...
//
// The library path (`import { alloc, get, put } from "rcalloc/assembly"`): the allocator is part
// of the module and owns the memory above __heap_base. AssemblyScript's default runtimes would
// start a second heap there; this runtime routes `new`, strings and arrays through the compiled-in
// allocator instead (./builtin.ts) and keeps AS's incremental collector (./itcms.ts) on top, like
// ./rcalloc.ts.

import "./builtin";
import "./itcms";
