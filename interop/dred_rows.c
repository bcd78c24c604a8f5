/* Which fec_features rows libopus 1.6.1's opus_decoder_dred_decode feeds the PLC: linked with
 * -Wl,--wrap=lpcnet_plc_fec_add against libopus.a, so every row opus_decode_native queues is
 * recorded (its index in OpusDRED.fec_features, or N for NULL) before libopus' own function runs.
 * Used by tests/test_dred_timing.py.
 *
 * stdin, one case a line: FS PACKET_HEX PRIMING_PACKET_HEX then pairs POSITION FRAME_SIZE, ended
 * by "-". A fresh decoder decodes the priming packet (received audio: the next loss is a first
 * loss), parses the DRED of PACKET (max_dred_samples 1 s at FS), then makes one
 * opus_decoder_dred_decode call per pair. stdout: "dred_offset nb_latents", then per call the
 * queued rows. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dred_decoder.h"
#include "lpcnet.h"
#include "opus.h"

static const float *rows_base;

void __real_lpcnet_plc_fec_add(LPCNetPLCState *st, const float *features);
void __wrap_lpcnet_plc_fec_add(LPCNetPLCState *st, const float *features) {
  if (features)
    printf(" %d", (int)((features - rows_base) / DRED_NUM_FEATURES));
  else
    printf(" N");
  __real_lpcnet_plc_fec_add(st, features);
}

static int unhex(const char *h, unsigned char *out, int max) {
  int n = (int)strlen(h) / 2;
  if (n > max) return -1;
  for (int i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (unsigned char)v;
  }
  return n;
}

int main(void) {
  static char hex[2][8192];
  static unsigned char pkt[2][4096];
  static opus_int16 pcm[5760 * 2];
  int fs, err;
  while (scanf("%d %8191s %8191s", &fs, hex[0], hex[1]) == 3) {
    int len = unhex(hex[0], pkt[0], 4096), plen = unhex(hex[1], pkt[1], 4096), end, pos, fsz;
    char tok[32];
    OpusDecoder *dec = opus_decoder_create(fs, 1, &err);
    OpusDREDDecoder *dd = opus_dred_decoder_create(&err);
    OpusDRED *dred = opus_dred_alloc(&err);
    if (len < 0 || plen < 0 || !dec || !dd || !dred) return 1;
    if (opus_decode(dec, pkt[1], plen, pcm, 5760, 0) < 0) return 1;
    if (opus_dred_parse(dd, dred, pkt[0], len, fs, fs, &end, 0) < 0) return 1;
    rows_base = dred->fec_features;
    printf("%d %d\n", dred->dred_offset, dred->nb_latents);
    while (scanf("%31s", tok) == 1 && strcmp(tok, "-")) {
      pos = atoi(tok);
      if (scanf("%d", &fsz) != 1) return 1;
      printf("call");
      if (opus_decoder_dred_decode(dec, dred, pos, pcm, fsz) < 0) printf(" error");
      printf("\n");
    }
    opus_dred_free(dred);
    opus_dred_decoder_destroy(dd);
    opus_decoder_destroy(dec);
  }
  return 0;
}
