/* dred_dump: dumps what libopus 1.6.1 itself encodes and parses, as JSON lines, for dredfx's
 * interop tests (tests/test_interop.py). Our own tool, compiled by scripts/interop-data.sh against
 * a libopus 1.6.1 build in the cache folder (never part of libdredfx); it uses libopus' internal
 * headers so every value comes from libopus' own code.
 *
 *   dred_dump encode [options] IN.raw > OUT.jsonl
 *       IN.raw: 16-bit mono PCM (s16le). Options: -r RATE (16000) -b BITRATE (32000) -l LOSS% (20)
 *       -f FRAME_MS (20; 2.5 5 10 20 40 60 80 100 120) -c COMPLEXITY (10) -d DRED_FRAMES (100)
 *       -cbr. One line per packet:
 *         packet (hex); find = libopus' DRED location result (payload bytes, 0 none, < 0 error);
 *         nb_frames; dred (if found): payload (hex, after 'D', 12), payload_pos, ext_frame,
 *           dred_frame_offset, header fields q0 dq extra_offset_flag offset_high offset_low qmax
 *           qmax_coded, nb_chunks levels state_q latents_q (whole payload, libopus' ec_dec and
 *           Laplace decoder), tell_after_header tell_end, rebuilt (hex: libopus' ec_enc on the
 *           decodable values), hidden_chunks hidden_latents_q (see explain_payload);
 *         parse: per max_dred_samples 48000, 960, 2880: opus_dred_parse's ret, dred_end and,
 *           with a payload, nb_latents dred_offset levels state_q latents_q (from the floats),
 *           state_f32 latents_f32 (hex of the little-endian float32 OpusDRED arrays, 26 per
 *           latent), q_mismatch (must be 0: floats and decoded integers disagree).
 *       Exit status 1 if any q_mismatch.
 *   dred_dump ext < LINES > OUT.jsonl
 *       Each input line "NB_FRAMES HEX_PADDING"; prints libopus' opus_packet_extensions_parse
 *       (bitstream order) and opus_packet_extensions_count of that padding content.
 *   dred_dump features < LINES > OUT.jsonl
 *       Each input line "MAX_DRED_SAMPLES SAMPLING_RATE HEX_PACKET"; prints opus_dred_parse's ret
 *       (processing not deferred, so libopus' RDO-VAE decoder runs), nb_latents and features
 *       (hex of the little-endian float32 OpusDRED.fec_features, 4 * nb_latents frames of 20).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opus.h"
#include "opus_private.h"
#include "entdec.h"
#include "entenc.h"
#include "laplace.h"
#include "dred_decoder.h"
#include "dred_coding.h"
#include "dred_rdovae_stats_data.h"

#define MAX_PACKET 4000
#define N_MAX_SAMPLES 3

static const opus_int32 max_samples_list[N_MAX_SAMPLES] = {48000, 960, 2880};

static void die(const char *msg)
{
    fprintf(stderr, "dred_dump: %s\n", msg);
    exit(2);
}

static void put_hex(const unsigned char *p, long n)
{
    static const char digits[] = "0123456789abcdef";
    putchar('"');
    for (long i = 0; i < n; i++) {
        putchar(digits[p[i] >> 4]);
        putchar(digits[p[i] & 15]);
    }
    putchar('"');
}

/* float32 arrays go out as the hex of their little-endian bytes: exact, and quick to load. */
static void put_f32_hex(const float *x, int n)
{
    unsigned char buf[4 * DRED_MAX_FRAMES * DRED_NUM_FEATURES]; /* fec_features, the largest */
    for (int i = 0; i < n; i++) {
        opus_uint32 u;
        memcpy(&u, &x[i], 4);
        buf[4 * i] = u & 255;
        buf[4 * i + 1] = (u >> 8) & 255;
        buf[4 * i + 2] = (u >> 16) & 255;
        buf[4 * i + 3] = u >> 24;
    }
    put_hex(buf, 4L * n);
}

static void put_int_list(const int *v, int n)
{
    putchar('[');
    for (int i = 0; i < n; i++) printf(i ? ",%d" : "%d", v[i]);
    putchar(']');
}

/* libopus' own location of the DRED payload, following dred_find_payload (src/opus_decoder.c),
 * which is static there. Returns the payload length (> 0), 0 if none, or a negative error. */
