// === Handle lookup (checked build): the handle's bits, the slot's state word, the one lookup ===
//
// handles.ts draws the handle, the slot and the table and runs them; this leaf file holds the
// facts a lookup reads and the lookup itself, slotAt() + slotLive(), which resolve() makes for every
// handle the allocator is given and which a linked module makes too (runtime/imports.ts ptr,
// through TABLE_VIEW), so both accept exactly the same handles.
// A leaf, with no globals and no imports: AssemblyScript compiles every global of every file a
// module reads from node_modules into that module (a node_modules path is a library file), so
// the runtime importing handles.ts would copy the allocator's static data into each user module.
//
// ╒═══ TABLE_VIEW (16 bytes in the allocator's static data, handles.ts; plain checked build) ═══╕
// +0  tag        heapTag: the tag this heap's handles carry (0 once disposed)
// +4  length     tableLength: slots ever issued; a larger index was never a handle
// +8  directory  directory: chunk addresses (handles.ts "Table"), from index `first` on
// +12 first      firstIndex(): a smaller index retired with its chunk, which left the directory

// @ts-ignore: decorator
@inline export const INDEX_BITS: u32 = 24;
// @ts-ignore: decorator
@inline export const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
// @ts-ignore: decorator
@inline export const GEN_SHIFT: u32 = INDEX_BITS;
// @ts-ignore: decorator
@inline export const GEN_MASK: u32 = 0xF;
// @ts-ignore: decorator
@inline export const TAG_SHIFT: u32 = 28;

// Slot state flags (+4 of a slot, above its generation; handles.ts "Slot").
// @ts-ignore: decorator
@inline export const OWNED: u32 = 1 << 8;
// @ts-ignore: decorator
@inline export const LIVE: u32 = 1 << 9;
// @ts-ignore: decorator
@inline export const RETIRED: u32 = 1 << 10;
// @ts-ignore: decorator
@inline export const RESIZED: u32 = 1 << 11;
// @ts-ignore: decorator
@inline export const MOVED: u32 = 1 << 12;
// @ts-ignore: decorator
@inline export const WEAK: u32 = 1 << 13;
// @ts-ignore: decorator
@inline export const FRESH: u32 = 1 << 14;
// @ts-ignore: decorator
@inline export const PINNED: u32 = 1 << 15;
/** Shared checked build: above PINNED, who pinned the slot (thread number + 1, 7 bits). */
// @ts-ignore: decorator
@inline export const PIN_BY_SHIFT: u32 = 16;
// @ts-ignore: decorator
@inline export const PIN_BY_MASK: u32 = 0x7F << PIN_BY_SHIFT;
/** The kind of a strong handle (resolve's `kind`; WEAK for a weak one). */
// @ts-ignore: decorator
@inline export const STRONG: u32 = 0;

// @ts-ignore: decorator
@inline export const SLOT_SIZE: usize = 32;
// 32 slots a chunk (1 KiB, a 1,152-byte block): a small checked heap's free space lies in pieces of
// a few KiB, and a 256-slot chunk's 9,216-byte block fit none of them, so each new chunk grew
// memory (docs/performance.md, "Small checked heaps"). Compiled into linked modules (runtime/imports.ts ptr):
// changing it is an ABI step ("ABI" below).
// @ts-ignore: decorator
@inline export const CHUNK_BITS: u32 = 5;
// @ts-ignore: decorator
@inline export const CHUNK_SLOTS: u32 = 1 << CHUNK_BITS;

// ABI: the allocator exports TABLE_VIEW's address under a versioned name (index.ts
// handleTableViewV2) that a linked module imports (runtime/imports.ts): a change to this view, the
// chunk size or the lookup takes a new name, and the old name stays exported returning 0, so a
// module built against an older runtime calls in for every lookup (correct, slower). V2: 32-slot chunks;
// `handleTableView` (256-slot chunks): 0.

