/* dredfx-opus shim for libopus' dnn/lpcnet_private.h: what the codec uses of it. */
#ifndef LPCNET_PRIVATE_H
#define LPCNET_PRIVATE_H

#include "lpcnet.h"

/* libopus dnn/freq.h: 16 kHz samples per 10 ms feature frame; the pre-emphasis of the PLC's
 * signal (celt_decoder.c applies it around the 16 kHz PLC output; dredfx's PLC uses the same). */
#define FRAME_SIZE 160
#define PREEMPHASIS (0.85f)

#endif
