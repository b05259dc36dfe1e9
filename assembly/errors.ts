// === Errors: codes, messages and the one path every failure takes ===
//
// A failure fills ERROR_RECORD (failure(h)…raise) and calls `abort(message)`, the `env.abort`
// import. It is raised before the failing operation has changed anything, so a host that
// catches it can carry on with a consistent heap. The TypeScript bindings read the record in
// their `env.abort` and throw the matching typed error; codes and offsets reach them through
// bindings/records.ts, generated from assembly/records.ts.
//
// ╒════════ ERROR_RECORD (6 × u32) ════════╕
// +0  code      one of the E_* codes below
// +4  handle    the handle the caller passed (0 if none)
// +8  object    payload address of the object involved (0 if unknown)
// +12 site      site where the reference was taken (0 if unknown)
// +16 putSite   site where it was put, moved or resized away (0 if unknown)
// +20 detail    code-specific number (bytes asked for, references held, owner, byte offset, ...)

// @ts-ignore: decorator
@inline export const E_DOUBLE_PUT: u32 = 1;
// @ts-ignore: decorator
@inline export const E_USE_AFTER_PUT: u32 = 2;
// @ts-ignore: decorator
@inline export const E_INVALID_HANDLE: u32 = 3;
// @ts-ignore: decorator
@inline export const E_OUT_OF_MEMORY: u32 = 4;
// @ts-ignore: decorator
@inline export const E_CORRUPT_HEAP: u32 = 5;
// @ts-ignore: decorator
@inline export const E_SHARED_RESIZE: u32 = 6;
// @ts-ignore: decorator
@inline export const E_USE_AFTER_MOVE: u32 = 7;
// @ts-ignore: decorator
@inline export const E_WRITE_AFTER_FREE: u32 = 8;
// @ts-ignore: decorator
@inline export const E_OWNERSHIP: u32 = 9;
// @ts-ignore: decorator
@inline export const E_LOCK_TIMEOUT: u32 = 10; // shared build: detail = the holder's thread number

// @ts-ignore: decorator
@lazy export const MSG_DOUBLE_PUT = "rcalloc: double put: this reference was already put";
// @ts-ignore: decorator
@lazy export const MSG_USE_AFTER_PUT = "rcalloc: use after put: this reference was already put";
// @ts-ignore: decorator
@lazy export const MSG_USE_AFTER_RESIZE = "rcalloc: use after resize: resize replaced this handle";
// @ts-ignore: decorator
@lazy export const MSG_HANDLE_ZERO = "rcalloc: invalid handle: 0 is never a valid handle";
// @ts-ignore: decorator
@lazy export const MSG_FOREIGN_HANDLE = "rcalloc: invalid handle: it belongs to another heap";
// @ts-ignore: decorator
@lazy export const MSG_FORGED_HANDLE = "rcalloc: invalid handle: this heap never issued it";
// @ts-ignore: decorator
@lazy export const MSG_OUT_OF_MEMORY = "rcalloc: out of memory: the heap reached its page limit";
// @ts-ignore: decorator
@lazy export const MSG_TOO_LARGE = "rcalloc: out of memory: allocation larger than 2 GiB";
// @ts-ignore: decorator
@lazy export const MSG_HANDLES_EXHAUSTED = "rcalloc: out of memory: the handle table is used up (2^24 - 1 live references at most, 2^28 taken in a heap's life: a handle is never issued twice)";
// @ts-ignore: decorator
@lazy export const MSG_SHARED_RESIZE = "rcalloc: resize of an object with more than one reference";
// @ts-ignore: decorator
@lazy export const MSG_USE_AFTER_MOVE = "rcalloc: use after move: this reference was moved to a new handle";
// @ts-ignore: decorator
@lazy export const MSG_LOCK_TIMEOUT = "rcalloc: the heap lock did not change hands for too long: its holder (a worker terminated mid-operation?) will never release it";
// @ts-ignore: decorator
@lazy export const MSG_WEAK_HANDLE = "rcalloc: invalid handle: a weak handle; upgrade() it to use the object";
// @ts-ignore: decorator
@lazy export const MSG_NOT_WEAK = "rcalloc: invalid handle: not a weak handle";
// @ts-ignore: decorator
@lazy export const MSG_WRITE_AFTER_FREE = "rcalloc: write after free: a freed object's poisoned bytes changed";
// @ts-ignore: decorator
@lazy export const MSG_OWNED_PUT = "rcalloc: ownership: this reference belongs to an owner; release it with putFor";
// @ts-ignore: decorator
@lazy export const MSG_OWNED_MOVE = "rcalloc: ownership: this reference belongs to an owner and cannot be moved";
// @ts-ignore: decorator
@lazy export const MSG_NOT_OWNER = "rcalloc: ownership: this owner holds no reference to the object";
// @ts-ignore: decorator
@lazy export const MSG_ALREADY_OWNER = "rcalloc: ownership: this owner already holds a reference to the object";
// @ts-ignore: decorator
@lazy export const MSG_BAD_OWNER = "rcalloc: ownership: owner tags are 1 .. 0xFFFFFFFD";
// @ts-ignore: decorator
@lazy export const MSG_DOUBLE_FREE = "rcalloc: double free: this block was already freed";
// @ts-ignore: decorator
@lazy export const MSG_FREE_UNKNOWN = "rcalloc: invalid pointer: free of a pointer malloc never returned (or freed long ago)";
// @ts-ignore: decorator
@lazy export const MSG_HEAP_OVERFLOW = "rcalloc: heap overflow: bytes past the end of a malloc block changed";
// @ts-ignore: decorator
@lazy export const MSG_FREE_HANDLE_OBJECT = "rcalloc: invalid pointer: free of an object held by handles; put its handle instead";
// @ts-ignore: decorator
@lazy export const MSG_TAG_IN_USE = "rcalloc: the heap tag cannot change once handles exist";

