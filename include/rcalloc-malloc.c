// === rcalloc-malloc.c: the C allocator (malloc, free, ...) on rcalloc's raw blocks ===
//
// Link this file into a C or C++ module (clang flags: include/rcalloc.h) and its malloc, calloc,
// realloc, free, aligned_alloc and posix_memalign — its own and wasi-libc's internal ones — come
// from the allocator it is linked against, through the imports mallocAt / freeAt / reallocAt:
//
//   unchecked build   a drop-in allocator (16-byte aligned, 0 and ENOMEM when memory is exhausted)
//   checked build     free of a pointer already freed traps (DOUBLE_PUT, naming the malloc site
//                     and the first free's), free of a pointer malloc never returned traps
//                     (INVALID_HANDLE), and blocks still live are leaks in the report with their
//                     malloc sites
//
// Sites: the plain functions pass site 0 (rcalloc check then names the wasm stack's functions).
// Code compiled with -DRC_MALLOC_SITES gets macros (rcalloc.h) that pass its own source lines.
// Because this file defines every symbol of wasi-libc's dlmalloc.o that code uses, the linker
// never pulls dlmalloc in (it would grow the same memory behind rcalloc's back).
// malloc_usable_size is not provided: a program that calls it fails to link (duplicate symbols).
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rcalloc.h"

/** rcalloc's payload alignment: larger alignments go through the aligned-block table. */
#define RC_ALIGNMENT 16

// ─── over-aligned blocks ────────────────────────────────────────────────────────────────────
// aligned_alloc / posix_memalign with an alignment above 16 malloc `size + alignment` bytes and
// hand out an aligned pointer inside. This table (linear probing, power-of-two capacity, never
// more than half full) maps that pointer back to the block for free and realloc. It holds no
// memory while no such block is live, so it shows up in a leak report only beside a leaked one.

struct aligned_entry {
  uintptr_t aligned; /* ~the aligned pointer (0: empty): no word of the table points into a block, so
                      * the leak report's reachability does not take the table for their holder */
  void *block;      /* ~the block, for the same reason */
  size_t size;
};

static struct aligned_entry *aligned_table;
static uint32_t aligned_capacity, aligned_count;

static uint32_t aligned_slot(uintptr_t p) {
  return (uint32_t)((p >> 4) * 2654435761u) & (aligned_capacity - 1);
}

static struct aligned_entry *aligned_find(uintptr_t p) {
  if (!aligned_count) return NULL;
  for (uint32_t i = aligned_slot(p);; i = (i + 1) & (aligned_capacity - 1)) {
    if (aligned_table[i].aligned == ~p) return &aligned_table[i];
    if (!aligned_table[i].aligned) return NULL;
  }
}

static void aligned_place(struct aligned_entry e) {
  uint32_t i = aligned_slot(~e.aligned);
  while (aligned_table[i].aligned) i = (i + 1) & (aligned_capacity - 1);
  aligned_table[i] = e;
}

static int aligned_insert(uintptr_t p, void *block, size_t size) {
  if ((aligned_count + 1) * 2 > aligned_capacity) {
    uint32_t old_capacity = aligned_capacity;
    struct aligned_entry *old = aligned_table;
    uint32_t capacity = old_capacity ? old_capacity * 2 : 16;
    struct aligned_entry *table = rcalloc_mallocAt(capacity * sizeof(struct aligned_entry),
                                                   RC_SITE_OF("rcalloc-malloc.c: table of over-aligned blocks"));
    if (!table) return 0;
    memset(table, 0, capacity * sizeof(struct aligned_entry));
    aligned_table = table;
    aligned_capacity = capacity;
    for (uint32_t i = 0; i < old_capacity; i++) if (old[i].aligned) aligned_place(old[i]);
    if (old) rcalloc_freeAt(old, 0);
  }
  aligned_place((struct aligned_entry){~p, (void *)~(uintptr_t)block, size});
  aligned_count++;
  return 1;
}

/** Removes `e` (backward-shift deletion keeps every probe chain unbroken). */
static void aligned_remove(struct aligned_entry *e) {
  uint32_t mask = aligned_capacity - 1;
  uint32_t hole = (uint32_t)(e - aligned_table);
  for (uint32_t i = (hole + 1) & mask; aligned_table[i].aligned; i = (i + 1) & mask) {
    uint32_t home = aligned_slot(~aligned_table[i].aligned);
    // Move entry i into the hole unless its home lies cyclically in (hole, i].
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      aligned_table[hole] = aligned_table[i];
      hole = i;
    }
  }
  aligned_table[hole].aligned = 0;
  if (--aligned_count == 0) {
    rcalloc_freeAt(aligned_table, 0);
    aligned_table = NULL;
    aligned_capacity = 0;
  }
}

