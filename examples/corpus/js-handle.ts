// An API that returns a handle to its JS caller, which owns it from then on. Not a leak in the
// module: "held by JS (returned by main)". exit 0.
// expect: exit 0
import { alloc, ptr } from "rcalloc/runtime/imports";

export function main(): u32 {
  let buffer = alloc(32);
  store<u32>(ptr(buffer), 0xcafe);
  return buffer; // the caller's to put
}