static int find_dred(const unsigned char *data, opus_int32 len, const unsigned char **payload,
                     int *frame, int *frame_offset, int *nb_frames_out)
{
    const unsigned char *frames[48];
    opus_int16 size[48];
    const unsigned char *padding;
    opus_int32 padding_len;
    OpusExtensionIterator iter;
    opus_extension_data ext;
    int ret = opus_packet_parse_impl(data, len, 0, NULL, frames, size, NULL, NULL, &padding,
                                     &padding_len);
    *payload = NULL;
    if (ret < 0) return ret;
    *nb_frames_out = ret;
    int frame_size = opus_packet_get_samples_per_frame(data, 48000);
    opus_extension_iterator_init(&iter, padding, padding_len, ret);
    for (;;) {
        ret = opus_extension_iterator_find(&iter, &ext, DRED_EXTENSION_ID);
        if (ret <= 0) return ret;
        if (ext.len > DRED_EXPERIMENTAL_BYTES && ext.data[0] == 'D'
            && ext.data[1] == DRED_EXPERIMENTAL_VERSION) {
            *payload = ext.data + DRED_EXPERIMENTAL_BYTES;
            *frame = ext.frame;
            *frame_offset = ext.frame * frame_size / 120;
            return ext.len - DRED_EXPERIMENTAL_BYTES;
        }
    }
}

/* Header fields and quantized values, decoded with libopus' own range decoder and Laplace
 * decoder in the order of dred_ec_decode (dnn/dred_decoder.c), for all chunks present. */
#define MAX_HIDDEN 4
typedef struct {
    int q0, dq, extra_flag, offset_high, offset_low, qmax, has_qmax_symbol;
    int nb_chunks;   /* chunks the decoder's stop rule lets through (all of them at 48000) */
    int nb_decoded;  /* nb_chunks plus up to MAX_HIDDEN decoded past the stop rule */
    int hidden;      /* chunks coded by libopus but below the stop rule; -1 if not explained */
    int state_q[DRED_STATE_DIM];
    int latents_q[DRED_NUM_REDUNDANCY_FRAMES / 2][DRED_LATENT_DIM];
    int levels[DRED_NUM_REDUNDANCY_FRAMES / 2];
    int tell_after_header, tell_end;
    unsigned char reenc[DRED_MAX_DATA_SIZE];
    int reenc_len;
} header_dump;

static void decode_values(int *dst, const opus_uint8 *r, const opus_uint8 *p0, int dim, ec_dec *ec)
{
    for (int i = 0; i < dim; i++)
        dst[i] = (r[i] == 0 || p0[i] == 255) ? 0 : ec_laplace_decode_p0(ec, p0[i] << 7, r[i] << 7);
}

static void decode_header(const unsigned char *payload, int n, header_dump *h)
{
    ec_dec ec;
    memset(h, 0, sizeof(*h));
    ec_dec_init(&ec, (unsigned char *)payload, n);
    h->q0 = ec_dec_uint(&ec, 16);
    h->dq = ec_dec_uint(&ec, 8);
    h->extra_flag = ec_dec_uint(&ec, 2);
    if (h->extra_flag) h->offset_high = ec_dec_uint(&ec, 256);
    h->offset_low = ec_dec_uint(&ec, 32);
    h->qmax = 15;
    if (h->q0 < 14 && h->dq > 0) {
        int nvals = 15 - (h->q0 + 1), ft = 2 * nvals, s = ec_decode(&ec, ft);
        h->has_qmax_symbol = 1;
        if (s >= nvals) {
            h->qmax = h->q0 + (s - nvals) + 1;
            ec_dec_update(&ec, s, s + 1, ft);
        } else {
            ec_dec_update(&ec, 0, nvals, ft);
        }
    }
    h->tell_after_header = ec_tell(&ec);
    int off = h->q0 * DRED_STATE_DIM;
    decode_values(h->state_q, dred_state_r_q8 + off, dred_state_p0_q8 + off,
                  DRED_STATE_DIM, &ec);
    int c, stopped = 0;
    for (c = 0; c < DRED_NUM_REDUNDANCY_FRAMES / 2; c++) {
        if (!stopped && 8 * n - ec_tell(&ec) <= 7) {
            stopped = 1;
            h->nb_chunks = c;
            h->tell_end = ec_tell(&ec);
        }
        /* go on past the stop rule: libopus' encoder may have coded chunks of < 8 bits there */
        if (stopped && (c >= h->nb_chunks + MAX_HIDDEN || ec_tell(&ec) > 8 * n)) break;
        h->levels[c] = compute_quantizer(h->q0, h->dq, h->qmax, c);
        off = h->levels[c] * DRED_LATENT_DIM;
        decode_values(h->latents_q[c], dred_latent_r_q8 + off,
                      dred_latent_p0_q8 + off, DRED_LATENT_DIM, &ec);
    }
    if (!stopped) {
        h->nb_chunks = c;
        h->tell_end = ec_tell(&ec);
    }
    h->nb_decoded = c;
}

