// The leaks of a report, computed once: which handles (checked build) or objects (unchecked) are
// leaks, their objects and bytes, the scan's verdicts, and the groups by the site that took them:
// direct before indirect (LeakSanitizer's split), oldest group first within each. The text report
// (report.ts), the JSON data (report-json.ts), the HTML page (report-html.ts), programReport
// (link.ts) and `rcalloc check` all state these figures, so they always agree.
//
// What a leak is:
//   - checked build: every handle still held (strong or weak: a weak handle never put keeps its
//     dead object's block reserved) whose object is not ignored (heap.ignore);
//   - unchecked build: every live object not ignored (no handles exist there);
//   - never a reference (or unchecked: object) a root holds (`heldBy`: a wasm global of the
//     module, a linked module's static data, a value returned to JS, a pinned GC object), directly
//     or through the objects it reaches (bindings/reachability.ts), as LeakSanitizer's;
//   - in a leaksSince(mark) report only what came after the mark (the report holds nothing else);
//     in the unchecked build that is a count only (`countOnly`).
// An object's bytes are its payload size as asked for, counted once however many handles hold it.
//
// Indirect (after a scan): a leak whose copy the scan found inside another leaked object, so it
// goes once that object is freed; the leaks that hold them (direct) come first, where the fix is.

/** The fields of an object record the model reads (ObjectRecord and ObjectJSON both have them). */
export interface LeakObjectInput {
  ptr: number;
  size: number;
  order: number;
  ignored?: boolean;
  reachable?: boolean;
  /** Unchecked, after a scan: the payload of the object a copy of its address was found in. */
  storedIn?: number;
  heldBy?: string;
}

/** The fields of a reference record the model reads (ReferenceRecord and ReferenceJSON). */
export interface LeakReferenceInput {
  ptr: number;
  order: number;
  /** Size of its object, when the record carries it. */
  size?: number;
  owner?: number;
  weak?: boolean;
  reachable?: boolean;
  /** After a scan: the payload of the object a copy of the handle was found in. */
  storedIn?: number;
  heldBy?: string;
}

export interface LeakSite {
  label: string;
  /** One frame an entry. */
  stack: string[];
}

/** A report in the shape the model needs; `siteOf` resolves the site of a record. */
export interface LeakSource<O extends LeakObjectInput, R extends LeakReferenceInput> {
  checked: boolean;
  /** The report's own count; used only for an unchecked leaksSince report (counts only). */
  leakCount: number;
  since?: number;
  objects: readonly O[];
  references: readonly R[];
  siteOf(record: O | R): LeakSite | undefined;
  /**
   * Size of an object the report does not list (older than a mark), e.g. its block's payload
   * capacity: an upper bound, so the figures say "≤". Default: unknown (0 bytes, estimated).
   */
  capacityOf?(ptr: number): number | undefined;
}

/** One leak: a reference (checked) or an object (unchecked), with its object's size. */
export interface Leak<T> {
  record: T;
  ptr: number;
  order: number;
  /** Payload bytes of its object (an upper bound when `estimated`; undefined when unknown). */
  size?: number;
  estimated: boolean;
  /** Stored inside another leaked object (see the top of this file). */
  indirect: boolean;
}

export interface LeakTotals {
  /** Leaks: references (checked, weak ones included) or objects (unchecked). */
  count: number;
  /** Of those, weak handles (checked build). */
  weak: number;
  /** Distinct objects they hold, and those objects' payload bytes (each object once). */
  objects: number;
  bytes: number;
  /** Some sizes are upper bounds or unknown (objects older than a mark, from JSON data). */
  estimated: boolean;
  /** After a scan: leaks with no copy anywhere in memory, and leaks still stored somewhere. */
  unreachable: number;
  stored: number;
}

export interface LeakGroup<T> extends LeakTotals {
  /** 1, 2, ... in order: direct groups first, oldest first within each kind. */
  index: number;
  /** Every leak of the group is indirect (stored inside other leaked objects). */
  indirect: boolean;
  /** The site's label, or "(site unknown)". */
  label: string;
  /** The first leak's stack (`paths[0].stack`). */
  stack: string[];
  /** Each distinct stack the group's leaks were taken through (one label can be reached by
   *  several call paths), first seen first, with how many leaks took it. */
  paths: { stack: string[]; count: number }[];
  /** Order of the oldest leak in the group. */
  oldest: number;
  leaks: Leak<T>[];
}

