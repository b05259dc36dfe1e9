// Direct and indirect leaks (bindings/leaks.ts markIndirect), on modules built the way users build
// them (asc --debug --sourceMap, linked, `rcalloc check`): a handle stored inside an object that a
// root holds is held through it (bindings/reachability.ts), not an indirect leak, and a ring of
// leaks that only hold each other keeps a direct group, so the direct groups always say where to
// start. Both failed on the first split (the checkfix review).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLinkedSources, rcalloc } from "./run-tools.js";
import type { CheckResult } from "../bindings/cli-check.js";

const AS: Record<string, string> = {
  "held-outer.ts": `let outer: u32 = 0;
import { alloc, get, ptr } from "rcalloc/runtime/imports";
export function main(): u32 {
  outer = alloc(8);
  const inner = alloc(8);
  const extra = get(outer);
  store<u32>(ptr(outer), inner);
  return 0;
}
`,
  // two leaked objects holding each other's handle, nothing else: both "indirect", no direct group
  "cycle.ts": `import { alloc, ptr } from "rcalloc/runtime/imports";
export function main(): u32 {
  const a = alloc(8);
  const b = alloc(8);
  store<u32>(ptr(a), b);
  store<u32>(ptr(b), a);
  return 0;
}
`,
};

let dir = "";
const wasm = (name: string) => join(dir, `${name}.wasm`);

beforeAll(async () => { dir = await buildLinkedSources(".leak-indirect-", AS); }, 180_000);
afterAll(() => { if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

async function check(name: string): Promise<CheckResult> {
  const json = await rcalloc("check", wasm(name), "--json");
  return JSON.parse(json.stdout) as CheckResult;
}

describe("indirect leaks", () => {
  it("a handle stored in an object a global also holds is held through it, not an indirect leak", async () => {
    const r = await check("held-outer");
    expect(r.leaks!.count).toBe(1); // line 6's second handle to outer
    expect(r.leaks!.groups.map((g) => g.indirect)).toEqual([false]);
    expect(r.leaks!.held.map((h) => h.heldBy)).toEqual([expect.stringMatching(/held-outer\/outer`$/), expect.stringMatching(/held-outer\/outer`$/)]);
  });

  it("a ring of two leaks that hold each other stays direct", async () => {
    const r = await check("cycle");
    expect(r.leaks!.count).toBe(2);
    expect(r.leaks!.groups.map((g) => g.indirect)).toEqual([false, false]);
  });
});
