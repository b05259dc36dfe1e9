// rcalloc/vitest: leakCheck() hooks and expectNoLeaks(), in both builds; a leaking test really
// fails under leakCheck (run in a nested vitest) with the site of the leak in its message.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { type Heap, WriteAfterFreeError } from "../bindings/node.js";
import { checkLeaksSince, expectNoLeaks, LeakError, leakCheck } from "../bindings/vitest.js";
import { runFixture } from "./fixtures/leaks/run.js";
import { heapOf } from "./heap.js";

describe("leakCheck (this suite passes under it)", () => {
  let heap: Heap;
  beforeAll(async () => {
    heap = await heapOf(true, { stacks: true });
  });
  leakCheck(() => heap);

  it("a test that puts what it takes", () => {
    const a = heap.alloc(8);
    const b = heap.get(a);
    heap.put(b);
    heap.put(a);
  });

  it("a test whose leftover object is marked with heap.ignore()", () => {
    heap.ignore(heap.alloc(32));
  });
});

describe("a write after free still in the quarantine fails the check", () => {
  it("expectNoLeaks and checkLeaksSince throw WriteAfterFreeError naming the sites; the heap is whole after", async () => {
    const heap = await heapOf(true, { stacks: true });
    const kept = heap.alloc(16);
    heap.bytes(kept).fill(9);
    const error = await expectNoLeaks(heap, () => {
      const h = heap.alloc(64);
      const p = heap.ptr(h);
      heap.put(h); // poisoned, waiting in the quarantine
      new Uint8Array(heap.memory.buffer)[p + 3] = 1; // the write after free
    }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WriteAfterFreeError);
    expect((error as WriteAfterFreeError).message).toMatch(/vitest-helper\.test\.ts:\d+:\d+/);
    heap.validate(); // repaired: the next check passes
    expect(checkLeaksSince(heap, heap.mark()).references).toHaveLength(0);
    expect([...heap.bytes(kept)]).toEqual(new Array(16).fill(9));
    heap.put(kept);
  });
});

describe("expectNoLeaks", () => {
  it("returns what the body returns when it gives everything back", async () => {
    const heap = await heapOf(true);
    const outer = heap.alloc(8); // taken before: not the body's
    const value = await expectNoLeaks(heap, async () => {
      const h = heap.get(outer);
      await Promise.resolve();
      heap.put(h);
      return 42;
    });
    expect(value).toBe(42);
  });

  it("throws LeakError naming the site that took the leaked reference (checked build)", async () => {
    const heap = await heapOf(true, { stacks: true });
    const list = heap.alloc(16);
    const cacheFirst = (h: number) => heap.get(h); // the leak
    const error = await expectNoLeaks(heap, () => {
      cacheFirst(list);
      heap.put(heap.alloc(100)); // given back: not a leak
      heap.alloc(24); // a new object, never put
    }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LeakError);
    const leak = error as LeakError;
    expect(leak.code).toBe("LEAK");
    expect(leak.message).toMatch(/^rcalloc: the body leaked 2 references to 2 objects \(40 bytes\) still live after it\n/);
    expect(leak.message).toMatch(/taken at .*vitest-helper\.test\.ts:\d+:\d+/);
    expect(leak.message).toMatch(/at cacheFirst /);
    expect(leak.report.references).toHaveLength(2);
    expect(leak.report.references[0].ptr).toBe(heap.ptr(list)); // oldest first
  });

  it("rethrows the body's own error without checking", async () => {
    const heap = await heapOf(true);
    await expect(expectNoLeaks(heap, () => {
      heap.alloc(8);
      throw new Error("body failed");
    })).rejects.toThrow("body failed");
  });

  it("counts leaked objects in the unchecked build", async () => {
    const heap = await heapOf(false);
    heap.alloc(8);
    await expect(expectNoLeaks(heap, () => { heap.put(heap.alloc(8)); })).resolves.toBeUndefined();
    const mark = heap.mark();
    heap.alloc(8);
    heap.alloc(8);
    expect(() => checkLeaksSince(heap, mark, "step 2")).toThrow(/^rcalloc: step 2 leaked 2 objects: 2 more live than before it/);
  });
});

describe("a leaking test under leakCheck", () => {
  it("fails with the site of the leak in its message; the clean and ignored tests pass", () => {
    const run = runFixture("helper-leaks.fixture");
    const byTitle = Object.fromEntries(run.tests.map((t) => [t.title, t]));
    expect(byTitle["puts everything it takes"]?.status).toBe("passed");
    expect(byTitle["keeps an ignored object"]?.status).toBe("passed");
    expect(byTitle["leaks a reference"]?.status).toBe("failed");
    const message = byTitle["leaks a reference"].failureMessages.join("\n");
    const source = readFileSync(new URL("fixtures/leaks/helper-leaks.fixture.ts", import.meta.url), "utf8");
    const line = source.split("\n").findIndex((l) => l.includes("LEAK SITE")) + 1;
    expect(message).toMatch(/rcalloc: test "leaks a reference" leaked 1 reference to 1 object \(48 bytes\) still live after it/);
    expect(message).toMatch(new RegExp(`taken at .*helper-leaks\\.fixture\\.ts:${line}:\\d+`));
    // A test that already failed is not checked: its own error is the one reported.
    const own = byTitle["fails on its own and leaks on the way out"];
    expect(own?.status).toBe("failed");
    expect(own.failureMessages.join("\n")).toContain("its own failure");
    expect(own.failureMessages.join("\n")).not.toContain("leaked");
    expect(run.status).toBe(1);
  });
});
