// A job queue: the queue owns one reference to each job; a worker takes its own while it runs.
// BUG: finish() puts the queue's reference, then complete() puts it again: a double put.
// expect: exit 2 DOUBLE_PUT at the line marked //!
import { alloc, get, ptr, put } from "rcalloc/runtime/imports";

const queue = new Array<u32>();

function submit(cost: i32): void {
  let job = alloc(8);
  store<i32>(ptr(job), cost);
  queue.push(job);
}

function finish(job: u32): i32 {
  let cost = load<i32>(ptr(job));
  put(job); // the queue's reference, given back
  return cost;
}

function complete(job: u32): void {
  put(job); //!
}

export function main(): i32 {
  submit(3);
  submit(5);
  let total = 0;
  while (queue.length) {
    let job = queue.shift();
    let running = get(job);
    total += finish(job);
    if (total > 4) complete(job);
    else put(running);
  }
  return total;
}
