// putOnLeak's put (FinalizationRegistry callback, ref.ts
// reportLeak) must not name rcalloc's own ref.js as the object's last put site.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("a put on leak does not name a line of rcalloc's as its site (real GC, node --expose-gc on dist/)", () => {
  const dist = new URL("../dist/node.js", import.meta.url).href;
  const script = `
    import { createHeap, allocRef, collectJsLeaks } from ${JSON.stringify(dist)};
    const heap = await createHeap({ checked: true, stacks: true });
    let h;
    (() => { const r = allocRef(heap, 8, { putOnLeak: true, onLeak: () => {} }); h = heap.get(r.handle); })();
    for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
    await collectJsLeaks(heap);
    const o = heap.report().objects.find((o) => o.lastPutSite);
    console.log(JSON.stringify(o?.lastPutSite?.label ?? null));
    heap.put(h);`;
  const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  const label = JSON.parse(run.stdout.trim().split("\n").pop()!);
  expect(label).not.toBeNull(); // the leak was collected and put
  expect(label).not.toContain(fileURLToPath(new URL("../dist/", import.meta.url)).replace(/\\/g, "/")); // 1efba00: ".../dist/ref.js:28:23"
  expect(label).not.toMatch(/\/dist\/ref\.js:/);
});
