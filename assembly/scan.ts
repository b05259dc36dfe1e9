// === Conservative scan: which live references are still stored somewhere in linear memory ===
//
// kmemleak's idea, for wasm: scan static data [0, heapStart), every live object's payload and
// any root ranges the host adds, for 32-bit words equal to a live reference — a live handle in
// the checked build (handles sit in [2^28, 2^32) and carry the heap's tag, so plain data
// rarely looks like one), a live object's payload address in the unchecked build. A reference
// with no copy anywhere is unreachable: a true leak. The scan loop tests 16 bytes at a time
// (v128) and only looks closer at candidate words.
//
// The allocator's own records (errors.ts, walk.ts) are skipped; so are internal blocks (the
// handle table, pairs, and the results below).
//
// ╒════ Results (an internal block, until scanClear) ════╕
// checked:   one entry per table slot index:       +0 storedAt  +4 storedIn
// unchecked: one entry per live object, by address: +0 payload +4 storedAt +8 storedIn +12 0
// storedAt: address of the first word found holding it (0 = none found);
// storedIn: payload of the object containing that word (0 = static data or a root range).

import { CHECKED, HEADER } from "./config";
import { allocInternal, freeInternal } from "./blocks";
import { E_OUT_OF_MEMORY, failure, MSG_OUT_OF_MEMORY } from "./errors";
import { isObject, OBJECT_SIZE, PAYLOAD, SIZE } from "./layout";
import { reclaim } from "./lifecycle";
import {
  firstIndex, GEN_MASK, GEN_SHIFT, heapTag, INDEX_MASK, LIVE, SLOT, SLOT_OBJECT, SLOT_STATE, tableLength, TAG_SHIFT,
} from "./handles";
import { heapStart, tail } from "./tlsf";
import { isAllocatorState } from "./statics";

// Words per result entry in each build (the diagram above); the host reads them via records.ts.
// @ts-ignore: decorator
@inline export const CHECKED_RESULT_WORDS: u32 = 2;
// @ts-ignore: decorator
@inline export const UNCHECKED_RESULT_WORDS: u32 = 4;
// @ts-ignore: decorator
@inline const RESULT_SHIFT: u32 = CHECKED ? 3 : 4; // log2 of an entry's bytes

export let resultsBlock: usize = 0;
export let results: usize = 0;
export let resultCount: u32 = 0;
export let found: u32 = 0;
export let currentObject: usize = 0; // payload being scanned, 0 for static data and roots

/** Starts a scan: static data and every live object. Returns the references found so far. */
export function scan(): u32 {
  scanClear();
  if (!tail) return 0;
  let objects: u32 = 0;
  if (!CHECKED) for (let b = heapStart; b < tail; b += SIZE(b)) if (isObject(b)) objects++;
  resultCount = CHECKED ? tableLength : objects;
  let bytes = <usize>resultCount << RESULT_SHIFT;
  let block = allocInternal(bytes);
  if (!block && reclaim()) block = allocInternal(bytes);
  if (!block) failure(0).with(<u32>bytes).raise(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY);
  resultsBlock = block;
  results = block + HEADER;
  memory.fill(results, 0, bytes);
  if (!CHECKED) {
    let i: u32 = 0;
    for (let b = heapStart; b < tail; b += SIZE(b)) {
      if (isObject(b)) {
        store<u32>(results + (<usize>i << RESULT_SHIFT), <u32>PAYLOAD(b));
        i++;
      }
    }
  }
  found = 0;
  // static data, around the records that hold handles and payload addresses of their own
  currentObject = 0;
  scanStatic(0, heapStart);
  for (let b = heapStart; b < tail; b += SIZE(b)) {
    if (isObject(b)) {
      currentObject = PAYLOAD(b);
      scanRange(PAYLOAD(b), PAYLOAD(b) + OBJECT_SIZE(b));
    }
  }
  currentObject = 0;
  return found;
}

