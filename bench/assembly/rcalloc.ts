// === Bench module: rcalloc (compiled twice: --use RC_CHECKED=1 and RC_CHECKED=0) ===
// The library is imported as an AS user would import it (binaryen inlines what it chooses to;
// today get is inlined into the loops and put stays a call), and owns all memory above
// __heap_base; workloads.ts keeps its tables in static data.

import { alloc, get, ptr, put, resize } from "../../assembly/index";

// @ts-ignore: decorator
@global @inline function A_alloc(size: u32): u32 { return alloc(size); }
// @ts-ignore: decorator
@global @inline function A_free(h: u32): void { put(h); }
// @ts-ignore: decorator
@global @inline function A_realloc(h: u32, size: u32): u32 { return resize(h, size); }
// @ts-ignore: decorator
@global @inline function A_ptr(h: u32): usize { return ptr(h); }
// @ts-ignore: decorator
@global @inline function A_get(h: u32): u32 { return get(h); }
// @ts-ignore: decorator
@global @inline function A_put(h: u32): void { put(h); }

export * from "./workloads";

// Lets the bench compare the checked build with and without its quarantine (allocators.js).
export { setQuarantine } from "../../assembly/index";
