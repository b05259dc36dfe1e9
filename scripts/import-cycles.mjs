// Lists the import cycles among the files of a folder (default: assembly/), which must have none:
// each layer imports only the ones below it (docs/design.md, "Layers"). Exit status 1 when a cycle exists.
//
//   node scripts/import-cycles.mjs [folder]
//
// A cycle is reported once per group of files that reach each other (a strongly connected
// component, Tarjan), as one path around it: "a.ts → b.ts → a.ts".
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The relative imports of every .ts file of `dir` (re-exports too), as a map file → files. */
export function importGraph(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const graph = new Map();
  for (const file of files) {
    const source = readFileSync(join(dir, file), "utf8").replace(/\/\/.*$/gm, "");
    const targets = new Set();
    for (const m of source.matchAll(/\b(?:import|export)\b[^;"]*?(?:\bfrom\s*)?"\.\/([\w.-]+)"/g)) {
      const target = m[1].endsWith(".ts") ? m[1] : `${m[1]}.ts`;
      if (files.includes(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every cycle of `graph`: one path per strongly connected component of more than one file
 *  (or a file that imports itself), first file repeated at the end. */
export function importCycles(graph) {
  const index = new Map(), low = new Map(), stack = [], onStack = new Set(), components = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) components.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => pathAround(graph, component));
}

/** A shortest path from the component's first file back to itself, inside the component. */
function pathAround(graph, component) {
  const start = component[0];
  const from = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (!component.includes(w)) continue;
      if (w === start) {
        const between = [];
        for (let u = v; u !== start; u = from.get(u)) between.unshift(u);
        return [start, ...between, start];
      }
      if (!from.has(w)) { from.set(w, v); queue.push(w); }
    }
  }
  return [start, start];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? fileURLToPath(new URL("../assembly/", import.meta.url));
  const cycles = importCycles(importGraph(dir));
  for (const cycle of cycles) console.log(cycle.join(" → "));
  if (cycles.length) process.exitCode = 1;
  else console.log(`no import cycles among ${dir}`);
}
