// === The dlmalloc peer: Debian's wasi-libc malloc/free/realloc, nothing else ===
//
// bench/build.js links this reactor with
//   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor
//         -Wl,--export=malloc -Wl,--export=free -Wl,--export=realloc -Wl,--global-base=<N>
// and fuses it (wasm-merge) with bench/assembly/dlmalloc.ts, whose workload loops import these
// three functions. The loops themselves are not written in C on purpose: the dlmalloc peer runs
// the very same wasm loop code as rcalloc, AS TLSF and the floor, so "total minus floor" is
// dlmalloc's own time and not a difference between two compilers' loops.
//
// The exports come from the linker flags (wasm-ld fails on a name it cannot find); this file only
// has to exist, because a link needs an input.

#include <stdlib.h>
