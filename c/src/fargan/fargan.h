/* FARGAN vocoder internals: the frame geometry of libopus 1.6.1's dnn/fargan.h. */
#ifndef DREDFX_FARGAN_H
#define DREDFX_FARGAN_H

#include "dredfx.h"

#define FARGAN_FRAME DREDFX_FARGAN_FRAME_SIZE          /* 160 samples, 10 ms at 16 kHz */
#define FARGAN_SUB 40                                  /* 4 subframes a frame */
#define FARGAN_CONT_SAMPLES DREDFX_FARGAN_CONT_SAMPLES /* 320 */
#define FARGAN_PITCH_BUF 256                           /* libopus' PITCH_MAX_PERIOD */

#endif
