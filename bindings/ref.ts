// Ref: a JS object that holds one reference of a heap and gives it back with put() or at the end
// of a `using` block. A FinalizationRegistry (where the engine has one) reports a Ref that was
// garbage-collected without a put, with the JS stack of its creation: a safety net, never the
// main path (collection may come late or never). No Node or DOM API here.
// Symbol.dispose's type, kept in the emitted .d.ts: a consumer whose lib stops at ES2022 (no
// @types/node, which declares it too) would otherwise fail on it (TS2550).
/// <reference lib="esnext.disposable" preserve="true" />
import { DoublePutError, hex, UseAfterPutError } from "./errors.js";
import type { Heap } from "./heap.js";
import { enter, leave, location, PerStack } from "./js-stacks.js";

/** A Ref that was garbage-collected while still holding its reference. */
export interface JsLeak {
  /** The handle it held (still live in the heap: the leak also shows in heap reports). */
  handle: number;
  /** Payload address of its object when the Ref was created or last resized. */
  ptr: number;
  /** Size in bytes of its object then. */
  size: number;
  /** First frame of the creation stack outside rcalloc, "file:line:col" ("(unknown)" without stacks). */
  label: string;
  /** The JS stack where the Ref was created, one frame a line ("" when stacks are off). */
  stack: string;
  /** The text that the default handler prints. */
  message: string;
}

export interface RefOptions {
  /**
   * Called once for each Ref garbage-collected without a put (instead of console.warn).
   * Runs from the engine's finalization task: keep it short, don't throw.
   */
  onLeak?: (leak: JsLeak) => void;
  /** Capture the JS stack at creation for leak reports (default true; costs a few µs a Ref). */
  stacks?: boolean;
  /**
   * Put the reference once the leak is reported (default false: the reference stays live, so the
   * heap's own reports keep showing the leak).
   */
  putOnLeak?: boolean;
}

/** What the registry keeps for a live Ref: never the Ref itself, or it could not be collected. */
interface Held {
  heap: Heap;
  handle: number;
  ptr: number;
  size: number;
  stack: string;
  options: RefOptions;
}

const leaksByHeap = new WeakMap<Heap, JsLeak[]>();
const defaultsByHeap = new WeakMap<Heap, RefOptions>();

function reportLeak(held: Held): void {
  const label = held.stack ? location(held.stack.split("\n")[0]) : "(unknown)";
  const message =
    `rcalloc: a Ref was garbage-collected without put(): handle ${hex(held.handle)}, ` +
    `object ${hex(held.ptr)} (${held.size} bytes), created at ${label}` +
    (held.stack ? "\n" + held.stack.split("\n").map((f) => "    " + f).join("\n") : "");
  const leak: JsLeak = { handle: held.handle, ptr: held.ptr, size: held.size, label, stack: held.stack, message };
  let list = leaksByHeap.get(held.heap);
  if (!list) leaksByHeap.set(held.heap, (list = []));
  list.push(leak);
  try {
    if (held.options.onLeak) held.options.onLeak(leak);
    else console.warn(message);
    if (held.options.putOnLeak) {
      // a put for nobody's call: cut at reportLeak, it finds no caller (not rcalloc's own line)
      const outer = enter(reportLeak);
      try {
        held.heap.put(held.handle);
      } finally {
        leave(outer);
      }
    }
  } catch {
    // A finalization callback must not throw: the leak is in jsLeaks(heap) anyway.
  }
}

const registry: FinalizationRegistry<Held> | undefined =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry(reportLeak) : undefined;

/** Symbol.dispose, or where the engine lacks it the key that esbuild / oxc lowered `using` looks up. */
const dispose: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for("Symbol.dispose") as typeof Symbol.dispose);


/** Creation stacks, by stack (a stack seen before is not formatted again); up to 4096 kept. */
const creationStacks = new PerStack<string>(12, 4096);

/** The stack below `new Ref` (or the wrap, allocRef or Ref.get that called it), one frame a line. */
function creationStack(): string {
  return creationStacks.of(Ref, (frames) => frames.join("\n"));
}

/**
 * One reference of a heap, as a JS object. `put()` gives it back (a second put is a double put:
 * the checked build's heap throws DoublePutError naming both sites; in the unchecked build the
 * Ref throws it itself). `[Symbol.dispose]()` puts it unless already put, so
 * `using r = allocRef(heap, 64)` gives the reference back at the end of the block.
 */
export class Ref {
  /** The heap the reference belongs to. */
  readonly heap: Heap;
  private h: number;
  private held: Held | undefined;
  private done = false;
  /** The creation stack (kept after put, for a double put's message). */
  private readonly stack: string;

  /** Takes ownership of the reference `handle` (prefer wrap() / allocRef()). */
  constructor(heap: Heap, handle: number, options: RefOptions = {}) {
    this.heap = heap;
    this.h = handle;
    const merged = { ...defaultsByHeap.get(heap), ...options };
    this.stack = registry && merged.stacks !== false ? creationStack() : "";
    if (registry) {
      this.held = { heap, handle, ptr: heap.ptr(handle), size: heap.size(handle), stack: this.stack, options: merged };
      registry.register(this, this.held, this);
    }
  }

