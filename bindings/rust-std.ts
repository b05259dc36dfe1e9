// Rust's standard library as a native module's DWARF and name section show it: where a Rust
// toolchain keeps its sources, and the symbols of the crates it ships. The line table
// (wasm-dwarf.ts) joins std's relative paths with its folder, and sites (wasm-sites.ts) leave std's
// code out, both by these. A leaf, imported by both (which import each other): a constant of one
// read by the other at load would depend on which of the two a program imported first.

/** A Rust toolchain's own source tree, anchored (a user's project in a folder named rustc-hash is
 *  not one): rustup's /rustc/<commit>, Debian's /usr/src/rustc-<version>. */
const TOOLCHAIN = String.raw`(?:/rustc/[0-9a-f]{40}|/usr/src/rustc-\d+\.\d+\.\d+)`;
const TOOLCHAIN_FOLDER = new RegExp(`^${TOOLCHAIN}(/vendor/[^/]+)?/?$`);
const STD_PATH = new RegExp(`^${TOOLCHAIN}/(library|vendor)/`);

/** Symbols of Rust's standard library and the crates it vendors (legacy mangling: _ZN, then each
 *  path segment's length and name). */
const STD_SYMBOL = /^_ZN(4core|5alloc|3std|17compiler_builtins|8dlmalloc|9hashbrown|14rustc_demangle|11panic_abort|12panic_unwind|11std_detect)\d/;

/** Whether a unit's folder (DW_AT_comp_dir) is a Rust toolchain's source tree or a crate it vendors. */
export const isRustToolchainFolder = (folder: string) => TOOLCHAIN_FOLDER.test(folder);

/** Whether a source path is in Rust's standard library (core, alloc, std and what it vendors):
 *  rustup's /rustc/<commit>/library/, Debian's /usr/src/rustc-<version>/library/ and vendor/. */
export const isRustStdPath = (path: string) => STD_PATH.test(path);

/** Whether a function's symbol is one of Rust's standard library: a std function with no line
 *  (Debian's precompiled alloc::raw_vec::finish_grow) is told by its name. */
export const isRustStdSymbol = (name: string) => STD_SYMBOL.test(name);
