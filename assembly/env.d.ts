// Editor-only: the compiler defines RC_CHECKED through `--use RC_CHECKED=0|1` (config.ts).
// A `declare const` in an .ts source would become a wasm import, so it lives here.
declare const RC_CHECKED: i32;
