// The configuration object is held by a top-level variable (a wasm global) for the program's
// life. Not a leak: "held by global `corpus/global-config/config`". exit 0.
// expect: exit 0
import { alloc, ptr } from "rcalloc/runtime/imports";

let config: u32 = 0;

function loadConfig(): void {
  config = alloc(16);
  store<i32>(ptr(config), 8080);
}

export function main(): i32 {
  loadConfig();
  return load<i32>(ptr(config));
}
