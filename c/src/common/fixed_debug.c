/* FIXED_DEBUG saturation counters (common/fixed.h): one entry per saturating site, found by
 * op, file and line. Only built into -DDREDFX_FIXED_DEBUG=1 builds; a plain build compiles this
 * file to nothing. A saturation is rare, so a short locked linear search is cheap enough. */
#ifdef DREDFX_FIXED_DEBUG
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fixed.h"

#define MAX_SITES 512 /* the library has far fewer saturating call sites */

static dredfx_fixed_site sites[MAX_SITES];
static int nb_sites;
static unsigned long lost; /* counts at sites past MAX_SITES */
static atomic_flag lock = ATOMIC_FLAG_INIT;
static int printer_registered;

static void print_counts(void) {
  if (nb_sites == 0 && lost == 0) return;
  fprintf(stderr, "FIXED_DEBUG: saturations per site:\n");
  for (int i = 0; i < nb_sites; i++)
    fprintf(stderr, "  %-9s %s:%d  %lu\n", sites[i].op, sites[i].file, sites[i].line, sites[i].count);
  if (lost) fprintf(stderr, "  %lu more at sites past the table's %d entries\n", lost, MAX_SITES);
}

void dredfx_fixed_debug_count(const char *op, const char *file, int line) {
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
  }
  if (!printer_registered) {
    printer_registered = 1;
    atexit(print_counts);
  }
  int i = 0;
  while (i < nb_sites && !(sites[i].line == line && strcmp(sites[i].op, op) == 0 && strcmp(sites[i].file, file) == 0))
    i++;
  if (i == nb_sites && nb_sites < MAX_SITES) {
    sites[i].op = op;
    sites[i].file = file;
    sites[i].line = line;
    sites[i].count = 0;
    nb_sites++;
  }
  if (i < nb_sites)
    sites[i].count++;
  else
    lost++;
  atomic_flag_clear_explicit(&lock, memory_order_release);
}

int dredfx_fixed_debug_saturations(const dredfx_fixed_site **out) {
  *out = sites;
  return nb_sites;
}

unsigned long dredfx_fixed_debug_total(const char *op) {
  unsigned long n = op == NULL ? lost : 0;
  for (int i = 0; i < nb_sites; i++)
    if (op == NULL || strcmp(sites[i].op, op) == 0) n += sites[i].count;
  return n;
}

void dredfx_fixed_debug_reset(void) {
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
  }
  nb_sites = 0;
  lost = 0;
  atomic_flag_clear_explicit(&lock, memory_order_release);
}
#endif