static void encode_values(ec_enc *ec, const int *q, const opus_uint8 *r, const opus_uint8 *p0, int dim)
{
    for (int i = 0; i < dim; i++)
        if (r[i] != 0 && p0[i] != 255) ec_laplace_encode_p0(ec, q[i], p0[i] << 7, r[i] << 7);
}

/* The values coded again with libopus' own range encoder (first nb chunks), the way
 * dred_encode_silk_frame ends: shrink to ceil(ec_tell / 8) bytes, then ec_enc_done. */
static void reencode(header_dump *h, int nb)
{
    ec_enc ec;
    memset(h->reenc, 0, sizeof(h->reenc));
    ec_enc_init(&ec, h->reenc, sizeof(h->reenc));
    ec_enc_uint(&ec, h->q0, 16);
    ec_enc_uint(&ec, h->dq, 8);
    ec_enc_uint(&ec, h->extra_flag, 2);
    if (h->extra_flag) ec_enc_uint(&ec, h->offset_high, 256);
    ec_enc_uint(&ec, h->offset_low, 32);
    if (h->has_qmax_symbol) {
        int nvals = 15 - (h->q0 + 1);
        ec_encode(&ec, h->qmax >= 15 ? 0 : nvals + h->qmax - (h->q0 + 1),
                  h->qmax >= 15 ? nvals : nvals + h->qmax - h->q0, 2 * nvals);
    }
    int off = h->q0 * DRED_STATE_DIM;
    encode_values(&ec, h->state_q, dred_state_r_q8 + off, dred_state_p0_q8 + off, DRED_STATE_DIM);
    for (int c = 0; c < nb; c++) {
        off = h->levels[c] * DRED_LATENT_DIM;
        encode_values(&ec, h->latents_q[c], dred_latent_r_q8 + off, dred_latent_p0_q8 + off,
                      DRED_LATENT_DIM);
    }
    h->reenc_len = (ec_tell(&ec) + 7) / 8;
    ec_enc_shrink(&ec, h->reenc_len);
    ec_enc_done(&ec);
}

/* libopus' decoder stops when fewer than 8 bits are left ("FIXME" in dred_ec_decode), but its
 * encoder keeps every voice-active chunk that fits: a last chunk of < 8 bits is coded yet never
 * decoded, and it changes the final bits. Finds how many such chunks explain the payload bytes
 * (re-encoding the values decoded past the stop rule), leaving reenc = the payload rebuilt from
 * the decodable chunks only. */
static void explain_payload(header_dump *h, const unsigned char *payload, int n)
{
    h->hidden = -1;
    for (int k = 0; h->nb_chunks + k <= h->nb_decoded; k++) {
        reencode(h, h->nb_chunks + k);
        if (h->reenc_len == n && !memcmp(h->reenc, payload, n)) {
            h->hidden = k;
            break;
        }
    }
    reencode(h, h->nb_chunks);
}

static int recover_q(float x, int s)
{
    return (int)lrint((double)x * (s == 0 ? 1 : s) / 256.0);
}

/* One opus_dred_parse call; checks that the floats libopus stored map back to the integers
 * decoded above (returns the number of disagreements, which must be 0). */
