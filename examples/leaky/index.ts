// A program that leaks references: a small document store whose readers take a reference to a
// document and must put it. Two forget: an early return, and closeAll, which drops the "recent"
// list without putting the references in it.
//
//   rcalloc check build/examples/leaky.wasm         → exit 1, the leaks grouped by where taken
//
// Built for link at load (see examples/README.md): the allocator is imported from "rcalloc".

import { alloc, get, ptr, put, size } from "rcalloc/runtime/imports";

/** Title → the store's reference to the document text (an rcalloc object of UTF-16 units). */
const store = new Map<string, u32>();
/** References kept for a "recently opened" list. */
let recent = new Array<u32>();

function addDocument(title: string, text: string): void {
  let bytes = <u32>text.length << 1;
  let doc = alloc(bytes);
  memory.copy(ptr(doc), changetype<usize>(text), bytes);
  store.set(title, doc);
}

function textOf(doc: u32): string {
  return String.UTF16.decodeUnsafe(ptr(doc), size(doc));
}

function longestWord(title: string): i32 {
  let doc = get(store.get(title)); // a reference for the duration of the call
  let words = textOf(doc).split(" ");
  if (words.length < 3) return 0; // BUG: returns without put(doc)
  let best = 0;
  for (let i = 0; i < words.length; i++) best = max(best, words[i].length);
  put(doc);
  return best;
}

function remember(title: string): void {
  recent.push(get(store.get(title))); // put by nobody: closeAll drops the list
}

function closeAll(): void {
  let titles = store.keys();
  for (let i = 0; i < titles.length; i++) put(store.get(titles[i]));
  store.clear();
  recent = new Array<u32>(); // BUG: drops the old list without putting its references
}

export function main(): i32 {
  addDocument("intro", "rcalloc finds reference counting bugs");
  addDocument("todo", "write tests");
  addDocument("notes", "every get needs a put");
  let total = 0;
  let titles = store.keys();
  for (let i = 0; i < titles.length; i++) total += longestWord(titles[i]);
  remember("intro");
  remember("notes");
  closeAll();
  return total;
}
