// Heap tags (checked build): every live heap in this JS realm gets its own tag 1..MAX_TAG, which
// the allocator writes into each handle it issues (assembly/handles.ts), so a handle of one live
// heap is refused by every other ("it belongs to another heap"), never silently accepted.
// A tag comes back when its heap is disposed or garbage-collected. When all are taken, a new heap
// first asks for a garbage collection (where the engine allows it: Node) so heaps nobody holds
// any more give theirs back, and otherwise fails with TooManyHeapsError naming the fix.
// The tag of a released heap is reused last-released-last, so a handle kept from a dead heap is
// as unlikely as can be to name a live slot of its successor; such handles are dangling anyway.
//
// Shared heaps live in several realms (one per worker), each with its own free list here. The
// creator takes the highest free tag (private heaps take the lowest, so the two meet only when
// many heaps are alive), and never gives it back on garbage collection: workers may still use
// the heap after the creator dropped its Heap object, so only dispose() returns it. A worker that
// attaches reserves the heap's tag in its own realm (reserveSharedTag), so a private heap made
// there cannot get it, until it detaches.
import { TooManyHeapsError } from "./errors.js";
import { Handle } from "./records.js";

const free: number[] = Array.from({ length: Handle.MAX_TAG }, (_, i) => i + 1); // oldest first
const released = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<number>((tag) => release(tag))
  : undefined;
const held = new Set<number>();
/** Tags of shared heaps this realm created (held until their creator's dispose()). */
const sharedCreated = new Set<number>();
/** Tags of shared heaps this realm attached to, with how many attached Heaps use each. */
const attached = new Map<number, number>();
/** The attached tags reserveSharedTag took off the free list (the others are sharedCreated). */
const takenFromFree = new Set<number>();

/** A tag no live heap holds, released when `owner` is collected (a private heap) or only by
 *  release() (a shared heap, the highest free tag); 0 when none is free. */
function claim(owner: object, token: object, shared: boolean): number {
  const tag = (shared ? free.splice(free.indexOf(Math.max(...free)), 1)[0] : free.shift()) ?? 0;
  if (tag) {
    held.add(tag);
    if (shared) sharedCreated.add(tag);
    else released?.register(owner, tag, token);
  }
  return tag;
}

/** A worker attached to a shared heap whose handles carry `tag`: no private heap of this realm
 *  may get it until releaseSharedTag. False when a private heap here already has it (created
 *  before attaching, while the creator's realm handed the same tag out). */
export function reserveSharedTag(tag: number): boolean {
  const uses = attached.get(tag) ?? 0;
  if (!uses) {
    const at = free.indexOf(tag);
    if (at >= 0) {
      free.splice(at, 1);
      takenFromFree.add(tag);
    } else if (!sharedCreated.has(tag)) {
      return false;
    }
  }
  attached.set(tag, uses + 1);
  return true;
}

/** The attached Heap that reserved `tag` detached. */
export function releaseSharedTag(tag: number): void {
  const uses = attached.get(tag) ?? 0;
  if (uses > 1) attached.set(tag, uses - 1);
  else attached.delete(tag);
  if (uses === 1 && takenFromFree.delete(tag)) free.push(tag);
}

/** True when a heap of this realm holds `tag` now (its own, or a shared heap attached here). */
export function tagInUse(tag: number): boolean {
  return held.has(tag) || attached.has(tag);
}

/** Gives `tag` back (dispose, or its heap was collected). */
export function release(tag: number, token?: object): void {
  if (!held.delete(tag)) return;
  sharedCreated.delete(tag);
  if (token) released?.unregister(token);
  free.push(tag);
}

/** A full collection where the engine lets a library ask for one (Node: through V8's flag). */
function collect(): boolean {
  const g = globalThis as { gc?: () => void; process?: { getBuiltinModule?(id: string): unknown } };
  if (typeof g.gc === "function") {
    g.gc();
    return true;
  }
  const v8 = g.process?.getBuiltinModule?.("node:v8") as { setFlagsFromString(flags: string): void } | undefined;
  const vm = g.process?.getBuiltinModule?.("node:vm") as { runInNewContext(code: string): unknown } | undefined;
  if (!v8 || !vm) return false;
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (() => void) | undefined;
  if (typeof gc !== "function") return false;
  gc();
  return true;
}

/** Claims a tag for a new heap (`owner`), collecting garbage once if every tag is held. */
export async function claimTag(owner: object, token: object, shared = false): Promise<number> {
  let tag = claim(owner, token, shared);
  for (let attempt = 0; !tag && attempt < 3 && collect(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 0)); // finalizers run in a later task
    tag = claim(owner, token, shared);
  }
  if (!tag) {
    throw new TooManyHeapsError(
      `rcalloc: ${Handle.MAX_TAG} checked heaps are alive, each with its own handle tag; ` +
      `call heap.dispose() on heaps you no longer use (or drop every reference to them)`,
    );
  }
  return tag;
}

/** Tags held by live heaps now, attached shared heaps' included (for tests). */
export function tagsInUse(): number {
  return held.size + takenFromFree.size;
}
