// Shared test helpers: both builds, cookies written into payloads, and a check that nothing was lost.
import { createHeap, type Heap, type HeapOptions } from "../bindings/node.js";

export const BUILDS = [
  { name: "checked", checked: true },
  { name: "unchecked", checked: false },
] as const;

export function heapOf(checked: boolean, options: HeapOptions = {}): Promise<Heap> {
  return createHeap({ checked, ...options });
}

/** Fills the payload of `h` with a pattern derived from `seed`. */
export function writeCookie(heap: Heap, h: number, seed: number): void {
  const bytes = new Uint8Array(heap.memory.buffer, heap.ptr(h), heap.size(h));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
}

/** True when the payload of `h` still holds the pattern of `seed` (up to `length` bytes). */
export function hasCookie(heap: Heap, h: number, seed: number, length = heap.size(h)): boolean {
  const bytes = new Uint8Array(heap.memory.buffer, heap.ptr(h), length);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}
