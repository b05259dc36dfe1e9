// === Bench module: the floor — a bump allocator that never frees ===
// Same loops, same touches, (almost) no allocator: "allocator time" = total - floor.
// The bump pointer runs through a fixed 256 KiB arena and wraps around instead of growing memory:
// nothing reads old contents, and the arena stays in L2 like a real heap's hot blocks do. (An
// 8 MiB arena made the floor's touches miss cache, so LIFO churn ran faster on real allocators
// than on the floor.) The arena is 4x the largest single request of any loop (64 KiB).
// realloc is a fresh bump without a copy: copying is the allocator's own work.
// Its page count is the arena, not a footprint: run.js leaves it out of page ratios.

// @ts-ignore: decorator
@inline const ARENA: usize = 256 << 10;
let arenaStart: usize = 0;
let arenaEnd: usize = 0; // 0 until the first allocation sets the arena up
let top: usize = 0;

// @ts-ignore: decorator
@inline(never) function wrap(need: usize): usize {
  if (!arenaEnd) {
    arenaStart = (__heap_base + 15) & ~15;
    arenaEnd = arenaStart + ARENA;
    let have = <usize>memory.size() << 16;
    if (arenaEnd > have) {
      if (memory.grow(<i32>((arenaEnd - have + 0xFFFF) >>> 16)) < 0) unreachable();
    }
  }
  top = arenaStart + need;
  return arenaStart;
}

// @ts-ignore: decorator
@global @inline function A_alloc(size: u32): u32 {
  let p = top;
  let need = (<usize>size + 15) & ~15;
  if (p + need > arenaEnd) p = wrap(need);
  else top = p + need;
  return <u32>p;
}
// @ts-ignore: decorator
@global @inline function A_free(h: u32): void {}
// @ts-ignore: decorator
@global @inline function A_realloc(h: u32, size: u32): u32 { return A_alloc(size); }
// @ts-ignore: decorator
@global @inline function A_ptr(h: u32): usize { return <usize>h; }
// @ts-ignore: decorator
@global @inline function A_get(h: u32): u32 { store<u32>(h, load<u32>(h) + 1); return h; }
// @ts-ignore: decorator
@global @inline function A_put(h: u32): void {
  let count = load<u32>(h) - 1;
  store<u32>(h, count); // reaching 0 would free: the floor never frees
}

export * from "./workloads";