/** Adds a root range [start, end) to the current scan. Returns the references found so far. */
export function scanRoot(start: usize, end: usize): u32 {
  if (resultsBlock && end > start) {
    currentObject = 0;
    scanRange(start, min(end, <usize>memory.size() << 16));
  }
  return found;
}

/** Address of the results (see the diagram) and their count via scanResultCount(). */
export function scanResults(): usize { return results; }
export function scanResultCount(): u32 { return resultCount; }

/** Frees the results block. */
export function scanClear(): void {
  if (resultsBlock) freeInternal(resultsBlock);
  resultsBlock = 0;
  results = 0;
  resultCount = 0;
}

/** Scans static data [start, end); checkWord leaves out the allocator's own state there. */
function scanStatic(start: usize, end: usize): void {
  scanRange(start, end);
}

/** Scans the words of [start, end) (start rounded up, end down, to 4 bytes). */
function scanRange(start: usize, end: usize): void {
  let p = (start + 3) & ~3;
  end &= ~3;
  if (ASC_FEATURE_SIMD) {
    while (p < end && (p & 15)) { checkWord(p); p += 4; }
    if (CHECKED) {
      let tagBits = i32x4.splat(<i32>heapTag);
      for (; p + 16 <= end; p += 16) {
        if (v128.any_true(i32x4.eq(i32x4.shr_u(v128.load(p), TAG_SHIFT), tagBits))) {
          for (let q = p; q < p + 16; q += 4) checkWord(q);
        }
      }
    } else {
      // candidates: 16-byte aligned addresses inside the heap (payloads are 16-aligned)
      let low = i32x4.splat(<i32>PAYLOAD(heapStart));
      let span = i32x4.splat(<i32>(tail - heapStart));
      let alignMask = i32x4.splat(15);
      let zero = i32x4.splat(0);
      for (; p + 16 <= end; p += 16) {
        let v = v128.load(p);
        let inHeap = i32x4.lt_u(i32x4.sub(v, low), span);
        let aligned = i32x4.eq(v128.and(v, alignMask), zero);
        if (v128.any_true(v128.and(inHeap, aligned))) {
          for (let q = p; q < p + 16; q += 4) checkWord(q);
        }
      }
    }
  }
  for (; p < end; p += 4) checkWord(p);
}

/** Records the word at `p` if it names a live reference not seen yet. */
function checkWord(p: usize): void {
  let w = load<u32>(p);
  if (!currentObject && p < heapStart && isAllocatorState(p)) return;
  let entry: usize;
  if (CHECKED) {
    let index = w & INDEX_MASK;
    // resultCount, not tableLength: handles issued after scan() have no entry to fill
    if ((w >>> TAG_SHIFT) != heapTag || index >= resultCount || index < firstIndex()) return;
    let state = SLOT_STATE(SLOT(index));
    if ((state & (LIVE | GEN_MASK)) != (LIVE | ((w >>> GEN_SHIFT) & GEN_MASK))) return;
    if (currentObject == PAYLOAD(SLOT_OBJECT(SLOT(index)))) return; // self-reference
    entry = results + (<usize>index << RESULT_SHIFT);
  } else {
    if ((w & 15) || <usize>w < PAYLOAD(heapStart) || <usize>w >= tail) return;
    // binary search the payload addresses (ascending)
    let lo: u32 = 0, hi = resultCount;
    while (lo < hi) {
      let mid = (lo + hi) >>> 1;
      let at = load<u32>(results + (<usize>mid << RESULT_SHIFT));
      if (at < w) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= resultCount || load<u32>(results + (<usize>lo << RESULT_SHIFT)) != w) return;
    if (<usize>w == currentObject) return; // an object pointing at itself keeps nothing alive
    entry = results + (<usize>lo << RESULT_SHIFT) + 4;
  }
  if (load<u32>(entry)) return;
  store<u32>(entry, <u32>p);
  store<u32>(entry, <u32>currentObject, 4);
  found++;
}
