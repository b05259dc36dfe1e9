// Editor-only typings of the per-allocator shim. Each entry file (rcalloc.ts, tlsf.ts,
// dlmalloc.ts, floor.ts) defines these as @global @inline functions; workloads.ts calls them.
declare function A_alloc(size: u32): u32;
declare function A_free(h: u32): void;
declare function A_realloc(h: u32, size: u32): u32;
declare function A_ptr(h: u32): usize;
declare function A_get(h: u32): u32;
declare function A_put(h: u32): void;
