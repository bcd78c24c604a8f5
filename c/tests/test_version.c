/* Version of the library linked and of the header: the same release, in both spellings. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "dredfx.h"

int main(void) {
  char expect[64];
  snprintf(expect, sizeof(expect), "dredfx %d.%d.%d", DREDFX_VERSION_MAJOR, DREDFX_VERSION_MINOR,
           DREDFX_VERSION_PATCH);
  CHECKF(strcmp(dredfx_version_string(), expect) == 0, "'%s' != '%s'", dredfx_version_string(),
         expect);
  CHECKF(strcmp(expect + strlen("dredfx "), DREDFX_VERSION_STRING) == 0, "'%s' != '%s'",
         expect + strlen("dredfx "), DREDFX_VERSION_STRING);
  return check_report("test_version");
}
