#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
static char **table;
__attribute__((export_name("run"))) uint32_t run(void) {
  table = malloc(8 * sizeof *table);
  for (uint32_t i = 0; i < 8; i++) { table[i] = malloc(32); table[i][0] = (char)i; }
  return (uint32_t)table[7][0];
}