static int dump_parse(OpusDREDDecoder *dd, OpusDRED *dred, const unsigned char *pkt, int len,
                      opus_int32 max_samples, opus_int32 fs, const header_dump *h)
{
    int dred_end = -12345, bad = 0;
    memset(dred, 0, sizeof(*dred));
    /* defer_processing = 1: the parsed values are the same; skipping the RDOVAE decoder keeps
     * the dump fast. */
    int ret = opus_dred_parse(dd, dred, pkt, len, max_samples, fs, &dred_end, 1);
    printf("{\"max_dred_samples\":%d,\"ret\":%d,\"dred_end\":%d", (int)max_samples, ret, dred_end);
    if (ret > 0 || (ret == 0 && dred->process_stage == 1)) {
        int sq[DRED_STATE_DIM], lq[DRED_NUM_REDUNDANCY_FRAMES / 2 * DRED_LATENT_DIM];
        int lv[DRED_NUM_REDUNDANCY_FRAMES / 2];
        int nb = dred->nb_latents;
        for (int i = 0; i < DRED_STATE_DIM; i++) {
            sq[i] = recover_q(dred->state[i], dred_state_quant_scales_q8[h->q0 * DRED_STATE_DIM + i]);
            bad += sq[i] != h->state_q[i];
        }
        for (int c = 0; c < nb; c++) {
            const float *l = &dred->latents[c * (DRED_LATENT_DIM + 1)];
            lv[c] = (int)lrint((l[DRED_LATENT_DIM] + 1.0) * 8.0);
            bad += lv[c] != h->levels[c];
            for (int i = 0; i < DRED_LATENT_DIM; i++) {
                int q = recover_q(l[i], dred_latent_quant_scales_q8[lv[c] * DRED_LATENT_DIM + i]);
                lq[c * DRED_LATENT_DIM + i] = q;
                bad += c >= h->nb_chunks || q != h->latents_q[c][i];
            }
        }
        printf(",\"nb_latents\":%d,\"dred_offset\":%d,\"levels\":", nb, dred->dred_offset);
        put_int_list(lv, nb);
        printf(",\"state_q\":");
        put_int_list(sq, DRED_STATE_DIM);
        printf(",\"latents_q\":");
        put_int_list(lq, nb * DRED_LATENT_DIM);
        printf(",\"state_f32\":");
        put_f32_hex(dred->state, DRED_STATE_DIM);
        printf(",\"latents_f32\":");
        put_f32_hex(dred->latents, nb * (DRED_LATENT_DIM + 1));
    }
    printf(",\"q_mismatch\":%d}", bad);
    return bad;
}

static int parse_frame_ms(const char *s, opus_int32 fs)
{
    double ms = atof(s);
    int n = (int)lrint(ms * fs / 1000.0);
    if (n * 1000.0 != ms * fs) die("frame size is not a whole number of samples");
    return n;
}

