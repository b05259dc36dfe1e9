// Heap tags (checked build): every live heap in this JS realm gets its own tag 1..MAX_TAG, which
// the allocator writes into each handle it issues (assembly/handles.ts), so a handle of one live
// heap is refused by every other ("it belongs to another heap"), never silently accepted.
// A tag comes back when its heap is disposed or garbage-collected. When all are taken, a new heap
// first asks for a garbage collection (where the engine allows it: Node) so heaps nobody holds
// any more give theirs back, and otherwise fails with TooManyHeapsError naming the fix.
// The tag of a released heap is reused last-released-last, so a handle kept from a dead heap is
// as unlikely as can be to name a live slot of its successor; such handles are dangling anyway.
import { TooManyHeapsError } from "./errors.js";
import { Handle } from "./records.js";

const free: number[] = Array.from({ length: Handle.MAX_TAG }, (_, i) => i + 1); // oldest first
const released = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<number>((tag) => release(tag))
  : undefined;
const held = new Set<number>();

/** A tag no live heap holds, released when `owner` is collected; 0 when none is free. */
function claim(owner: object, token: object): number {
  const tag = free.shift() ?? 0;
  if (tag) {
    held.add(tag);
    released?.register(owner, tag, token);
  }
  return tag;
}

/** Gives `tag` back (dispose, or its heap was collected). */
export function release(tag: number, token?: object): void {
  if (!held.delete(tag)) return;
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
export async function claimTag(owner: object, token: object): Promise<number> {
  let tag = claim(owner, token);
  for (let attempt = 0; !tag && attempt < 3 && collect(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 0)); // finalizers run in a later task
    tag = claim(owner, token);
  }
  if (!tag) {
    throw new TooManyHeapsError(
      `rcalloc: ${Handle.MAX_TAG} checked heaps are alive, each with its own handle tag; ` +
      `call heap.dispose() on heaps you no longer use (or drop every reference to them)`,
    );
  }
  return tag;
}

/** Tags held by live heaps now (for tests). */
export function tagsInUse(): number {
  return held.size;
}
