// The heap report as plain JSON data, for tools: the shape is documented (and checked in the
// tests) by the JSON Schema in docs/report.schema.json. Sites are listed once, by id; objects and
// references name them by id. No Node or DOM API here.
import type { BlockKind, BlockRecord } from "./heap.js";
import type { JsLeak } from "./ref.js";
import { reportLeaks, type HeapStats, type ObjectRecord, type ReferenceRecord, type Report } from "./report.js";
import type { Site } from "./sites.js";

/** The value of `format` in every report file. */
export const REPORT_FORMAT = "rcalloc-report";
/** The version of the shape; bumped when a field changes meaning or goes away (not when one is added). */
export const REPORT_VERSION = 1;

export interface SiteJSON {
  /** Site id (1, 2, ...), unique in the report. */
  id: number;
  /** "file:line:col" of the first frame outside rcalloc, or the caller's own label. */
  label: string;
  /** The JS stack, one frame an entry (empty when unknown). */
  stack: string[];
}

export interface ObjectJSON {
  ptr: number;
  size: number;
  refs: number;
  order: number;
  /** Id in `sites` of the allocation site. */
  site?: number;
  /** Id in `sites` of where a reference to it was last put. */
  lastPutSite?: number;
  ignored: boolean;
  weakHandles: number;
  storedAt?: number;
  storedIn?: number;
  reachable?: boolean;
  heldBy?: string;
  heldThrough?: number;
}

export interface ReferenceJSON {
  handle: number;
  ptr: number;
  /** Size in bytes of its object (0 for a weak handle whose object is gone). */
  size?: number;
  order: number;
  /** Id in `sites` of where it was taken. */
  site?: number;
  owner?: number;
  weak: boolean;
  storedAt?: number;
  storedIn?: number;
  reachable?: boolean;
  heldBy?: string;
  heldThrough?: number;
}

export interface BlockJSON {
  address: number;
  size: number;
  kind: BlockKind;
  ptr?: number;
}

export interface JsLeakJSON {
  handle: number;
  ptr: number;
  size: number;
  label: string;
  stack: string[];
}

/** Leak figures, as the text and HTML reports state them (bindings/leaks.ts). */
export interface LeakTotalsJSON {
  /** Leaks: references (checked, weak ones included) or objects (unchecked). */
  count: number;
  weak: number;
  /** Distinct objects the leaks hold, and their payload bytes (each object once). */
  objects: number;
  bytes: number;
  unreachable: number;
  stored: number;
}

export interface LeakGroupJSON extends LeakTotalsJSON {
  /** Id in `sites` of the site that took the group's leaks (absent: unknown). */
  site?: number;
  label: string;
  /** Order of its oldest leak. */
  oldest: number;
  /** Present (true) when every leak of the group is stored inside other leaked objects (after a
   *  scan: bindings/leaks.ts); such groups come after the direct ones. */
  indirect?: true;
}

export interface LeaksJSON extends LeakTotalsJSON {
  unit: "reference" | "object";
  /** Unchecked leaksSince: `count` only. */
  countOnly: boolean;
  /** Objects marked with heap.ignore(), left out of every figure. */
  ignored: number;
  /** By the site that took them: direct groups first, then indirect ones, oldest first within each. */
  groups: LeakGroupJSON[];
}

/** A report as JSON data (docs/report.schema.json). */
export interface ReportJSON {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  /** ISO 8601 time the report was turned into JSON. */
  generatedAt: string;
  build: "checked" | "unchecked";
  /** The mark of leaksSince(mark), when the report lists only what came after it. */
  since?: number;
  /** Whether the conservative scan ran (storedAt / storedIn / reachable are set). */
  scanned: boolean;
  /** A linked module's report: "unreachable" means "not found in wasm memory" (JS may hold it). */
  linked?: boolean;
  /** References (checked) or objects (unchecked) counted as leaked or live in this report. */
  leakCount: number;
  stats: HeapStats;
  /** The leak figures (the same in text and HTML). */
  leaks?: LeaksJSON;
  sites: SiteJSON[];
  objects: ObjectJSON[];
  references: ReferenceJSON[];
  /** Every block of the heap in address order (empty when not taken). */
  blocks: BlockJSON[];
  /** Refs garbage-collected without a put (rcalloc's Ref wrapper), when given. */
  jsLeaks?: JsLeakJSON[];
}

export interface ReportJSONOptions {
  /** The heap's blocks (heap.blocks()), when the report does not carry them. */
  blocks?: readonly BlockRecord[];
  /** JS leaks to include (jsLeaks(heap)). */
  jsLeaks?: readonly JsLeak[];
  /** The time to record (default: now). */
  generatedAt?: Date | string;
}

