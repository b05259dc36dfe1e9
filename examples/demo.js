// npm run demo: a leak and a double put in the checked build, with the report and the error.
import { createHeap, DoublePutError } from "rcalloc";

const heap = await createHeap({ checked: true, stacks: true });

function makeList(n) {
  // A tiny linked list: each node holds a reference to the next one.
  let head = 0;
  for (let i = 0; i < n; i++) {
    const node = heap.alloc(16);
    const view = new DataView(heap.memory.buffer, heap.ptr(node), 16);
    view.setUint32(0, i, true);
    view.setUint32(4, head, true); // handle of the next node: this node owns that reference
    head = node;
  }
  return head;
}

function cacheFirst(list) {
  return heap.get(list); // taken for a cache that nobody ever clears: a leak
}

const list = makeList(3);
cacheFirst(list);
cacheFirst(list);

console.log("1. A leak: references still live at the end, grouped by where they were taken\n");
console.log(heap.report().toString());

console.log("\n2. A double put: caught before it does damage\n");
const extra = heap.get(list);
heap.put(extra);
try {
  heap.put(extra);
} catch (e) {
  if (!(e instanceof DoublePutError)) throw e;
  console.log(`${e.name} [${e.code}]`);
  console.log(e.message.replace(/ \(/, "\n  (").replace(/; /g, ";\n   "));
}
heap.validate();
console.log("\nvalidate() passes after the caught misuse: the heap is consistent.");
