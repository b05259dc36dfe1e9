// === The AS runtime's blocks inside rcalloc objects: layout and helpers ===
//
// Every block AssemblyScript asks for (__alloc: buffers, and through AS's collector every
// `new`, string and array) is one rcalloc object holding one reference, owned by the runtime.
// AS code addresses blocks by pointer, so the handle that owns the block is kept in front of it.
//
// ╒═══════════ Runtime block inside an rcalloc payload (P: 16-byte aligned) ════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┤
// │                handle: the rcalloc reference that owns the block            │ P+0
// ├───────────────────────────────────────────────────────────────────────────────┤
// │                MARK (0x52435254): "held by the AS runtime"                   │ P+4
// ├───────────────────────────────────────────────────────────────────────────────┤
// │                0 (spare)                                                     │ P+8
// ├───────────────────────────────────────────────────────────────────────────────┤
// │ mmInfo: capacity (multiple of 16)           = ~lib/rt/common BLOCK     │ 0 0 │ P+12
// ╞═══════════════════════════════════════════════════════════════════════════════╡
// │ __alloc's result (16-byte aligned). For GC objects: gcInfo, gcInfo2, rtId,   │ P+16
// │ rtSize (~lib/rt/common OBJECT), then the object itself at P+32 (aligned)     │
// └───────────────────────────────────────────────────────────────────────────────┘
// The rcalloc object is exactly HEADER + capacity bytes, so AS's collector (which reads
// mmInfo for its accounting and for in-place __renew) never writes past it.
// The leak checker (programReport in bindings/link.ts, which `rcalloc check` uses) reads MARK and
// handle to tell blocks of the runtime (reachable GC objects) from references the program took.

import { BLOCK_MAXSIZE } from "~lib/rt/common";
import { E_ALLOCATION_TOO_LARGE } from "~lib/util/error";

// @ts-ignore: decorator
@inline export const HEADER: usize = 16;
// @ts-ignore: decorator
@inline export const MARK: u32 = 0x52435254;

/** rcalloc object size for an AS block of `size` bytes: header + capacity, 16-byte multiple. */
// @ts-ignore: decorator
@inline export function objectSize(size: usize): u32 {
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  return <u32>((size + HEADER + 15) & ~15);
}

/** Writes the header into the payload `p` of handle `h`; returns the AS block pointer. */
// @ts-ignore: decorator
@inline export function initBlock(p: usize, h: u32, objectSize: u32): usize {
  store<u32>(p, h, 0);
  store<u32>(p, MARK, 4);
  store<u32>(p, 0, 8);
  store<u32>(p, objectSize - <u32>HEADER, 12);
  return p + HEADER;
}

/** The handle that owns the AS block at `ptr`. */
// @ts-ignore: decorator
@inline export function handleOf(ptr: usize): u32 {
  return load<u32>(ptr - HEADER);
}

/** Capacity of the AS block at `ptr` in bytes (mmInfo). */
// @ts-ignore: decorator
@inline export function capacityOf(ptr: usize): usize {
  return <usize>load<u32>(ptr - 4);
}

/** rcalloc object size of the AS block at `ptr` (HEADER + capacity): __realloc keeps a block that fits. */
// @ts-ignore: decorator
@inline export function objectSizeOf(ptr: usize): usize {
  return capacityOf(ptr) + HEADER;
}

/** Clears the mark before the block goes back (a stale block no longer looks owned). */
// @ts-ignore: decorator
@inline export function releaseBlock(ptr: usize): u32 {
  let h = load<u32>(ptr - HEADER);
  store<u64>(ptr - HEADER, 0);
  return h;
}
