// A correct program with a real workload, for `rcalloc bench`: an ordered tree of records and a
// hash index over the same records. Records, tree nodes, index entries and the bucket array are
// rcalloc objects; the tree and the index each hold their own reference to a record (get) and
// give it back (put); lookups take a temporary reference. Everything is released at the end.
//
//   rcalloc bench build/examples/workload.wasm --entry run     → the cost of the checked build
//   rcalloc check build/examples/workload.wasm                 → exit 0 (clean)

import { alloc, get, ptr, put, resize, size } from "rcalloc/runtime/imports";

// Record:  +0 key  +4 value  +8 payload (RECORD_BYTES - 8 bytes)
// Node:    +0 left  +4 right  +8 record  +12 key       (handles; 0 = none)
// Entry:   +0 next  +4 record  +8 key
// Buckets: u32 handles of the first entry of each chain; the object is resized as it grows.
// @ts-ignore: decorator
@inline const RECORD_BYTES: u32 = 40;

let seed: u32 = 1;
function random(): u32 {
  seed = seed * 1664525 + 1013904223;
  return seed >>> 8;
}

// ─── Ordered tree (unbalanced; random keys keep it shallow) ───

let root: u32 = 0;

function treeInsert(record: u32, key: u32): void {
  let node = alloc(16);
  let p = ptr(node);
  store<u32>(p, 0); store<u32>(p, 0, 4); store<u32>(p, get(record), 8); store<u32>(p, key, 12);
  if (!root) { root = node; return; }
  let at = root;
  for (;;) {
    let q = ptr(at);
    let side: usize = key < load<u32>(q, 12) ? 0 : 4;
    let next = load<u32>(q + side);
    if (!next) { store<u32>(q + side, node); return; }
    at = next;
  }
}

/**
 * Sum of values in key order (an explicit stack: an AS array through the runtime). The stack
 * holds the nodes' addresses, each from one ptr() on the way down: nothing frees or resizes a
 * node during the walk, so an address stays valid, and a checked build still checks every
 * handle once (ptr is a table lookup there: linked at load, made in this module for a live handle).
 */
function treeSum(): u64 {
  let sum: u64 = 0;
  let stack = new Array<usize>();
  let at = root;
  while (at || stack.length) {
    while (at) { let p = ptr(at); stack.push(p); at = load<u32>(p); }
    let p = stack.pop();
    sum += load<u32>(ptr(load<u32>(p, 8)), 4);
    at = load<u32>(p, 4);
  }
  return sum;
}

function treeFree(node: u32): void {
  while (node) {
    let p = ptr(node);
    treeFree(load<u32>(p));
    let right = load<u32>(p, 4);
    put(load<u32>(p, 8));
    put(node);
    node = right;
  }
}

// ─── Hash index ───

let buckets: u32 = 0;
let bucketCount: u32 = 0;
let entries: u32 = 0;

/** The bucket of `key` in the bucket array at `table` (ptr(buckets)). */
function slotIn(table: usize, key: u32): usize {
  return table + ((<usize>(key * 0x9E3779B1) >>> 0) & (bucketCount - 1)) * 4;
}

function slot(key: u32): usize {
  return slotIn(ptr(buckets), key);
}

function indexGrow(): void {
  let oldCount = bucketCount;
  let old = new Array<u32>(); // chains to re-link, gathered before the bucket array moves
  let table = oldCount ? ptr(buckets) : 0; // stays valid until the resize below
  for (let i: u32 = 0; i < oldCount; i++) {
    let e = load<u32>(table + i * 4);
    while (e) { old.push(e); e = load<u32>(ptr(e)); }
  }
  bucketCount = oldCount ? oldCount * 2 : 64;
  buckets = buckets ? resize(buckets, bucketCount * 4) : alloc(bucketCount * 4);
  table = ptr(buckets);
  memory.fill(table, 0, bucketCount * 4);
  for (let i = 0; i < old.length; i++) {
    let e = old[i];
    let p = ptr(e);
    let s = slotIn(table, load<u32>(p, 8));
    store<u32>(p, load<u32>(s));
    store<u32>(s, e);
  }
}

function indexPut(record: u32, key: u32): void {
  if (entries * 4 >= bucketCount * 3) indexGrow();
  let e = alloc(12);
  let s = slot(key);
  let p = ptr(e);
  store<u32>(p, load<u32>(s)); store<u32>(p, get(record), 4); store<u32>(p, key, 8);
  store<u32>(s, e);
  entries++;
}

/** A new reference to the record with `key`, or 0: the caller puts it. */
function indexGet(key: u32): u32 {
  let e = load<u32>(slot(key));
  while (e) {
    let p = ptr(e);
    if (load<u32>(p, 8) == key) return get(load<u32>(p, 4));
    e = load<u32>(p);
  }
  return 0;
}

function indexRemove(key: u32): bool {
  let s = slot(key);
  let prev: usize = s;
  let e = load<u32>(s);
  while (e) {
    let p = ptr(e);
    if (load<u32>(p, 8) == key) {
      store<u32>(prev, load<u32>(p));
      put(load<u32>(p, 4));
      put(e);
      entries--;
      return true;
    }
    prev = p;
    e = load<u32>(p);
  }
  return false;
}

function indexFree(): void {
  let table = ptr(buckets); // the loop frees entries and records, never the bucket array
  for (let i: u32 = 0; i < bucketCount; i++) {
    let e = load<u32>(table + i * 4);
    while (e) {
      let p = ptr(e);
      let next = load<u32>(p);
      put(load<u32>(p, 4));
      put(e);
      e = next;
    }
  }
  put(buckets);
  buckets = 0; bucketCount = 0; entries = 0;
}

// ─── The workload ───

/** One round: 3000 records into tree and index, 6000 lookups (half hits), 1500 removals, and
 *  everything freed. Returns a check value (the same in both builds). */
export function run(): u64 {
  seed = 12345;
  let check: u64 = 0;
  for (let i = 0; i < 3000; i++) {
    let key = random();
    let record = alloc(RECORD_BYTES);
    let p = ptr(record);
    store<u32>(p, key); store<u32>(p, key ^ 0x5a5a, 4);
    memory.fill(p + 8, <u8>key, RECORD_BYTES - 8);
    treeInsert(record, key);
    indexPut(record, key);
    put(record); // tree and index hold their own references now
  }
  seed = 12345; // the same keys again: hits, then new keys: mostly misses
  for (let i = 0; i < 6000; i++) {
    let r = indexGet(random());
    if (r) { check += load<u32>(ptr(r), 4) + size(r); put(r); }
  }
  seed = 12345;
  for (let i = 0; i < 1500; i++) if (indexRemove(random())) check++;
  check += treeSum();
  treeFree(root);
  root = 0;
  indexFree();
  return check;
}

/** For `rcalloc check`: one round, and the check value. */
export function main(): u64 {
  return run();
}
