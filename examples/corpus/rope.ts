// A rope of text chunks: joining takes a reference to each side for the new node.
// BUG: join() returns early for an empty right side and forgets to put the left reference.
// expect: exit 1, leak taken at the line marked //!
import { alloc, get, ptr, put, size } from "rcalloc/runtime/imports";

class Rope {
  constructor(public left: u32, public right: u32) {}
}

function chunk(text: string): u32 {
  let bytes = <u32>text.length << 1;
  let h = alloc(bytes);
  memory.copy(ptr(h), changetype<usize>(text), bytes);
  return h;
}

function join(left: u32, right: u32): Rope | null {
  let l = get(left); //!
  if (size(right) == 0) return null; // l is never put
  return new Rope(l, get(right));
}

export function main(): i32 {
  let a = chunk("hello, ");
  let b = chunk("world");
  let empty = alloc(0);
  let rope = join(a, b)!;
  let nothing = join(a, empty);
  let length = <i32>(size(rope.left) + size(rope.right)) >> 1;
  put(rope.left);
  put(rope.right);
  put(a);
  put(b);
  put(empty);
  return length + (nothing ? 1 : 0);
}
