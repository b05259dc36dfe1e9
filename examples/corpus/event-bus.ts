// An event bus: each subscriber holds its own owner-keyed reference to the event (getFor).
// BUG: unsubscribing subscriber 12 releases with the bus's id 11, which holds nothing.
// expect: exit 2 OWNERSHIP at the line marked //!
import { alloc, getFor, put, putFor } from "rcalloc/runtime/imports";

const BUS: u32 = 11;
const SUBSCRIBER: u32 = 12;

function unsubscribe(event: u32): void {
  putFor(event, BUS); //!
}

export function main(): i32 {
  let event = alloc(16);
  getFor(event, SUBSCRIBER);
  unsubscribe(event);
  putFor(event, SUBSCRIBER);
  put(event);
  return 0;
}
