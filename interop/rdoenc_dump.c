/* rdoenc_dump: what libopus 1.6.1's DRED encoder computes for each 20 ms of a 16 kHz signal,
 * as JSON lines, for dredfx's encoder tests (tests/test_rdovae_enc.py). Our own tool, compiled
 * by that test against a libopus 1.6.1 build in the cache folder (never part of libdredfx); it
 * uses libopus' internal headers so every value comes from libopus' own code.
 *
 *   rdoenc_dump IN.raw > OUT.jsonl
 *       IN.raw: 16 kHz mono s16le. As libopus' DRED encoder at 16 kHz (dred_compute_latents,
 *       dred_process_frame): the input buffer starts with DRED_SILK_ENCODER_DELAY (11) zeros;
 *       each sample is FLOAT2INT16 of the float input, i.e. the int16 value, plus
 *       VERY_SMALL; every 320 samples the features of two 10 ms frames
 *       (lpcnet_compute_single_frame_features_float, the first 20 of each) go through
 *       dred_rdovae_encode_dframe with the compiled-in weights. One line per 20 ms step:
 *         features (hex of 40 little-endian float32), latent (25), state (50),
 *         q_latent: 16 lists of 25 (the quantized latent at each level 0..15), q_state: 16 lists
 *         of 50, both by dred_encode_latents' arithmetic (libopus' compute_activation for tanh,
 *         skipped dimensions 0).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_support.h"
#include "dred_config.h"
#include "dred_rdovae_enc.h"
#include "dred_rdovae_enc_data.h"
#include "dred_rdovae_stats_data.h"
#include "lpcnet.h"
#include "lpcnet_private.h"
#include "nnet.h"

#define STEP 320
#define LEVELS 16

static void put_f32_hex(const float *x, int n)
{
    static const char digits[] = "0123456789abcdef";
    putchar('"');
    for (int i = 0; i < n; i++) {
        unsigned u;
        memcpy(&u, &x[i], 4);
        for (int b = 0; b < 4; b++) {
            unsigned v = (u >> (8 * b)) & 255;
            putchar(digits[v >> 4]);
            putchar(digits[v & 15]);
        }
    }
    putchar('"');
}

/* dred_encode_latents without the range coder (it is static in dnn/dred_encoder.c). */
static void quantize(int *q, const float *x, const opus_uint8 *scale, const opus_uint8 *dzone,
                     const opus_uint8 *r, const opus_uint8 *p0, int dim, int arch)
{
    float xq[DRED_STATE_DIM], delta[DRED_STATE_DIM], deadzone[DRED_STATE_DIM];
    float eps = .1f;
    for (int i = 0; i < dim; i++) {
        delta[i] = dzone[i]*(1.f/256.f);
        xq[i] = x[i]*scale[i]*(1.f/256.f);
        deadzone[i] = xq[i]/(delta[i]+eps);
    }
    compute_activation(deadzone, deadzone, dim, ACTIVATION_TANH, arch);
    for (int i = 0; i < dim; i++) {
        xq[i] = xq[i] - delta[i]*deadzone[i];
        q[i] = (int)floor(.5f+xq[i]);
        if (r[i] == 0 || p0[i] == 255) q[i] = 0;
    }
}

static void put_levels(const float *x, const opus_uint8 *scale, const opus_uint8 *dzone,
                       const opus_uint8 *r, const opus_uint8 *p0, int dim, int arch)
{
    int q[DRED_STATE_DIM];
    putchar('[');
    for (int l = 0; l < LEVELS; l++) {
        quantize(q, x, scale + l * dim, dzone + l * dim, r + l * dim, p0 + l * dim, dim, arch);
        if (l) putchar(',');
        putchar('[');
        for (int i = 0; i < dim; i++) printf(i ? ",%d" : "%d", q[i]);
        putchar(']');
    }
    putchar(']');
}

int main(int argc, char **argv)
{
    static LPCNetEncState lpc;
    static RDOVAEEncState enc;
    static RDOVAEEnc model;
    float buf[STEP];
    short pcm[STEP];
    int fill = DRED_SILK_ENCODER_DELAY, arch = opus_select_arch();
    FILE *f;
    if (argc != 2) {
        fprintf(stderr, "usage: rdoenc_dump IN.raw > OUT.jsonl\n");
        return 2;
    }
    if (!(f = fopen(argv[1], "rb"))) {
        perror(argv[1]);
        return 2;
    }
    if (init_rdovaeenc(&model, rdovaeenc_arrays) != 0) {
        fprintf(stderr, "rdoenc_dump: no compiled-in RDO-VAE encoder weights\n");
        return 2;
    }
    lpcnet_encoder_init(&lpc);
    memset(&enc, 0, sizeof(enc));
    memset(buf, 0, sizeof(buf));
    for (;;) {
        int want = STEP - fill;
        int got = (int)fread(pcm, sizeof(short), (size_t)want, f);
        float feats[2 * NB_TOTAL_FEATURES], input[2 * DRED_NUM_FEATURES], latent[DRED_LATENT_DIM],
              state[DRED_STATE_DIM];
        if (got < want) break;
        for (int i = 0; i < want; i++) buf[fill + i] = pcm[i] + VERY_SMALL;
        lpcnet_compute_single_frame_features_float(&lpc, buf, feats, arch);
        lpcnet_compute_single_frame_features_float(&lpc, buf + DRED_FRAME_SIZE, feats + NB_TOTAL_FEATURES, arch);
        memcpy(input, feats, sizeof(float) * DRED_NUM_FEATURES);
        memcpy(input + DRED_NUM_FEATURES, feats + NB_TOTAL_FEATURES, sizeof(float) * DRED_NUM_FEATURES);
        dred_rdovae_encode_dframe(&enc, &model, latent, state, input, arch);
        printf("{\"features\":");
        put_f32_hex(input, 2 * DRED_NUM_FEATURES);
        printf(",\"latent\":");
        put_f32_hex(latent, DRED_LATENT_DIM);
        printf(",\"state\":");
        put_f32_hex(state, DRED_STATE_DIM);
        printf(",\"q_latent\":");
        put_levels(latent, dred_latent_quant_scales_q8, dred_latent_dead_zone_q8, dred_latent_r_q8,
                   dred_latent_p0_q8, DRED_LATENT_DIM, arch);
        printf(",\"q_state\":");
        put_levels(state, dred_state_quant_scales_q8, dred_state_dead_zone_q8, dred_state_r_q8,
                   dred_state_p0_q8, DRED_STATE_DIM, arch);
        printf("}\n");
        fill = 0;
    }
    fclose(f);
    return 0;
}
