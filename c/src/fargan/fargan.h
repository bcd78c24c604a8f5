/* FARGAN vocoder internals: the frame geometry of libopus 1.6.1's dnn/fargan.h. */
#ifndef DREDFX_FARGAN_H
#define DREDFX_FARGAN_H

#include <stdint.h>

#include "dredfx.h"
#include "nn/nn.h"

#define FARGAN_FRAME DREDFX_FARGAN_FRAME_SIZE          /* 160 samples, 10 ms at 16 kHz */
#define FARGAN_SUB 40                                  /* 4 subframes a frame */
#define FARGAN_CONT_SAMPLES DREDFX_FARGAN_CONT_SAMPLES /* 320 */
#define FARGAN_PITCH_BUF 256                           /* libopus' PITCH_MAX_PERIOD */


/* The state's layout is here (not in fargan.c) so that the PLC state can hold one by value; the
 * sizes are fargan.c's (checked there). */
#define FARGAN_ST_FDENSE1_OUT 64
#define FARGAN_ST_SIG_IN 164
#define FARGAN_ST_GRU1 160
#define FARGAN_ST_GRU2 128
#define FARGAN_ST_GRU3 128
#define FARGAN_ST_INT8_ROWS 4040

struct dredfx_fargan {
  uint32_t magic;
  int cont_initialized;
  const dredfx_nn_kernels *k;
  dredfx_nn_linear pembed, fdense1, fconv1, fdense2;
  dredfx_nn_linear gain_dense, fwc0, fwc0_glu, gain_out;
  dredfx_nn_linear gru_in[3], gru_rec[3], gru_glu[3];
  dredfx_nn_linear skip_dense, skip_glu, out_dense;
  int16_t cond_conv_mem[2 * FARGAN_ST_FDENSE1_OUT];
  int16_t fwc0_mem[FARGAN_ST_SIG_IN];
  int16_t gru1[FARGAN_ST_GRU1], gru2[FARGAN_ST_GRU2], gru3[FARGAN_ST_GRU3];
  int32_t pitch_buf_q28[FARGAN_PITCH_BUF]; /* pre-emphasised past output */
  int32_t deemph_q28;
  int last_period;
  int32_t wsum[FARGAN_ST_INT8_ROWS];
  int64_t rq[DREDFX_NN_RQ_LEN(FARGAN_ST_INT8_ROWS)];
};

#endif
