/* dredfx-opus shim for libopus' dnn/lpcnet.h: the deep PLC state the codec embeds
 * (OpusDecoder.lpcnet) is dredfx's integer PLC; celt/celt_decoder.c, silk/PLC.c and
 * src/opus_decoder.c read its fields loaded, blend, fec_read_pos, fec_fill_pos, fec_skip. */
#ifndef LPCNET_H_
#define LPCNET_H_

#include "opus_types.h"
#include "plc/plc.h"

#define NB_FEATURES 20
#define LPCNET_FRAME_SIZE 160

typedef dredfx_plc LPCNetPLCState;

/* Loads the PLC and FARGAN from the process' weights (dredfx_opus.h); loaded = 0 without them. */
int lpcnet_plc_init(LPCNetPLCState *st);
void lpcnet_plc_reset(LPCNetPLCState *st);
/* 160 int16 samples at 16 kHz, in and out. */
int lpcnet_plc_update(LPCNetPLCState *st, opus_int16 *pcm);
int lpcnet_plc_conceal(LPCNetPLCState *st, opus_int16 *pcm);
/* One 10 ms frame of DRED features in Q16 (OpusDRED.fec_features), or NULL for a missing one. */
void lpcnet_plc_fec_add(LPCNetPLCState *st, const opus_int32 *features_q16);
void lpcnet_plc_fec_clear(LPCNetPLCState *st);

#endif
