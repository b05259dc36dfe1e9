/* === rcalloc.h: rcalloc's contract for C and C++ modules linked against it at load time ===
 *
 * Each function is a wasm import from module "rcalloc" with the allocator's export name, so the
 * same module runs against the checked or the unchecked build without a rebuild (README, "From
 * C / C++"). Only the functions a module calls become imports. Build with Debian's clang:
 *
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *     -I node_modules/rcalloc/include -Wl,--import-memory -Wl,--global-base=65536 \
 *     -Wl,--export=__heap_base app.c -o app.wasm
 *
 * --import-memory: the module uses the allocator's memory; --global-base=65536: the first 64 KiB
 * hold the allocator's static data; __heap_base: where link() starts the heap (above the C data
 * and stack). Add node_modules/rcalloc/include/rcalloc-malloc.c for malloc/free on rcalloc.
 *
 * Sites. The macros (rc_get, rc_put, ...) pass RC_SITE(): the address of a static "file.c:42"
 * string in the module's data with bit 31 set, so the checked build's errors and reports name
 * the C source line with no host lookup. A site id is a uint32_t:
 *
 *   0                          unknown
 *   < 0x80000000               a number (a label given by the host: heap.site(label))
 *   0x80000000 | address       a NUL-terminated UTF-8 string in linear memory (address < 2^30)
 *   0xC0000000 | address       an AssemblyScript string (UTF-16LE, byte length at address - 4)
 *
 * The host (bindings/sites.ts) reads the string when it formats a site. __FILE__ is the path
 * clang was given: compile from the source's folder (or use -fmacro-prefix-map) for short names,
 * or define RC_SITE_FILE before including this header.
 *
 * Semantics (assembly/index.ts, README "Methods"): a handle is a nonzero uint32_t; each get
 * returns the handle of a new reference (checked build: a distinct value, so compare objects by
 * rc_ptr, never by handle); put gives one back and frees the object with its last reference.
 * Misuse in the checked build (double put, use after put, ...) traps with a typed error on the
 * host, naming where the reference was taken and first put.
 */
#ifndef RCALLOC_H
#define RCALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t rc_handle;
typedef uint32_t rc_site;

#define RC_IMPORT(name) __attribute__((import_module("rcalloc"), import_name(name)))

/* Site ids (see above). */
#define RC_SITE_UNKNOWN ((rc_site)0)
#define RC_SITE_CSTRING 0x80000000u
#define RC_SITE_ASSTRING 0xC0000000u
#define RC_STR_(x) #x
#define RC_STR(x) RC_STR_(x)
#ifndef RC_SITE_FILE
#define RC_SITE_FILE __FILE__
#endif
/** The site of the line it is written on: a static "file.c:42" string's address | bit 31. */
#define RC_SITE() ((rc_site)(uintptr_t)(RC_SITE_FILE ":" RC_STR(__LINE__)) | RC_SITE_CSTRING)
/** A site for a string of the caller's choosing (a static, NUL-terminated string). */
#define RC_SITE_OF(cstring) ((rc_site)(uintptr_t)(cstring) | RC_SITE_CSTRING)

/* The imports: the allocator's exports of the same names. */
RC_IMPORT("allocAt") rc_handle rcalloc_allocAt(uint32_t size, rc_site site);
RC_IMPORT("getAt") rc_handle rcalloc_getAt(rc_handle h, rc_site site);
RC_IMPORT("putAt") void rcalloc_putAt(rc_handle h, rc_site site);
RC_IMPORT("resizeAt") rc_handle rcalloc_resizeAt(rc_handle h, uint32_t size, rc_site site);
RC_IMPORT("ptr") void *rcalloc_ptr(rc_handle h);
RC_IMPORT("size") uint32_t rcalloc_size(rc_handle h);
RC_IMPORT("refs") uint32_t rcalloc_refs(rc_handle h);
RC_IMPORT("getForAt") rc_handle rcalloc_getForAt(rc_handle h, uint32_t owner, rc_site site);
RC_IMPORT("putForAt") void rcalloc_putForAt(rc_handle h, uint32_t owner, rc_site site);
RC_IMPORT("moveAt") rc_handle rcalloc_moveAt(rc_handle h, uint32_t owner, rc_site site);
RC_IMPORT("weakAt") rc_handle rcalloc_weakAt(rc_handle h, rc_site site);
RC_IMPORT("upgradeAt") rc_handle rcalloc_upgradeAt(rc_handle w, rc_site site);
RC_IMPORT("putWeakAt") void rcalloc_putWeakAt(rc_handle w, rc_site site);
RC_IMPORT("ignore") void rcalloc_ignore(rc_handle h);
RC_IMPORT("mark") uint32_t rcalloc_mark(void);
RC_IMPORT("validate") void rcalloc_validate(void);

/* Pointers (malloc-style raw blocks, owned by their pointer; rcalloc-malloc.c builds the C
 * allocator on these). mallocAt and reallocAt return 0 when memory is exhausted. */
RC_IMPORT("mallocAt") void *rcalloc_mallocAt(uint32_t size, rc_site site);
RC_IMPORT("freeAt") void rcalloc_freeAt(void *ptr, rc_site site);
RC_IMPORT("reallocAt") void *rcalloc_reallocAt(void *ptr, uint32_t size, rc_site site);

/* The API with the site of the line that calls it. */
#define rc_alloc(size) rcalloc_allocAt((size), RC_SITE())
#define rc_get(h) rcalloc_getAt((h), RC_SITE())
#define rc_put(h) rcalloc_putAt((h), RC_SITE())
#define rc_resize(h, size) rcalloc_resizeAt((h), (size), RC_SITE())
#define rc_ptr(h) rcalloc_ptr(h)
#define rc_size(h) rcalloc_size(h)
#define rc_refs(h) rcalloc_refs(h)
#define rc_get_for(h, owner) rcalloc_getForAt((h), (owner), RC_SITE())
#define rc_put_for(h, owner) rcalloc_putForAt((h), (owner), RC_SITE())
#define rc_move(h, owner) rcalloc_moveAt((h), (owner), RC_SITE())
#define rc_weak(h) rcalloc_weakAt((h), RC_SITE())
#define rc_upgrade(w) rcalloc_upgradeAt((w), RC_SITE())
#define rc_put_weak(w) rcalloc_putWeakAt((w), RC_SITE())
#define rc_ignore(h) rcalloc_ignore(h)

/* malloc and friends with the caller's line as their site. Opt in with RC_MALLOC_SITES (define
 * it before including this header, or -DRC_MALLOC_SITES); link rcalloc-malloc.c, which also
 * defines the plain malloc/free/... for code compiled without this header (wasi-libc itself). */
void *rcalloc_malloc_at(size_t size, rc_site site);
void *rcalloc_calloc_at(size_t count, size_t size, rc_site site);
void *rcalloc_realloc_at(void *ptr, size_t size, rc_site site);
void rcalloc_free_at(void *ptr, rc_site site);
#ifdef RC_MALLOC_SITES
#include <stdlib.h> /* first, so its prototypes are not rewritten by the macros below */
#define malloc(size) rcalloc_malloc_at((size), RC_SITE())
#define calloc(count, size) rcalloc_calloc_at((count), (size), RC_SITE())
#define realloc(ptr, size) rcalloc_realloc_at((ptr), (size), RC_SITE())
#define free(ptr) rcalloc_free_at((ptr), RC_SITE())
#endif

#ifdef __cplusplus
}
#endif

#endif /* RCALLOC_H */
