/* libFuzzer target for dredfx-opus's receiving side (libopus 1.6.1's opus.h with dredfx inside):
 * one input = a decoder set-up byte, then records [length][packet bytes] (length 0: a loss). For
 * each record, before decoding it: opus_dred_parse (processing now or deferred, then
 * opus_dred_process) and opus_decoder_dred_decode at offsets before, inside and past the DRED,
 * also before the first packet of the stream; then opus_decode of the packet (or the PLC for a
 * loss) and its LBRR (decode_fec). Every call must return a valid count or a libopus error code.
 * Set-up byte: bits 0-2 rate (8, 12, 16, 24, 48 kHz), bit 3 stereo, bit 4 decoder complexity 5
 * (deep PLC) instead of 0, bit 5 deferred DRED processing. Weights: $DREDFX_WEIGHTS, else the
 * default blob; without them the DRED decoder is not created and the rest still runs.
 * Built when DREDFX_OPUS is on (c/opus/CMakeLists.txt): a libFuzzer program with DREDFX_FUZZ
 * (clang), else a replay program that ctest runs on c/fuzz/seeds/fuzz_opus_dred/. */
#include <stdint.h>
#include <stdlib.h>

#include "opus.h"

#define MAX_FRAME (48000 / 1000 * 120)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ret, int max) {
  /* a sample count within the buffer, or one of libopus' error codes */
  if (ret > max || ret < OPUS_ALLOC_FAIL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const opus_int32 rates[8] = {8000, 12000, 16000, 24000, 48000, 16000, 16000, 48000};
  static opus_int16 pcm[2 * MAX_FRAME];
  OpusDecoder *dec;
  OpusDREDDecoder *dred_dec;
  OpusDRED *dred, *processed;
  opus_int32 rate;
  int channels, defer, err;
  size_t pos = 1;
  if (size < 1) return 0;
  rate = rates[data[0] & 7];
  channels = data[0] & 8 ? 2 : 1;
  defer = (data[0] >> 5) & 1;
  dec = opus_decoder_create(rate, channels, &err);
  if (err != OPUS_OK) abort();
  if (opus_decoder_ctl(dec, OPUS_SET_COMPLEXITY(data[0] & 16 ? 5 : 0)) != OPUS_OK) abort();
  dred_dec = opus_dred_decoder_create(&err);
  if (dred_dec == NULL && err != OPUS_UNIMPLEMENTED) abort();
  dred = opus_dred_alloc(&err);
  processed = opus_dred_alloc(&err);
  if (dred == NULL || processed == NULL) abort();
  while (pos < size) {
    const int len = data[pos] <= size - pos - 1 ? data[pos] : (int)(size - pos - 1);
    const unsigned char *packet = data + pos + 1;
    const int frame = rate / 50;
    pos += 1 + (size_t)len;
    if (len == 0) {
      check(opus_decode(dec, NULL, 0, pcm, frame, 0), frame);
      continue;
    }
    if (dred_dec != NULL) {
      int end = 0;
      const int ret = opus_dred_parse(dred_dec, dred, packet, len, rate, rate, &end, defer);
      check(ret, INT32_MAX); /* a crafted DRED offset can claim far more than 1 s */
      if (ret > 0) {
        const opus_int32 offsets[6] = {-frame, 0, rate / 400, ret / 2 / (rate / 400) * (rate / 400),
                                       ret, 2 * rate};
        const OpusDRED *use = dred;
        if (defer) {
          if (opus_dred_process(dred_dec, dred, processed) != OPUS_OK) abort();
          use = processed;
        }
        for (int i = 0; i < 6; i++) {
          const int n = i % 2 ? frame / 2 : frame;
          check(opus_decoder_dred_decode(dec, use, offsets[i], pcm, n), n);
        }
      }
    }
    check(opus_decode(dec, packet, len, pcm, MAX_FRAME * rate / 48000, 0), MAX_FRAME * rate / 48000);
    check(opus_decode(dec, packet, len, pcm, frame, 1), frame);
  }
  opus_dred_free(processed);
  opus_dred_free(dred);
  opus_dred_decoder_destroy(dred_dec);
  opus_decoder_destroy(dec);
  return 0;
}
