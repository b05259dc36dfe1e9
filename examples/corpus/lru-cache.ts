// A least-recently-used cache of rendered pages: the cache holds one reference per entry.
// BUG: evicting the oldest entry drops it from the map without put(): a leak, taken at the
// alloc in render().
// expect: exit 1, leak taken at the line marked //!
import { alloc, ptr, put } from "rcalloc/runtime/imports";

const CAPACITY = 3;
const pages = new Map<i32, u32>();
const order = new Array<i32>();

function render(id: i32): u32 {
  let page = alloc(64); //!
  store<i32>(ptr(page), id);
  return page;
}

function lookup(id: i32): u32 {
  if (pages.has(id)) return pages.get(id);
  if (order.length == CAPACITY) {
    let oldest = order.shift();
    pages.delete(oldest); // the cache's reference to it is lost here
  }
  let page = render(id);
  pages.set(id, page);
  order.push(id);
  return page;
}

export function main(): i32 {
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += load<i32>(ptr(lookup(i % 4)));
  let ids = pages.keys();
  for (let i = 0; i < ids.length; i++) put(pages.get(ids[i]));
  pages.clear();
  return sum;
}
