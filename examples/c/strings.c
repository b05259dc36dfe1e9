// A small refcounted string library in C on rcalloc, with a word list that holds references, and
// two seeded bugs for `rcalloc check` to find (README "From C / C++"):
//
//   run_clean         every reference given back: exit 0
//   run_leak          a concatenation whose caller never unrefs its own reference: exit 1,
//                     the leak report names the line of the str_concat call
//   run_double_unref  one reference unref'd twice: exit 2, naming the line that took it and the
//                     line that first gave it back
//
// The library's functions take the caller's site (GLib-style macros over *_at functions), so the
// checked build's report names the line in the code that uses the library, not inside it.
#include <string.h>

#include "rcalloc.h"

// ─── the library ────────────────────────────────────────────────────────────────────────────

/** A string: one reference to an immutable [length][bytes][NUL] object. */
typedef rc_handle str;

struct str_data {
  uint32_t length;
  char bytes[];
};

static struct str_data *str_data(str s) { return (struct str_data *)rc_ptr(s); }

static str str_new_at(const char *bytes, uint32_t length, rc_site site) {
  str s = rcalloc_allocAt(sizeof(struct str_data) + length + 1, site);
  struct str_data *d = str_data(s);
  d->length = length;
  memcpy(d->bytes, bytes, length);
  d->bytes[length] = 0;
  return s;
}

static str str_concat_at(str a, str b, rc_site site) {
  uint32_t la = str_data(a)->length, lb = str_data(b)->length;
  str s = rcalloc_allocAt(sizeof(struct str_data) + la + lb + 1, site);
  struct str_data *d = str_data(s);
  memcpy(d->bytes, str_data(a)->bytes, la);
  memcpy(d->bytes + la, str_data(b)->bytes, lb + 1);
  d->length = la + lb;
  return s;
}

#define str_from(cstring) str_new_at((cstring), (uint32_t)strlen(cstring), RC_SITE())
#define str_concat(a, b) str_concat_at((a), (b), RC_SITE())
#define str_ref(s) rcalloc_getAt((s), RC_SITE())
#define str_unref(s) rcalloc_putAt((s), RC_SITE())

/** A list of strings: holds one reference to each item. */
typedef rc_handle list;

struct list_data {
  uint32_t count, capacity;
  str items[];
};

static struct list_data *list_data(list l) { return (struct list_data *)rc_ptr(l); }

static list list_new(void) {
  list l = rc_alloc(sizeof(struct list_data) + 4 * sizeof(str));
  list_data(l)->count = 0;
  list_data(l)->capacity = 4;
  return l;
}

/** Appends `s`, taking a reference of its own (the caller keeps its reference). */
static list list_push_at(list l, str s, rc_site site) {
  struct list_data *d = list_data(l);
  if (d->count == d->capacity) {
    uint32_t capacity = d->capacity * 2;
    l = rc_resize(l, sizeof(struct list_data) + capacity * sizeof(str));
    d = list_data(l);
    d->capacity = capacity;
  }
  d->items[d->count++] = rcalloc_getAt(s, site);
  return l;
}
#define list_push(l, s) list_push_at((l), (s), RC_SITE())

static uint32_t list_total_length(list l) {
  struct list_data *d = list_data(l);
  uint32_t total = 0;
  for (uint32_t i = 0; i < d->count; i++) total += str_data(d->items[i])->length;
  return total;
}

/** Gives back the list's reference to every item, then the list. */
static void list_free(list l) {
  struct list_data *d = list_data(l);
  for (uint32_t i = 0; i < d->count; i++) rc_put(d->items[i]);
  rc_put(l);
}

// ─── the programs ───────────────────────────────────────────────────────────────────────────

/** Builds "hello world" from two words and a list of the three; returns the total length. */
__attribute__((export_name("run_clean"))) uint32_t run_clean(void) {
  str hello = str_from("hello ");
  str world = str_from("world");
  str joined = str_concat(hello, world);
  list words = list_new();
  words = list_push(words, hello);
  words = list_push(words, world);
  words = list_push(words, joined);
  str_unref(joined);
  str_unref(world);
  str_unref(hello);
  uint32_t total = list_total_length(words);
  list_free(words);
  return total;
}

/** The same, but the caller forgets its own reference to the concatenation. */
__attribute__((export_name("run_leak"))) uint32_t run_leak(void) {
  str hello = str_from("hello ");
  str world = str_from("world");
  list words = list_new();
  for (int i = 0; i < 3; i++) {
    words = list_push(words, str_concat(hello, world)); // seeded leak: push takes its own reference
  }
  str_unref(world);
  str_unref(hello);
  uint32_t total = list_total_length(words);
  list_free(words);
  return total;
}

/** The same, but the caller unrefs one word twice (the list still holds it, so no crash). */
__attribute__((export_name("run_double_unref"))) uint32_t run_double_unref(void) {
  str hello = str_from("hello "); // double unref: taken here
  str world = str_from("world");
  list words = list_new();
  words = list_push(words, hello);
  words = list_push(words, world);
  str_unref(hello); // double unref: first put here
  str_unref(world);
  uint32_t total = list_total_length(words);
  str_unref(hello); // seeded double unref: the list's reference keeps the string alive
  list_free(words);
  return total;
}
