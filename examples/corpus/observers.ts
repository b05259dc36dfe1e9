// A subject notifies observers through weak handles, so it never keeps one alive; observers
// that are gone are skipped (upgrade returns 0) and their weak handles released. Correct. exit 0.
// expect: exit 0
import { alloc, ptr, put, putWeak, upgrade, weak } from "rcalloc/runtime/imports";

const watchers = new Array<u32>();

function subscribe(observer: u32): void {
  watchers.push(weak(observer));
}

function notify(value: i32): i32 {
  let reached = 0;
  for (let i = 0; i < watchers.length; i++) {
    let strong = upgrade(watchers[i]);
    if (!strong) continue;
    store<i32>(ptr(strong), value);
    reached++;
    put(strong);
  }
  return reached;
}

export function main(): i32 {
  let a = alloc(8);
  let b = alloc(8);
  subscribe(a);
  subscribe(b);
  let first = notify(1);
  put(b); // b goes away; its weak handle stays until released below
  let second = notify(2);
  put(a);
  for (let i = 0; i < watchers.length; i++) putWeak(watchers[i]);
  return first * 10 + second;
}
