// The heap report as plain JSON data, for tools: the shape is documented (and checked in the
// tests) by the JSON Schema in docs/report.schema.json. Sites are listed once, by id; objects and
// references name them by id. No Node or DOM API here.
import type { BlockKind, BlockRecord } from "./heap.js";
import type { JsLeak } from "./ref.js";
import type { HeapStats, ObjectRecord, ReferenceRecord, Report } from "./report.js";
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
}

export interface ReferenceJSON {
  handle: number;
  ptr: number;
  order: number;
  /** Id in `sites` of where it was taken. */
  site?: number;
  owner?: number;
  weak: boolean;
  storedAt?: number;
  storedIn?: number;
  reachable?: boolean;
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
  /** References (checked) or objects (unchecked) counted as leaked or live in this report. */
  leakCount: number;
  stats: HeapStats;
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
      weakHandles: o.weakHandles ?? 0, storedAt: o.storedAt, storedIn: o.storedIn, reachable: o.reachable },
    ["site", "lastPutSite", "ignored", "weakHandles", "storedAt", "storedIn", "reachable"],
  ));
  const references = report.references.map((x: ReferenceRecord): ReferenceJSON => withDefined(
    { handle: x.handle, ptr: x.ptr, order: x.order } as ReferenceJSON,
    { site: index.id(x.site), owner: x.owner, weak: x.weak ?? false, storedAt: x.storedAt, storedIn: x.storedIn, reachable: x.reachable },
    ["site", "owner", "weak", "storedAt", "storedIn", "reachable"],
  ));
  const blocks = (options.blocks ?? r.blocks ?? []).map((b): BlockJSON =>
    b.ptr ? { address: b.address, size: b.size, kind: b.kind, ptr: b.ptr } : { address: b.address, size: b.size, kind: b.kind });
  const at = options.generatedAt ?? new Date();
  const json: ReportJSON = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    generatedAt: typeof at === "string" ? at : at.toISOString(),
    build: report.checked ? "checked" : "unchecked",
    scanned: report.scanned ?? false,
    leakCount: report.leakCount ?? (report.checked ? report.references.length : report.objects.length),
    stats: { ...report.stats },
    sites: index.sites.sort((a, b) => a.id - b.id),
    objects,
    references,
    blocks,
  };
  if (report.since !== undefined) json.since = report.since;
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
