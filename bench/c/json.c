// === An allocation-heavy C program for the malloc benchmark (bench/c-program.js) ===
//
// A JSON parser that builds a document tree with malloc (a node per value, a string per key and
// per string value, arrays and objects grown with realloc), walks it, and frees it. run() parses
// a generated ~240 KB document (records of numbers, strings, tags and nested friends) `rounds`
// times and returns a checksum, so every allocator must compute the same answer.
//
// The same source is linked twice: with wasi-libc's dlmalloc (its own memory), and with
// include/rcalloc-malloc.c (malloc over rcalloc, linked at load against either build).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ─── the document tree ──────────────────────────────────────────────────────────────────────

enum kind { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct member;

struct value {
  enum kind kind;
  uint32_t count, capacity;
  union {
    double number;
    char *string;           // J_STRING: NUL-terminated, `count` bytes
    struct value **items;   // J_ARRAY
    struct member *members; // J_OBJECT
  };
};

struct member {
  char *key;
  struct value *value;
};

static void value_free(struct value *v) {
  if (!v) return;
  if (v->kind == J_STRING) free(v->string);
  if (v->kind == J_ARRAY) {
    for (uint32_t i = 0; i < v->count; i++) value_free(v->items[i]);
    free(v->items);
  }
  if (v->kind == J_OBJECT) {
    for (uint32_t i = 0; i < v->count; i++) {
      free(v->members[i].key);
      value_free(v->members[i].value);
    }
    free(v->members);
  }
  free(v);
}

// ─── the parser ─────────────────────────────────────────────────────────────────────────────

struct parser {
  const char *at, *end;
  int failed;
};

static void skip_space(struct parser *p) {
  while (p->at < p->end && (*p->at == ' ' || *p->at == '\n' || *p->at == '\t' || *p->at == '\r')) p->at++;
}

static struct value *new_value(enum kind kind) {
  struct value *v = malloc(sizeof(struct value));
  if (!v) return NULL;
  v->kind = kind;
  v->count = v->capacity = 0;
  v->items = NULL;
  return v;
}

/** A string literal (p->at on the opening quote), unescaped into a new allocation. */
static char *parse_string(struct parser *p, uint32_t *length) {
  const char *start = ++p->at;
  uint32_t n = 0;
  while (p->at < p->end && *p->at != '"') {
    if (*p->at == '\\') p->at++;
    p->at++;
    n++;
  }
  if (p->at >= p->end) {
    p->failed = 1;
    return NULL;
  }
  char *s = malloc(n + 1);
  if (!s) {
    p->failed = 1;
    return NULL;
  }
  const char *in = start;
  for (uint32_t i = 0; i < n; i++) {
    char c = *in++;
    if (c == '\\') {
      c = *in++;
      c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    s[i] = c;
  }
  s[n] = 0;
  p->at++;
  *length = n;
  return s;
}

static double parse_number(struct parser *p) {
  int negative = *p->at == '-';
  if (negative) p->at++;
  double n = 0;
  while (p->at < p->end && *p->at >= '0' && *p->at <= '9') n = n * 10 + (*p->at++ - '0');
  if (p->at < p->end && *p->at == '.') {
    double scale = 0.1;
    for (p->at++; p->at < p->end && *p->at >= '0' && *p->at <= '9'; scale /= 10) n += (*p->at++ - '0') * scale;
  }
  return negative ? -n : n;
}

/** Appends to an array or object, growing its storage by doubling (realloc). */
static int grow(void **storage, uint32_t *capacity, uint32_t count, size_t item) {
  if (count < *capacity) return 1;
  uint32_t next = *capacity ? *capacity * 2 : 4;
  void *moved = realloc(*storage, next * item);
  if (!moved) return 0;
  *storage = moved;
  *capacity = next;
  return 1;
}

static struct value *parse_value(struct parser *p);

static struct value *parse_array(struct parser *p) {
  struct value *v = new_value(J_ARRAY);
  if (!v) return NULL;
  p->at++;
  skip_space(p);
  if (p->at < p->end && *p->at == ']') {
    p->at++;
    return v;
  }
  for (;;) {
    struct value *item = parse_value(p);
    if (!item || !grow((void **)&v->items, &v->capacity, v->count, sizeof(struct value *))) {
      value_free(item);
      p->failed = 1;
      return v;
    }
    v->items[v->count++] = item;
    skip_space(p);
    if (p->at < p->end && *p->at == ',') {
      p->at++;
      continue;
    }
    if (p->at < p->end && *p->at == ']') p->at++;
    else p->failed = 1;
    return v;
  }
}

static struct value *parse_object(struct parser *p) {
  struct value *v = new_value(J_OBJECT);
  if (!v) return NULL;
  p->at++;
  skip_space(p);
  if (p->at < p->end && *p->at == '}') {
    p->at++;
    return v;
  }
  for (;;) {
    skip_space(p);
    uint32_t length;
    if (p->at >= p->end || *p->at != '"') break;
    char *key = parse_string(p, &length);
    skip_space(p);
    if (!key || p->at >= p->end || *p->at != ':') {
      free(key);
      break;
    }
    p->at++;
    struct value *item = parse_value(p);
    if (!item || !grow((void **)&v->members, &v->capacity, v->count, sizeof(struct member))) {
      free(key);
      value_free(item);
      break;
    }
    v->members[v->count++] = (struct member){key, item};
    skip_space(p);
    if (p->at < p->end && *p->at == ',') {
      p->at++;
      continue;
    }
    if (p->at < p->end && *p->at == '}') {
      p->at++;
      return v;
    }
    break;
  }
  p->failed = 1;
  return v;
}

static struct value *parse_value(struct parser *p) {
  skip_space(p);
  if (p->at >= p->end) return NULL;
  char c = *p->at;
  if (c == '{') return parse_object(p);
  if (c == '[') return parse_array(p);
  if (c == '"') {
    struct value *v = new_value(J_STRING);
    if (v) v->string = parse_string(p, &v->count);
    if (v && !v->string) v->kind = J_NULL;
    return v;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    struct value *v = new_value(J_NUMBER);
    if (v) v->number = parse_number(p);
    return v;
  }
  const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
  size_t n = strlen(word);
  if ((size_t)(p->end - p->at) < n || memcmp(p->at, word, n) != 0) return NULL;
  p->at += n;
  return new_value(c == 't' ? J_TRUE : c == 'f' ? J_FALSE : J_NULL);
}

/** A checksum over the whole tree: kinds, counts, string bytes, numbers. */
static uint32_t checksum(const struct value *v) {
  uint32_t h = v->kind * 31 + v->count;
  if (v->kind == J_NUMBER) h += (uint32_t)(int64_t)(v->number * 100);
  if (v->kind == J_STRING) for (uint32_t i = 0; i < v->count; i++) h = h * 33 + (uint8_t)v->string[i];
  if (v->kind == J_ARRAY) for (uint32_t i = 0; i < v->count; i++) h = h * 7 + checksum(v->items[i]);
  if (v->kind == J_OBJECT) {
    for (uint32_t i = 0; i < v->count; i++) {
      for (const char *k = v->members[i].key; *k; k++) h = h * 33 + (uint8_t)*k;
      h = h * 7 + checksum(v->members[i].value);
    }
  }
  return h;
}

// ─── the generated document ─────────────────────────────────────────────────────────────────

static uint32_t seed = 12345;
static uint32_t next_random(void) {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

struct text {
  char *bytes;
  uint32_t length, capacity;
};

static void put(struct text *t, const char *s) {
  uint32_t n = (uint32_t)strlen(s);
  if (t->length + n + 1 > t->capacity) {
    uint32_t capacity = (t->length + n + 1) * 2;
    char *moved = realloc(t->bytes, capacity);
    if (!moved) return;
    t->bytes = moved;
    t->capacity = capacity;
  }
  memcpy(t->bytes + t->length, s, n + 1);
  t->length += n;
}

static void put_number(struct text *t, uint32_t n) {
  char digits[12];
  int i = 11;
  digits[i] = 0;
  do digits[--i] = (char)('0' + n % 10); while ((n /= 10) && i > 0);
  put(t, digits + i);
}

static void put_word(struct text *t) {
  static const char *syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu\\\"o"};
  put(t, "\"");
  for (uint32_t n = 1 + next_random() % 6; n; n--) put(t, syllables[next_random() % 10]);
  put(t, "\"");
}

static void put_record(struct text *t, uint32_t id, int depth) {
  put(t, "{\"id\":");
  put_number(t, id);
  put(t, ",\"name\":");
  put_word(t);
  put(t, ",\"score\":");
  put_number(t, next_random() % 1000);
  put(t, ".");
  put_number(t, next_random() % 100);
  put(t, ",\"active\":");
  put(t, next_random() & 1 ? "true" : "false");
  put(t, ",\"tags\":[");
  for (uint32_t n = next_random() % 5, i = 0; i < n; i++) {
    if (i) put(t, ",");
    put_word(t);
  }
  put(t, "],\"friends\":[");
  if (depth < 2) {
    for (uint32_t n = next_random() % 3, i = 0; i < n; i++) {
      if (i) put(t, ",");
      put_record(t, next_random() % 100000, depth + 1);
    }
  }
  put(t, "],\"note\":null}");
}

static struct text document;

/** The document: `records` records in an array (made once, kept for every run). */
static void make_document(uint32_t records) {
  put(&document, "[");
  for (uint32_t i = 0; i < records; i++) {
    if (i) put(&document, ",\n");
    put_record(&document, i, 0);
  }
  put(&document, "]");
}

// ─── the entry points ───────────────────────────────────────────────────────────────────────

/** Parses the document `rounds` times (building and freeing the tree); the checksum, 0 on failure. */
__attribute__((export_name("run"))) uint32_t run(uint32_t rounds) {
  if (!document.length) make_document(1000);
  uint32_t h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    struct parser p = {document.bytes, document.bytes + document.length, 0};
    struct value *tree = parse_value(&p);
    if (!tree || p.failed) {
      value_free(tree);
      return 0;
    }
    h = h * 31 + checksum(tree);
    value_free(tree);
  }
  return h;
}

/** Size of the generated document in bytes (after the first run). */
__attribute__((export_name("documentBytes"))) uint32_t document_bytes(void) { return document.length; }
