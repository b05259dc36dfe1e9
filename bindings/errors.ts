// Typed errors for the traps of the wasm allocator. Numeric codes come from records.ts.
import { ErrorCode } from "./records.js";
import type { Site } from "./sites.js";

/** The stable codes: the names of the allocator's numeric codes (assembly/errors.ts E_*), and
 *  the bindings' own checks made before any call reaches wasm. */
export type RcErrorCode = keyof typeof ErrorCode | "INVALID_ARGUMENT" | "TOO_MANY_HEAPS" | "DETACHED" | "HEAP_IN_USE";

/** What the allocator recorded about a failure (assembly/errors.ts, ERROR_RECORD). */
export interface RcErrorDetails {
  /** The handle passed to the failing call (0 if none). */
  handle: number;
  /** Payload address of the object involved, when known. */
  object?: number;
  /** Where the reference was taken (checked build with sites). */
  site?: Site;
  /** Where it was first put, moved or resized away (checked build with sites). */
  putSite?: Site;
  /** Code-specific number: bytes asked for, references held, owner, offset of a changed byte, ... */
  detail?: number;
}

/** Base class of every error rcalloc raises. `code` is stable; match on it or on the class. */
export class RcError extends Error {
  readonly code: RcErrorCode;
  readonly handle: number;
  readonly object?: number;
  readonly site?: Site;
  readonly putSite?: Site;
  readonly detail?: number;
  constructor(code: RcErrorCode, message: string, details: RcErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.handle = details.handle;
    this.object = details.object;
    this.site = details.site;
    this.putSite = details.putSite;
    this.detail = details.detail;
  }
}

/** A reference was put twice (even if other references keep its object alive). */
export class DoublePutError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("DOUBLE_PUT", message, d); }
}
/** A handle was used after it was put (or replaced by resize). */
export class UseAfterPutError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("USE_AFTER_PUT", message, d); }
}
/** Not a handle of this heap: 0, forged, random, or from another heap. */
export class InvalidHandleError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("INVALID_HANDLE", message, d); }
}
/** The heap reached its page limit (or the handle table is full). Nothing was changed. */
export class OutOfMemoryError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("OUT_OF_MEMORY", message, d); }
}
/** validate() found a broken invariant; the message names it. */
export class CorruptHeapError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("CORRUPT_HEAP", message, d); }
}
/** resize() of an object that more than one reference holds. */
export class SharedResizeError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("SHARED_RESIZE", message, d); }
}

/** A handle used after move() handed its reference to a new handle. */
export class UseAfterMoveError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("USE_AFTER_MOVE", message, d); }
}
/** A freed object's poisoned bytes changed while it sat in the quarantine (checked build):
 *  `object` is its old address, `site` where it was allocated, `putSite` its last put,
 *  `detail` the offset of the first changed byte. */
export class WriteAfterFreeError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("WRITE_AFTER_FREE", message, d); }
}
/** Owner rules broken: putFor by an owner holding nothing, put of an owned reference, ... */
export class OwnershipError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("OWNERSHIP", message, d); }
}

/** More checked heaps are alive than there are handle tags (bindings/heap-tags.ts): dispose()
 *  heaps no longer used. Raised by createHeap()/link() before anything is instantiated. */
export class TooManyHeapsError extends RcError {
  constructor(message: string) { super("TOO_MANY_HEAPS", message, { handle: 0 }); }
}
/** A bad argument other than a handle, refused before the call reaches wasm, so nothing changed: a
 *  size, owner or page count that is not an integer in 0 .. 2^32 - 1 (a NaN, -1, 1.5, "8"), data
 *  that is not bytes, an unknown encoding, an option naming the wrong build. `detail` is unset. */
export class InvalidArgumentError extends RcError {
  constructor(message: string) { super("INVALID_ARGUMENT", message, { handle: 0 }); }
}

/** Shared heaps: the heap lock did not change hands for the lock timeout (HeapOptions.lockTimeout,
 *  default 10 s): its holder, thread `detail`, will never release it (a worker terminated
 *  mid-operation). The heap cannot be used any more: its state is what that operation left. */
export class HeapLockTimeoutError extends RcError {
  constructor(message: string, d: RcErrorDetails) { super("LOCK_TIMEOUT", message, d); }
}
/** Shared heaps: a call on a Heap after its detach(): the thread number, cache and error record
 *  went to the next worker that attaches. Raised before anything reaches wasm. */
export class DetachedError extends RcError {
  constructor(message: string) { super("DETACHED", message, { handle: 0 }); }
}
/** Shared heaps: dispose() by the creator while other threads are still attached (they use its
 *  handle tag): detach them first. */
export class HeapInUseError extends RcError {
  constructor(message: string, threads: number) { super("HEAP_IN_USE", message, { handle: 0, detail: threads }); }
}

type ErrorClass = new (message: string, d: RcErrorDetails) => RcError;

const CLASS_OF_CODE: { readonly [code in keyof typeof ErrorCode]: ErrorClass } = {
  DOUBLE_PUT: DoublePutError,
  USE_AFTER_PUT: UseAfterPutError,
  INVALID_HANDLE: InvalidHandleError,
  OUT_OF_MEMORY: OutOfMemoryError,
  CORRUPT_HEAP: CorruptHeapError,
  SHARED_RESIZE: SharedResizeError,
  USE_AFTER_MOVE: UseAfterMoveError,
  WRITE_AFTER_FREE: WriteAfterFreeError,
  OWNERSHIP: OwnershipError,
  LOCK_TIMEOUT: HeapLockTimeoutError,
};

/** The codes of misuse: the program broke the API's rules (the rest are OUT_OF_MEMORY, a limit). */
export const MISUSE_CODES: ReadonlySet<RcErrorCode> = new Set<RcErrorCode>([
  "DOUBLE_PUT", "USE_AFTER_PUT", "INVALID_HANDLE", "SHARED_RESIZE", "CORRUPT_HEAP",
  "USE_AFTER_MOVE", "WRITE_AFTER_FREE", "OWNERSHIP",
]);

/** Error classes by the numeric code the wasm module records (index = code). */
export const ERROR_CLASSES: readonly (ErrorClass | undefined)[] = (() => {
  const classes: (ErrorClass | undefined)[] = [];
  for (const [name, code] of Object.entries(ErrorCode)) classes[code] = CLASS_OF_CODE[name as keyof typeof ErrorCode];
  return classes;
})();

export { hex } from "./format.js"; // messages name handles and addresses in hex