/** The record the host reads after a trap (diagram above; offsets exported via records.ts). */
@unmanaged export class ErrorRecord {
  code: u32;
  handle: u32;
  object: u32;
  site: u32;
  putSite: u32;
  detail: u32;

  /** The object involved, by payload address. */
  // @ts-ignore: decorator
  @inline of(payload: usize): ErrorRecord { this.object = <u32>payload; return this; }
  /** Where the reference was taken. */
  // @ts-ignore: decorator
  @inline taken(site: u32): ErrorRecord { this.site = site; return this; }
  /** Where the reference was put, moved or resized away. */
  // @ts-ignore: decorator
  @inline ended(site: u32): ErrorRecord { this.putSite = site; return this; }
  /** The code-specific number. */
  // @ts-ignore: decorator
  @inline with(detail: u32): ErrorRecord { this.detail = detail; return this; }

  /** Records `code` and aborts with `message`. Never returns. */
  raise(code: u32, message: string): void {
    this.code = code;
    abort(message);
    unreachable();
  }
}

export const ERROR_RECORD: usize = memory.data(offsetof<ErrorRecord>(), 16);

/**
 * Starts a failure about handle `h` (0 if none): fill in what is known, then raise, e.g.
 *   failure(h).of(payload).taken(site).ended(putSite).raise(E_DOUBLE_PUT, MSG_DOUBLE_PUT);
 * Fields not given read 0 ("unknown").
 */
export function failure(h: u32): ErrorRecord {
  let r = changetype<ErrorRecord>(ERROR_RECORD);
  r.handle = h;
  r.object = 0;
  r.site = 0;
  r.putSite = 0;
  r.detail = 0;
  return r;
}

/** A heap invariant is broken: `message` names it. Used by validate() and the debug checks. */
export function corrupt(message: string, where: usize): void {
  failure(0).of(where).raise(E_CORRUPT_HEAP, message);
}

/** Debug build: an internal precondition. Written `if (DEBUG) check(…)` so other builds pay
 *  nothing (not assert(): --noAssert keeps only its operand). */
export function check(ok: bool, message: string): void {
  if (!ok) corrupt(message, 0);
}
