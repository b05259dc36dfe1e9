// The caller's JS stack: the frames below the rcalloc function it called, as text, for sites and
// Ref creation stacks. V8 (Node, Chromium) and SpiderMonkey (Firefox) cut the stack at that
// function by identity, which holds in bundles (the app and rcalloc in one file or folder,
// rcalloc's URL rewritten); other engines drop the frames in rcalloc's folder. No Node or DOM API
// here.

/** The library's folder (sites.js, heap.js, ref.js, ...) as stacks name it: by URL, or by path for
 *  file: URLs under some runners. Engines that cannot cut a stack at a function drop the frames
 *  there (callerFrames). The folder is cut from the string: bundlers read
 *  `new URL(".", import.meta.url)` as an asset to copy. */
export const LIBRARY_LOCATIONS: readonly string[] = (() => {
  const folder = new URL(import.meta.url.slice(0, import.meta.url.lastIndexOf("/") + 1));
  return folder.protocol === "file:" ? [folder.href, decodeURIComponent(folder.pathname)] : [folder.href];
})();

/** V8's (Node, Chromium, Deno) stack capture that drops every frame down to and including the
 *  latest call of `entry`, found by function identity (cutsAtEntry); SpiderMonkey (Firefox) has it
 *  too, and honours Error.stackTraceLimit, but not prepareStackTrace; other engines may lack it. */
const V8Error = Error as ErrorConstructor & {
  captureStackTrace?: (holder: object, entry?: Function) => void;
  prepareStackTrace?: (error: object, frames: CallSite[]) => unknown;
};
const captureStackTrace = V8Error.captureStackTrace;

/** A frame as V8 hands it to Error.prepareStackTrace, unformatted. */
interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getTypeName(): string | null;
  getFunctionName(): string | null;
  getMethodName(): string | null;
  isConstructor(): boolean;
  isEval(): boolean;
  getEvalOrigin(): string | undefined;
}
const unformatted = (_error: object, frames: CallSite[]): CallSite[] => frames;

/** Whether captureStackTrace cuts the stack at `entry` here, checked once: one that ignored it
 *  would make rcalloc's own frames the sites, worse than the folder rule. */
const cutsAtEntry = ((): boolean => {
  if (!captureStackTrace) return false;
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  try {
    const probe = (): boolean => {
      const holder: { stack?: unknown } = {};
      captureStackTrace!(holder, probe);
      return framesOf(holder.stack).length === framesOf(new Error().stack).length - 1; // all but probe's
    };
    return probe();
  } finally {
    Error.stackTraceLimit = saved;
  }
})();

/** While a library function calls the heap for its caller (enter()): that function. */
let outerEntry: Function | undefined;

/**
 * Begins a library function's calls into the heap for its caller (Ref.put, allocRef, allocString,
 * copy): their sites are where `entry`, that function, was called; nested, the outermost entry
 * wins. Returns what leave() puts back, in a `finally`. (Not a callback: closures called through
 * one shared function made Ref.put and allocRef ~30% dearer.)
 */
export function enter(entry: Function): Function | undefined {
  const outer = outerEntry;
  outerEntry ??= entry;
  return outer;
}

/** Ends what enter() began: `outer` is what it returned. */
export function leave(outer: Function | undefined): void {
  outerEntry = outer;
}

/**
 * The caller's stack, one trimmed frame a line, at most `limit`: what lies below the call of
 * `entry`, the public function the caller called (after enter(), the outer one). V8 cuts it by
 * function identity, which survives bundling and minification. Elsewhere (or when the cut finds
 * nothing) the frames in the library's folder are dropped (`internalFiles`): wrong when a bundle
 * puts the app in that folder (Vite's assets/) or renames the library's URL (webpack).
 */
export function callerFrames(entry: Function, limit: number, internalFiles: readonly string[] = LIBRARY_LOCATIONS): string[] {
  const saved = Error.stackTraceLimit;
  try {
    if (cutsAtEntry) {
      Error.stackTraceLimit = limit; // counts the frames kept, not those cut
      const holder: { stack?: unknown } = {};
      captureStackTrace!(holder, outerEntry ?? entry);
      const frames = framesOf(holder.stack);
      if (frames.length) return frames;
    }
    Error.stackTraceLimit = limit + 6; // room for the library's own frames, on top
    const frames = framesOf(new Error().stack);
    let first = 0;
    while (first < frames.length && isInternal(frames[first], internalFiles)) first++;
    return frames.slice(first, first + limit);
  } finally {
    Error.stackTraceLimit = saved;
  }
}

/**
 * A key of the stack callerFrames(entry, limit) would give. V8: from the frames' positions, which
 * costs a fraction of formatting the stack as text (and skips any prepareStackTrace hook of the
 * host, such as a test runner's source maps): callers format a stack once per key. SpiderMonkey
 * (no prepareStackTrace) formats it: the text is the key, and callers make what they make of a
 * stack once per text. Undefined where no cut is made, or when the cut finds nothing.
 */
