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
 *   rdoenc_dump packets [-f FRAME_MS] [-q Q0] [-dq DQ] [-n CHUNKS] [-s SEED] IN.raw > OUT.jsonl
 *       libopus' own DRED encoder on the same signal, packet by packet (FRAME_MS 10, 20, 40 or
 *       60, default 20): dred_compute_latents (extra_delay 64, VOIP/AUDIO at 16 kHz), then
 *       activity_mem updated as opus_encode_frame_native does with a pseudo-random voice activity
 *       (runs of 1..60 active and 1..80 inactive packets, from SEED), a pseudo-random room (bytes
 *       after the codec frame: 1276, or 0..159 one packet in five) through opus_encode_frame_native's
 *       budget, and dred_encode_silk_frame(CHUNKS, Q0, DQ, qmax 15) (defaults 26, 6, 5). One line
 *       per packet: active, room, ret (payload bytes, 0 none), payload (hex), steps (hex of the 40
 *       features of each 20 ms step run during the packet, as the first mode computes them).
 *   rdoenc_dump decode < PAYLOADS > OUT.jsonl
 *       Each input line: the hex of a range-coded payload (after 'D', 12). libopus' decoder side:
 *       dred_ec_decode (min_feature_frames 104, frame offset 0) then DRED_rdovae_decode_all with
 *       the compiled-in weights. One line per payload: nb_latents, dred_offset, features (hex of
 *       the 4 nb_latents x 20 float32 of OpusDRED.fec_features, newest frame first).
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
#include "dred_decoder.h"
#include "dred_encoder.h"
#include "dred_rdovae_dec.h"
#include "dred_rdovae_dec_data.h"
#include "arch.h"
#include "os_support.h"
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

static unsigned rng_state;
static unsigned rng(unsigned n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

static int do_packets(int argc, char **argv)
{
    static DREDEnc dred;
    static LPCNetEncState lpc;
    static unsigned char activity_mem[DRED_MAX_FRAMES * 4];
    const char *path = NULL;
    int frame_ms = 20, q0 = 6, dq = 5, chunks = 26, arch = opus_select_arch();
    int active = 1, run = 0, fill = DRED_SILK_ENCODER_DELAY;
    float buf[2 * DRED_DFRAME_SIZE];
    FILE *f;
    rng_state = 1;
    for (int i = 0; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "-f")) frame_ms = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-q")) q0 = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-dq")) dq = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-n")) chunks = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-s")) rng_state = (unsigned)atoi(argv[++i]);
        else path = argv[i];
    }
    if (!path || (frame_ms != 10 && frame_ms != 20 && frame_ms != 40 && frame_ms != 60)) {
        fprintf(stderr, "usage: rdoenc_dump packets [-f 10|20|40|60] [-q Q0] [-dq DQ] [-n CHUNKS] [-s SEED] IN.raw\n");
        return 2;
    }
    if (!(f = fopen(path, "rb"))) {
        perror(path);
        return 2;
    }
    dred_encoder_init(&dred, 16000, 1);
    if (!dred.loaded) {
        fprintf(stderr, "rdoenc_dump: no compiled-in DRED encoder weights\n");
        return 2;
    }
    lpcnet_encoder_init(&lpc);
    memset(buf, 0, sizeof(buf));
    for (;;) {
        const int n = 16 * frame_ms, n400 = frame_ms * 4 / 10;
        short pcm[960];
        float x[960];
        unsigned char out[DRED_MAX_DATA_SIZE];
        int room, left, ret = 0, first = 1;
        if ((int)fread(pcm, sizeof(short), (size_t)n, f) < n) break;
        for (int i = 0; i < n; i++) x[i] = pcm[i] * (1.f / 32768);
        if (run-- <= 0) {
            active = !active;
            run = active ? 1 + (int)rng(60) : 1 + (int)rng(80);
        }
        room = rng(5) == 0 ? (int)rng(160) : 1276;
        dred_compute_latents(&dred, x, n, 64, arch);
        OPUS_MOVE(&activity_mem[n400], activity_mem, 4 * DRED_MAX_FRAMES - n400);
        for (int i = 0; i < n400; i++) activity_mem[i] = (unsigned char)active;
        /* opus_encode_frame_native's budget for the 'D', 12 prefix and the payload. */
        left = IMIN(DRED_MAX_DATA_SIZE, room - 3);
        left -= (left + 1 + 2) / 255;
        if (chunks >= 1 && left >= DRED_MIN_BYTES + 2)
            ret = dred_encode_silk_frame(&dred, out, chunks, left - 2, q0, dq, 15, activity_mem, arch);
        printf("{\"active\":%d,\"room\":%d,\"ret\":%d,\"payload\":\"", active, room, ret);
        for (int i = 0; i < ret; i++) printf("%02x", out[i]);
        printf("\",\"steps\":[");
        /* The same samples through a second feature extractor, step by step. */
        for (int i = 0; i < n; i++) {
            buf[fill++] = pcm[i] + VERY_SMALL;
            if (fill == DRED_DFRAME_SIZE) {
                float feats[2 * NB_TOTAL_FEATURES], input[2 * DRED_NUM_FEATURES];
                lpcnet_compute_single_frame_features_float(&lpc, buf, feats, arch);
                lpcnet_compute_single_frame_features_float(&lpc, buf + DRED_FRAME_SIZE, feats + NB_TOTAL_FEATURES, arch);
                memcpy(input, feats, sizeof(float) * DRED_NUM_FEATURES);
                memcpy(input + DRED_NUM_FEATURES, feats + NB_TOTAL_FEATURES, sizeof(float) * DRED_NUM_FEATURES);
                if (!first) putchar(',');
                first = 0;
                put_f32_hex(input, 2 * DRED_NUM_FEATURES);
                fill = 0;
            }
        }
        printf("]}\n");
    }
    fclose(f);
    return 0;
}

static int do_decode(void)
{
    static OpusDRED dred;
    static RDOVAEDec model;
    static char line[8192];
    unsigned char bytes[DRED_MAX_DATA_SIZE];
    int arch = opus_select_arch();
    if (init_rdovaedec(&model, rdovaedec_arrays) != 0) {
        fprintf(stderr, "rdoenc_dump: no compiled-in RDO-VAE decoder weights\n");
        return 2;
    }
    while (fgets(line, sizeof(line), stdin)) {
        int n = 0;
        for (char *c = line; c[0] && c[1] && c[0] != '\n' && n < DRED_MAX_DATA_SIZE; c += 2) {
            unsigned v;
            if (sscanf(c, "%2x", &v) != 1) break;
            bytes[n++] = (unsigned char)v;
        }
        memset(&dred, 0, sizeof(dred));
        dred_ec_decode(&dred, bytes, n, 104, 0);
        DRED_rdovae_decode_all(&model, dred.fec_features, dred.state, dred.latents, dred.nb_latents, arch);
        printf("{\"nb_latents\":%d,\"dred_offset\":%d,\"features\":", dred.nb_latents, dred.dred_offset);
        put_f32_hex(dred.fec_features, 4 * dred.nb_latents * DRED_NUM_FEATURES);
        printf("}\n");
    }
    return 0;
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
    if (argc >= 2 && !strcmp(argv[1], "packets")) return do_packets(argc - 2, argv + 2);
    if (argc == 2 && !strcmp(argv[1], "decode")) return do_decode();
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
