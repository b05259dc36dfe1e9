// === rcalloc build configuration: the checked-build ladder, in one place ===
//
// Compile-time flags pick a rung of the ladder; every other switch in assembly/ derives from
// these two constants (CHECKED, DEBUG) here. Each rung includes everything below it.
//
//   asc ... --use RC_DEBUG=1     debug build (implies checked; for tests, never for speed)
//     - every exported operation runs validate() before and after itself, so the first
//       operation that breaks an invariant is the one that traps (CORRUPT_HEAP)
//     - internal preconditions that are only comments in the other builds are checked
//       (`if (DEBUG) check(…)`: "reserve, then mutate" — a slot, a pair entry or quarantine
//       room is reserved before anything changes)
//
//   asc ... --use RC_HOST_SITES=1   (checked, the library path) an operation given no site asks
//     the host for one (import "rcalloc:sites" "site"), which takes it from the wasm stack, so
//     references taken inside a module that compiles rcalloc in are named by their lines, as in
//     link at load; other builds never import it. Not with RC_SHARED=1: refused below
//
//   asc ... --use RC_CHECKED=1   checked build
//     - handles are table slots (index + generation + heap tag), see handles.ts
//     - every exported entry point validates its handle before it mutates anything
//     - each reference records its order and site; freed slots wait in a FIFO quarantine
//       so a double put can still name where the reference was taken and first put
//     - the object header grows from 8 to 24 bytes (order, allocation site, last put site)
//
//   asc ... --use RC_SHARED=1    shared-memory build (either flavour; asc --enable threads
//     --sharedMemory --importMemory): every instance (one per worker) runs on the same memory.
//     The allocator's state lives in that memory and every exported operation holds one heap
//     lock (threads.ts) but the fast paths of shared.ts (get, put, small allocs: thread caches,
//     fast-references.ts); each instance keeps its own error record. The entry file is
//     assembly/shared.ts; without the flag none of this is compiled in. With RC_DEBUG=1 too it is
//     the shared debug build (build/rcalloc.shared-debug.wasm): the validation runs under the lock.
//
//   asc ... --use RC_CHECKED=0   unchecked build (also the default when the flag is absent)
//     - handle = payload pointer, reference count in the block header, get = increment
//     - no table, no checks on the hot paths; misuse is undefined behaviour
//
// All builds share the block layer (tlsf.ts, blocks.ts), the heap walk and validate().
// Internal preconditions use check() (errors.ts), never assert(): asconfig sets --noAssert.
//
// Inlining: hot helpers are @inline; cold paths (traps, growth, the last put) are plain
// functions, which Binaryen keeps out of line because they are called from many places.
// Note: AssemblyScript reads `@inline(never)` as `@inline` — never write it.

// `isDefined(RC_CHECKED)` alone is true even for RC_CHECKED=0, so read the value.
// @ts-ignore: decorator
@inline export const DEBUG: bool = isDefined(RC_DEBUG) ? <bool>RC_DEBUG : false;
// @ts-ignore: decorator
@inline export const CHECKED: bool = DEBUG || (isDefined(RC_CHECKED) ? <bool>RC_CHECKED : false);
// @ts-ignore: decorator
@inline export const SHARED: bool = isDefined(RC_SHARED) ? <bool>RC_SHARED : false;
// @ts-ignore: decorator
@inline export const HOST_SITES: bool = CHECKED && (isDefined(RC_HOST_SITES) ? <bool>RC_HOST_SITES : false);

// Sites from the host are for a module that compiles rcalloc in; a shared heap is one of the
// package's shared builds (bindings: createHeap, attachHeap, link), never such a module. And in
// a shared build the host would be asked inside a lock-free pass with a slot pinned
// (fast-references.ts) or under the heap lock: every other thread and every walk would wait for
// a JS stack capture, and a throw or a terminate() there would leave the pin, the pass or the
// lock held for good. To combine them, take the site in shared.ts before the pass and the lock.
if (SHARED && HOST_SITES) ERROR("rcalloc: RC_HOST_SITES=1 and RC_SHARED=1 cannot be combined (a host call inside a lock-free pass or under the heap lock; see assembly/config.ts)");

// Shared build: threads (instances) attached to one heap at once (threads.ts).
// @ts-ignore: decorator
@inline export const MAX_THREADS: u32 = 64;

// Payload alignment. 16 bytes matches AssemblyScript's runtime and SIMD (v128) loads.
// @ts-ignore: decorator
@inline export const AL_BITS: u32 = 4;
// @ts-ignore: decorator
@inline export const AL_SIZE: usize = 1 << AL_BITS;
// @ts-ignore: decorator
@inline export const AL_MASK: usize = AL_SIZE - 1;

// Object header size. Both sizes are 8 mod 16, so every block starts at 8 mod 16 and its
// payload at 0 mod 16 in either build (see object.ts for the diagram).
// @ts-ignore: decorator
@inline export const CHECKED_HEADER: usize = 24;
// @ts-ignore: decorator
@inline export const UNCHECKED_HEADER: usize = 8;
// @ts-ignore: decorator
@inline export const HEADER: usize = CHECKED ? CHECKED_HEADER : UNCHECKED_HEADER;

// Largest whole block handled by the quick lists (exact 16-byte classes, no coalescing).
// Larger blocks go through TLSF. Tuned by bench/ (see docs/performance.md).
// @ts-ignore: decorator
@inline export const QUICK_MAX: usize = 1024;

// Largest whole block handled by the size classes (size-classes.ts: 12.5% classes, no coalescing
// while cached); blocks from QUICK_MAX to here are rounded up to their class. Larger: TLSF.
// @ts-ignore: decorator
@inline export const CLASS_MAX: usize = 16384;

// Freed handle-table slots wait in a FIFO this long before reuse (checked build), so a
// double put soon after the first put still finds the put site in the slot (a stale handle is
// refused by its generation whatever the wait). 64, not 256: every waiting slot is 32 bytes of
// table on top of the live ones, and on a small heap 256 of them (8 KiB) cost a page (random
// 1..64 and refcount-heavy: 3 pages against dlmalloc's 2; docs/performance.md, "Small checked heaps").
// @ts-ignore: decorator
@inline export const SLOT_QUARANTINE: u32 = 64;

// The largest wasm32 memory we manage: 65535 pages keeps every address + size below 2^32.
// @ts-ignore: decorator
@inline export const MAX_PAGES: u32 = 65535;
