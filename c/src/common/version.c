#include "dredfx.h"

const char *dredfx_version_string(void) {
  return "dredfx " DREDFX_VERSION_STRING;
}
