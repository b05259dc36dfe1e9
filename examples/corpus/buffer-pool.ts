// A pool of scratch buffers: release() gives the buffer back (put), so it must not be used after.
// BUG: checksum() reads the buffer after releasing it.
// expect: exit 2 USE_AFTER_PUT at the line marked //!
import { alloc, ptr, put, size } from "rcalloc/runtime/imports";

function fill(buffer: u32, value: u8): void {
  memory.fill(ptr(buffer), value, size(buffer));
}

function release(buffer: u32): void {
  put(buffer);
}

function checksum(buffer: u32): u32 {
  release(buffer);
  return load<u8>(ptr(buffer)) * size(buffer); //!
}

export function main(): u32 {
  let buffer = alloc(64);
  fill(buffer, 3);
  return checksum(buffer);
}
