#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
struct node { struct node *next; uint32_t value; };
static struct node *volatile head;
__attribute__((export_name("run"))) uint32_t run(void) {
  for (uint32_t i = 0; i < 3; i++) { struct node *n = malloc(sizeof *n); n->value = i; n->next = head; head = n; }
  uint32_t v = head->value;
  head = 0;
  return v;
}
