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
}

export interface ReferenceRecord {
  handle: number;
  /** Payload address of the object it holds. */
  ptr: number;
  /** Order in which it was taken, shared with objects: smaller is older. */
  order: number;
  /** Where it was taken (with sites). */
  site?: Site;
}

export interface HeapStats {
  pages: number;
  heapBytes: number;
  liveObjects: number;
  liveBytes: number;
  freeBytes: number;
  cachedBytes: number;
  tableBytes: number;
  liveReferences: number;
  retiredSlots: number;
}

export interface ReportOptions {
  /** Groups printed before "N more groups" (default 20). */
  maxGroups?: number;
  /** References printed per group before "N more" (default 5). */
  maxPerGroup?: number;
}

export interface Report {
  checked: boolean;
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
): Report {
  if (checked) objects.sort((a, b) => a.order - b.order);
  references.sort((a, b) => a.order - b.order);
  return {
    checked, objects, references, stats,
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

export function renderReport(report: Report, options: ReportOptions = {}): string {
  const maxGroups = options.maxGroups ?? 20;
  const maxPerGroup = options.maxPerGroup ?? 5;
  const { objects, references, stats } = report;
  const out: string[] = [];
  const sizes = new Map(objects.map((o) => [o.ptr, o.size]));
  out.push(
    `rcalloc heap report (${report.checked ? "checked" : "unchecked"} build): ` +
    `${objects.length} live object${objects.length === 1 ? "" : "s"} (${stats.liveBytes} bytes)` +
    (report.checked ? `, ${references.length} live reference${references.length === 1 ? "" : "s"}` : "") +
    `, ${stats.pages} page${stats.pages === 1 ? "" : "s"} of memory`,
  );
  if (objects.length === 0) return out.join("\n");
  const groups = report.checked
    ? groupBy(references, (r) => r.site, (r) => [
      `handle ${hex(r.handle)} -> object ${hex(r.ptr)} (${sizes.get(r.ptr) ?? "?"} bytes), #${r.order}`,
      r.order, sizes.get(r.ptr) ?? 0,
    ])
    : groupBy(objects, (o) => o.site, (o) => [
      `object ${hex(o.ptr)} (${o.size} bytes, ${o.refs} reference${o.refs === 1 ? "" : "s"})`, o.order, o.size,
    ]);
  const noun = report.checked ? "reference" : "object";
  for (const g of groups.slice(0, maxGroups)) {
    out.push("");
    out.push(`${g.lines.length} ${noun}${g.lines.length === 1 ? "" : "s"} taken at ${g.label} (${g.bytes} bytes):`);
    for (const line of g.lines.slice(0, maxPerGroup)) out.push(`  ${line}`);
    if (g.lines.length > maxPerGroup) out.push(`  ... ${g.lines.length - maxPerGroup} more`);
    if (g.stack) for (const frame of g.stack.split("\n").slice(0, 6)) out.push(`    ${frame}`);
  }
  if (groups.length > maxGroups) out.push("", `... ${groups.length - maxGroups} more groups`);
  return out.join("\n");
}
