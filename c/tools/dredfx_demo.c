/* dredfx-demo: the modes and file formats of libopus 1.6.1's dnn/fargan_demo.c, on dredfx's
 * fixed-point layers, so that libopus' own scripts can run with FARGAN_DEMO pointing here.
 *
 *   dredfx-demo [--weights BLOB] -dred-decoding in.bit out.f32
 *   dredfx-demo [--weights BLOB] -features in.s16 out.f32
 *   dredfx-demo [--weights BLOB] -fargan-synthesis in.f32 out.s16
 *
 * -dred-decoding reads records of libopus' tests/dred_vectors.sh: big-endian u32 q0, nb_chunks,
 * nb_bytes, then nb_bytes of range-coded data: the initial state, then nb_chunks / 2 latents, all
 * at the constant level q0 (no payload header). Each record gives 2 * nb_chunks feature frames,
 * oldest first, as fargan_demo writes them (libopus' fec_features order reversed).
 * -features reads 16 kHz mono s16 PCM and writes one row per complete 160-sample frame.
 * Output rows are 20 little-endian float32 features (the Q16 integers / 65536, exact).
 * -fargan-synthesis reads such rows (n whole rows; a trailing partial row is ignored, as
 * fargan_demo does) and writes 16 kHz mono s16 speech framed as fargan_demo frames it: fargan_cont
 * on 320 zeros with row 0 five times, then rows 1 .. n-1 and row n-1 twice more, the first 80
 * samples dropped, 160 n samples in all (dredfx.fargan.synthesize). Features become Q16 rounded
 * half away from zero, saturated to +-(2^31 - 1); a NaN or Inf is an input error. fargan_demo
 * reads uninitialised memory for n < 2: here row 0 stands in for n = 1, and n = 0 writes nothing.
 * The weights blob comes from --weights or $DREDFX_WEIGHTS. Exit status: 0 done, 1 an input,
 * output or weights error (message on stderr), 2 a usage error. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dredfx.h>

#define MAX_WEIGHT_ARRAYS 4096
#define NB_FEATURES DREDFX_DRED_NUM_FEATURES
#define LATENT_STRIDE DREDFX_RDOVAE_LATENT_STRIDE
/* fargan_demo's record size limit. */
#define MAX_RECORD_BYTES 100000

static int fail(const char *fmt, const char *arg) {
  fprintf(stderr, "dredfx-demo: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  return 1;
}

static unsigned char *read_blob(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  long n;
  if (!f)
    return NULL;
  if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
    /* 64-byte aligned: the layers read the arrays in place. */
    buf = aligned_alloc(64, ((size_t)n + 63) & ~(size_t)63);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    }
    *len = (size_t)n;
  }
  fclose(f);
  return buf;
}

static int write_rows(FILE *out, const int32_t *rows_q16, int nb_rows, int reversed) {
  unsigned char buf[4 * NB_FEATURES];
  for (int r = 0; r < nb_rows; r++) {
    const int32_t *row = rows_q16 + (size_t)(reversed ? nb_rows - 1 - r : r) * NB_FEATURES;
    for (int k = 0; k < NB_FEATURES; k++) {
      float v = (float)row[k] / 65536.0f;
      uint32_t u;
      memcpy(&u, &v, 4);
      for (int b = 0; b < 4; b++)
        buf[4 * k + b] = (unsigned char)(u >> (8 * b));
    }
    if (fwrite(buf, sizeof(buf), 1, out) != 1)
      return -1;
  }
  return 0;
}

/* 1 with a whole field, 0 at a clean end of file, -1 for a truncated one. */
static int read_be32(FILE *in, uint32_t *v) {
  unsigned char c[4];
  size_t n = fread(c, 1, 4, in);
  if (n == 0)
    return 0;
  if (n != 4)
    return -1;
  *v = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
  return 1;
}

static void decode_values(dredfx_ec *ec, int32_t *q, const uint8_t *r_q8, const uint8_t *p0_q8, int dim) {
  for (int k = 0; k < dim; k++)
    q[k] = r_q8[k] == 0 || p0_q8[k] == 255
               ? 0
               : dredfx_ec_laplace_decode_p0(ec, (uint16_t)(p0_q8[k] << 7), (uint16_t)(r_q8[k] << 7));
}

