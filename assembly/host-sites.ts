// === Sites from the host (RC_HOST_SITES, config.ts): for modules that compile rcalloc in ===
//
// Linked at load, every call into the allocator crosses to the host, which takes the caller's
// wasm stack as the site. Compiled in (the library path) the calls stay inside the module, so with
// RC_HOST_SITES an operation given site 0 asks the host for one: bindings/heap.ts answers the
// import with the current wasm stack (function names, and file:line:column with a source map).
// In every other build siteOr(site) is site itself and nothing is imported.

import { HOST_SITES } from "./config";

// @ts-ignore: decorator
@external("rcalloc:sites", "site")
declare function hostSite(): u32;

/** `site`, or when it is 0 and the build asks the host, the site the host takes from the stack. */
// @ts-ignore: decorator
@inline export function siteOr(site: u32): u32 {
  return HOST_SITES && !site ? hostSite() : site;
}