function stackKey(entry: Function, limit: number): string | undefined {
  if (!cutsAtEntry) return undefined;
  const savedLimit = Error.stackTraceLimit;
  const savedPrepare = V8Error.prepareStackTrace;
  let frames: unknown;
  try {
    Error.stackTraceLimit = limit;
    V8Error.prepareStackTrace = unformatted;
    const holder: { stack?: unknown } = {};
    captureStackTrace!(holder, outerEntry ?? entry);
    frames = holder.stack; // formatted when first read: read it before the hook goes back
  } finally {
    V8Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
  if (typeof frames === "string") return frames || undefined;
  if (!Array.isArray(frames) || !frames.length) return undefined;
  // everything V8 builds a frame's text from: two stacks alike in file:line:column may still differ
  // in the receiver's type, a `new`, or where eval'd code came from (the only way back to the
  // user's line for code made by new Function or eval)
  let key = "";
  for (const f of frames as CallSite[]) {
    key += `${f.getFileName()}:${f.getLineNumber()}:${f.getColumnNumber()} ${f.isConstructor() ? "new " : ""}` +
      `${f.getTypeName()}.${f.getFunctionName()} as ${f.getMethodName()}${f.isEval() ? ` ${f.getEvalOrigin()}` : ""}\n`;
  }
  return key;
}

/**
 * What is made of each distinct caller stack (a site id, a stack's text), made once: found again
 * by the stack's stackKey, so a stack seen before is captured but not formatted. At most `kept`
 * stacks are kept (the rest are made each time); engines without the cut make it each time.
 */
export class PerStack<T> {
  private readonly made = new Map<string, T>();
  /** `limit`: frames kept of each stack (callerFrames). */
  constructor(private readonly limit: number, private readonly kept = Infinity) {}

  /** What `make` makes of the frames below the caller's call of `entry` (callerFrames). */
  of(entry: Function, make: (frames: string[]) => T, internalFiles?: readonly string[]): T {
    const key = stackKey(entry, this.limit);
    let value = key === undefined ? undefined : this.made.get(key);
    if (value === undefined) {
      value = make(callerFrames(entry, this.limit, internalFiles));
      if (key !== undefined && this.made.size < this.kept) this.made.set(key, value);
    }
    return value;
  }
}

/** The frames of a stack text (lines naming file:line:column), trimmed. */
function framesOf(stack: unknown): string[] {
  if (typeof stack !== "string") return [];
  return stack.split("\n").filter((line) => /:\d+:\d+/.test(line)).map((line) => line.trim());
}

/** A frame in one of rcalloc's folders (where no V8 cut finds the caller). */
function isInternal(frame: string, internalFiles: readonly string[]): boolean {
  return internalFiles.some((file) => frame.includes(file));
}

// A frame's text, by engine:
//   V8 (Node, Chromium):     "    at fn (http://x/y.js:3:9)", "    at http://x/y.js:3:9"
//   SpiderMonkey (Firefox):  "fn@http://x/y.js:3:9", "@http://x/y.js:3:9", "async*fn@...",
//                            "fn@http://x/y.js line 2 > eval:1:5" (code made by eval or new
//                            Function at y.js line 2)
// A URL may hold an "@" (Vite's /@fs/, a query), and so may a name (a method called ["x@y"]): the
// name ends at the first "@" that a URL scheme follows (http:, file:, blob:, moz-extension:),
// else at the first "@". Whether a frame is V8's is the engine's, not the frame's: a Firefox
// method may be called "at z".
const AT_FRAME = /^(.*?)@([A-Za-z][\w+.-]*:.*:\d+:\d+)$/;
const AT_FRAME_NO_SCHEME = /^([^@]*)@(.+:\d+:\d+)$/;
/** This engine writes V8's frames ("    at fn (url:line:col)"); asked with frames to show, since an
 *  app may have set Error.stackTraceLimit to 0. */
const V8_TEXT = ((): boolean => {
  const savedLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 10;
    return /\n\s+at /.test(new Error().stack ?? "");
  } finally {
    Error.stackTraceLimit = savedLimit;
  }
})();
/** A trimmed frame's [, name, location] in the "fn@" format, or null (V8's). */
const atFrame = (text: string) => (V8_TEXT && text.startsWith("at ") ? null : AT_FRAME.exec(text) ?? AT_FRAME_NO_SCHEME.exec(text));

/** "    at fn (file:///x/y.js:3:9)" → "file:///x/y.js:3:9"; "fn@file:3:9" → "file:3:9". */
export function location(frame: string): string {
  const text = frame.trim();
  const at = atFrame(text);
  if (at) return at[2];
  const v8 = /\(?([^\s()]+:\d+:\d+)\)?\s*$/.exec(text);
  return v8 ? v8[1] : text;
}

/** The function a frame names, or "": "at async parseNode (file:3:9)" and "async*parseNode@file:3:9"
 *  → "parseNode". */
export function frameFunction(frame: string): string {
  const text = frame.trim();
  const at = atFrame(text);
  if (at) return at[1].replace(/^async\*/, "");
  return /^at (?:async )?([^\s(]+) \(/.exec(text)?.[1] ?? "";
}