static int dred_decoding(FILE *in, FILE *out, const dredfx_weight_array *arrays, int n) {
  static dredfx_dred_payload p;
  static unsigned char bits[MAX_RECORD_BYTES];
  static int32_t state_q16[DREDFX_DRED_STATE_DIM];
  static int32_t latents_q16[DREDFX_DRED_MAX_LATENTS * LATENT_STRIDE];
  static int32_t features_q16[DREDFX_DRED_MAX_FRAMES * NB_FEATURES];
  dredfx_dred_stats stats;
  dredfx_rdovae_dec *dec = aligned_alloc(64, (dredfx_rdovae_dec_get_size() + 63) & ~(size_t)63);
  int rc = dec ? dredfx_dred_stats_init(&stats, arrays, n) : DREDFX_ERR_INTERNAL;
  if (rc >= 0)
    rc = dredfx_rdovae_dec_init(dec, arrays, n);
  if (rc < 0) {
    free(dec);
    return fail("%s", dredfx_strerror(rc));
  }
  rc = 0;
  for (long record = 0;; record++) {
    uint32_t q0, nb_chunks, nb_bytes;
    dredfx_ec ec;
    int got = read_be32(in, &q0);
    char where[64];
    snprintf(where, sizeof(where), "%ld", record);
    if (got == 0)
      break;
    if (got < 0 || read_be32(in, &nb_chunks) != 1 || read_be32(in, &nb_bytes) != 1)
      rc = fail("record %s: truncated header", where);
    else if (q0 >= DREDFX_DRED_NUM_LEVELS)
      rc = fail("record %s: q0 must be below 16", where);
    else if (nb_chunks % 2 || nb_chunks > 2 * DREDFX_DRED_MAX_LATENTS)
      rc = fail("record %s: nb_chunks must be even and at most 52", where);
    else if (nb_bytes > MAX_RECORD_BYTES)
      rc = fail("record %s: more than 100000 bytes", where);
    else if (fread(bits, 1, nb_bytes, in) != nb_bytes)
      rc = fail("record %s: truncated data", where);
    if (rc)
      break;
    /* A constant level: dQ = 0 keeps every chunk at q0. */
    memset(&p, 0, sizeof(p));
    p.q0 = p.qmax = (int)q0;
    p.nb_latents = (int)nb_chunks / 2;
    dredfx_ec_dec_init(&ec, bits, nb_bytes);
    decode_values(&ec, p.state, stats.state_r_q8 + q0 * DREDFX_DRED_STATE_DIM,
                  stats.state_p0_q8 + q0 * DREDFX_DRED_STATE_DIM, DREDFX_DRED_STATE_DIM);
    for (int c = 0; c < p.nb_latents; c++)
      decode_values(&ec, p.latents[c], stats.latent_r_q8 + q0 * DREDFX_DRED_LATENT_DIM,
                    stats.latent_p0_q8 + q0 * DREDFX_DRED_LATENT_DIM, DREDFX_DRED_LATENT_DIM);
    rc = dredfx_dred_dequantize(&p, &stats, state_q16, latents_q16);
    if (rc >= 0)
      rc = dredfx_rdovae_decode_all(dec, state_q16, latents_q16, p.nb_latents, features_q16);
    if (rc < 0) {
      rc = fail("decode: %s", dredfx_strerror(rc));
      break;
    }
    rc = 0;
    if (write_rows(out, features_q16, 4 * p.nb_latents, 1) < 0) {
      rc = fail("%s", "write error");
      break;
    }
  }
  free(dec);
  return rc;
}

static int features(FILE *in, FILE *out, const dredfx_weight_array *arrays, int n) {
  static int16_t pcm[DREDFX_ANALYSIS_FRAME];
  int32_t row_q16[NB_FEATURES];
  dredfx_analysis *st = aligned_alloc(64, (dredfx_analysis_get_size() + 63) & ~(size_t)63);
  int rc = st ? dredfx_analysis_init(st, arrays, n) : DREDFX_ERR_INTERNAL;
  if (rc < 0) {
    free(st);
    return fail("%s", dredfx_strerror(rc));
  }
  /* fargan_demo stops at the first incomplete frame. */
  while (fread(pcm, sizeof(pcm), 1, in) == 1) {
    for (int i = 0; i < DREDFX_ANALYSIS_FRAME; i++) {
      const unsigned char *b = (const unsigned char *)&pcm[i];
      pcm[i] = (int16_t)(b[0] | b[1] << 8);
    }
    rc = dredfx_analysis_process(st, pcm, DREDFX_ANALYSIS_FRAME, row_q16, 1);
    if (rc < 0 || (rc == 1 && write_rows(out, row_q16, 1, 0) < 0)) {
      free(st);
      return fail("%s", rc < 0 ? dredfx_strerror(rc) : "write error");
    }
  }
  free(st);
  return 0;
}

/* Float feature -> Q16 as dredfx.fargan.features_to_q16 (the same double operations); 0 on NaN/Inf. */
static int feature_q16(float f, int32_t *q) {
  const double v = (double)f * 65536.0, a = (v < 0 ? -v : v) + 0.5;
  int32_t m;
  if (!isfinite(f))
    return 0;
  m = a >= 2147483647.0 ? INT32_MAX : (int32_t)a; /* truncation: floor(|v| + 0.5) */
  *q = v < 0 ? -m : m;
  return 1;
}

/* 1 with a whole row of 20 little-endian float32 features in Q16, 0 at the end (a partial row
 * included), -1 for a NaN or Inf. */
static int read_row(FILE *in, int32_t *row_q16) {
  unsigned char buf[4 * NB_FEATURES];
  if (fread(buf, sizeof(buf), 1, in) != 1)
    return 0;
  for (int k = 0; k < NB_FEATURES; k++) {
    uint32_t u = (uint32_t)buf[4 * k] | (uint32_t)buf[4 * k + 1] << 8 | (uint32_t)buf[4 * k + 2] << 16 |
                 (uint32_t)buf[4 * k + 3] << 24;
    float f;
    memcpy(&f, &u, 4);
    if (!feature_q16(f, &row_q16[k]))
      return -1;
  }
  return 1;
}

