// === Layouts: the block header every layer reads, and the one table of block states ===
//
// A leaf file, like AssemblyScript's std/assembly/rt/common.ts: it imports only config.ts, and
// every other layer (tlsf → blocks → pairs/quarantine/handles → lifecycle → references) reads
// blocks through the accessors here, so no layer needs another one's internals.
//
// ╒════════════ Block header, unchecked build (HEADER = 8) ════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┼─┴─┼─┼─┤
// │           size of the whole block (multiple of 16)        │D│P│L│F│ +0  info
// ├───────────┬───────────────────────────────────────────────┴───┴─┴─┤
// │   slack   │         references (26 bits, 0 = cached block)        │ +4  count
// ╞═══════════╧═══════════════════════════════════════════════════════╡
// │                    payload (16-byte aligned) ...                  │ +8  ◄─ handle
// └───────────────────────────────────────────────────────────────────┘
// F: FREE, in a TLSF list (tlsf.ts; a free block's +4/+8 are its list links).
// L: LEFTFREE, the block to the left is FREE (its address is in the 4 bytes before this block).
// P: PAIRED, the object has entries in pairs.ts (weak count, "ignored" mark).
// D: DEAD, the object is gone but its block is held back: poisoned in the quarantine (checked)
//    and/or kept for weak handles, which must never see another object in its place.
// slack = block size - HEADER - object size (0..62), so size() is exact in both builds and a
// resize within 62 bytes of the block's capacity changes only the count word. Slack 63 (BIG_SLACK)
// means more than that (a size-class block, size-classes.ts): the object's size is then in the
// block's last word, past the object's end.
//
// ╒════════════ Block header, checked build (HEADER = 24) ════════════╕
// +0  info      as above
// +4  count     as above (references = live table slots that point here)
// +8  order     sequence number of the allocation (shared with references, handles.ts)
// +12 site      site of the alloc
// +16 putSite   site of the most recent put
// +20 mark      live: scratch for validate() (references counted from the table);
//               raw: RAW_COOKIE(block), so free() can tell a block start from any pointer;
//               dead: the quarantine FIFO link (quarantine.ts)
// +24 payload   (16-byte aligned)
//
// ╒═══════════════════════════ Block states ═══════════════════════════╕
// state     F  D  count word            held by                     walk kind (BLOCK_*)
// free      1  0  (list link)           a TLSF list (tlsf.ts)       BLOCK_FREE
// cached    0  0  0                     a quick list (blocks.ts)    BLOCK_CACHED
// internal  0  0  INTERNAL_COUNT        the allocator: table chunk, BLOCK_INTERNAL
//                                       pairs, scan results, filler
// live      0  0  slack | refs ≥ 1      its references              BLOCK_LIVE
// raw       0  0  slack | RAW_REFS      its pointer (malloc, free)  BLOCK_LIVE
// dead      0  1  slack | refs (stale)  the quarantine FIFO and/or  BLOCK_DEAD
//                                       weak handles (lifecycle.ts)
// Transitions (lifecycle.ts names the verbs): free ⇄ cached/internal/live via blocks.ts;
// live → dead → free when something holds it back, live → cached/free when nothing does.

import { CHECKED, HEADER } from "./config";

// @ts-ignore: decorator
@inline export const FREE: u32 = 1 << 0;
// @ts-ignore: decorator
@inline export const LEFTFREE: u32 = 1 << 1;
// @ts-ignore: decorator
@inline export const PAIRED: u32 = 1 << 2;
// @ts-ignore: decorator
@inline export const DEAD: u32 = 1 << 3;
// @ts-ignore: decorator
@inline export const TAGS_MASK: u32 = 0xF;

// @ts-ignore: decorator
@inline export const REFS_MASK: u32 = 0x03FFFFFF;
// @ts-ignore: decorator
@inline export const SLACK_SHIFT: u32 = 26;
// @ts-ignore: decorator
@inline export const MAX_SLACK: usize = 62;
// @ts-ignore: decorator
@inline export const BIG_SLACK: u32 = 63;

/** The count word of the allocator's own blocks: BIG_SLACK and no reference, which is never a
 *  live object's (≥ 1 reference) nor a cached block's (0). */
// @ts-ignore: decorator
@inline export const INTERNAL_COUNT: u32 = 0xFC000000;
/** The references field of a raw block (pointers.ts: malloc/free), owned by its pointer, not by
 *  handles. */
// @ts-ignore: decorator
@inline export const RAW_REFS: u32 = REFS_MASK;

// Kinds of block (the table above), for the heap walk and pictures of the heap.
// @ts-ignore: decorator
@inline export const BLOCK_FREE: u32 = 1;
// @ts-ignore: decorator
@inline export const BLOCK_CACHED: u32 = 2;
// @ts-ignore: decorator
@inline export const BLOCK_LIVE: u32 = 3;
// @ts-ignore: decorator
@inline export const BLOCK_INTERNAL: u32 = 4;
// @ts-ignore: decorator
@inline export const BLOCK_DEAD: u32 = 5;

