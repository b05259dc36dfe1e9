// === Records shared with the host: every code and offset the bindings read, in one list ===
//
// Not part of the allocator: an entry file of its own that scripts/records.mjs compiles to read
// these constants and write bindings/records.ts, so the TypeScript side never copies an offset by
// hand (test/records.test.ts fails when the two drift). Names are `Group__member`; offsets of
// records are u32 word indices (every field is a u32).

import { ErrorRecord, E_CORRUPT_HEAP, E_DOUBLE_PUT, E_INVALID_HANDLE, E_LOCK_TIMEOUT, E_OUT_OF_MEMORY, E_OWNERSHIP,
  E_SHARED_RESIZE, E_USE_AFTER_MOVE, E_USE_AFTER_PUT, E_WRITE_AFTER_FREE } from "./errors";
import { GEN_MASK, GEN_SHIFT, INDEX_MASK, MAX_TAG, RECORD_GONE, TAG_SHIFT } from "./handles";
import { BLOCK_CACHED, BLOCK_DEAD, BLOCK_FREE, BLOCK_INTERNAL, BLOCK_LIVE } from "./layout";
import { CHECKED_RESULT_WORDS, UNCHECKED_RESULT_WORDS } from "./scan";
import { BlockWalk, HeapStats, ObjectWalk, ReferenceWalk } from "./walk";

export const ErrorCode__DOUBLE_PUT: u32 = E_DOUBLE_PUT;
export const ErrorCode__USE_AFTER_PUT: u32 = E_USE_AFTER_PUT;
export const ErrorCode__INVALID_HANDLE: u32 = E_INVALID_HANDLE;
export const ErrorCode__OUT_OF_MEMORY: u32 = E_OUT_OF_MEMORY;
export const ErrorCode__CORRUPT_HEAP: u32 = E_CORRUPT_HEAP;
export const ErrorCode__SHARED_RESIZE: u32 = E_SHARED_RESIZE;
export const ErrorCode__USE_AFTER_MOVE: u32 = E_USE_AFTER_MOVE;
export const ErrorCode__WRITE_AFTER_FREE: u32 = E_WRITE_AFTER_FREE;
export const ErrorCode__OWNERSHIP: u32 = E_OWNERSHIP;
export const ErrorCode__LOCK_TIMEOUT: u32 = E_LOCK_TIMEOUT;

export const ErrorRecord__code: u32 = offsetof<ErrorRecord>("code") >> 2;
export const ErrorRecord__handle: u32 = offsetof<ErrorRecord>("handle") >> 2;
export const ErrorRecord__object: u32 = offsetof<ErrorRecord>("object") >> 2;
export const ErrorRecord__site: u32 = offsetof<ErrorRecord>("site") >> 2;
export const ErrorRecord__putSite: u32 = offsetof<ErrorRecord>("putSite") >> 2;
export const ErrorRecord__detail: u32 = offsetof<ErrorRecord>("detail") >> 2;
export const ErrorDetail__RECORD_GONE: u32 = RECORD_GONE;
export const ErrorRecord__WORDS: u32 = offsetof<ErrorRecord>() >> 2;

export const ObjectWalk__payload: u32 = offsetof<ObjectWalk>("payload") >> 2;
export const ObjectWalk__size: u32 = offsetof<ObjectWalk>("size") >> 2;
export const ObjectWalk__refs: u32 = offsetof<ObjectWalk>("refs") >> 2;
export const ObjectWalk__order: u32 = offsetof<ObjectWalk>("order") >> 2;
export const ObjectWalk__site: u32 = offsetof<ObjectWalk>("site") >> 2;
export const ObjectWalk__putSite: u32 = offsetof<ObjectWalk>("putSite") >> 2;
export const ObjectWalk__ignored: u32 = offsetof<ObjectWalk>("ignored") >> 2;
export const ObjectWalk__weak: u32 = offsetof<ObjectWalk>("weak") >> 2;
export const ObjectWalk__raw: u32 = offsetof<ObjectWalk>("raw") >> 2;
export const ObjectWalk__WORDS: u32 = offsetof<ObjectWalk>() >> 2;

