// The heap-walk report: live objects and (checked build) live references, read from the wasm
// walk (assembly/walk.ts), and its text rendering grouped by site, oldest first, capped.
import { hex } from "./errors.js";
import type { Site } from "./sites.js";

export interface ObjectRecord {
  /** Payload address (16-byte aligned). */
  ptr: number;
  size: number;
  refs: number;
  /** Allocation order (checked build; 0 in the unchecked build). */
  order: number;
  /** Where it was allocated (checked build with sites). */
  site?: Site;
  /** Where a reference to it was last put (checked build with sites). */
  lastPutSite?: Site;
  /** Marked "not a leak" with heap.ignore(). */
  ignored: boolean;
  /** Weak handles held on it. */
  weakHandles: number;
  /** A raw block (malloc/free, held by its pointer, not by handles); `refs` reads 1. */
  raw?: boolean;
  /** Unchecked build, after report({ scan: true }): where a copy of its address was found. */
  storedAt?: number;
  storedIn?: number;
  reachable?: boolean;
}

export interface ReferenceRecord {
  /** The handle; 0 for a raw block (malloc), which its pointer holds. */
  handle: number;
  /** Payload address of the object it holds. */
  ptr: number;
  /** Size in bytes of that object (0 for a weak handle whose object is gone). */
  size?: number;
  /** Order in which it was taken, shared with objects: smaller is older. */
  order: number;
  /** Where it was taken (with sites). */
  site?: Site;
  /** Owner tag of getFor/move, if any. */
  owner?: number;
  /** A weak handle (does not keep its object alive). */
  weak: boolean;
  /** The block of a malloc (pointers.ts), held by its pointer: it counts as one reference. */
  raw?: boolean;
  /** After report({ scan: true }): address of a word in linear memory holding this handle. */
  storedAt?: number;
  /** ... and the payload of the object containing that word (undefined: static data or a root). */
  storedIn?: number;
  /** After report({ scan: true }): false when no copy of the handle is anywhere in memory. */
  reachable?: boolean;
}

export interface HeapStats {
  pages: number;
  heapBytes: number;
  liveObjects: number;
  liveBytes: number;
  freeBytes: number;
  cachedBytes: number;
  /** Bytes of the allocator's own blocks: handle-table chunks, the pair map, scan results and
   *  fillers over memory grown by others. */
  internalBytes: number;
  liveReferences: number;
  retiredSlots: number;
  /** Checked build: freed objects poisoned and held back before reuse. */
  quarantinedBlocks: number;
  quarantinedBytes: number;
  /** Dead objects' blocks kept for outstanding weak handles. */
  weakHeldBytes: number;
}

export interface ReportOptions {
  /** Groups printed before "N more groups" (default 20). */
  maxGroups?: number;
  /** References printed per group before "N more" (default 5). */
  maxPerGroup?: number;
}

export interface Report {
  checked: boolean;
  /** Set for leaksSince(mark): only what was created after the mark. */
  since?: number;
  /** Whether a conservative scan ran (report({ scan: true })). */
  scanned: boolean;
  /** References (checked) or objects (unchecked) listed; for unchecked leaksSince, the count only. */
  leakCount: number;
  /** Live objects, oldest first (checked) or in address order (unchecked). */
  objects: ObjectRecord[];
  /** Live references, oldest first; empty in the unchecked build. */
  references: ReferenceRecord[];
  stats: HeapStats;
  /** Text grouped by the site that took the references (checked) or allocated the objects. */
  toString(options?: ReportOptions): string;
}

interface Group {
  label: string;
  stack: string;
  oldest: number;
  lines: string[];
  bytes: number;
}

export function makeReport(
  checked: boolean, objects: ObjectRecord[], references: ReferenceRecord[], stats: HeapStats,
  extra: { since?: number; scanned?: boolean; leakCount?: number } = {},
): Report {
  if (checked) objects.sort((a, b) => a.order - b.order);
  references.sort((a, b) => a.order - b.order);
  return {
    checked, objects, references, stats, since: extra.since, scanned: extra.scanned ?? false,
    leakCount: extra.leakCount ?? (checked ? references.length : objects.length),
    toString(options?: ReportOptions) { return renderReport(this, options); },
  };
}

