// The stack-key cache (js-stacks.ts stackKey) keys a stack by each
// frame's file:line:column only, so two stacks whose text differs elsewhere in a frame share one site.
import { describe, expect, it } from "vitest";
import { allocRef, type Ref } from "../bindings/node.js";
import { heapOf } from "./heap.js";

describe("JS sites: stacks that differ only outside file:line:column", () => {
  it("code made by new Function in two places, called from one line, gets two sites (eval origin)", async () => {
    const heap = await heapOf(true, { stacks: true });
    const first = new Function("h", "return h.alloc(8)"); // FIRST ORIGIN
    const second = new Function("h", "return h.alloc(8)"); // SECOND ORIGIN
    const [a, b] = [first, second].map((f) => f(heap) as number);
    const siteOf = (h: number) => heap.report().references!.find((r) => r.handle === h)!.site!;
    expect(siteOf(a).stack).toMatch(/eval at .*sites-stack-keys\.test\.ts:10:/);
    expect(siteOf(b).stack).toMatch(/eval at .*sites-stack-keys\.test\.ts:11:/); // 1efba00: names line 10
    expect(siteOf(b).id).not.toBe(siteOf(a).id);
  });

  it("a Ref made by new Function code keeps its own creation stack", async () => {
    const heap = await heapOf(false);
    const first = new Function("allocRef", "h", "return allocRef(h, 8)"); // line 21
    const second = new Function("allocRef", "h", "return allocRef(h, 8)"); // line 22
    const [a, b] = [first, second].map((f) => f(allocRef, heap) as Ref);
    const stackOf = (r: Ref) => (r as unknown as { stack: string }).stack;
    expect(stackOf(a)).toMatch(/eval at .*sites-stack-keys\.test\.ts:21:/);
    expect(stackOf(b)).toMatch(/eval at .*sites-stack-keys\.test\.ts:22:/); // 1efba00: names line 21
    a.put(); b.put();
  });

  it("one method called on two classes from one line: each site's stack names its own receiver", async () => {
    const heap = await heapOf(true, { stacks: true });
    class Pool { take(h: typeof heap) { return h.alloc(8); } }
    class Arena extends Pool {}
    const [a, b] = [new Pool(), new Arena()].map((o) => o.take(heap));
    const siteOf = (h: number) => heap.report().references!.find((r) => r.handle === h)!.site!;
    expect(siteOf(a).stack.split("\n")[0]).toMatch(/at Pool\.take/);
    expect(siteOf(b).stack.split("\n")[0]).toMatch(/at Arena\.take/); // 1efba00: "at Pool.take"
  });

});
