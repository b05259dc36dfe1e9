// rcalloc's handle API (runtime/imports.ts) over AssemblyScript's own heap, so a program written
// against rcalloc (examples/workload) also runs on AS's stock runtimes for bench/as-programs.js.
// A handle is the payload address of a heap.alloc block; the 16 bytes in front hold the count and
// the size, so get/put do what rcalloc's unchecked build does (a count in the header).
//
//   h - 16: references   h - 12: size   h - 8, h - 4: unused (keeps the payload 16-byte aligned)

// @ts-ignore: decorator
@inline const FRONT: usize = 16;

export function alloc(size: u32): u32 {
  let h = heap.alloc(FRONT + <usize>size) + FRONT;
  store<u32>(h - FRONT, 1);
  store<u32>(h - FRONT, size, 4);
  return <u32>h;
}

// @ts-ignore: decorator
@inline export function get(h: u32): u32 {
  store<u32>(<usize>h - FRONT, load<u32>(<usize>h - FRONT) + 1);
  return h;
}

export function put(h: u32): void {
  let count = load<u32>(<usize>h - FRONT) - 1;
  store<u32>(<usize>h - FRONT, count);
  if (!count) heap.free(<usize>h - FRONT);
}

// @ts-ignore: decorator
@inline export function ptr(h: u32): usize { return <usize>h; }

// @ts-ignore: decorator
@inline export function size(h: u32): u32 { return load<u32>(<usize>h - FRONT, 4); }

/** Only with a single reference, as rcalloc's resize. */
export function resize(h: u32, size: u32): u32 {
  let moved = heap.realloc(<usize>h - FRONT, FRONT + <usize>size) + FRONT;
  store<u32>(moved - FRONT, size, 4);
  return <u32>moved;
}