static int do_encode(int argc, char **argv)
{
    opus_int32 fs = 16000, bitrate = 32000;
    int loss = 20, complexity = 10, dred_frames = 100, cbr = 0, err;
    const char *frame_arg = "20", *in_path = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-cbr")) cbr = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "-r")) fs = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-b")) bitrate = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-l")) loss = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-f")) frame_arg = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "-c")) complexity = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "-d")) dred_frames = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !in_path) in_path = argv[i];
        else die("usage: dred_dump encode [-r RATE] [-b BPS] [-l LOSS] [-f MS] [-c CX] [-d N] [-cbr] IN.raw");
    }
    if (!in_path) die("no input file");
    int frame = parse_frame_ms(frame_arg, fs);
    FILE *f = fopen(in_path, "rb");
    if (!f) die("cannot open input");

    OpusEncoder *enc = opus_encoder_create(fs, 1, OPUS_APPLICATION_VOIP, &err);
    if (err != OPUS_OK) die("opus_encoder_create failed");
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate));
    opus_encoder_ctl(enc, OPUS_SET_VBR(!cbr));
    opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
    opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(loss));
    if (opus_encoder_ctl(enc, OPUS_SET_DRED_DURATION(dred_frames)) != OPUS_OK)
        die("OPUS_SET_DRED_DURATION failed (libopus built without DRED?)");
    OpusDREDDecoder *dd = opus_dred_decoder_create(&err);
    if (err != OPUS_OK) die("opus_dred_decoder_create failed");
    OpusDRED *dred = opus_dred_alloc(&err);
    if (err != OPUS_OK) die("opus_dred_alloc failed");

    opus_int16 *pcm = calloc(frame, sizeof(*pcm));
    unsigned char pcm_bytes[2 * 5760];
    unsigned char pkt[MAX_PACKET];
    long index = 0, total_bad = 0;
    for (;;) {
        size_t got = fread(pcm_bytes, 2, frame, f);
        if (got == 0) break;
        for (int i = 0; i < frame; i++)
            pcm[i] = i < (int)got ? (opus_int16)(pcm_bytes[2 * i] | (pcm_bytes[2 * i + 1] << 8)) : 0;
        int len = opus_encode(enc, pcm, frame, pkt, MAX_PACKET);
        if (len < 0) die("opus_encode failed");
        printf("{\"index\":%ld,\"fs\":%d,\"bitrate\":%d,\"loss\":%d,\"frame_ms\":%s,\"cbr\":%d,"
               "\"packet\":", index, (int)fs, (int)bitrate, loss, frame_arg, cbr);
        put_hex(pkt, len);

        const unsigned char *payload;
        int ext_frame = 0, frame_offset = 0, nb_frames = 0;
        int plen = find_dred(pkt, len, &payload, &ext_frame, &frame_offset, &nb_frames);
        printf(",\"find\":%d,\"nb_frames\":%d", plen, nb_frames);
        header_dump h;
        memset(&h, 0, sizeof(h));
        if (plen > 0) {
            decode_header(payload, plen, &h);
            explain_payload(&h, payload, plen);
            printf(",\"dred\":{\"payload\":");
            put_hex(payload, plen);
            printf(",\"payload_pos\":%ld,\"ext_frame\":%d,\"dred_frame_offset\":%d,\"q0\":%d,"
                   "\"dq\":%d,\"extra_offset_flag\":%d,\"offset_high\":%d,\"offset_low\":%d,"
                   "\"qmax\":%d,\"qmax_coded\":%d,\"nb_chunks\":%d,\"tell_after_header\":%d,"
                   "\"tell_end\":%d,\"levels\":",
                   (long)(payload - pkt), ext_frame, frame_offset, h.q0, h.dq, h.extra_flag,
                   h.offset_high, h.offset_low, h.qmax, h.has_qmax_symbol, h.nb_chunks,
                   h.tell_after_header, h.tell_end);
            put_int_list(h.levels, h.nb_chunks);
            printf(",\"state_q\":");
            put_int_list(h.state_q, DRED_STATE_DIM);
            printf(",\"latents_q\":");
            put_int_list(&h.latents_q[0][0], h.nb_chunks * DRED_LATENT_DIM);
            printf(",\"rebuilt\":");
            put_hex(h.reenc, h.reenc_len);
            printf(",\"hidden_chunks\":%d,\"hidden_latents_q\":", h.hidden);
            put_int_list(&h.latents_q[h.nb_chunks][0], h.hidden > 0 ? h.hidden * DRED_LATENT_DIM : 0);
            printf("}");
        }
        printf(",\"parse\":[");
        for (int k = 0; k < N_MAX_SAMPLES; k++) {
            if (k) putchar(',');
            total_bad += dump_parse(dd, dred, pkt, len, max_samples_list[k], fs, &h);
        }
        printf("]}\n");
        index++;
        if (got < (size_t)frame) break;
    }
    fclose(f);
    free(pcm);
    opus_dred_free(dred);
    opus_dred_decoder_destroy(dd);
    opus_encoder_destroy(enc);
    if (total_bad) {
        fprintf(stderr, "dred_dump: %ld values disagree between libopus' floats and its range decoder\n",
                total_bad);
        return 1;
    }
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int do_ext(void)
{
    static char line[1 << 20];
    static unsigned char data[1 << 19];
    static opus_extension_data exts[1 << 12];
    while (fgets(line, sizeof(line), stdin)) {
        char *p = line;
        int nb_frames = (int)strtol(p, &p, 10);
        while (*p == ' ') p++;
        opus_int32 len = 0;
        while (hexval(p[0]) >= 0 && hexval(p[1]) >= 0 && len < (opus_int32)sizeof(data)) {
            data[len++] = (unsigned char)(hexval(p[0]) << 4 | hexval(p[1]));
            p += 2;
        }
        opus_int32 n = (opus_int32)(sizeof(exts) / sizeof(exts[0]));
        opus_int32 count = opus_packet_extensions_count(data, len, nb_frames);
        opus_int32 ret = opus_packet_extensions_parse(data, len, exts, &n, nb_frames);
        printf("{\"count\":%d,\"ret\":%d,\"exts\":[", (int)count, (int)ret);
        for (opus_int32 i = 0; ret >= 0 && i < n; i++) {
            printf(i ? ",[%d,%d," : "[%d,%d,", exts[i].id, exts[i].frame);
            put_hex(exts[i].data, exts[i].len);
            putchar(']');
        }
        printf("]}\n");
    }
    return 0;
}