// @ts-ignore: decorator
@inline export function INFO(block: usize): u32 { return load<u32>(block); }
// @ts-ignore: decorator
@inline export function SETINFO(block: usize, info: u32): void { store<u32>(block, info); }
// @ts-ignore: decorator
@inline export function SIZE(block: usize): usize { return <usize>(load<u32>(block) & ~TAGS_MASK); }
// @ts-ignore: decorator
@inline export function COUNT(block: usize): u32 { return load<u32>(block, 4); }
// @ts-ignore: decorator
@inline export function SETCOUNT(block: usize, v: u32): void { store<u32>(block, v, 4); }
// @ts-ignore: decorator
@inline export function REFS(block: usize): u32 { return load<u32>(block, 4) & REFS_MASK; }
// @ts-ignore: decorator
@inline export function OBJECT_SIZE(block: usize): usize { return OBJECT_SIZE_BEHIND(block, HEADER); }
/** OBJECT_SIZE of a block whose header is `header` bytes: a linked module reads the blocks of
 *  either build (runtime/imports.ts size). */
// @ts-ignore: decorator
@inline export function OBJECT_SIZE_BEHIND(block: usize, header: usize): usize {
  let slack = load<u32>(block, 4) >>> SLACK_SHIFT;
  // min: the last word is in the slack, where an overrun may write; never a size past the block
  return slack == BIG_SLACK ? min(<usize>load<u32>(block + SIZE(block) - 4), SIZE(block) - header) : SIZE(block) - header - <usize>slack;
}
/** Writes the count word of an object of `size` bytes with `refs` references into `block` (any
 *  size of block that holds it): the slack, or BIG_SLACK and the size in the block's last word. */
// @ts-ignore: decorator
@inline export function SETOBJECT(block: usize, size: usize, refs: u32): void {
  let blockSize = SIZE(block);
  let slack = blockSize - HEADER - size;
  if (slack > MAX_SLACK) {
    store<u32>(block + blockSize - 4, <u32>size);
    slack = <usize>BIG_SLACK;
  }
  SETCOUNT(block, (<u32>slack << SLACK_SHIFT) | refs);
}
/** Writes the count word of an object of `size` bytes with `refs` references into a block of
 *  exactly blockSize = blockSizeFor(size, header) bytes (a quick-list block: its slack is under
 *  16, never BIG_SLACK); `header` is the build's (a linked module writes the blocks of either). */
// @ts-ignore: decorator
@inline export function SETFITTED(block: usize, blockSize: usize, header: usize, size: usize, refs: u32): void {
  SETCOUNT(block, (<u32>(blockSize - header - size) << SLACK_SHIFT) | refs);
}
/** One strong reference more on `block` (a plain build's get; a shared build counts atomically,
 *  references.ts). */
// @ts-ignore: decorator
@inline export function addRef(block: usize): void { SETCOUNT(block, COUNT(block) + 1); }
/** One strong reference fewer on `block` unless it holds its last (a plain build's put): the
 *  references left, 0 for the last one, which the caller then ends with the object. */
// @ts-ignore: decorator
@inline export function dropRef(block: usize): u32 {
  let count = COUNT(block) - 1;
  if (count & REFS_MASK) SETCOUNT(block, count);
  return count & REFS_MASK;
}
// @ts-ignore: decorator
@inline export function ORDER(block: usize): u32 { return CHECKED ? load<u32>(block, 8) : 0; }
// @ts-ignore: decorator
@inline export function SITE(block: usize): u32 { return CHECKED ? load<u32>(block, 12) : 0; }
// @ts-ignore: decorator
@inline export function PUT_SITE(block: usize): u32 { return CHECKED ? load<u32>(block, 16) : 0; }
// @ts-ignore: decorator
@inline export function SETPUTSITE(block: usize, site: u32): void { if (CHECKED) store<u32>(block, site, 16); }
// @ts-ignore: decorator
@inline export function MARK(block: usize): u32 { return load<u32>(block, 20); }
// @ts-ignore: decorator
@inline export function SETMARK(block: usize, v: u32): void { store<u32>(block, v, 20); }
// @ts-ignore: decorator
@inline export function PAYLOAD(block: usize): usize { return block + HEADER; }
// @ts-ignore: decorator
@inline export function BLOCK(payload: usize): usize { return payload - HEADER; }

// @ts-ignore: decorator
@inline export function isInternal(block: usize): bool { return COUNT(block) == INTERNAL_COUNT; }
// @ts-ignore: decorator
@inline export function markInternal(block: usize): void { SETCOUNT(block, INTERNAL_COUNT); }

/** A live object owned by its pointer (malloc) rather than by handles. */
// @ts-ignore: decorator
@inline export function isRaw(block: usize): bool { return REFS(block) == RAW_REFS; }
/** Checked build: the mark word of a live raw block. */
// @ts-ignore: decorator
@inline export function RAW_COOKIE(block: usize): u32 { return (<u32>block * 0x9E3779B1) ^ 0x52415721; }

/** A block that holds a live object (not free, cached, dead or internal). */
// @ts-ignore: decorator
@inline export function isObject(block: usize): bool {
  return !(INFO(block) & (FREE | DEAD)) && COUNT(block) != 0 && !isInternal(block);
}

/** The state of a block (BLOCK_*), per the table above. */
export function blockKind(block: usize): u32 {
  if (INFO(block) & FREE) return BLOCK_FREE;
  if (INFO(block) & DEAD) return BLOCK_DEAD;
  if (isInternal(block)) return BLOCK_INTERNAL;
  if (COUNT(block) == 0) return BLOCK_CACHED;
  return BLOCK_LIVE;
}
