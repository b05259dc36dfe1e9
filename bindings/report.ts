// The heap-walk report: live objects and (checked build) live references, read from the wasm
// walk (assembly/walk.ts), and its text rendering grouped by site, oldest first, capped.
import { hex, plural, printable } from "./format.js";
import { countLeaks, findLeaks, type LeakSite, type LeakTotals, type Leaks } from "./leaks.js";
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
  /** Unchecked build: held by a root (a wasm global, static data, JS, a pinned GC object),
   *  directly or through the objects it reaches (reachability.ts), so not a leak. */
  heldBy?: string;
  /** ... through the object whose payload (at this address) holds its address; none: the root's own. */
  heldThrough?: number;
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
  /** Held by a root: "global `cache`" (a wasm global of the module), "static data at 0x…",
   *  "JS (returned by main)", directly or through the objects it reaches (reachability.ts).
   *  Such a reference is not a leak. */
  heldBy?: string;
  /** ... through the object whose payload (at this address) holds the handle (a raw block: a
   *  pointer at or into it); none: the root's own value. */
  heldThrough?: number;
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
  /** A linked module's report: JS can hold what the module returned, so "unreachable" means
   *  only "not found in wasm memory". */
  linked?: boolean;
  /**
   * Leaks (bindings/leaks.ts): references not to ignored objects (checked) or objects not ignored
   * (unchecked) listed; for unchecked leaksSince, the count only.
   */
  leakCount: number;
  /** Live objects, oldest first (checked) or in address order (unchecked). */
  objects: ObjectRecord[];
  /** Live references, oldest first; empty in the unchecked build. */
  references: ReferenceRecord[];
  stats: HeapStats;
  /** Blocks rcalloc's AS runtime holds (live GC objects, buffers), left out of `objects` and
   *  `references`: not leaks of the program (a linked module's report, the library path's). */
  runtime?: { objects: number; bytes: number };
  /** Text grouped by the site that took the references (checked) or allocated the objects. */
  toString(options?: ReportOptions): string;
}

/** `stats` with the live counts of `objects` and `references` (after some were left out). */
export function liveStats(stats: HeapStats, objects: readonly ObjectRecord[], references: readonly ReferenceRecord[]): HeapStats {
  return {
    ...stats,
    liveObjects: objects.length,
    liveBytes: objects.reduce((n, o) => n + o.size, 0),
    liveReferences: references.filter((r) => !r.weak).length,
  };
}

/** The objects and references created after `mark` (checked: orders), leaving out ignored objects
 *  and every reference to one (also one taken after the mark to an object ignored before it): what
 *  a checked leaksSince() reports, a heap's and a linked program's. */
export function createdSince(all: { objects: readonly ObjectRecord[]; references: readonly ReferenceRecord[] }, mark: number):
  { objects: ObjectRecord[]; references: ReferenceRecord[] } {
  const ignored = new Set(all.objects.filter((o) => o.ignored).map((o) => o.ptr));
  return {
    objects: all.objects.filter((o) => o.order > mark && !o.ignored),
    references: all.references.filter((r) => r.order > mark && !ignored.has(r.ptr)),
  };
}

export function makeReport(
  checked: boolean, objects: ObjectRecord[], references: ReferenceRecord[], stats: HeapStats,
  extra: { since?: number; scanned?: boolean; leakCount?: number; runtime?: { objects: number; bytes: number } } = {},
): Report {
  if (checked) objects.sort((a, b) => a.order - b.order);
  references.sort((a, b) => a.order - b.order);
  const report: Report = {
    checked, objects, references, stats, since: extra.since, scanned: extra.scanned ?? false, leakCount: 0, runtime: extra.runtime,
    toString(options?: ReportOptions) { return renderReport(this, options); },
  };
  report.leakCount = extra.leakCount ?? countLeaks({ ...report, siteOf: () => undefined });
  return report;
}

const frames = (stack: string | undefined): string[] => (stack ? stack.split("\n").map((f) => f.trim()).filter(Boolean) : []);

/** The leaks of a report, as every output states them (bindings/leaks.ts). */
export function reportLeaks(report: Report): Leaks<ObjectRecord, ReferenceRecord> {
  const sites = new Map<Site, LeakSite>(); // many references share a site: split its stack once
  return findLeaks<ObjectRecord, ReferenceRecord>({
    checked: report.checked, leakCount: report.leakCount, since: report.since,
    objects: report.objects, references: report.references,
    siteOf: (record) => {
      if (!record.site) return undefined;
      let site = sites.get(record.site);
      if (!site) sites.set(record.site, site = { label: record.site.label, stack: frames(record.site.stack) });
      return site;
    },
  });
}

/** One reference, as a line: handle, object, order, owner, weak, and where the scan found it. */
function describeReference(r: ReferenceRecord, size: number | undefined, linked?: boolean): string {
  let line = r.raw
    ? `malloc block ${hex(r.ptr)} (${size ?? "?"} bytes), #${r.order}`
    : `handle ${hex(r.handle)} -> object ${hex(r.ptr)} (${size ?? "?"} bytes), #${r.order}`;
  if (r.owner) line += `, owner ${hex(r.owner)}`;
  if (r.weak) line += ", weak";
  return line + whereStored(r, linked);
}

