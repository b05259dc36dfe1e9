// Growable matrices: rows are rcalloc objects resized as columns are added; every row is put at
// the end. Correct, with resize and get/put pairs across functions. exit 0.
// expect: exit 0
import { alloc, get, ptr, put, resize, size } from "rcalloc/runtime/imports";

function addColumn(row: u32, value: f64): u32 {
  let n = size(row);
  let grown = resize(row, n + 8); // the only reference: allowed
  store<f64>(ptr(grown) + n, value);
  return grown;
}

function sum(row: u32): f64 {
  let view = get(row);
  let total = 0.0;
  for (let at: u32 = 0; at < size(view); at += 8) total += load<f64>(ptr(view) + at);
  put(view);
  return total;
}

export function main(): f64 {
  let rows = new StaticArray<u32>(4);
  for (let r = 0; r < rows.length; r++) {
    rows[r] = alloc(0);
    for (let c = 0; c < 5; c++) rows[r] = addColumn(rows[r], <f64>(r * c));
  }
  let total = 0.0;
  for (let r = 0; r < rows.length; r++) {
    total += sum(rows[r]);
    put(rows[r]);
  }
  return total;
}
