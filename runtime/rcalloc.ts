// === rcalloc's AssemblyScript runtime, for modules linked against the standalone allocator ===
//
//   asc app.ts --runtime ./node_modules/rcalloc/runtime/rcalloc --importMemory \
//     --memoryBase 65536 ...                           (see README: "Use it in your module")
//
// Routes every block an ordinary AS program allocates (`new`, strings, arrays, buffers,
// heap.alloc) through the allocator this module imports from "rcalloc" (raw blocks: mallocAt /
// reallocAt / freeAt, ./linked.ts), and keeps AssemblyScript's own incremental collector
// (./itcms.ts, AS's ITCMS reading sizes from rtSize: __new __renew __link __pin __unpin __collect
// __visit) on top. The collector decides when a block dies; rcalloc stores it, so the program's
// GC objects and the references it takes itself live in one heap, and the checked build checks
// both. Blocks and sites: ./blocks.ts.
//
// The runtime is an entry file: nothing here is exported, so the module's exports stay its own.

import { reserveHeap } from "./linked";
import "./itcms";

reserveHeap();