  /** The handle (checked build: this reference's own; unchecked: the payload address). */
  get handle(): number {
    return this.h;
  }

  /** True once put (or disposed). */
  get released(): boolean {
    return this.done;
  }

  /** Payload address in heap.memory; valid until the object is freed or resized. */
  get ptr(): number {
    this.live();
    return this.heap.ptr(this.h);
  }

  /** Size in bytes, as asked for. */
  get size(): number {
    this.live();
    return this.heap.size(this.h);
  }

  /** Live references to the object (this one included). */
  get refs(): number {
    this.live();
    return this.heap.refs(this.h);
  }

  /** The payload as a plain Uint8Array, valid until memory grows (see Heap.bytes). */
  bytes(): Uint8Array {
    this.live();
    return this.heap.bytes(this.h);
  }

  /** Another reference to the same object, as a new Ref that must be put on its own. */
  get(options?: RefOptions): Ref {
    this.live();
    const outer = enter(Ref.prototype.get);
    try {
      return new Ref(this.heap, this.heap.get(this.h), { ...this.held?.options, ...options });
    } finally {
      leave(outer);
    }
  }

  /** Resizes the object (this must be its only reference); the Ref takes the new handle. */
  resize(size: number): this {
    this.live();
    const outer = enter(Ref.prototype.resize);
    try {
      this.h = this.heap.resize(this.h, size);
    } finally {
      leave(outer);
    }
    if (this.held) {
      this.held.handle = this.h;
      this.held.ptr = this.heap.ptr(this.h);
      this.held.size = size;
    }
    return this;
  }

  /** Gives the reference back; the object is freed with its last reference. Twice is a double put. */
  put(): void {
    if (this.done && !this.heap.checked) {
      const label = this.stack ? location(this.stack.split("\n")[0]) : "";
      throw new DoublePutError(
        `rcalloc: double put: this Ref was already put (handle ${hex(this.h)}` +
        (label ? `; created at ${label})` : ")"),
        { handle: this.h, site: label ? { id: 0, label, stack: this.stack } : undefined },
      );
    }
    const outer = enter(Ref.prototype.put);
    try {
      this.heap.put(this.h); // checked build: the heap throws on a second put, naming both sites
    } finally {
      leave(outer);
    }
    this.done = true;
    if (this.held) {
      registry?.unregister(this);
      this.held = undefined;
    }
  }

  /** Puts the reference unless it was already put (the end of a `using` block). */
  [dispose](): void {
    if (this.done) return;
    const outer = enter(Ref.prototype[dispose]);
    try {
      this.put();
    } finally {
      leave(outer);
    }
  }

  /** Unchecked build: the Ref knows it was put, so it throws where the heap could not. */
  private live(): void {
    if (this.done && !this.heap.checked) {
      throw new UseAfterPutError(`rcalloc: use after put: this Ref was already put (handle ${hex(this.h)})`, {
        handle: this.h,
      });
    }
  }
}

/** Wraps the reference `handle` of `heap` (the Ref owns it from now on). */
export function wrap(heap: Heap, handle: number, options?: RefOptions): Ref {
  const outer = enter(wrap);
  try {
    return new Ref(heap, handle, options);
  } finally {
    leave(outer);
  }
}

/** A new object of `size` bytes, its one reference held by a Ref. */
export function allocRef(heap: Heap, size: number, options?: RefOptions): Ref {
  const outer = enter(allocRef);
  try {
    const h = heap.alloc(size);
    try {
      return new Ref(heap, h, options);
    } catch (e) {
      heap.put(h);
      throw e;
    }
  } finally {
    leave(outer);
  }
}

/** Defaults for every Ref created on `heap` afterwards (options passed to wrap/allocRef win). */
export function setRefDefaults(heap: Heap, options: RefOptions): void {
  defaultsByHeap.set(heap, { ...options });
}

/** Refs of `heap` reported as garbage-collected without a put so far, oldest first (a copy). */
export function jsLeaks(heap: Heap): JsLeak[] {
  return [...(leaksByHeap.get(heap) ?? [])];
}

/**
 * Runs full garbage collections (the `gc` Node exposes with --expose-gc) and lets the
 * finalization tasks run, until a round reports no new leak; then returns jsLeaks(heap).
 * Deterministic where jsLeaks() alone depends on when the engine chooses to collect.
 */
export async function collectJsLeaks(heap: Heap): Promise<JsLeak[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") {
    throw new Error("rcalloc: jsLeaks({ collect: true }) needs gc(): run node with --expose-gc " +
      "(NODE_OPTIONS=--expose-gc, or vitest's poolOptions execArgv); without it use jsLeaks(), which reports what the engine has collected so far");
  }
  let seen = -1;
  for (let round = 0; round < 20; round++) {
    const now = leaksByHeap.get(heap)?.length ?? 0;
    if (round >= 3 && now === seen) break; // a few rounds at least: finalizers run in later tasks
    seen = now;
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return jsLeaks(heap);
}

/** Forgets the JS leaks recorded for `heap` (for per-test checks). */
export function clearJsLeaks(heap: Heap): void {
  leaksByHeap.delete(heap);
}

/** True where the engine has FinalizationRegistry (leaked Refs can be reported). */
export const canReportJsLeaks: boolean = registry !== undefined;
