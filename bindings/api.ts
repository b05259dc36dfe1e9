// Everything both entry points (node.ts, browser.ts) export besides createHeap.
export { Heap, type HeapOptions, type ReportRequest, type RcallocExports, type BlockKind, type BlockRecord } from "./heap.js";
export {
  RcError, DoublePutError, UseAfterPutError, InvalidHandleError, OutOfMemoryError,
  CorruptHeapError, SharedResizeError, UseAfterMoveError, WriteAfterFreeError, OwnershipError,
  type RcErrorCode, type RcErrorDetails,
} from "./errors.js";
export type { Report, ReportOptions, ObjectRecord, ReferenceRecord, HeapStats } from "./report.js";
export type { Site } from "./sites.js";

/** File name of a build inside the package's build/ folder. */
export function wasmFileName(checked: boolean): string {
  return checked ? "rcalloc.checked.wasm" : "rcalloc.unchecked.wasm";
}
