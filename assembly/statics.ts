// === Static data: the allocator's own state in linear memory, and a seal over the rest ===
//
// Below the heap lie the allocator's static data: its messages (read-only strings) and a few
// regions it writes — the records it fills for the host, TLSF's bitmaps and list heads, the
// quick-list heads (and sortQuickLists' scratch tails), the retired chunk, the handle table's view,
// the link word of its free FIFO's sentinel and resolve()'s lookup base (plain checked build), and
// in the shared builds the threads' own state. The scan never counts a word of those regions as a
// reference (scan.ts); validate() checks the regions by their structure (validate.ts) and the
// read-only rest against a checksum taken when the host seals it (sealStaticData), so a stray
// write into the allocator's messages or constants is a CORRUPT_HEAP, not a garbled error later.
// Only the host that instantiated a standalone build seals: in a module that holds user code too
// (the library path, a static merge) the rest of static data is not all the allocator's.

import { QUICK_HEADS, QUICK_HEADS_BYTES, QUICK_TAILS } from "./blocks";
import { ERROR_RECORD, ErrorRecord } from "./errors";
import { LOOKUP_BASE, RETIRED_SLOTS, RETIRED_SLOTS_BYTES, TABLE_VIEW, TABLE_VIEW_BYTES, WAITING_LINK, WAITING_SENTINEL } from "./handles";
import { CHECKED, SHARED } from "./config";
import { GROWN_PAGES } from "./memory-growth";
import { CLASS_HEADS, CLASS_HEADS_BYTES } from "./size-classes";
import { THREAD_CACHES, THREAD_CACHES_BYTES } from "./thread-cache";
import { THREAD_SLOTS, THREAD_SLOTS_BYTES } from "./thread-slots";
import { SHARED_STATE, SHARED_STATE_BYTES, THREAD_RECORDS, THREAD_RECORDS_BYTES } from "./thread-state";
import { HEADS, HEADS_BYTES, SL_MAPS, SL_MAPS_BYTES } from "./tlsf";
import { HeapStats, STATS_RECORD, WALK_RECORD, WALK_RECORD_SIZE } from "./walk";

// @ts-ignore: decorator
@inline function within(p: usize, start: usize, bytes: usize): bool { return p - start < bytes; }

/** Shared builds: true for a word of the threads' own state (thread-state.ts, thread-cache.ts,
 *  thread-slots.ts, memory-growth.ts). */
function isThreadState(p: usize): bool {
  if (within(p, SHARED_STATE, SHARED_STATE_BYTES) || within(p, THREAD_RECORDS, THREAD_RECORDS_BYTES)) return true;
  if (p == GROWN_PAGES) return true;
  if (within(p, THREAD_CACHES, THREAD_CACHES_BYTES)) return true;
  return within(p, THREAD_SLOTS, THREAD_SLOTS_BYTES);
}

/** True for a word of a region the allocator writes (above); its words can equal a live
 *  reference by chance and are never the program's. */
export function isAllocatorState(p: usize): bool {
  if (SHARED) {
    if (isThreadState(p)) return true;
  } else if (CHECKED) {
    if (within(p, TABLE_VIEW, TABLE_VIEW_BYTES) || within(p, WAITING_SENTINEL + WAITING_LINK, 4) || within(p, LOOKUP_BASE, 4)) return true;
  }
  return within(p, ERROR_RECORD, offsetof<ErrorRecord>()) || within(p, WALK_RECORD, WALK_RECORD_SIZE) ||
    within(p, STATS_RECORD, offsetof<HeapStats>()) || within(p, SL_MAPS, SL_MAPS_BYTES) ||
    within(p, HEADS, HEADS_BYTES) || within(p, QUICK_HEADS, QUICK_HEADS_BYTES) ||
    within(p, QUICK_TAILS, QUICK_HEADS_BYTES) || within(p, CLASS_HEADS, CLASS_HEADS_BYTES) ||
    within(p, RETIRED_SLOTS, RETIRED_SLOTS_BYTES);
}

/** Checksum of the sealed static data (0: not sealed). */
export let sealed: u32 = 0;

/** FNV-1a over the words of [0, __data_end) outside the allocator's own state. */
function staticChecksum(): u32 {
  let h: u32 = 0x811C9DC5;
  for (let p: usize = 0; p + 4 <= __data_end; p += 4) {
    if (isAllocatorState(p)) continue;
    h = (h ^ load<u32>(p)) * 0x01000193;
  }
  return h | 1; // never 0, which means "not sealed"
}

/** The host instantiated a standalone build: from now on validate() checks the read-only static
 *  data against its state now. */
export function sealStaticData(): void {
  sealed = staticChecksum();
}

/** True unless sealed static data changed since. */
export function staticDataIntact(): bool {
  return !sealed || staticChecksum() == sealed;
}
