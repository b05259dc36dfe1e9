// A correct program that keeps objects alive on purpose: a glyph cache filled once and kept for
// the program's life, marked with ignore() so leak checks leave it out, and per-call scratch
// buffers that are always put.
//
//   rcalloc check build/examples/cache.wasm         → exit 0: the ignored cache is no leak
//
// Built for link at load (see examples/README.md): the allocator is imported from "rcalloc".

import { alloc, get, ignore, ptr, put, size } from "rcalloc/runtime/imports";

const GLYPHS: u32 = 32;

/** The cache: one object of GLYPHS 8-byte glyph records, held until the process ends. */
let cache: u32 = 0;

function glyphCache(): u32 {
  if (cache == 0) {
    cache = alloc(GLYPHS * 8);
    for (let i: u32 = 0; i < GLYPHS; i++) store<u64>(ptr(cache) + i * 8, (<u64>i * 0x9e3779b97f4a7c15) >> 40);
    ignore(cache); // kept for good on purpose: not a leak
  }
  return cache;
}

/** Sums the glyph widths of `text` through a scratch copy; every reference taken is put. */
function measure(text: string): u64 {
  let glyphs = get(glyphCache()); // a reference for the duration of the call
  let units = <u32>text.length;
  let scratch = alloc(units << 1);
  memory.copy(ptr(scratch), changetype<usize>(text), units << 1);
  let width: u64 = 0;
  for (let i: u32 = 0; i < size(scratch) >> 1; i++) {
    width += load<u64>(ptr(glyphs) + (load<u16>(ptr(scratch) + (i << 1)) % GLYPHS) * 8) & 0xff;
  }
  put(scratch);
  put(glyphs);
  return width;
}

export function main(): u64 {
  return measure("rcalloc finds reference counting bugs") + measure("ignore marks what is kept on purpose");
}
