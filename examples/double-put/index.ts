// A program that puts one reference twice: a message queue stores the sender's reference
// instead of taking its own, so the queue's put and the sender's put hit the same handle. The
// body stays alive in between (an archive holds another reference), so nothing looks wrong until
// the second put: the checked build traps there.
//
//   rcalloc check build/examples/double-put.wasm    → exit 2, naming where the reference was
//                                                     taken and where it was first put
//
// In the unchecked build the second put frees the body while the archive still holds it: the use
// after free the checked build exists to catch.

import { alloc, get, ptr, put, size } from "rcalloc/runtime/imports";

class Message {
  constructor(public topic: string, public body: u32) {}
}

const queue = new Array<Message>();

function send(topic: string, body: u32): void {
  queue.push(new Message(topic, body)); // BUG: should take its own reference: get(body)
}

function deliver(message: Message): u32 {
  let sum: u32 = 0;
  let p = ptr(message.body);
  for (let i: u32 = 0; i < size(message.body); i++) sum += load<u8>(p + i);
  put(message.body); // the queue gives back "its" reference
  return sum;
}

export function main(): u32 {
  let body = alloc(32);
  memory.fill(ptr(body), 7, 32);
  let archive = get(body); // the archive's own reference
  send("greeting", body);
  let total: u32 = 0;
  for (let i = 0; i < queue.length; i++) total += deliver(queue[i]);
  put(body); // the sender is done with its reference: the second put of this handle
  put(archive);
  return total;
}