export interface Leaks<O, R> extends LeakTotals {
  checked: boolean;
  /** What is counted: "reference" (checked) or "object" (unchecked). */
  unit: "reference" | "object";
  /** Unchecked leaksSince: only `count` is known (no sites, no objects). */
  countOnly: boolean;
  /** Objects marked with heap.ignore() (in the report), left out of everything above. */
  ignored: number;
  /** References (checked) or objects a root reaches (a global, static data, JS): not leaks. */
  held: number;
  /** ... by what ("global `cache`"), most first. */
  heldBy: [by: string, count: number][];
  /** Every leak, oldest first. */
  items: Leak<O | R>[];
  /** Payload addresses of the leaked objects. */
  objectSet: Set<number>;
  groups: LeakGroup<O | R>[];
  /** Checked build: owner tag → leaks held under it, most first. */
  owners: [owner: number, count: number][];
}

export const UNKNOWN_SITE = "(site unknown)";

function emptyTotals(): LeakTotals {
  return { count: 0, weak: 0, objects: 0, bytes: 0, estimated: false, unreachable: 0, stored: 0 };
}

/** Adds `leak` to `totals`; `seen` holds the objects already counted there. */
function count<T>(totals: LeakTotals, seen: Set<number>, leak: Leak<T>, weak: boolean, reachable: boolean | undefined): void {
  totals.count++;
  if (weak) totals.weak++;
  if (reachable === false) totals.unreachable++;
  else if (reachable === true) totals.stored++;
  if (seen.has(leak.ptr)) return;
  seen.add(leak.ptr);
  totals.objects++;
  totals.bytes += leak.size ?? 0;
  if (leak.estimated || leak.size === undefined) totals.estimated = true;
}

/** The records that are leaks (the rule at the top of this file), in the report's order. */
function leakRecords<O extends LeakObjectInput, R extends LeakReferenceInput>(source: LeakSource<O, R>): { records: (O | R)[]; ignored: Set<number>; held: (O | R)[] } {
  const ignored = new Set<number>();
  for (const o of source.objects) if (o.ignored) ignored.add(o.ptr);
  const candidates: (O | R)[] = source.checked
    ? source.references.filter((r) => !ignored.has(r.ptr))
    : source.objects.filter((o) => !o.ignored);
  return { records: candidates.filter((r) => !r.heldBy), ignored, held: candidates.filter((r) => r.heldBy) };
}

/** How many leaks a report holds: findLeaks(source).count, without sizes or groups. */
export function countLeaks<O extends LeakObjectInput, R extends LeakReferenceInput>(source: LeakSource<O, R>): number {
  return !source.checked && source.since !== undefined ? Math.max(0, source.leakCount) : leakRecords(source).records.length;
}

/**
 * Marks the indirect leaks: those whose object's copy the scan found inside another leaked object
 * (`storedIn`), following those copies up to a leak stored in none, which is direct. An object a
 * root also holds (`heldObjects`: a global, static data, JS) is no leaked holder: freeing what
 * leaked would not free it. A ring of leaks that only hold each other has no such end: its
 * members stay direct, so the direct groups always name where to start.
 */
function markIndirect<T>(leaks: Leak<T>[], heldObjects: number[]): void {
  const stored = (leak: Leak<T>) => (leak.record as LeakReferenceInput).reachable === true && (leak.record as LeakReferenceInput).storedIn !== undefined;
  if (!leaks.some(stored)) return; // no copy inside anything: every leak stays direct
  // The leaked objects by address, each named by its index there (a million leaks in a list cost
  // a sort and binary searches, where Maps cost seconds).
  const sorted = Uint32Array.from(leaks, (l) => l.ptr).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i];
  const ptrs = sorted.subarray(0, n);
  const idOf = (ptr: number): number => {
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (ptrs[mid] < ptr) lo = mid + 1;
      else if (ptrs[mid] > ptr) hi = mid - 1;
      else return mid;
    }
    return -1;
  };
  const held = new Uint8Array(n);
  for (const h of heldObjects) {
    const id = idOf(h >>> 0);
    if (id >= 0) held[id] = 1;
  }
  // holder[id]: the leaked object its copy was found in (-1: none); the first leak of an object
  // with a copy decides, as the scan found it.
  const holder = new Int32Array(n).fill(-1);
  const decided = new Uint8Array(n);
  const ids = new Int32Array(leaks.length);
  for (let k = 0; k < leaks.length; k++) {
    const leak = leaks[k];
    const { reachable, storedIn } = leak.record as LeakReferenceInput & LeakObjectInput;
    const id = ids[k] = idOf(leak.ptr >>> 0);
    if (decided[id] || held[id]) continue;
    if (reachable === true && storedIn !== undefined && storedIn !== leak.ptr) {
      decided[id] = 1;
      const by = idOf(storedIn >>> 0);
      if (by >= 0 && !held[by]) holder[id] = by;
    }
  }
  // Each object has at most one holder: rings are found in one walk per object (0 new, 1 on the
  // walk in progress, 2 done), so a leaked list of any length costs linear time.
  const state = new Uint8Array(n);
  const onRing = new Uint8Array(n);
  const path = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (holder[start] < 0 || state[start]) continue;
    let length = 0;
    let at = start;
    while (at >= 0 && !state[at]) {
      state[at] = 1;
      path[length++] = at;
      at = holder[at];
    }
    if (at >= 0 && state[at] === 1) for (let i = path.lastIndexOf(at, length - 1); i < length; i++) onRing[path[i]] = 1;
    for (let i = 0; i < length; i++) state[path[i]] = 2;
  }
  for (let k = 0; k < leaks.length; k++) leaks[k].indirect = holder[ids[k]] >= 0 && !onRing[ids[k]];
}

