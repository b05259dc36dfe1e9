// Everything both entry points (node.ts, browser.ts) export besides createHeap.
export {
  Heap, type HeapOptions, type ReportRequest, type RcallocExports, type BlockKind, type BlockRecord, type SharedHeapInit,
} from "./heap.js";
export { attachHeap, sharedMemoryProblem } from "./shared-heap.js";
export {
  RcError, DoublePutError, UseAfterPutError, InvalidHandleError, OutOfMemoryError,
  CorruptHeapError, SharedResizeError, UseAfterMoveError, WriteAfterFreeError, OwnershipError, TooManyHeapsError, InvalidArgumentError,
  HeapLockTimeoutError, DetachedError, HeapInUseError,
  type RcErrorCode, type RcErrorDetails,
} from "./errors.js";
export type { Report, ReportOptions, ObjectRecord, ReferenceRecord, HeapStats } from "./report.js";
export { type Site, cStringSite, asStringSite, readSiteString, SITE_STRING, SITE_AS_STRING } from "./sites.js";
export { HeapView, type StringEncoding, type TypedArrayConstructor } from "./views.js";

export { wasmFileName } from "./allocator-builds.js";
export { link, programReport, ModuleAbortError, type LinkOptions, type Linked, type LinkLayout, type LinkedReport, type LoaderHelpers } from "./link.js";
export { LinkError, USER_MEMORY_BASE, type LinkErrorCode } from "./linkable.js";
export { minimalWasi, WasiExitError, WASI_MODULE } from "./wasi.js";
export { inspectModule, type ModuleInfo, type WasmBytes } from "./wasm-reader.js";
export { prepareStaticLink } from "./static-link.js";
export { allocatorBytes, type WasmSource } from "./allocator-builds.js";
export { ModuleCode, WasmSourceMap, wasmStack } from "./wasm-sites.js";
export {
  Ref, wrap, allocRef, jsLeaks, collectJsLeaks, clearJsLeaks, setRefDefaults, canReportJsLeaks, type JsLeak, type RefOptions,
} from "./ref.js";
export {
  reportToJSON, isReportJSON, REPORT_FORMAT, REPORT_VERSION, type ReportJSON, type ReportJSONOptions,
  type SiteJSON, type ObjectJSON, type ReferenceJSON, type BlockJSON, type JsLeakJSON,
} from "./report-json.js";
export { reportToHTML, type HTMLReportOptions } from "./report-html.js";
export {
  measureOverhead, measureHeapOverhead, timerResolution, OVERHEAD_FORMAT, OVERHEAD_VERSION, TIMER_TICKS_PER_BATCH,
  type OverheadOptions, type ModuleOverheadOptions, type HeapOverheadOptions, type OverheadResult,
  type OverheadProgress, type BuildOverhead, type OverheadEnvironment, type Spread,
} from "./measure.js";
export { overheadToText } from "./measure-text.js";
export { overheadToSVG } from "./measure-svg.js";