const frames = (stack: string): string[] => (stack ? stack.split("\n").map((f) => f.trim()).filter(Boolean) : []);

/** Collects sites by id, giving a fresh id to a different site that reuses one (or has none). */
class SiteIndex {
  readonly sites: SiteJSON[] = [];
  private readonly byId = new Map<number, SiteJSON>();
  private readonly byObject = new Map<Site, number>();
  private nextFree = 1;

  constructor(all: readonly (Site | undefined)[]) {
    for (const s of all) if (s && s.id > 0) this.nextFree = Math.max(this.nextFree, s.id + 1);
  }

  id(site: Site | undefined): number | undefined {
    if (!site) return undefined;
    const known = this.byObject.get(site);
    if (known !== undefined) return known;
    let id = site.id;
    const taken = this.byId.get(id);
    if (!(id > 0) || (taken && (taken.label !== site.label || taken.stack.join("\n") !== frames(site.stack).join("\n")))) {
      id = this.nextFree++;
    }
    if (!this.byId.has(id)) {
      const json = { id, label: site.label, stack: frames(site.stack) };
      this.byId.set(id, json);
      this.sites.push(json);
    }
    this.byObject.set(site, id);
    return id;
  }
}

/** Copies the optional fields that are set (JSON has no undefined). */
function withDefined<T extends object>(target: T, source: Record<string, unknown>, keys: readonly string[]): T {
  for (const key of keys) if (source[key] !== undefined) (target as Record<string, unknown>)[key] = source[key];
  return target;
}

/**
 * The report as plain data (objects, references, blocks, stats, sites deduplicated by id, build,
 * time), ready for JSON.stringify. A copy: later changes to the heap do not show in it.
 */
export function reportToJSON(report: Report, options: ReportJSONOptions = {}): ReportJSON {
  const r = report as Report & { blocks?: readonly BlockRecord[] };
  const allSites = [
    ...report.objects.flatMap((o) => [o.site, o.lastPutSite]),
    ...report.references.map((x) => x.site),
  ];
  const index = new SiteIndex(allSites);
  const objects = report.objects.map((o: ObjectRecord): ObjectJSON => withDefined(
    { ptr: o.ptr, size: o.size, refs: o.refs, order: o.order } as ObjectJSON,
    { site: index.id(o.site), lastPutSite: index.id(o.lastPutSite), ignored: o.ignored ?? false,
      weakHandles: o.weakHandles ?? 0, storedAt: o.storedAt, storedIn: o.storedIn, reachable: o.reachable, heldBy: o.heldBy,
      heldThrough: o.heldThrough },
    ["site", "lastPutSite", "ignored", "weakHandles", "storedAt", "storedIn", "reachable", "heldBy", "heldThrough"],
  ));
  const references = report.references.map((x: ReferenceRecord): ReferenceJSON => withDefined(
    { handle: x.handle, ptr: x.ptr, order: x.order } as ReferenceJSON,
    { size: x.size, site: index.id(x.site), owner: x.owner, weak: x.weak ?? false, storedAt: x.storedAt, storedIn: x.storedIn, reachable: x.reachable, heldBy: x.heldBy,
      heldThrough: x.heldThrough },
    ["size", "site", "owner", "weak", "storedAt", "storedIn", "reachable", "heldBy", "heldThrough"],
  ));
  const blocks = (options.blocks ?? r.blocks ?? []).map((b): BlockJSON =>
    b.ptr ? { address: b.address, size: b.size, kind: b.kind, ptr: b.ptr } : { address: b.address, size: b.size, kind: b.kind });
  const leaks = reportLeaks(report);
  const totals = (t: LeakTotalsJSON): LeakTotalsJSON =>
    ({ count: t.count, weak: t.weak, objects: t.objects, bytes: t.bytes, unreachable: t.unreachable, stored: t.stored });
  const leaksJSON: LeaksJSON = {
    unit: leaks.unit, countOnly: leaks.countOnly, ignored: leaks.ignored, ...totals(leaks),
    groups: leaks.groups.map((g) => withDefined(
      { label: g.label, oldest: g.oldest, ...totals(g) } as LeakGroupJSON,
      { site: index.id(g.leaks[0].record.site), indirect: g.indirect || undefined }, ["site", "indirect"])),
  };
  const at = options.generatedAt ?? new Date();
  const json: ReportJSON = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    generatedAt: typeof at === "string" ? at : at.toISOString(),
    build: report.checked ? "checked" : "unchecked",
    scanned: report.scanned ?? false,
    leakCount: report.leakCount ?? leaks.count,
    stats: { ...report.stats },
    leaks: leaksJSON,
    sites: index.sites.sort((a, b) => a.id - b.id),
    objects,
    references,
    blocks,
  };
  if (report.since !== undefined) json.since = report.since;
  if (report.linked) json.linked = true;
  if (options.jsLeaks) {
    json.jsLeaks = options.jsLeaks.map((l) => ({ handle: l.handle, ptr: l.ptr, size: l.size, label: l.label, stack: frames(l.stack) }));
  }
  return json;
}