static void *aligned_at(size_t alignment, size_t size, rc_site site) {
  if (alignment <= RC_ALIGNMENT) return rcalloc_malloc_at(size, site);
  if (size > SIZE_MAX - alignment) {
    errno = ENOMEM;
    return NULL;
  }
  void *block = rcalloc_malloc_at(size + alignment, site);
  if (!block) return NULL;
  uintptr_t p = ((uintptr_t)block + alignment - 1) & ~(uintptr_t)(alignment - 1);
  if (!aligned_insert(p, block, size)) {
    rcalloc_freeAt(block, site);
    errno = ENOMEM;
    return NULL;
  }
  return (void *)p;
}

// ─── the allocator with sites ───────────────────────────────────────────────────────────────

void *rcalloc_malloc_at(size_t size, rc_site site) {
  void *p = rcalloc_mallocAt((uint32_t)size, site);
  if (!p) errno = ENOMEM;
  return p;
}

void *rcalloc_calloc_at(size_t count, size_t size, rc_site site) {
  if (size && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = rcalloc_malloc_at(count * size, site);
  if (p) memset(p, 0, count * size); // rcalloc does not zero (and the checked build poisons)
  return p;
}

void *rcalloc_realloc_at(void *ptr, size_t size, rc_site site) {
  struct aligned_entry *e = aligned_find((uintptr_t)ptr);
  if (e) {
    // An over-aligned block moves to a plain one (realloc need not keep the alignment).
    void *moved = rcalloc_malloc_at(size, site);
    if (!moved) return NULL;
    memcpy(moved, ptr, e->size < size ? e->size : size);
    void *block = (void *)~(uintptr_t)e->block;
    aligned_remove(e);
    rcalloc_freeAt(block, site);
    return moved;
  }
  void *p = rcalloc_reallocAt(ptr, (uint32_t)size, site);
  if (!p) errno = ENOMEM;
  return p;
}

void rcalloc_free_at(void *ptr, rc_site site) {
  struct aligned_entry *e = aligned_find((uintptr_t)ptr);
  if (e) {
    void *block = (void *)~(uintptr_t)e->block;
    aligned_remove(e);
    ptr = block;
  }
  rcalloc_freeAt(ptr, site);
}

// ─── the C allocator: plain functions, for code compiled without RC_MALLOC_SITES ────────────
// (#undef: this file may be compiled with -DRC_MALLOC_SITES along with the program.)
#undef malloc
#undef calloc
#undef realloc
#undef free

void *malloc(size_t size) { return rcalloc_malloc_at(size, 0); }
void *calloc(size_t count, size_t size) { return rcalloc_calloc_at(count, size, 0); }
void *realloc(void *ptr, size_t size) { return rcalloc_realloc_at(ptr, size, 0); }
void free(void *ptr) { rcalloc_free_at(ptr, 0); }

void *aligned_alloc(size_t alignment, size_t size) {
  if (!alignment || (alignment & (alignment - 1))) {
    errno = EINVAL;
    return NULL;
  }
  return aligned_at(alignment, size, 0);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
  void *p = aligned_at(alignment, size, 0);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

// wasi-libc's internal names for the same functions (defined in its dlmalloc.o).
void *__libc_malloc(size_t size) { return malloc(size); }
void *__libc_calloc(size_t count, size_t size) { return calloc(count, size); }
void __libc_free(void *ptr) { free(ptr); }

// ─── a command module's arguments ───────────────────────────────────────────────────────────
// wasi-libc's __main_void (weak) mallocs argv and its strings and never frees them, as a native
// argv lives as long as the program: under `rcalloc check` both were leaks of every command
// module. This one is the same but for where it keeps them: in statics, so the report finds them
// held. A reactor never calls it (the linker drops it, and main is then left undefined, weak).
#include <wasi/api.h>

int __main_argc_argv(int argc, char **argv) __attribute__((weak));

static char *command_arg_text;
static char **command_argv;

// Weak, as wasi-libc's: a `main(void)` is compiled to __main_void itself, and wins.
__attribute__((weak)) int __main_void(void) {
  size_t argc, text_size;
  if (__wasi_args_sizes_get(&argc, &text_size) != __WASI_ERRNO_SUCCESS) _Exit(71); /* EX_OSERR, as wasi-libc */
  command_arg_text = malloc(text_size);
  command_argv = calloc(argc + 1, sizeof(char *));
  if ((text_size && !command_arg_text) || !command_argv) _Exit(71);
  if (__wasi_args_get((uint8_t **)command_argv, (uint8_t *)command_arg_text) != __WASI_ERRNO_SUCCESS) _Exit(71);
  return __main_argc_argv((int)argc, command_argv);
}
