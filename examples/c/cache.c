// A plain C program using malloc, calloc, realloc, free, strdup and posix_memalign, linked with
// rcalloc's malloc (include/rcalloc-malloc.c) and compiled with -DRC_MALLOC_SITES so every block
// remembers the line that allocated it. Entries for `rcalloc check` (README "From C / C++"):
//
//   run_clean        every block freed: exit 0 (returns a checksum of what it computed)
//   run_leak         an evicted entry's value is never freed: exit 1, naming the malloc line
//   run_double_free  an entry freed twice: exit 2, naming the malloc line and the first free
//   run_bad_free     free of a pointer into the middle of a block: exit 2 (INVALID_HANDLE)
#define RC_MALLOC_SITES
#include <stdint.h>
#include <string.h>

#include "rcalloc.h"

/** A tiny cache: keys (strdup'd by wasi-libc, so plain malloc inside it) to malloc'd values. */
struct entry {
  char *key;
  uint32_t *value;
  uint32_t length;
};

struct cache {
  struct entry *entries;
  uint32_t count, capacity;
};

static struct cache *cache_new(void) {
  return calloc(1, sizeof(struct cache));
}

static uint32_t *make_value(uint32_t length, uint32_t seed) {
  uint32_t *value = malloc(length * sizeof(uint32_t)); // value: allocated here
  for (uint32_t i = 0; i < length; i++) value[i] = seed * 31 + i;
  return value;
}

static void cache_put(struct cache *c, const char *key, uint32_t *value, uint32_t length) {
  if (c->count == c->capacity) {
    c->capacity = c->capacity ? c->capacity * 2 : 2;
    c->entries = realloc(c->entries, c->capacity * sizeof(struct entry));
  }
  c->entries[c->count++] = (struct entry){strdup(key), value, length};
}

/** Drops the oldest entry. `free_value` 0 is the seeded leak. */
static void cache_evict(struct cache *c, int free_value) {
  free(c->entries[0].key);
  if (free_value) free(c->entries[0].value);
  memmove(c->entries, c->entries + 1, (c->count - 1) * sizeof(struct entry));
  c->count--;
}

static uint32_t cache_sum(struct cache *c) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < c->count; i++)
    for (uint32_t j = 0; j < c->entries[i].length; j++) sum += c->entries[i].value[j];
  return sum;
}

static void cache_free(struct cache *c) {
  while (c->count) cache_evict(c, 1);
  free(c->entries);
  free(c);
}

static uint32_t fill(struct cache *c) {
  static const char *keys[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
  for (uint32_t i = 0; i < 5; i++) cache_put(c, keys[i], make_value(8 + i, i), 8 + i);
  return cache_sum(c);
}

__attribute__((export_name("run_clean"))) uint32_t run_clean(void) {
  struct cache *c = cache_new();
  uint32_t sum = fill(c);
  cache_evict(c, 1);
  // Over-aligned and zeroed blocks: checked here, 0 on a broken contract.
  void *page = NULL;
  if (posix_memalign(&page, 4096, 100) != 0 || ((uintptr_t)page & 4095)) return 0;
  uint8_t *zeros = calloc(64, 1);
  for (int i = 0; i < 64; i++) if (zeros[i]) return 0;
  page = realloc(page, 200);
  free(page);
  free(zeros);
  cache_free(c);
  return sum;
}

__attribute__((export_name("run_leak"))) uint32_t run_leak(void) {
  struct cache *c = cache_new();
  uint32_t sum = fill(c);
  cache_evict(c, 0); // seeded leak: the evicted value is never freed
  cache_free(c);
  return sum;
}

__attribute__((export_name("run_double_free"))) uint32_t run_double_free(void) {
  struct cache *c = cache_new();
  uint32_t sum = fill(c);
  free(c->entries[1].value); // double free: first free here
  cache_free(c);             // seeded double free: frees every value again
  return sum;
}

__attribute__((export_name("run_bad_free"))) uint32_t run_bad_free(void) {
  uint32_t *value = make_value(16, 7);
  free(value + 4); // seeded bad free: not a pointer malloc returned
  free(value);
  return 0;
}