/* Reads the hex run at *pp (no leading spaces) into dst, at most cap bytes; returns its length. */
static opus_int32 read_hex(char **pp, unsigned char *dst, opus_int32 cap)
{
    char *p = *pp;
    opus_int32 n = 0;
    while (hexval(p[0]) >= 0 && hexval(p[1]) >= 0 && n < cap) {
        dst[n++] = (unsigned char)(hexval(p[0]) << 4 | hexval(p[1]));
        p += 2;
    }
    *pp = p;
    return n;
}

/* "PAD NEW_LEN NB_EXT [ID FRAME xHEX]... PACKET_HEX" lines (x marks a payload, empty or not): opus_packet_pad_impl (the encoder's
 * DRED attachment and opus_packet_pad) on a copy of the packet; prints its return value and
 * the bytes. */
static int do_pad(void)
{
    static char line[1 << 20];
    static unsigned char data[1 << 17], ext_bytes[1 << 17], pkt[1 << 17];
    static opus_extension_data exts[256];
    while (fgets(line, sizeof(line), stdin)) {
        char *p = line;
        int pad = (int)strtol(p, &p, 10);
        opus_int32 new_len = (opus_int32)strtol(p, &p, 10);
        int n = (int)strtol(p, &p, 10), i;
        opus_int32 used = 0, len, ret;
        if (n < 0 || n > 256 || new_len < 0 || new_len > (opus_int32)sizeof(data)) die("dred_dump pad: bad line");
        for (i = 0; i < n; i++) {
            exts[i].id = (int)strtol(p, &p, 10);
            exts[i].frame = (int)strtol(p, &p, 10);
            exts[i].data = ext_bytes + used;
            while (*p == ' ') p++;
            if (*p++ != 'x') die("dred_dump pad: extension payloads are written x<hex>");
            exts[i].len = read_hex(&p, ext_bytes + used, (opus_int32)sizeof(ext_bytes) - used);
            used += exts[i].len;
        }
        while (*p == ' ') p++;
        len = read_hex(&p, pkt, (opus_int32)sizeof(pkt));
        memset(data, 0xEE, sizeof(data));
        memcpy(data, pkt, (size_t)len);
        ret = opus_packet_pad_impl(data, len, new_len, pad, exts, n);
        printf("{\"ret\":%d,\"out\":", (int)ret);
        put_hex(data, ret > 0 ? ret : 0);
        printf("}\n");
    }
    return 0;
}

static int do_features(void)
{
    static char line[1 << 20];
    static unsigned char pkt[1 << 17];
    int err;
    OpusDREDDecoder *dd = opus_dred_decoder_create(&err);
    if (err != OPUS_OK) die("opus_dred_decoder_create failed");
    OpusDRED *dred = opus_dred_alloc(&err);
    if (err != OPUS_OK) die("opus_dred_alloc failed");
    while (fgets(line, sizeof(line), stdin)) {
        char *p = line;
        opus_int32 max_samples = (opus_int32)strtol(p, &p, 10), fs = (opus_int32)strtol(p, &p, 10);
        opus_int32 len, dred_end = 0;
        while (*p == ' ') p++;
        len = read_hex(&p, pkt, (opus_int32)sizeof(pkt));
        memset(dred, 0, sizeof(*dred));
        int ret = opus_dred_parse(dd, dred, pkt, len, max_samples, fs, &dred_end, 0);
        int nb = ret >= 0 ? dred->nb_latents : 0;
        printf("{\"ret\":%d,\"nb_latents\":%d,\"features\":", ret, nb);
        put_f32_hex(dred->fec_features, 4 * nb * DRED_NUM_FEATURES);
        printf("}\n");
    }
    opus_dred_free(dred);
    opus_dred_decoder_destroy(dd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "encode")) return do_encode(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "ext")) return do_ext();
    if (argc >= 2 && !strcmp(argv[1], "pad")) return do_pad();
    if (argc >= 2 && !strcmp(argv[1], "features")) return do_features();
    die("usage: dred_dump encode [options] IN.raw | dred_dump ext|pad|features < LINES");
    return 2;
}
