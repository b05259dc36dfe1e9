// === Quick lists: the one pop and push on the small blocks' LIFO lists, wherever the heads are ===
//
// blocks.ts runs the quick lists (QUICK_HEADS, its static data); this leaf file holds the list
// format and the two steps on it, given the heads' address, so the allocator and a linked module
// (runtime/imports.ts alloc, mallocAt, the last put and freeCollected, against the plain unchecked
// build, through quickListsView()) pop and push exactly the same way.
// A leaf, with no globals and no imports, for the reason handle-lookup.ts gives: the runtime
// importing blocks.ts would copy the allocator's static data into each user module.
//
// ╒════════ Cached (quick-list) block ════════╕
// +0  info    size | LEFTFREE (FREE clear: TLSF sees a used block)
// +4  0       zero marks "cached"; a live object keeps its nonzero count word here
// +8  next    next cached block of the same size, or 0
//
// heads + size / 4 (a u32 per 16-byte size) is the head of the list for blocks of `size` bytes.

/** Whole-block size for a payload of `size` bytes behind a `header`-byte header. */
// @ts-ignore: decorator
@inline export function blockSizeFor(size: usize, header: usize): usize {
  return (size + header + 15) & ~15;
}

/** The head of the cached block list of blocks of `size` bytes (≤ QUICK_MAX) taken off, or 0. */
// @ts-ignore: decorator
@inline export function popQuick(heads: usize, size: usize): usize {
  let head = heads + (size >> 2);
  let block = <usize>load<u32>(head);
  if (block) store<u32>(head, load<u32>(block, 8));
  return block;
}

/** Caches the used block `block` of `size` bytes (≤ QUICK_MAX) at the head of its list. */
// @ts-ignore: decorator
@inline export function pushQuick(heads: usize, block: usize, size: usize): void {
  let head = heads + (size >> 2);
  store<u32>(block, 0, 4);
  store<u32>(block, load<u32>(head), 8);
  store<u32>(head, <u32>block);
}
