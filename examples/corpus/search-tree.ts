// A binary search tree whose nodes hold a reference to a shared value blob; removing a node puts
// its reference. Correct: every reference is put by clear(). exit 0.
// expect: exit 0
import { alloc, get, ptr, put, refs } from "rcalloc/runtime/imports";

class Node {
  left: Node | null = null;
  right: Node | null = null;
  constructor(public key: i32, public value: u32) {}
}

let root: Node | null = null;

function insert(key: i32, value: u32): void {
  let node = new Node(key, get(value));
  if (!root) { root = node; return; }
  let at = root!;
  for (;;) {
    if (key < at.key) { if (!at.left) { at.left = node; return; } at = at.left!; }
    else { if (!at.right) { at.right = node; return; } at = at.right!; }
  }
}

function clear(node: Node | null): i32 {
  if (!node) return 0;
  let n = clear(node.left) + clear(node.right) + 1;
  put(node.value);
  return n;
}

export function main(): i32 {
  let blob = alloc(32);
  store<i32>(ptr(blob), 7);
  let keys: i32[] = [50, 20, 70, 10, 30, 60, 80];
  for (let i = 0; i < keys.length; i++) insert(keys[i], blob);
  let shared = refs(blob);
  let removed = clear(root);
  root = null;
  put(blob);
  return <i32>shared * 100 + removed;
}
