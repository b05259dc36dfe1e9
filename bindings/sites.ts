// Sites: where a reference was taken or put. JS stacks are captured per call and deduplicated
// into small integer ids that the wasm module stores with each reference (0 = unknown).

export interface Site {
  /** The id stored in wasm (1, 2, ...). */
  id: number;
  /** The first frame outside rcalloc, as "file:line:col" (or the caller's own label). */
  label: string;
  /** The stack below the rcalloc call, one frame a line. */
  stack: string;
}

const FRAME_LIMIT = 12;

/** Frames that belong to rcalloc itself; everything above them is the caller. */
function isInternal(frame: string, internalFiles: readonly string[]): boolean {
  return internalFiles.some((file) => frame.includes(file));
}

/** "    at fn (file:///x/y.js:3:9)" → "file:///x/y.js:3:9"; "fn@file:3:9" → "file:3:9". */
export function location(frame: string): string {
  const v8 = /\(?([^\s()]+:\d+:\d+)\)?\s*$/.exec(frame);
  return v8 ? v8[1] : frame.trim();
}

export class SiteTable {
  private readonly byKey = new Map<string, Site>();
  private readonly byId: Site[] = [];

  constructor(private readonly internalFiles: readonly string[]) {}

  /** The id of the current JS call site (deduplicated by its stack). */
  capture(): number {
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = FRAME_LIMIT + 4;
    const raw = new Error().stack ?? "";
    Error.stackTraceLimit = saved;
    const frames = raw.split("\n").filter((line) => /:\d+:\d+/.test(line));
    let first = 0;
    while (first < frames.length && isInternal(frames[first], this.internalFiles)) first++;
    const stack = frames.slice(first, first + FRAME_LIMIT).map((f) => f.trim()).join("\n");
    return this.intern(stack, frames.length > first ? location(frames[first]) : "(unknown)");
  }

  /** The id for a caller-chosen label (used by AssemblyScript callers and tests). */
  intern(stack: string, label: string): number {
    const key = label + "\n" + stack;
    let site = this.byKey.get(key);
    if (!site) {
      site = { id: this.byId.length + 1, label, stack };
      this.byKey.set(key, site);
      this.byId.push(site);
    }
    return site.id;
  }

  /** The site for an id from wasm, or undefined for 0 / unknown ids. */
  get(id: number): Site | undefined {
    return id > 0 ? this.byId[id - 1] : undefined;
  }
}