function groupBy<T>(items: T[], site: (t: T) => Site | undefined, describe: (t: T) => [string, number, number]): Group[] {
  const groups = new Map<string, Group>();
  for (const item of items) {
    const s = site(item);
    const key = s?.label ?? ""; // one group per call site; its first stack is shown
    let g = groups.get(key);
    const [line, order, bytes] = describe(item);
    if (!g) {
      g = { label: s?.label ?? "(site unknown)", stack: s?.stack ?? "", oldest: order, lines: [], bytes: 0 };
      groups.set(key, g);
    }
    g.lines.push(line);
    g.bytes += bytes;
  }
  return [...groups.values()].sort((a, b) => a.oldest - b.oldest);
}

/** One reference, as a line: handle, object, order, owner, weak, and where the scan found it. */
function describeReference(r: ReferenceRecord, size: number | undefined): string {
  let line = r.raw
    ? `malloc block ${hex(r.ptr)} (${size ?? "?"} bytes), #${r.order}`
    : `handle ${hex(r.handle)} -> object ${hex(r.ptr)} (${size ?? "?"} bytes), #${r.order}`;
  if (r.owner) line += `, owner ${hex(r.owner)}`;
  if (r.weak) line += ", weak";
  return line + whereStored(r);
}

function whereStored(r: { reachable?: boolean; storedAt?: number; storedIn?: number }): string {
  if (r.reachable === undefined) return "";
  if (!r.reachable) return " — unreachable: no copy anywhere in memory";
  return r.storedIn
    ? ` — still stored at ${hex(r.storedAt!)} inside object ${hex(r.storedIn)}`
    : ` — still stored at ${hex(r.storedAt!)} (static data or a root)`;
}

export function renderReport(report: Report, options: ReportOptions = {}): string {
  const maxGroups = options.maxGroups ?? 20;
  const maxPerGroup = options.maxPerGroup ?? 5;
  const { stats } = report;
  const ignoredPtrs = new Set(report.objects.filter((o) => o.ignored).map((o) => o.ptr));
  const objects = report.objects.filter((o) => !o.ignored);
  const references = report.references.filter((r) => !ignoredPtrs.has(r.ptr));
  const out: string[] = [];
  const sizes = new Map(report.objects.map((o) => [o.ptr, o.size]));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const title = report.since === undefined ? "rcalloc heap report" : `rcalloc leaks since mark ${report.since}`;
  out.push(
    `${title} (${report.checked ? "checked" : "unchecked"} build): ` +
    (report.checked || report.since === undefined
      ? `${plural(objects.length, "live object")} (${objects.reduce((n, o) => n + o.size, 0)} bytes)` +
        (report.checked ? `, ${plural(references.length, "live reference")}` : "")
      : `${plural(report.leakCount, "object")} more than at the mark (unchecked: counts only)`) +
    `, ${plural(stats.pages, "page")} of memory`,
  );
  if (ignoredPtrs.size) out.push(`(${plural(ignoredPtrs.size, "ignored object")} not shown)`);
  if (report.scanned) {
    const items: { reachable?: boolean }[] = report.checked ? references : objects;
    const unreachable = items.filter((r) => r.reachable === false).length;
    out.push(`scan: ${unreachable} unreachable (no copy in memory), ${items.length - unreachable} still stored somewhere`);
  }
  const groups = report.checked
    ? groupBy(references, (r) => r.site, (r) => [describeReference(r, r.size ?? sizes.get(r.ptr)), r.order, r.size ?? sizes.get(r.ptr) ?? 0])
    : groupBy(objects, (o) => o.site, (o) => [
      `object ${hex(o.ptr)} (${o.size} bytes, ${plural(o.refs, "reference")})${whereStored(o)}`, o.order, o.size,
    ]);
  const noun = report.checked ? "reference" : "object";
  for (const g of groups.slice(0, maxGroups)) {
    out.push("");
    out.push(`${plural(g.lines.length, noun)} taken at ${g.label} (${g.bytes} bytes):`);
    for (const line of g.lines.slice(0, maxPerGroup)) out.push(`  ${line}`);
    if (g.lines.length > maxPerGroup) out.push(`  ... ${g.lines.length - maxPerGroup} more`);
    if (g.stack) {
      out.push("  backtrace:");
      for (const frame of g.stack.split("\n").slice(0, 6)) out.push(`    ${frame}`);
    }
  }
  if (groups.length > maxGroups) out.push("", `... ${groups.length - maxGroups} more groups`);
  const owners = new Map<number, number>();
  for (const r of references) if (r.owner) owners.set(r.owner, (owners.get(r.owner) ?? 0) + 1);
  if (owners.size) {
    out.push("", "by owner:");
    for (const [owner, n] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, maxGroups)) {
      out.push(`  owner ${hex(owner)} holds ${plural(n, "reference")}`);
    }
  }
  return out.join("\n");
}
