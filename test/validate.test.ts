// validate() on a heap corrupted on purpose: each corruption must be reported as the invariant it
// breaks, at the block it broke (CorruptHeapError: the message names the invariant, `object` the
// address validate() stopped at).
import { describe, expect, it } from "vitest";
import { CorruptHeapError, type Heap } from "../bindings/node.js";
import { BUILDS, heapOf } from "./heap.js";

const HEADER = { checked: 24, unchecked: 8 };

interface Setup {
  heap: Heap;
  hs: number[];
  words: () => Uint32Array;
  block: (h: number) => number;
}

/** One corruption: what it does, the invariant validate() must name, and where (or undefined
 *  when the address is not a block, e.g. a count). */
interface Case {
  corruption: string;
  corrupt: (s: Setup) => number | undefined;
  invariant: RegExp;
  checkedOnly?: boolean;
}

const CASES: Case[] = [
  {
    corruption: "an object flagged PAIRED with no pair entries",
    corrupt: ({ hs, words, block }) => (words()[block(hs[0]) >> 2] |= 4, block(hs[0])),
    invariant: /PAIRED object has no weak handles or mark/,
  },
  {
    corruption: "a live object flagged DEAD",
    corrupt: ({ hs, words, block }) => (words()[block(hs[0]) >> 2] |= 8, block(hs[0])),
    invariant: /dead block neither quarantined nor held by weak handles/,
  },
  {
    corruption: "a block size below the minimum",
    corrupt: ({ hs, words, block }) => (words()[block(hs[0]) >> 2] &= 0xf, block(hs[0])),
    invariant: /block smaller than the 16-byte minimum/,
  },
  {
    corruption: "a block size that runs past the heap's end",
    corrupt: ({ hs, words, block }) => (words()[block(hs[2]) >> 2] += 1 << 24, block(hs[2])),
    invariant: /block runs past the heap tail/,
  },
  {
    corruption: "a LEFTFREE bit that disagrees with the left block",
    corrupt: ({ hs, words, block }) => (words()[block(hs[1]) >> 2] |= 2, block(hs[1])),
    invariant: /LEFTFREE differs from the left block's FREE/,
  },
  {
    corruption: "a free block whose list link points outside the heap",
    corrupt: ({ heap, hs, words, block }) => {
      const free = block(hs[1]);
      heap.put(hs[1]); // 20000 bytes (above the size classes): goes to the TLSF lists, between two used blocks
      heap.validate();
      words()[(free + 8) >> 2] = 0x7ffffff8;
      return 0x7ffffff8; // validate() names the bad link it followed
    },
    invariant: /free list points outside the heap/,
  },
  {
    corruption: "a freed small block handed back twice (what an unchecked double put does)",
    corrupt: ({ heap, hs, words, block }) => {
      const b = block(hs[0]);
      heap.put(hs[0]); // cached on its quick list
      words()[(b + 4) >> 2] = 1; // looks live again, but is still on the list
      return b;
    },
    invariant: /quick list holds a block that is not cached/,
  },
  {
    corruption: "a freed medium block handed back twice (what an unchecked double put does)",
    corrupt: ({ heap, hs, words, block }) => {
      const b = block(hs[3]);
      heap.put(hs[3]); // 5000 bytes: cached on its size class's list
      words()[(b + 4) >> 2] = 1;
      return b;
    },
    invariant: /class list holds a block that is not cached/,
  },
  {
    corruption: "a cached medium block whose list link points outside the heap",
    corrupt: ({ heap, hs, words, block }) => {
      const b = block(hs[3]);
      heap.put(hs[3]);
      words()[(b + 8) >> 2] = 0x7ffffff8;
      return 0x7ffffff8;
    },
    invariant: /class list points outside the heap/,
  },
  {
    corruption: "a cached medium block whose size no longer fits its class",
    corrupt: ({ heap, hs, words, block }) => {
      const b = block(hs[3]);
      heap.put(hs[3]); // 5000 bytes rounded up to the 5120-byte class
      const w = words();
      const next = b + (w[b >> 2] & ~15); // keep the heap tiled: the right neighbour starts earlier
      w[b >> 2] = (w[b >> 2] & 15) | 4608; // now the 4608-byte class, but listed under 5120
      w[(b + 4608) >> 2] = ((next - b - 4608) & ~15) | 0; // a 512-byte used block in between...
      w[(b + 4608 + 4) >> 2] = 0xFC000000; // ...that is internal: validate() reports the list first
      return b;
    },
    invariant: /cached block in the wrong class list/,
  },
  {
    corruption: "a medium object's exact size (its block's last word, in the slack) overwritten by an overrun",
    corrupt: ({ hs, words, block }) => {
      const b = block(hs[3]); // 5000 bytes in a 5120-byte block: slack past 62, size in the last word
      const w = words();
      w[(b + (w[b >> 2] & ~15) - 4) >> 2] = 0x000fffff;
      return b;
    },
    invariant: /exact size .* is out of range/,
  },
  {
    corruption: "an object count that differs from its live handles",
    corrupt: ({ hs, words, block }) => (words()[(block(hs[2]) + 4) >> 2] += 1, block(hs[2])),
    invariant: /reference count differs from its live handles/,
    checkedOnly: true,
  },
];

