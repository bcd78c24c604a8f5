/* libopus 1.6.1's RDO-VAE: one full 26-latent DRED_rdovae_decode_all and one
 * dred_rdovae_encode_dframe, with its compiled-in weights and its run-time CPU choice
 * (opus_select_arch), on the inputs of bench/bench_rdovae_common.h. Built by bench/bench_rdovae.py
 * against a libopus build folder (libopus.a) and the libopus source tree (internal headers).
 *
 * usage: bench_libopus_rdovae SECONDS [decode]   (decode: the decode only, for profiling)
 * prints "decode <s> encode <s>", then "sizes dec <bytes> enc <bytes>" (model + state structs). */
#include <stdio.h>
#include <stdlib.h>

/* config.h first: without OPUS_HAVE_RTCD, cpu_support.h makes opus_select_arch() the constant 0
 * (the plain C path even in the x86 build). */
#include "config.h"
#include "cpu_support.h"
#include "dred_rdovae_dec.h"
#include "dred_rdovae_dec_data.h"
#include "dred_rdovae_enc.h"
#include "dred_rdovae_enc_data.h"

#include "bench_rdovae_common.h"

extern const WeightArray rdovaedec_arrays[];
extern const WeightArray rdovaeenc_arrays[];

static RDOVAEDec dec_model;
static RDOVAEEnc enc_model;
static RDOVAEEncState enc_state;
static float state[50], latents[BR_LATENTS * BR_STRIDE], features[40];
static float out[4 * BR_LATENTS * 20], lat_out[25], st_out[50];
static int arch;

static void run_decode(void *ctx) {
  (void)ctx;
  DRED_rdovae_decode_all(&dec_model, out, state, latents, BR_LATENTS, arch);
}

static void run_encode(void *ctx) {
  (void)ctx;
  dred_rdovae_encode_dframe(&enc_state, &enc_model, lat_out, st_out, features, arch);
}

int main(int argc, char **argv) {
  double s[50], l[BR_LATENTS * BR_STRIDE], f[40];
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s SECONDS [decode]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  arch = opus_select_arch();
  if (init_rdovaedec(&dec_model, rdovaedec_arrays) || init_rdovaeenc(&enc_model, rdovaeenc_arrays)) return 1;
  br_inputs(s, l, f);
  for (int i = 0; i < 50; i++) state[i] = (float)s[i];
  for (int i = 0; i < BR_LATENTS * BR_STRIDE; i++) latents[i] = (float)l[i];
  for (int i = 0; i < 40; i++) features[i] = (float)f[i];
  double td = br_time(run_decode, NULL, seconds), te = argc == 3 ? 0 : br_time(run_encode, NULL, seconds);
  printf("decode %.9f encode %.9f\n", td, te);
  printf("sizes dec %zu enc %zu\n", sizeof(RDOVAEDec) + sizeof(RDOVAEDecState), sizeof(RDOVAEEnc) + sizeof(RDOVAEEncState));
  return 0;
}
