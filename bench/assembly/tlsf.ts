// === Bench module: AssemblyScript's stock TLSF (compile with --runtime minimal) ===
// heap.alloc/free/realloc are the raw TLSF blocks under AS's managed objects. No reference
// counts: get/put keep a count in the object's first word (refcountHeavy sets it to 1), so the
// peer does the same work as rcalloc's unchecked get/put.

// @ts-ignore: decorator
@global @inline function A_alloc(size: u32): u32 { return <u32>heap.alloc(<usize>size); }
// @ts-ignore: decorator
@global @inline function A_free(h: u32): void { heap.free(<usize>h); }
// @ts-ignore: decorator
@global @inline function A_realloc(h: u32, size: u32): u32 {
  return <u32>heap.realloc(<usize>h, <usize>size);
}
// @ts-ignore: decorator
@global @inline function A_ptr(h: u32): usize { return <usize>h; }
// @ts-ignore: decorator
@global @inline function A_get(h: u32): u32 { store<u32>(h, load<u32>(h) + 1); return h; }
// @ts-ignore: decorator
@global @inline function A_put(h: u32): void {
  let count = load<u32>(h) - 1;
  store<u32>(h, count);
  if (!count) heap.free(<usize>h);
}

export * from "./workloads";
