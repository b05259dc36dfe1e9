// The adversarial suite: random work mixed with deliberate misuse against a Map model, an
// out-of-memory sweep over page limits, hostile modules, and hostile strings. In `npm test` it runs
// bounded; `npm run fuzz` runs it FUZZ_SCALE times larger (default 25) and prints the figures.
// Every misuse must raise an RcError before anything changes: after it, validate() passes and every
// live object still holds its bytes; no run may end in a raw wasm trap.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { watToWasm } from "./wat.js";
import {
  createHeap, link, LinkError, OutOfMemoryError, RcError, reportToHTML, reportToJSON, type Heap,
} from "../bindings/node.js";
import { BUILDS, hasCookie, writeCookie } from "./heap.js";

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const figures: Record<string, number> = {};
const count = (name: string, n = 1) => (figures[name] = (figures[name] ?? 0) + n);
afterAll(() => {
  if (process.env.FUZZ_SCALE) console.log("adversarial figures:", JSON.stringify(figures, null, 1));
});

interface Live { h: number; seed: number }

/** One random step: a correct operation, or (when `misuse`) one of the mistakes users make. */
type Step = { kind: number; pick: number; size: number; value: number };
const step = fc.record({ kind: fc.nat(99), pick: fc.nat(), size: fc.nat(3000), value: fc.integer() });

/** validate() passes and every live reference's object still holds its cookie. */
function intact(heap: Heap, live: readonly Live[]): void {
  heap.validate();
  for (const { h, seed } of live) expect(hasCookie(heap, h, seed), `object of ${h} changed`).toBe(true);
}

/** Runs `steps` on `heap` with misuse mixed in (checked build); `other` is a second live heap. The
 *  model is the list of references held (unchecked handles repeat: one entry per reference). */
function replay(heap: Heap, other: Heap, steps: Step[]): void {
  const live: Live[] = [];
  const dead: number[] = []; // checked handles put, moved or resized away
  const foreign = other.alloc(8);
  let seed = 0;
  for (const s of steps) {
    const at = live.length ? s.pick % live.length : -1;
    const misuse = heap.checked && s.kind >= 70;
    if (!misuse) {
      count("operations");
      if (s.kind < 30 || at < 0) {
        let h: number;
        try {
          h = heap.alloc(1 + (s.size % 512));
        } catch (e) {
          expect(e).toBeInstanceOf(OutOfMemoryError);
          count("out of memory");
          intact(heap, live);
          continue;
        }
        writeCookie(heap, h, ++seed);
        live.push({ h, seed });
      } else if (s.kind < 45) {
        live.push({ h: heap.get(live[at].h), seed: live[at].seed });
      } else if (s.kind < 62) {
        const [{ h }] = live.splice(at, 1);
        heap.put(h);
        if (heap.checked) dead.push(h);
      } else {
        const { h } = live[at];
        if (heap.refs(h) !== 1) continue;
        let r: number;
        try {
          r = heap.resize(h, 1 + (s.size % 4000));
        } catch (e) {
          expect(e).toBeInstanceOf(OutOfMemoryError);
          count("out of memory");
          continue;
        }
        if (heap.checked) dead.push(h);
        writeCookie(heap, r, ++seed);
        live[at] = { h: r, seed };
      }
      continue;
    }
    // Misuse: each must throw an RcError and change nothing.
    const target = dead.length ? dead[s.pick % dead.length] : foreign;
    const mine = at >= 0 ? live[at].h : foreign;
    const mistakes: (() => unknown)[] = [
      () => heap.put(target), // double put, or put after move/resize
      () => heap.get(target),
      () => heap.ptr(target),
      () => heap.put(foreign), // a live handle of another heap
      () => heap.get(foreign),
      () => heap.put(mine + 0.5), // not a u32
      () => heap.put(s.value >>> 0), // a random number
      () => heap.alloc(-Math.abs(s.value) - 1), // a bad size
      () => heap.free(at >= 0 ? heap.ptr(mine) : 64), // free of an object held by handles
      () => heap.putFor(mine, 1 + (s.pick % 9)), // an owner holding nothing
    ];
    const which = s.kind % mistakes.length;
    let error: unknown;
    try {
      mistakes[which]();
    } catch (e) {
      error = e;
    }
    // A random number may happen to be a live handle of this heap: then the put was valid.
    if (error === undefined && which === 6) {
      const i = live.findIndex((l) => l.h === s.value >>> 0);
      if (i >= 0) live.splice(i, 1);
      continue;
    }
    expect(error, `mistake ${which} was accepted`).toBeInstanceOf(RcError);
    count("misuses caught");
    intact(heap, live);
  }
  intact(heap, live);
  for (const { h } of live) heap.put(h);
  heap.validate();
  expect(heap.report().objects).toEqual([]);
  other.put(foreign);
}

