// The library path: rcalloc compiled into this module, its build chosen at compile time.
//
//   asc assembly/index.ts --target checked      (asconfig.json: --use RC_CHECKED=1)
//   asc assembly/index.ts --target unchecked    (asconfig.json: --use RC_CHECKED=0)
//
// The runtime rcalloc/runtime/library routes this module's own `new`, strings and arrays
// through the same compiled-in allocator, so there is one heap (AssemblyScript's default runtime
// would start a second one on top of it). Re-exporting the allocator's API lets the host wrap the
// instance in a Heap (typed errors, reports): `Heap.instantiate(module, { checked })`.

import { alloc, get, ptr, put, size } from "rcalloc/assembly";

export * from "rcalloc/assembly";

/** A shape list: each shape is an rcalloc object [kind u32][w f32][h f32]; the list holds references. */
class Shapes {
  handles: u32[] = [];
  add(kind: u32, w: f32, h: f32): void {
    let s = alloc(12);
    let p = ptr(s);
    store<u32>(p, kind); store<f32>(p, w, 4); store<f32>(p, h, 8);
    this.handles.push(s);
  }
  area(): f64 {
    let total: f64 = 0;
    for (let i = 0; i < this.handles.length; i++) {
      let s = get(this.handles[i]); // a reference for the duration of the read
      let p = ptr(s);
      let a = <f64>load<f32>(p, 4) * <f64>load<f32>(p, 8);
      total += load<u32>(p) == 1 ? a / 2 : a;
      put(s);
    }
    return total;
  }
  clear(): void {
    for (let i = 0; i < this.handles.length; i++) put(this.handles[i]);
    this.handles = [];
  }
}

/** Builds `n` shapes, sums their areas, releases them; also exercises strings (the runtime). */
export function shapes(n: i32): f64 {
  let list = new Shapes();
  let names = new Array<string>();
  for (let i = 0; i < n; i++) {
    list.add(<u32>(i & 1), <f32>(i + 1), 2);
    names.push("shape-" + i.toString());
  }
  let total = list.area() + <f64>names.join(",").length;
  list.clear();
  return total;
}

/** Size of the object `h` names (the host allocated it): a call into the library from AS. */
export function sizeOf(h: u32): u32 {
  return size(h);
}

/** The bug the checked build catches: the same reference put twice. */
export function putTwice(): void {
  let a = alloc(16);
  let b = get(a);
  put(b);
  put(b);
  put(a);
}