static int write_pcm(FILE *out, const int16_t *pcm, int n) {
  unsigned char buf[2 * DREDFX_FARGAN_FRAME_SIZE];
  for (int i = 0; i < n; i++) {
    buf[2 * i] = (unsigned char)((uint16_t)pcm[i] & 0xFF);
    buf[2 * i + 1] = (unsigned char)((uint16_t)pcm[i] >> 8);
  }
  return fwrite(buf, 2, (size_t)n, out) == (size_t)n ? 0 : -1;
}

static int fargan_synthesis(FILE *in, FILE *out, const dredfx_weight_array *arrays, int n) {
  static const int16_t zeros[DREDFX_FARGAN_CONT_SAMPLES];
  int32_t cont_q16[DREDFX_FARGAN_CONT_FRAMES * NB_FEATURES], row_q16[NB_FEATURES];
  int16_t pcm[DREDFX_FARGAN_FRAME_SIZE];
  int skip = DREDFX_FARGAN_FRAME_SIZE / 2, stop = 0, got, rc;
  long frame = 0;
  char where[32];
  dredfx_fargan *st = aligned_alloc(64, (dredfx_fargan_get_size() + 63) & ~(size_t)63);
  rc = st ? dredfx_fargan_init(st, arrays, n) : DREDFX_ERR_INTERNAL;
  if (rc < 0) {
    free(st);
    return fail("%s", dredfx_strerror(rc));
  }
  got = read_row(in, row_q16);
  for (int i = 0; got > 0 && i < DREDFX_FARGAN_CONT_FRAMES; i++)
    memcpy(&cont_q16[i * NB_FEATURES], row_q16, sizeof(row_q16));
  rc = got > 0 ? dredfx_fargan_cont(st, zeros, cont_q16) : 0;
  while (got > 0 && rc >= 0) {
    const int r = stop ? 0 : read_row(in, row_q16);
    frame++;
    if (r < 0) {
      got = r;
      break;
    }
    stop += r == 0;
    if ((rc = dredfx_fargan_synthesize_int16(st, pcm, row_q16)) < 0)
      break;
    if (write_pcm(out, pcm + skip, stop == 2 ? DREDFX_FARGAN_FRAME_SIZE / 2 : DREDFX_FARGAN_FRAME_SIZE - skip) < 0) {
      free(st);
      return fail("%s", "write error");
    }
    if (stop == 2)
      break;
    skip = 0;
  }
  free(st);
  snprintf(where, sizeof(where), "%ld", frame);
  if (got < 0)
    return fail("frame %s: NaN or Inf feature", where);
  return rc < 0 ? fail("%s", dredfx_strerror(rc)) : 0;
}

int main(int argc, char **argv) {
  static dredfx_weight_array arrays[MAX_WEIGHT_ARRAYS];
  const char *weights = getenv("DREDFX_WEIGHTS");
  unsigned char *blob;
  size_t len = 0;
  FILE *in, *out;
  int i = 1, n, rc;
  if (argc > 2 && !strcmp(argv[1], "--weights")) {
    weights = argv[2];
    i = 3;
  }
  if (argc - i != 3 ||
      (strcmp(argv[i], "-dred-decoding") && strcmp(argv[i], "-features") && strcmp(argv[i], "-fargan-synthesis"))) {
    fprintf(stderr, "usage: %s [--weights BLOB] -dred-decoding <input.bit> <features.f32>\n"
                    "       %s [--weights BLOB] -features <input.pcm> <features.f32>\n"
                    "       %s [--weights BLOB] -fargan-synthesis <features.f32> <output.pcm>\n"
                    "The weights blob comes from --weights or DREDFX_WEIGHTS.\n",
            argv[0], argv[0], argv[0]);
    return 2;
  }
  if (!weights || !*weights)
    return fail("%s", "no weights blob: give --weights BLOB or set DREDFX_WEIGHTS "
                      "(python -m dredfx weights info shows the imported one)");
  blob = read_blob(weights, &len);
  if (!blob)
    return fail("cannot read the weights blob %s", weights);
  n = dredfx_weights_parse(blob, len, arrays, MAX_WEIGHT_ARRAYS);
  if (n < 0) {
    free(blob);
    return fail("%s", dredfx_strerror(n));
  }
  in = fopen(argv[i + 1], "rb");
  if (!in) {
    free(blob);
    return fail("cannot open %s", argv[i + 1]);
  }
  out = fopen(argv[i + 2], "wb");
  if (!out) {
    fclose(in);
    free(blob);
    return fail("cannot create %s", argv[i + 2]);
  }
  if (!strcmp(argv[i], "-features"))
    rc = features(in, out, arrays, n);
  else if (!strcmp(argv[i], "-fargan-synthesis"))
    rc = fargan_synthesis(in, out, arrays, n);
  else
    rc = dred_decoding(in, out, arrays, n);
  if (fclose(out) && !rc)
    rc = fail("write error on %s", argv[i + 2]);
  fclose(in);
  free(blob);
  return rc;
}