/** The leaks of a report (see the top of this file). */
export function findLeaks<O extends LeakObjectInput, R extends LeakReferenceInput>(source: LeakSource<O, R>): Leaks<O, R> {
  const { records, ignored: ignoredPtrs, held } = leakRecords(source);
  const heldBy = new Map<string, number>();
  for (const r of held) heldBy.set(r.heldBy!, (heldBy.get(r.heldBy!) ?? 0) + 1);
  const sizes = new Map<number, number>();
  for (const o of source.objects) sizes.set(o.ptr, o.size);

  const leaks: Leak<O | R>[] = records.map((record) => {
    if (!source.checked) return { record, ptr: record.ptr, order: record.order, size: (record as O).size, estimated: false, indirect: false };
    const r = record as R;
    let size = typeof r.size === "number" ? r.size : sizes.get(r.ptr);
    let estimated = false;
    if (size === undefined) {
      size = source.capacityOf?.(r.ptr);
      estimated = true;
    }
    return { record, ptr: r.ptr, order: r.order, size, estimated, indirect: false };
  });
  leaks.sort((a, b) => a.order - b.order);
  markIndirect(leaks, held.map((r) => r.ptr));

  const countOnly = !source.checked && source.since !== undefined;
  const totals = emptyTotals();
  const seen = new Set<number>();
  const groups = new Map<string, LeakGroup<O | R> & { seen: Set<number>; byStack: Map<string, { stack: string[]; count: number }> }>();
  const owners = new Map<number, number>();
  for (const leak of leaks) {
    const record = leak.record as LeakReferenceInput & LeakObjectInput;
    const weak = source.checked && record.weak === true;
    count(totals, seen, leak, weak, record.reachable);
    const site = source.siteOf(leak.record);
    const key = site?.label ?? ""; // one group per call site, with each path that reached it
    let g = groups.get(key);
    if (!g) {
      g = {
        ...emptyTotals(), index: 0, indirect: true, label: site?.label ?? UNKNOWN_SITE, stack: site?.stack ?? [], paths: [],
        oldest: leak.order, leaks: [], seen: new Set(), byStack: new Map(),
      };
      groups.set(key, g);
    }
    g.leaks.push(leak);
    if (!leak.indirect) g.indirect = false;
    const stack = site?.stack ?? [];
    const stackKey = stack.join("\n");
    const path = g.byStack.get(stackKey);
    if (path) path.count++;
    else g.byStack.set(stackKey, { stack, count: 1 });
    count(g, g.seen, leak, weak, record.reachable);
    if (source.checked && record.owner) owners.set(record.owner, (owners.get(record.owner) ?? 0) + 1);
  }
  const list = [...groups.values()].sort((a, b) => Number(a.indirect) - Number(b.indirect) || a.oldest - b.oldest)
    .map(({ seen: _, byStack, ...g }, i) => ({ ...g, paths: [...byStack.values()], index: i + 1 }));
  if (countOnly) totals.count = Math.max(0, source.leakCount);
  return {
    ...totals,
    checked: source.checked,
    unit: source.checked ? "reference" : "object",
    countOnly,
    ignored: ignoredPtrs.size,
    held: held.length,
    heldBy: [...heldBy].sort((a, b) => b[1] - a[1]),
    items: leaks,
    objectSet: seen,
    groups: list,
    owners: [...owners].sort((a, b) => b[1] - a[1]),
  };
}
