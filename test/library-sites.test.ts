// The library path (rcalloc compiled into the module) names sites like link at load: built with
// --use RC_HOST_SITES=1, an operation given no site takes one from the wasm stack through the host,
// so a leak and a double put name the module's own lines (examples/as-library/assembly/sites.ts,
// built with names, a source map and -O0: optimizing inlines rcalloc's code into the caller and
// keeps only its lines; then the site names the calling function).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DoublePutError, Heap } from "../bindings/node.js";
import { buildExamples, examplePath } from "../examples/build.js";

const NAME = "as-library-sites.sites";
const source = readFileSync(new URL("../examples/as-library/assembly/sites.ts", import.meta.url), "utf8").split("\n");
const lineOf = (marker: string) => `sites.ts:${source.findIndex((l) => l.includes(marker)) + 1}`;

beforeAll(() => buildExamples({ names: [NAME] }), 120_000);

async function instance(stacks: boolean) {
  const path = examplePath(NAME);
  const heap = await Heap.instantiate(readFileSync(path), { checked: true, stacks, sourceMap: readFileSync(`${path}.map`, "utf8") });
  return { heap, exports: heap.exports as unknown as { leak(): void; doublePut(): void } };
}

describe("library path with RC_HOST_SITES", () => {
  it("reports a leaked reference at the line that took it", async () => {
    const { heap, exports } = await instance(true);
    exports.leak();
    const [leaked] = heap.report().references;
    expect(leaked.site?.label).toContain(lineOf("LEAK:"));
    expect(heap.report().toString()).toContain(`taken at ${leaked.site?.label}`);
  });

  it("names both lines of a double put", async () => {
    const { heap, exports } = await instance(true);
    let error: unknown;
    try {
      exports.doublePut();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoublePutError);
    const e = error as DoublePutError;
    expect(e.site?.label).toContain(lineOf("TAKEN"));
    expect(e.putSite?.label).toContain(lineOf("FIRST PUT"));
    heap.validate();
  });

  it("without stacks the sites stay unknown (and nothing else changes)", async () => {
    const { heap, exports } = await instance(false);
    exports.leak();
    expect(heap.report().references[0].site).toBeUndefined();
  });
});
