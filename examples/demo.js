// npm run demo: what rcalloc finds, from JavaScript and in a wasm module.
//   1-2. a leak and a double put from JS, checked build: the report and the error
//   3.   `rcalloc check` on a leaky AssemblyScript module: the leak report, and an HTML page
//   4.   `rcalloc bench` on a correct module with a real workload: what checking costs
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHeap, DoublePutError } from "rcalloc";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" }).status;

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

if (!existsSync(`${root}build/examples/leaky.wasm`)) run(["examples/build.js"]);
mkdirSync(`${root}build/demo`, { recursive: true });

console.log("\n3. rcalloc check on a leaky wasm module (examples/leaky): exit 1 means leaks found\n");
const status = run(["bin/rcalloc.js", "check", "build/examples/leaky.wasm", "--html", "build/demo/leaky-report.html"]);
console.log(`(exit code ${status})`);

console.log("\n4. rcalloc bench on a correct module (examples/workload): checked vs unchecked\n");
run(["bin/rcalloc.js", "bench", "build/examples/workload.wasm", "--entry", "run", "--rounds", "5"]);