function whereStored(r: { reachable?: boolean; storedAt?: number; storedIn?: number }, linked?: boolean): string {
  if (r.reachable === undefined) return "";
  if (!r.reachable) return linked ? ` — ${NOT_IN_WASM}` : " — unreachable: no copy anywhere in memory";
  return r.storedIn
    ? ` — still stored at ${hex(r.storedAt!)} inside object ${hex(r.storedIn)}`
    : ` — still stored at ${hex(r.storedAt!)} (static data or a root)`;
}

/** Heads an indirect group: its leaks go once the objects holding them are freed. */
const INDIRECT = "(indirect: stored inside other leaked objects)";

/** What an unreachable leak of a linked module is: JS may hold it (the module can return handles). */
export const NOT_IN_WASM = "not found in wasm memory or globals (may be held by JS)";

/** "3 references to 2 objects (48 bytes)", "2 objects (30 bytes)": a leak figure in words. */
export function describeLeakTotals(totals: LeakTotals, unit: "reference" | "object", noun: string = unit): string {
  const weak = totals.weak ? ` (${totals.weak} weak)` : "";
  const bytes = `${totals.estimated ? "at most " : ""}${totals.bytes} bytes`;
  return unit === "reference"
    ? `${plural(totals.count, noun)}${weak} to ${plural(totals.objects, "object")} (${bytes})`
    : `${plural(totals.count, noun)} (${bytes})`;
}

/**
 * The report as text: a summary line, then the leaks grouped by the site that took them
 * (checked) or allocated them (unchecked), oldest group first, capped. Text from the module or
 * the caller (site labels, stack frames) is made printable: no terminal escape gets through.
 */
export function renderReport(report: Report, options: ReportOptions = {}): string {
  const maxGroups = options.maxGroups ?? 20;
  const maxPerGroup = options.maxPerGroup ?? 5;
  const leaks = reportLeaks(report);
  const out: string[] = [];
  const title = report.since === undefined ? "rcalloc heap report" : `rcalloc leaks since mark ${report.since}`;
  out.push(
    `${title} (${report.checked ? "checked" : "unchecked"} build): ` +
    (leaks.countOnly
      ? `${plural(leaks.count, "object")} more than at the mark (unchecked: counts only)`
      : describeLeakTotals(leaks, leaks.unit, `live ${leaks.unit}`)) +
    `, ${plural(report.stats.pages, "page")} of memory`,
  );
  if (leaks.ignored) out.push(`(${plural(leaks.ignored, "ignored object")} not shown)`);
  if (leaks.held) {
    const held = leaks.heldBy.slice(0, 5).map(([by, n]) => `${n} by ${printable(by)}`).join(", ");
    out.push(`(${plural(leaks.held, leaks.unit)} held by a root, not leaks: ${held}${leaks.heldBy.length > 5 ? ", ..." : ""})`);
  }
  if (report.scanned && !leaks.countOnly) {
    out.push(`scan: ${leaks.unreachable} unreachable (no copy in memory), ${leaks.stored} still stored somewhere`);
  }
  for (const g of leaks.groups.slice(0, maxGroups)) {
    out.push("");
    if (g.indirect) out.push(INDIRECT);
    out.push(`${plural(g.count, leaks.unit)} taken at ${printable(g.label)} (${report.checked ? `${plural(g.objects, "object")}, ` : ""}${g.estimated ? "at most " : ""}${g.bytes} bytes):`);
    for (const leak of g.leaks.slice(0, maxPerGroup)) {
      const line = report.checked
        ? describeReference(leak.record as ReferenceRecord, leak.size, report.linked)
        : describeObject(leak.record as ObjectRecord, report.linked);
      out.push(`  ${line}`);
    }
    if (g.leaks.length > maxPerGroup) out.push(`  ... ${g.leaks.length - maxPerGroup} more`);
    // each path the group's leaks were taken through, as the JSON has them (capped like the leaks)
    const paths = g.paths.filter((p) => p.stack.length);
    for (const [i, path] of paths.slice(0, maxPerGroup).entries()) {
      out.push(paths.length === 1 ? "  backtrace:" : `  backtrace ${i + 1} of ${paths.length} (${plural(path.count, leaks.unit)}):`);
      for (const frame of path.stack.slice(0, 6)) out.push(`    ${printable(frame)}`);
    }
    if (paths.length > maxPerGroup) out.push(`  ... ${paths.length - maxPerGroup} more backtraces`);
  }
  if (leaks.groups.length > maxGroups) out.push("", `... ${leaks.groups.length - maxGroups} more groups`);
  if (leaks.owners.length) {
    out.push("", "by owner:");
    for (const [owner, n] of leaks.owners.slice(0, maxGroups)) out.push(`  owner ${hex(owner)} holds ${plural(n, "reference")}`);
  }
  if (report.runtime?.objects) {
    out.push("", `(not counted: ${plural(report.runtime.objects, "block")} of ${report.runtime.bytes} bytes held by the AssemblyScript runtime)`);
  }
  return out.join("\n");
}

function describeObject(o: ObjectRecord, linked?: boolean): string {
  return `object ${hex(o.ptr)} (${o.size} bytes, ${plural(o.refs, "reference")})${whereStored(o, linked)}`;
}
