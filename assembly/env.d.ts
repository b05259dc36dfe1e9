// Editor-only: the compiler defines RC_CHECKED, RC_DEBUG, RC_HOST_SITES and RC_SHARED through `--use NAME=0|1` (config.ts).
// A `declare const` in an .ts source would become a wasm import, so they live here.
declare const RC_CHECKED: i32;
declare const RC_DEBUG: i32;
declare const RC_HOST_SITES: i32;
declare const RC_SHARED: i32;
