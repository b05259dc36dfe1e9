// === Errors: codes, messages and the one path every failure takes ===
//
// A failure fills ERROR_RECORD and calls `abort(message)` (the `env.abort` import). It is
// raised before the failing operation has changed anything, so a host that catches it can
// carry on with a consistent heap. The TypeScript bindings read the record in their
// `env.abort` and throw the matching typed error (bindings/errors.ts mirrors these codes).
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
@lazy export const MSG_HANDLES_EXHAUSTED = "rcalloc: out of memory: no handle-table slot left";
// @ts-ignore: decorator
@lazy export const MSG_SHARED_RESIZE = "rcalloc: resize of an object with more than one reference";
// @ts-ignore: decorator
@lazy export const MSG_USE_AFTER_MOVE = "rcalloc: use after move: this reference was moved to a new handle";
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
@lazy export const MSG_TAG_IN_USE = "rcalloc: the heap tag cannot change once handles exist";

export const ERROR_RECORD: usize = memory.data(24, 16);

/** Records the failure and aborts. Never returns. */
export function fail(
  code: u32, message: string, handle: u32, object: usize, site: u32, putSite: u32, detail: u32
): void {
  store<u32>(ERROR_RECORD, code, 0);
  store<u32>(ERROR_RECORD, handle, 4);
  store<u32>(ERROR_RECORD, <u32>object, 8);
  store<u32>(ERROR_RECORD, site, 12);
  store<u32>(ERROR_RECORD, putSite, 16);
  store<u32>(ERROR_RECORD, detail, 20);
  abort(message);
  unreachable();
}

/** A heap invariant is broken: `message` names it. Used by validate(). */
export function corrupt(message: string, where: usize): void {
  fail(E_CORRUPT_HEAP, message, 0, where, 0, 0, 0);
}
