// The library path with state in globals: a registry whose table (a StaticArray of entries'
// handles) and current entry (a handle) live in top-level variables for the program's life.
// Correct: the handle a global holds is "held by global `assembly/registry/current`", the handles
// in the table (the runtime's object) are held through it by global `assembly/registry/table`;
// nothing leaks. Built like index.ts (asconfig.json), with --debug for global names.

import { alloc, ptr, size } from "rcalloc/assembly";

export * from "rcalloc/assembly";

const table = new StaticArray<u32>(4);
let current: u32 = 0;

export function main(): u32 {
  for (let i = 0; i < table.length; i++) {
    let h = alloc(8);
    store<u32>(ptr(h), i);
    table[i] = h; // kept for the program's life, as `current` is
  }
  current = alloc(16);
  return load<u32>(ptr(table[3]));
}

/** Reads the current entry back (so the optimizer keeps the global). */
export function currentSize(): u32 {
  return size(current);
}
