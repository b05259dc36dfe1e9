// A copy-on-write buffer: readers share one object; a writer must copy it first when shared.
// BUG: append() grows the buffer in place without checking it is shared: resize of an object
// two references hold.
// expect: exit 2 SHARED_RESIZE at the line marked //!
import { alloc, get, ptr, put, resize, size } from "rcalloc/runtime/imports";

function append(buffer: u32, byte: u8): u32 {
  let length = size(buffer);
  let grown = resize(buffer, length + 1); //!
  store<u8>(ptr(grown) + length, byte);
  return grown;
}

export function main(): u32 {
  let text = alloc(4);
  store<u32>(ptr(text), 0x64636261);
  let snapshot = get(text); // a reader keeps the old contents
  text = append(text, 0x65);
  put(snapshot);
  let n = size(text);
  put(text);
  return n;
}
