// npm run demo:report: a small program that leaks, checked per request with mark/leaksSince, and
// its report written as text (stdout), JSON and a self-contained HTML page with a picture of the
// heap. Open the HTML file in any browser; it needs no network.
//
//   node examples/report-demo.js [out-dir]     (default: test-results/)
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { allocRef, createHeap, reportToHTML, reportToJSON } from "rcalloc";

const outDir = resolve(process.argv[2] ?? "test-results");
const heap = await createHeap({ checked: true, stacks: true });

// The app's state: a session table that lives for the whole run.
const sessions = [];
for (let i = 0; i < 200; i++) sessions.push(heap.alloc(48 + (i % 7) * 32));

function lookupSession(id) {
  return heap.get(sessions[id % sessions.length]); // the caller must put this reference
}

function parseHeaders(count) {
  // A linked list of header records: each holds the handle of the next one.
  let next = 0;
  for (let i = 0; i < count; i++) {
    const h = heap.alloc(32 + (i % 4) * 16);
    new DataView(heap.memory.buffer, heap.ptr(h), 4).setUint32(0, next, true);
    next = h;
  }
  return next;
}

function freeHeaders(head) {
  while (head) {
    const next = new DataView(heap.memory.buffer, heap.ptr(head), 4).getUint32(0, true);
    heap.put(head);
    head = next;
  }
}

function handleRequest(id) {
  // A Ref gives its reference back when disposed: `using body = allocRef(heap, 4096)` in
  // TypeScript or Node >= 24; plain JS on Node 20 has no `using`, so try/finally here.
  const body = allocRef(heap, 4096);
  try {
    body.bytes().fill(id & 0xff);
    const session = lookupSession(id);
    const headers = parseHeaders(8);
    if (id % 3 === 0) {
      freeHeaders(headers);
      heap.put(session);
    } else if (id % 3 === 1) {
      heap.alloc(24 * 1024); // bug: a thumbnail buffer nobody puts; and the session and headers leak
    }
    // bug: for id % 3 == 2 the error path forgets the session reference and the headers
  } finally {
    body[Symbol.dispose]();
  }
}

const mark = heap.mark();
for (let id = 0; id < 12; id++) handleRequest(id);

// What the requests left behind, with the conservative scan: each header is still stored in the
// header before it; the heads and the session references have no copy anywhere.
const leaks = heap.leaksSince(mark, { scan: true });
console.log(leaks.toString({ maxPerGroup: 3 }));

mkdirSync(outDir, { recursive: true });
const blocks = heap.blocks();
writeFileSync(resolve(outDir, "report.json"), JSON.stringify(reportToJSON(leaks, { blocks }), null, 2) + "\n");
writeFileSync(resolve(outDir, "report.html"), reportToHTML(leaks, { blocks, title: "rcalloc demo: leaks of 12 requests" }));
console.log(`\nwrote ${resolve(outDir, "report.html")} and report.json`);
