/* Range coder internals shared by the encoder, decoder and Laplace coder.
 * Constants follow libopus celt/mfrngcod.h: 8-bit symbols, 32-bit code register. */
#ifndef DREDFX_EC_H
#define DREDFX_EC_H

#include "common/common.h"

#define DREDFX_EC_SYM_BITS 8
#define DREDFX_EC_SYM_MAX 255u
#define DREDFX_EC_CODE_BITS 32
#define DREDFX_EC_CODE_SHIFT 23              /* CODE_BITS - SYM_BITS - 1 */
#define DREDFX_EC_CODE_TOP 0x80000000u
#define DREDFX_EC_CODE_BOT 0x00800000u       /* CODE_TOP >> SYM_BITS */
#define DREDFX_EC_CODE_EXTRA 7               /* (CODE_BITS - 2) % SYM_BITS + 1 */
#define DREDFX_EC_UINT_BITS 8                /* range-coded top bits of dredfx_ec_enc_uint */
#define DREDFX_EC_WINDOW_SIZE 32             /* raw-bit window (uint32_t) */
#define DREDFX_EC_BITRES 3                   /* tell_frac resolution: 1/8 bit */

/* Argument limits. libopus asserts these; dredfx sets the error flag instead and leaves the
 * coder unchanged. Keeping ft <= 2^16 and ftb, logp <= 16 keeps rng / ft >= 2^7 because rng
 * stays above CODE_BOT, so no division by zero and no zero-width interval can occur. */
#define DREDFX_EC_MAX_FT 65536u
#define DREDFX_EC_MAX_FTB 16
#define DREDFX_EC_MAX_RAW_BITS 25

#define DREDFX_EC_ENC_ERROR (-1)  /* libopus' encoder error value (write past the buffer) */
#define DREDFX_EC_DEC_ERROR 1     /* libopus' decoder error value (bad uint) */

#endif