describe.each(BUILDS)("adversarial, $name build", ({ checked }) => {
  it("random work with misuse mixed in against the model: every misuse caught, nothing lost", async () => {
    const seeds = [11, 23, 37, 59].slice(0, Math.max(2, Math.min(4, SCALE * 2)));
    for (const seed of seeds) {
      count("seeds");
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 50, maxLength: 400 }), async (steps) => {
          const heap = await createHeap({ checked, quarantine: { blocks: 16, bytes: 4096 } });
          const other = await createHeap({ checked });
          try {
            replay(heap, other, steps);
          } finally {
            heap.dispose();
            other.dispose();
          }
        }),
        { seed: seed + (checked ? 0 : 1000), numRuns: 6 * SCALE },
      );
    }
  }, 120_000 * SCALE);

  it("out of memory at every page limit: a typed error (or 0 from malloc), the heap intact", async () => {
    for (let pages = 1; pages <= 4 + 4 * SCALE; pages++) {
      count("page limits");
      const heap = await createHeap({ checked, maxPages: pages });
      const live: Live[] = [];
      let failures = 0;
      for (let i = 0; failures < 3 && i < 5000; i++) {
        const size = 16 + ((i * 7919) % (pages * 9000));
        try {
          const h = heap.alloc(size);
          writeCookie(heap, h, i);
          live.push({ h, seed: i });
          if (i % 3 === 0) {
            const p = heap.malloc(size);
            if (p === 0) failures++;
            else heap.free(p);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(OutOfMemoryError);
          failures++;
          count("out-of-memory points");
          intact(heap, live);
          const first = live.shift(); // free one and go on
          if (first) heap.put(first.h);
        }
      }
      expect(heap.stats().pages).toBeLessThanOrEqual(Math.max(pages, 1));
      intact(heap, live);
      heap.dispose();
    }
  }, 120_000 * SCALE);
});


const IMPORTS = `(import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))`;

describe("hostile modules: refused with a LinkError naming the fix, or trapping typed; never corrupting", () => {
  const cases: [string, string, string][] = [
    ["its own memory", `(module ${IMPORTS} (memory 1) (func (export "main")))`, "OWN_MEMORY"],
    ["data over the allocator's", `(module (import "env" "memory" (memory 2)) ${IMPORTS} (data (i32.const 1024) "xxxx") (func (export "main")))`, "DATA_OVERLAP"],
    ["data at an imported base", `(module (import "env" "memory" (memory 2)) (import "env" "base" (global i32)) ${IMPORTS} (data (global.get 0) "x") (func (export "main")))`, "DATA_UNPLACED"],
    ["an rcalloc import that does not exist", `(module (import "env" "memory" (memory 2)) (import "rcalloc" "format_disk" (func)) (func (export "main")))`, "UNKNOWN_IMPORT"],
    ["a memory larger than the page limit", `(module (import "env" "memory" (memory 9)) ${IMPORTS} (func (export "main")))`, "MEMORY_LIMIT"],
    ["no rcalloc imports at all", `(module (import "env" "memory" (memory 2)) (func (export "main")))`, "NO_RCALLOC_IMPORTS"],
    ["not wasm", "", "NOT_WASM"],
  ];
  it.each(cases)("%s", async (_name, wat, code) => {
    const bytes = wat ? watToWasm(wat) : new TextEncoder().encode("<!doctype html>");
    for (const checked of [true, false]) {
      count("hostile modules");
      await expect(link(bytes, { checked, maxPages: 8, imports: { env: { base: 0x400 } } })).rejects.toSatisfy(
        (e: unknown) => e instanceof LinkError && e.code === code,
      );
    }
  });

  it("a module whose start function puts a forged handle traps with a typed error", async () => {
    const bytes = watToWasm(`(module (import "env" "memory" (memory 2))
      (import "rcalloc" "put" (func $put (param i32)))
      (func $start (call $put (i32.const 0x1fffffff))) (start $start))`);
    await expect(link(bytes, { checked: true })).rejects.toBeInstanceOf(RcError);
  });
});

describe("hostile strings: site labels and report data stay inert in every output", () => {
  it("labels with terminal escapes and markup print escaped, and the HTML runs nothing", async () => {
    const heap = await createHeap({ checked: true });
    const labels = ["\u001b[2J\u001b[31mred", "<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", "a\u0000b\u0007c", "\u202eevil"];
    for (const label of labels) {
      count("hostile strings");
      heap.exports.allocAt(8, heap.site(label));
    }
    const text = heap.report().toString();
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const html = reportToHTML(reportToJSON(heap.report({ scan: true })));
    expect(html).not.toMatch(/<img src=x/i);
    expect(html).not.toMatch(/<script>alert/i);
    heap.dispose();
  });
});