export const ReferenceWalk__handle: u32 = offsetof<ReferenceWalk>("handle") >> 2;
export const ReferenceWalk__payload: u32 = offsetof<ReferenceWalk>("payload") >> 2;
export const ReferenceWalk__site: u32 = offsetof<ReferenceWalk>("site") >> 2;
export const ReferenceWalk__order: u32 = offsetof<ReferenceWalk>("order") >> 2;
export const ReferenceWalk__owner: u32 = offsetof<ReferenceWalk>("owner") >> 2;
export const ReferenceWalk__weak: u32 = offsetof<ReferenceWalk>("weak") >> 2;
export const ReferenceWalk__size: u32 = offsetof<ReferenceWalk>("size") >> 2;
export const ReferenceWalk__WORDS: u32 = offsetof<ReferenceWalk>() >> 2;

export const BlockWalk__block: u32 = offsetof<BlockWalk>("block") >> 2;
export const BlockWalk__size: u32 = offsetof<BlockWalk>("size") >> 2;
export const BlockWalk__kind: u32 = offsetof<BlockWalk>("kind") >> 2;
export const BlockWalk__payload: u32 = offsetof<BlockWalk>("payload") >> 2;
export const BlockWalk__WORDS: u32 = offsetof<BlockWalk>() >> 2;

export const HeapStats__pages: u32 = offsetof<HeapStats>("pages") >> 2;
export const HeapStats__heapBytes: u32 = offsetof<HeapStats>("heapBytes") >> 2;
export const HeapStats__liveObjects: u32 = offsetof<HeapStats>("liveObjects") >> 2;
export const HeapStats__liveBytes: u32 = offsetof<HeapStats>("liveBytes") >> 2;
export const HeapStats__freeBytes: u32 = offsetof<HeapStats>("freeBytes") >> 2;
export const HeapStats__cachedBytes: u32 = offsetof<HeapStats>("cachedBytes") >> 2;
export const HeapStats__internalBytes: u32 = offsetof<HeapStats>("internalBytes") >> 2;
export const HeapStats__liveReferences: u32 = offsetof<HeapStats>("liveReferences") >> 2;
export const HeapStats__retiredSlots: u32 = offsetof<HeapStats>("retiredSlots") >> 2;
export const HeapStats__quarantinedBlocks: u32 = offsetof<HeapStats>("quarantinedBlocks") >> 2;
export const HeapStats__quarantinedBytes: u32 = offsetof<HeapStats>("quarantinedBytes") >> 2;
export const HeapStats__weakHeldBytes: u32 = offsetof<HeapStats>("weakHeldBytes") >> 2;
export const HeapStats__WORDS: u32 = offsetof<HeapStats>() >> 2;

export const BlockKind__free: u32 = BLOCK_FREE;
export const BlockKind__cached: u32 = BLOCK_CACHED;
export const BlockKind__live: u32 = BLOCK_LIVE;
export const BlockKind__internal: u32 = BLOCK_INTERNAL;
export const BlockKind__dead: u32 = BLOCK_DEAD;

// Checked-build handles (handles.ts): the host keys scan results by slot index.
export const Handle__INDEX_MASK: u32 = INDEX_MASK;
export const Handle__GEN_SHIFT: u32 = GEN_SHIFT;
export const Handle__GEN_MASK: u32 = GEN_MASK;
export const Handle__TAG_SHIFT: u32 = TAG_SHIFT;
export const Handle__MAX_TAG: u32 = MAX_TAG;

// Scan results (scan.ts): words per entry in each build.
export const ScanEntry__WORDS_CHECKED: u32 = CHECKED_RESULT_WORDS;
export const ScanEntry__WORDS_UNCHECKED: u32 = UNCHECKED_RESULT_WORDS;
