// === Bench module: dlmalloc from Debian's wasi-libc ===
// Compiled with --importMemory and fused by wasm-merge with bench/c/dlmalloc.c's module (which
// exports malloc/free/realloc and the memory, under the module name "env"), so the imports
// below become direct calls and dlmalloc runs the very same loop code as the other peers.
// Count words for get/put as in tlsf.ts.

// @ts-ignore: decorator
@external("env", "malloc") declare function malloc(size: usize): usize;
// @ts-ignore: decorator
@external("env", "free") declare function free(p: usize): void;
// @ts-ignore: decorator
@external("env", "realloc") declare function realloc(p: usize, size: usize): usize;

// @ts-ignore: decorator
@global @inline function A_alloc(size: u32): u32 { return <u32>malloc(<usize>size); }
// @ts-ignore: decorator
@global @inline function A_free(h: u32): void { free(<usize>h); }
// @ts-ignore: decorator
@global @inline function A_realloc(h: u32, size: u32): u32 {
  return <u32>realloc(<usize>h, <usize>size);
}
// @ts-ignore: decorator
@global @inline function A_ptr(h: u32): usize { return <usize>h; }
// @ts-ignore: decorator
@global @inline function A_get(h: u32): u32 { store<u32>(h, load<u32>(h) + 1); return h; }
// @ts-ignore: decorator
@global @inline function A_put(h: u32): void {
  let count = load<u32>(h) - 1;
  store<u32>(h, count);
  if (!count) free(<usize>h);
}

export * from "./workloads";