// @ts-ignore: decorator
@inline export const TABLE_VIEW_TAG: usize = 0;
// @ts-ignore: decorator
@inline export const TABLE_VIEW_LENGTH: usize = 4;
// @ts-ignore: decorator
@inline export const TABLE_VIEW_DIRECTORY: usize = 8;
// @ts-ignore: decorator
@inline export const TABLE_VIEW_FIRST: usize = 12;
// @ts-ignore: decorator
@inline export const TABLE_VIEW_BYTES: usize = 16;

// @ts-ignore: decorator
@inline export function SLOT_OBJECT(slot: usize): usize { return load<u32>(slot); }
// @ts-ignore: decorator
@inline export function SLOT_STATE(slot: usize): u32 { return load<u32>(slot, 4); }

/**
 * The one handle lookup, in two halves: slotAt(), then slotLive() on its nonzero result. `h` is
 * a live handle of kind `kind` (STRONG or WEAK) in the table of heap tag `tag` whose directory
 * `dir` holds the indices from `first` on (a multiple of the chunk size), `span` of them issued,
 * when both pass; else the allocator's refusal says what is wrong. `unowned`: an owned reference
 * does not count (a put: putFor releases those). A slot's state word is LIVE | OWNED? | kind |
 * generation while its reference lives (a shared build's PINNED, which the mask ignores: a slot a
 * lock-free pass holds is still live).
 * Two halves, so that a caller tests each with a branch and reads the object through slotAt()'s
 * address: that read then need not wait for the state word. One function returning the slot
 * or 0 compiled to a select on the state check, which put the state load into the chain of
 * dependent loads a tree walk makes per step (docs/performance.md, "Checked build: where the time goes").
 */
// @ts-ignore: decorator
@inline export function slotAt(h: u32, tag: u32, first: u32, span: u32, dir: usize): usize {
  let index = slotIndex(h, tag, first);
  if (index >= span) return 0;
  return slotIn(dir, index);
}

/** slotAt() in its own two steps, for a caller that branches on the bound itself (resolve): a
 *  0 from slotAt() that the caller tests again is a second branch on one fact (V8 joins the two
 *  paths and tests the joined value). `h`'s index less `first`: below the table's span when `h`
 *  carries `tag` and an index from `first` on. One unsigned test covers tag and index: a foreign
 *  tag leaves some of bits 28..31 set, far above any span, and an index below `first` wraps there
 *  too. */
// @ts-ignore: decorator
@inline export function slotIndex(h: u32, tag: u32, first: u32): u32 {
  return ((h ^ (tag << TAG_SHIFT)) & ~(GEN_MASK << GEN_SHIFT)) - first;
}

/** The slot of `index` (slotIndex's, below the span) in the directory `dir`. */
// @ts-ignore: decorator
@inline export function slotIn(dir: usize, index: u32): usize {
  return <usize>load<u32>(dir + (<usize>(index >> CHUNK_BITS) << 2)) + <usize>(index & (CHUNK_SLOTS - 1)) * SLOT_SIZE;
}

/** Second half of the lookup: true when `slot` (slotAt's, nonzero) holds the live reference `h`. */
// @ts-ignore: decorator
@inline export function slotLive(slot: usize, h: u32, kind: u32, unowned: bool): bool {
  let mask = LIVE | WEAK | GEN_MASK | (unowned ? OWNED : 0);
  return (SLOT_STATE(slot) & mask) == (LIVE | kind | ((h >>> GEN_SHIFT) & GEN_MASK));
}

/** slotAt() on the table a TABLE_VIEW at `view` describes (a linked module: handleTableViewV2());
 *  the caller tests slotLive(). */
// @ts-ignore: decorator
@inline export function slotAtIn(view: usize, h: u32): usize {
  let first = load<u32>(view, TABLE_VIEW_FIRST);
  return slotAt(h, load<u32>(view, TABLE_VIEW_TAG), first, load<u32>(view, TABLE_VIEW_LENGTH) - first,
    <usize>load<u32>(view, TABLE_VIEW_DIRECTORY));
}
