#ifndef DREDFX_VERSION_H
#define DREDFX_VERSION_H
#define DREDFX_VERSION_MAJOR 0
#define DREDFX_VERSION_MINOR 1
#define DREDFX_VERSION_PATCH 0
#define DREDFX_VERSION_STRING "0.1.0"
/* The libopus release whose DRED model, weights and bitstream dredfx follows. */
#define DREDFX_LIBOPUS_VERSION "1.6.1"
#endif
