// === The sweep's frees, given back to the allocator in address order when the sweep ends ===
//
// The collector's sweep frees its garbage in list order, which after a few cycles is marking
// order, scattered over memory. Freed straight into rcalloc's LIFO quick lists, new objects then
// land all over the heap, and every later walk of the collector's lists misses the cache
// (binary-trees depth 16: 3.5× slower). The allocator can rethread its quick lists in address
// order (sortQuickLists), but that walks the whole heap after every sweep: 9–14% of a binary-trees
// run. So the sweep only marks each block it frees, one bit per 16 bytes of heap, and when it ends
// the runtime takes the marked blocks highest address first (takeFreed) into its cache
// (./cache.ts) or, too large for it, back to the allocator: both hand blocks out last in, first
// out, so lowest first, side by side, at the cost of one bit a block and a scan of the map (1/128
// of the heap).
//
// The map is a raw block of the runtime's, linked into a list of its own in the collector's
// format (next | color, prev at the payload), so the leak report counts it as the runtime's
// (bindings/reachability.ts, isCollectorObject). It covers payloads from the heap base to `limit` and
// grows (realloc, by the caller) when the sweep frees a block above; memory grows by at least
// 1/8, so that is rare. A marked block keeps its contents, links included, until the sweep ends.
//
// ╒════ The map's block (payload M) ════╕
// M+0   next, prev: the list of the runtime's own blocks (sentinel: MAP_LIST)
// M+16  bits: bit i of word w is the payload heapBase() + 16 · (32 · w + i)

import { AL_MASK, BLOCK_OVERHEAD } from "~lib/rt/common";

// @ts-ignore: decorator
@inline const MAP_HEADER: usize = 16;
/** Bytes of heap one word of the map covers: 32 bits of 16 bytes. */
// @ts-ignore: decorator
@inline const WORD_SPAN: usize = 512;

/** Sentinel of the list holding the map (an Object's next at +4, prev at +8). */
const MAP_LIST: usize = memory.data(16, 16);

let map: usize = 0;   // the map's payload, 0 until the first free
let limit: usize = 0; // payloads at or above are not covered
let cursor: usize = 0; // takeFreed: the map word it reads next is the one below this address

/** The lowest payload the heap can hand out: above this module's data and stack. */
// @ts-ignore: decorator
@inline function heapBase(): usize { return (__heap_base + AL_MASK) & ~AL_MASK; }

/** True when the map covers the payload `block` (else: adoptMap first). */
// @ts-ignore: decorator
@inline export function mapCovers(block: usize): bool { return block < limit; }

/** The map's block (0: none yet), for the caller to reallocate to mapBytes() bytes. */
export function freedMap(): usize {
  if (map) { // out of its list while it may move
    store<u32>(MAP_LIST, <u32>MAP_LIST, 4);
    store<u32>(MAP_LIST, <u32>MAP_LIST, 8);
  }
  return map;
}

/** Bytes the map needs to cover `block` and all of memory now. */
export function mapBytes(block: usize): usize {
  let top = max(<usize>memory.size() << 16, block + 16);
  return MAP_HEADER + (((top - heapBase() + WORD_SPAN - 1) / WORD_SPAN) << 2);
}

/** Takes the map back from freedMap(), reallocated to `bytes` (mapBytes): the new words zeroed. */
export function adoptMap(block: usize, bytes: usize): void {
  let had = map ? MAP_HEADER + (((limit - heapBase()) / WORD_SPAN) << 2) : MAP_HEADER;
  memory.fill(block + had, 0, bytes - had);
  map = block;
  limit = heapBase() + ((bytes - MAP_HEADER) >> 2) * WORD_SPAN;
  let object = block - BLOCK_OVERHEAD;
  store<u32>(block, <u32>MAP_LIST);
  store<u32>(block, <u32>MAP_LIST, 4);
  store<u32>(MAP_LIST, <u32>object, 4);
  store<u32>(MAP_LIST, <u32>object, 8);
}

/** Marks the payload `block` freed by the sweep (mapCovers(block) must hold). */
// @ts-ignore: decorator
@inline export function markFreed(block: usize): void {
  let i = (block - heapBase()) >> 4;
  let word = map + MAP_HEADER + ((i >> 5) << 2);
  store<u32>(word, load<u32>(word) | (1 << <u32>(i & 31)));
}

/** The sweep ended: the next marked block to give back, highest address first, unmarked; 0 when
 *  none is left (the map is then clear and the next call starts from the top again). */
export function takeFreed(): usize {
  if (!map) return 0;
  let words = map + MAP_HEADER;
  if (!cursor) cursor = words + (((limit - heapBase()) / WORD_SPAN) << 2);
  while (cursor > words) {
    let word = cursor - 4;
    let bits = load<u32>(word);
    if (bits) {
      let bit = 31 - clz(bits);
      store<u32>(word, bits ^ (1 << bit));
      return heapBase() + ((((word - words) << 3) + <usize>bit) << 4);
    }
    cursor = word;
  }
  cursor = 0;
  return 0;
}
