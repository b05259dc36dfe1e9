// A graph whose edges hand their label object to the target node with move(label, owner).
// BUG: after the move the old handle is dead, but connect() still reads its size.
// expect: exit 2 USE_AFTER_MOVE at the line marked //!
import { alloc, move, putFor, size } from "rcalloc/runtime/imports";

const NODE_B: u32 = 2;

function connect(label: u32): u32 {
  let owned = move(label, NODE_B); // node B holds the label now
  let bytes = size(label); //!
  putFor(owned, NODE_B);
  return bytes;
}

export function main(): u32 {
  let label = alloc(24);
  return connect(label);
}