async function setup(checked: boolean, options = {}): Promise<Setup> {
  // no quarantine: freed blocks go straight back to the free and quick lists
  const heap = await heapOf(checked, { quarantine: false, ...options });
  const hs = [heap.alloc(100), heap.alloc(20000), heap.alloc(100), heap.alloc(5000), heap.alloc(100)];
  const words = () => new Uint32Array(heap.memory.buffer);
  const block = (h: number) => heap.ptr(h) - HEADER[checked ? "checked" : "unchecked"];
  heap.validate();
  return { heap, hs, words, block };
}

function corruptError(call: () => void): CorruptHeapError {
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CorruptHeapError);
  expect((error as CorruptHeapError).code).toBe("CORRUPT_HEAP");
  return error as CorruptHeapError;
}

describe.each(BUILDS)("validate, $name build", ({ checked }) => {
  it.each(CASES.filter((c) => checked || !c.checkedOnly))("$corruption → reports $invariant at that block", async (c) => {
    const s = await setup(checked);
    const where = c.corrupt(s);
    const error = corruptError(() => s.heap.validate());
    expect(error.message).toMatch(c.invariant);
    expect(error.object).toBe(where);
  });
});

describe("debug build: the first operation after a corruption traps", () => {
  it.each(CASES)("$corruption → the next alloc reports $invariant", async (c) => {
    const s = await setup(true, { debug: true });
    c.corrupt(s);
    const error = corruptError(() => s.heap.alloc(16));
    expect(error.message).toMatch(c.invariant);
  });

  it("the checked build, by contrast, does not look until validate() is called", async () => {
    const s = await setup(true);
    CASES[0].corrupt(s);
    expect(() => s.heap.alloc(16)).not.toThrow();
  });
});

// The handle table's own words (checked build). Slots are found by what they hold: a slot keeps
// its object's block address at +0 after the reference ended, and a waiting slot its own index
// at +12 (assembly/handles.ts, the slot diagram).
describe("validate, checked build: the handle table", () => {
  /** Word indices where `test` holds; slots are 16-byte aligned (`step` 4), other words not. */
  const wordsWhere = (w: Uint32Array, test: (i: number) => boolean, step = 4) => {
    const found: number[] = [];
    for (let i = 0; i + 8 <= w.length; i += step) if (test(i)) found.push(i);
    return found;
  };

  it("a waiting slot whose index word was overwritten → the free slot chain leaves the table", async () => {
    const { heap, hs, words, block } = await setup(true);
    const b = block(hs[4]);
    const index = hs[4] & 0xffffff;
    heap.put(hs[4]); // the oldest waiting slot: the chain's head
    heap.put(hs[2]);
    heap.validate();
    const w = words();
    const at = wordsWhere(w, (i) => w[i] === b && w[i + 3] === index && (w[i + 1] & 0x200) === 0);
    expect(at).toHaveLength(1);
    w[at[0] + 3] = index + 1;
    const error = corruptError(() => heap.validate());
    expect(error.message).toMatch(/free slot chain leaves the table/);
    expect(error.object).toBe(at[0] * 4);
  });

  it("a waiting slot whose link points at the top of the address space → the free slot chain leaves the table, no trap", async () => {
    const { heap, hs, words, block } = await setup(true);
    const b = block(hs[4]);
    const index = hs[4] & 0xffffff;
    heap.put(hs[4]); // the chain's head, linked to the next waiting slot at +24
    heap.put(hs[2]);
    heap.validate();
    const w = words();
    const at = wordsWhere(w, (i) => w[i] === b && w[i + 3] === index && (w[i + 1] & 0x200) === 0);
    expect(at).toHaveLength(1);
    w[at[0] + 6] = 0xfffffff0; // link + 32 wraps past 2^32
    const error = corruptError(() => heap.validate());
    expect(error.message).toMatch(/free slot chain leaves the table/);
    expect(error.object).toBe(0xfffffff0);
  });

  it("a plain reference marked owned, with no owner → owned handle without an owner", async () => {
    const { heap, hs, words, block } = await setup(true);
    const b = block(hs[4]);
    const w = words();
    const at = wordsWhere(w, (i) => w[i] === b && (w[i + 1] & 0x300) === 0x200);
    expect(at).toHaveLength(1);
    w[at[0] + 1] |= 0x100; // OWNED: a plain put now refuses it, and no pair names it
    w[at[0] + 4] = 0;
    const error = corruptError(() => heap.validate());
    expect(error.message).toMatch(/owned handle without an owner/);
    expect(error.object).toBe((hs[4] >>> 0) & 0xffffff);
  });

  it("putFor through a pair that names an ended handle is refused before anything changes", async () => {
    const { heap, hs, words } = await setup(true);
    const owned = heap.getFor(hs[0], 7) >>> 0;
    const stale = hs[2] >>> 0;
    heap.put(hs[2]); // its slot waits in the table's FIFO
    const w = words();
    const at = wordsWhere(w, (i) => w[i] === owned, 1);
    expect(at).toHaveLength(1); // the pair map's value
    w[at[0]] = stale;
    const error = corruptError(() => heap.putFor(hs[0], 7));
    expect(error.message).toMatch(/owner pair does not name the owner's live handle/);
    w[at[0]] = owned; // undo: nothing else changed, the heap is whole
    heap.validate();
    heap.putFor(hs[0], 7);
    heap.validate();
  });
});