/** True for data shaped by reportToJSON (checks the format tag and version only). */
export function isReportJSON(value: unknown): value is ReportJSON {
  return typeof value === "object" && value !== null &&
    (value as { format?: unknown }).format === REPORT_FORMAT && (value as { version?: unknown }).version === REPORT_VERSION;
}

// ── Reading report data from outside (a file, a page, another process) ─────────────────────────
// Data that claims to be a report may be anything: every field is coerced to the type the schema
// gives it, so code that renders it never meets a string where it adds numbers or writes markup.

const u32 = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), 0xffffffff) : 0;
};
const optionalU32 = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : u32(v));
function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  try {
    return JSON.stringify(v) ?? ""; // an object or array where text belongs: shown as data
  } catch {
    return "";
  }
}
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? v as Record<string, unknown> : {});
const BLOCK_KINDS: readonly BlockKind[] = ["free", "cached", "live", "internal", "dead"];

/**
 * `value` as well-typed ReportJSON, whatever it holds: numbers as unsigned 32-bit integers
 * (anything else as 0), strings as strings, unknown enum values replaced, unknown fields dropped.
 * For data that does not come from this process's reportToJSON (reportToHTML runs it on any JSON).
 */
export function readReportJSON(value: unknown): ReportJSON {
  const v = record(value);
  const stats = record(v.stats);
  const site = (x: unknown): number | undefined => (x === undefined || x === null ? undefined : u32(x) || undefined);
  const scan = (x: Record<string, unknown>) =>
    ({ storedAt: optionalU32(x.storedAt), storedIn: optionalU32(x.storedIn), reachable: x.reachable === undefined ? undefined : x.reachable === true,
      heldBy: x.heldBy === undefined || x.heldBy === null ? undefined : text(x.heldBy), heldThrough: optionalU32(x.heldThrough) });
  const data: ReportJSON = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    generatedAt: text(v.generatedAt),
    build: v.build === "unchecked" ? "unchecked" : "checked",
    scanned: v.scanned === true,
    ...(v.linked === true ? { linked: true } : {}),
    leakCount: u32(v.leakCount),
    stats: Object.fromEntries(Object.entries(stats).map(([k, x]) => [k, u32(x)])) as unknown as HeapStats,
    sites: list(v.sites).map(record).map((s) => ({ id: u32(s.id), label: text(s.label), stack: list(s.stack).map(text) })),
    objects: list(v.objects).map(record).map((o) => withDefined(
      { ptr: u32(o.ptr), size: u32(o.size), refs: u32(o.refs), order: u32(o.order), ignored: o.ignored === true, weakHandles: u32(o.weakHandles) },
      { site: site(o.site), lastPutSite: site(o.lastPutSite), ...scan(o) },
      ["site", "lastPutSite", "storedAt", "storedIn", "reachable", "heldBy", "heldThrough"])),
    references: list(v.references).map(record).map((r) => withDefined(
      { handle: u32(r.handle), ptr: u32(r.ptr), order: u32(r.order), weak: r.weak === true } as ReferenceJSON,
      { size: optionalU32(r.size), site: site(r.site), owner: optionalU32(r.owner), ...scan(r) },
      ["size", "site", "owner", "storedAt", "storedIn", "reachable", "heldBy", "heldThrough"])),
    blocks: list(v.blocks).map(record).map((b) => withDefined(
      { address: u32(b.address), size: u32(b.size), kind: BLOCK_KINDS.includes(b.kind as BlockKind) ? b.kind as BlockKind : "internal" } as BlockJSON,
      { ptr: optionalU32(b.ptr) || undefined }, ["ptr"])),
  };
  for (const key of ["pages", "heapBytes", "liveObjects", "liveBytes", "freeBytes", "cachedBytes", "internalBytes", "liveReferences", "retiredSlots"] as const) {
    data.stats[key] = u32(stats[key]);
  }
  if (v.since !== undefined && v.since !== null) data.since = u32(v.since);
  if (v.jsLeaks !== undefined) {
    data.jsLeaks = list(v.jsLeaks).map(record).map((l) =>
      ({ handle: u32(l.handle), ptr: u32(l.ptr), size: u32(l.size), label: text(l.label), stack: list(l.stack).map(text) }));
  }
  // Blocks drawn in address order without overlaps: the picture's layout relies on it.
  data.blocks.sort((a, b) => a.address - b.address);
  return data;
}
