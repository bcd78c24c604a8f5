/* dredfx-vectors-check: verifies a dredfx conformance vector set (docs/conformance.md) with the
 * C library alone, no Python, so that it runs on the target CPU itself (cross builds under qemu).
 *
 *   dredfx-vectors-check [--weights BLOB] [--skip-without-weights] [--quiet] DIR
 *
 * Checks every file against its SHA-256 in DIR/manifest.txt, every input frame against its MD5,
 * and every stage recomputed from its input against the expected record and its MD5; a mismatch
 * names the set, the frame and the first field that differs. The weights blob comes from
 * --weights or $DREDFX_WEIGHTS. Exit status: 0 all checked and equal, 1 a mismatch, 2 a usage,
 * manifest or weights error, 77 no weights file with --skip-without-weights (ctest's skip).
 *
 * Adding a layer: an op in run_op (input parameters, the library call) and its stages in
 * stage_run; an unknown op or stage fails the check rather than being skipped. A stateful op
 * (fargan, plc, opus-receive) runs its records in order on one state; a mismatch names the first
 * frame of its run that differs, and the later frames of that run are counted in one line.
 * Layer 3 (opus-receive) needs dredfx-opus: built with DREDFX_OPUS, the checker links it
 * (DREDFX_VECTORS_OPUS); without it, it prints that those sets were SKIPPED and why. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dredfx.h>
#ifdef DREDFX_VECTORS_OPUS
#include <dredfx_opus.h>
#include <opus.h>
#endif

#define MAX_SETS 64
#define MAX_STAGES 8
#define MAX_FILES (MAX_SETS * (MAX_STAGES + 1))
#define MAX_WEIGHT_ARRAYS 4096
#define LATENT_STRIDE (DREDFX_DRED_LATENT_DIM + 1)
/* opus-receive (layer 3): the most samples one slot gives, 120 ms at 48 kHz in stereo. */
#define RX_MAX_SAMPLES (2 * 48000 * 120 / 1000)
/* The largest record a stage writes: features of 26 chunks, or a receiver slot's samples. */
#define MAX_FEATURES_OUT (4 * DREDFX_DRED_MAX_FRAMES * DREDFX_DRED_NUM_FEATURES)
#define MAX_OUT (MAX_FEATURES_OUT > 4 + 2 * RX_MAX_SAMPLES ? MAX_FEATURES_OUT : 4 + 2 * RX_MAX_SAMPLES)
#define NF DREDFX_DRED_NUM_FEATURES
/* fargan input records: int32 kind, then cont: int16 pcm[320], int32 features[5][20] (Q16);
 * synth: int32 features[20]. */
#define FARGAN_CONT 0
#define FARGAN_SYNTH 1
#define FARGAN_CONT_BYTES (4 + 2 * DREDFX_FARGAN_CONT_SAMPLES + 4 * DREDFX_FARGAN_CONT_FRAMES * NF)
#define FARGAN_SYNTH_BYTES (4 + 4 * NF)
/* plc input records: int32 kind, then update: int16 pcm[160]; fec_add: int32 features[20] (Q16). */
enum { PLC_INIT, PLC_UPDATE, PLC_CONCEAL, PLC_FEC_ADD, PLC_FEC_SKIP, PLC_FEC_CLEAR };
/* opus-receive input records: int32 kind, then init: int32 sampling_rate, channels (a new run);
 * packet: its bytes; lost: int32 frame_size (samples per channel). */
enum { RX_INIT, RX_PACKET, RX_LOST };

/* ---------------------------------------------------------------- SHA-256 (FIPS 180-4) */
typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t n;
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
    0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
    0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
    0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u
};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha256_block(sha256_ctx *c, const unsigned char *p) {
  uint32_t w[64], s[8];
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(s, c->h, sizeof(s));
  for (i = 0; i < 64; i++) {
    uint32_t t1 = s[7] + (rotr(s[4], 6) ^ rotr(s[4], 11) ^ rotr(s[4], 25)) +
                  ((s[4] & s[5]) ^ (~s[4] & s[6])) + sha256_k[i] + w[i];
    uint32_t t2 = (rotr(s[0], 2) ^ rotr(s[0], 13) ^ rotr(s[0], 22)) +
                  ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    memmove(s + 1, s, 7 * sizeof(s[0]));
    s[4] += t1;
    s[0] = t1 + t2;
  }
  for (i = 0; i < 8; i++)
    c->h[i] += s[i];
}

static void sha256_hex(const unsigned char *data, size_t len, char out[65]) {
  static const uint32_t h0[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu,
    0x1f83d9abu, 0x5be0cd19u
  };
  sha256_ctx c;
  unsigned char tail[128];
  size_t i, rest = len % 64, pad = rest < 56 ? 64 : 128;
  memcpy(c.h, h0, sizeof(h0));
  for (i = 0; i + 64 <= len; i += 64)
    sha256_block(&c, data + i);
  memset(tail, 0, sizeof(tail));
  memcpy(tail, data + len - rest, rest);
  tail[rest] = 0x80;
  for (i = 0; i < 8; i++)
    tail[pad - 1 - i] = (unsigned char)(((uint64_t)len * 8) >> (8 * i));
  for (i = 0; i < pad; i += 64)
    sha256_block(&c, tail + i);
  for (i = 0; i < 32; i++)
    sprintf(out + 2 * i, "%02x", (unsigned)(c.h[i / 4] >> (24 - 8 * (i % 4))) & 255);
}

/* ---------------------------------------------------------------- MD5 (RFC 1321) */
static const uint32_t md5_k[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu, 0xf57c0fafu, 0x4787c62au,
    0xa8304613u, 0xfd469501u, 0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u, 0xf61e2562u, 0xc040b340u,
    0x265e5a51u, 0xe9b6c7aau, 0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu, 0xa9e3e905u, 0xfcefa3f8u,
    0x676f02d9u, 0x8d2a4c8au, 0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u, 0x289b7ec6u, 0xeaa127fau,
    0xd4ef3085u, 0x04881d05u, 0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u, 0x655b59c3u, 0x8f0ccc92u,
    0xffeff47du, 0x85845dd1u, 0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u
};
static const unsigned char md5_r[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static void md5_block(uint32_t h[4], const unsigned char *p) {
  uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
  int i;
  for (i = 0; i < 16; i++)
    w[i] = p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
  for (i = 0; i < 64; i++) {
    uint32_t f, t;
    int g;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    t = d;
    d = c;
    c = b;
    b += rotl(a + f + md5_k[i] + w[g], md5_r[(i / 16) * 4 + i % 4]);
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

static void md5_hex(const unsigned char *data, size_t len, char out[33]) {
  uint32_t h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
  unsigned char tail[128];
  size_t i, rest = len % 64, pad = rest < 56 ? 64 : 128;
  for (i = 0; i + 64 <= len; i += 64)
    md5_block(h, data + i);
  memset(tail, 0, sizeof(tail));
  if (rest)
    memcpy(tail, data + len - rest, rest);
  tail[rest] = 0x80;
  for (i = 0; i < 8; i++)
    tail[pad - 8 + i] = (unsigned char)(((uint64_t)len * 8) >> (8 * i));
  for (i = 0; i < pad; i += 64)
    md5_block(h, tail + i);
  for (i = 0; i < 16; i++)
    sprintf(out + 2 * i, "%02x", (unsigned)(h[i / 4] >> (8 * (i % 4))) & 255);
}

/* ---------------------------------------------------------------- files */
static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf;
  long n;
  if (!f)
    return NULL;
  if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    return NULL;
  }
  /* 64-byte aligned and NUL-terminated: the weights loader and the manifest parser want both. */
  buf = aligned_alloc(64, ((size_t)n + 64) & ~(size_t)63);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = 0;
    *len = (size_t)n;
  }
  return buf;
}

static uint32_t rd32(const unsigned char *p) {
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t rd_i32(const unsigned char *p) {
  uint32_t u = rd32(p);
  return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) - INT32_MAX - 1;
}

static int16_t rd_i16(const unsigned char *p) {
  unsigned u = p[0] | (unsigned)p[1] << 8;
  return u <= 32767 ? (int16_t)u : (int16_t)((int)u - 65536);
}

static unsigned char *wr_i32(unsigned char *p, int32_t v) {
  uint32_t u = (uint32_t)v;
  p[0] = (unsigned char)u;
  p[1] = (unsigned char)(u >> 8);
  p[2] = (unsigned char)(u >> 16);
  p[3] = (unsigned char)(u >> 24);
  return p + 4;
}

/* A record file: "DFXVREC1", u32 count, u32 0, then per record u32 length and the body. */
typedef struct {
  unsigned char *data;
  uint32_t n;
  const unsigned char **rec;
  uint32_t *len;
} records;

static int records_load(const char *dir, const char *name, records *r) {
  char path[4096];
  size_t size, pos = 16;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  memset(r, 0, sizeof(*r));
  r->data = read_all(path, &size);
  if (!r->data || size < 16 || memcmp(r->data, "DFXVREC1", 8) || rd32(r->data + 12))
    return -1;
  r->n = rd32(r->data + 8);
  if (r->n > size / 4)
    return -1;
  r->rec = calloc(r->n + 1, sizeof(*r->rec));
  r->len = calloc(r->n + 1, sizeof(*r->len));
  if (!r->rec || !r->len)
    return -1;
  for (uint32_t i = 0; i < r->n; i++) {
    if (size - pos < 4 || size - pos - 4 < rd32(r->data + pos))
      return -1;
    r->len[i] = rd32(r->data + pos);
    r->rec[i] = r->data + pos + 4;
    pos += 4 + (size_t)r->len[i];
  }
  return pos == size ? 0 : -1;
}

static void records_free(records *r) {
  free(r->data);
  free(r->rec);
  free(r->len);
}

/* ---------------------------------------------------------------- manifest */
typedef struct {
  const char *name, *sha;
  long long size;     /* -1: no file line */
  int nframes;
  const char **md5, **label;
} mfile;

typedef struct {
  const char *stage, *mode, *file;
} mstage;

typedef struct {
  const char *name, *op, *input;
  int layer, nframes, nstages;
  mstage stages[MAX_STAGES];
} mset;

typedef struct {
  const char *format, *dredfx, *libopus, *weights;
  mset sets[MAX_SETS];
  int nsets;
  mfile files[MAX_FILES];
  int nfiles;
} manifest;

static int failures;
static int skipped_sets;   /* sets this build cannot check (layer 3 without dredfx-opus) */

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  failures++;
}

static mfile *file_entry(manifest *m, const char *name) {
  for (int i = 0; i < m->nfiles; i++)
    if (!strcmp(m->files[i].name, name))
      return &m->files[i];
  if (m->nfiles == MAX_FILES)
    return NULL;
  m->files[m->nfiles] = (mfile){name, NULL, -1, 0, NULL, NULL};
  return &m->files[m->nfiles++];
}

static int frame_entry(mfile *f, long index, const char *md5, const char *label) {
  if (index < 0 || index > 10000000)
    return -1;
  if (index >= f->nframes) {
    int n = (int)index + 1;
    const char **a = realloc(f->md5, n * sizeof(*a)), **b;
    if (!a)
      return -1;
    f->md5 = a;
    b = realloc(f->label, n * sizeof(*b));
    if (!b)
      return -1;
    f->label = b;
    for (int i = f->nframes; i < n; i++)
      f->md5[i] = f->label[i] = "";
    f->nframes = n;
  }
  f->md5[index] = md5;
  f->label[index] = label;
  return 0;
}

static int is_num(const char *s) {
  if (*s == '-')
    s++;
  if (!*s)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

/* Parses the manifest text in place (tokens point into it). Returns 0 or prints why not. */
static int manifest_parse(char *text, manifest *m, const char *path) {
  int lineno = 0;
  char *line = text, *next;
  memset(m, 0, sizeof(*m));
  for (; line; line = next) {
    char *t[8];
    int n = 0;
    char *p = line;
    next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    lineno++;
    while (*p && n < 8) {
      while (*p == ' ' || *p == '\t' || *p == '\r')
        *p++ = 0;
      if (!*p)
        break;
      t[n++] = p;
      while (*p && *p != ' ' && *p != '\t' && *p != '\r')
        p++;
    }
    if (n == 0 || t[0][0] == '#')
      continue;
    if (n == 2 && !strcmp(t[0], "dredfx-vectors"))
      m->format = t[1];
    else if (n == 2 && !strcmp(t[0], "dredfx"))
      m->dredfx = t[1];
    else if (n == 2 && !strcmp(t[0], "libopus"))
      m->libopus = t[1];
    else if (n == 2 && !strcmp(t[0], "weights"))
      m->weights = t[1];
    else if (n == 6 && !strcmp(t[0], "set") && is_num(t[2]) && is_num(t[5]) && m->nsets < MAX_SETS)
      m->sets[m->nsets++] = (mset){t[1], t[3], t[4], atoi(t[2]), atoi(t[5]), 0, {{0}}};
    else if (n == 5 && !strcmp(t[0], "stage")) {
      mset *s = NULL;
      for (int i = 0; i < m->nsets; i++)
        if (!strcmp(m->sets[i].name, t[1]))
          s = &m->sets[i];
      if (!s || s->nstages == MAX_STAGES)
        goto bad;
      s->stages[s->nstages++] = (mstage){t[2], t[3], t[4]};
    } else if (n == 4 && !strcmp(t[0], "file") && is_num(t[2]) && strlen(t[3]) == 64) {
      mfile *f = file_entry(m, t[1]);
      if (!f)
        goto bad;
      f->size = atoll(t[2]);
      f->sha = t[3];
    } else if ((n == 4 || n == 5) && !strcmp(t[0], "frame") && is_num(t[2]) && strlen(t[3]) == 32) {
      mfile *f = file_entry(m, t[1]);
      if (!f || frame_entry(f, atol(t[2]), t[3], n == 5 ? t[4] : "") < 0)
        goto bad;
    } else
      goto bad;
    continue;
  bad:
    printf("error: %s:%d: bad or unknown line\n", path, lineno);
    return -1;
  }
  if (!m->format || strcmp(m->format, "1")) {
    printf("error: %s: not a dredfx-vectors 1 manifest\n", path);
    return -1;
  }
  for (int i = 0; i < m->nfiles; i++)
    if (m->files[i].size < 0) {
      printf("error: %s: frames listed for %s, which has no file line\n", path, m->files[i].name);
      return -1;
    }
  return 0;
}

/* ---------------------------------------------------------------- ops and stages */
typedef struct {
  int status;  /* the call's return value: an error code when negative */
  int found;   /* a DRED extension was found (dred-parse), always 1 otherwise */
  int32_t dred_end;
  dredfx_dred_payload p;
  int npcm;    /* fargan, plc, opus-receive: samples in pcm (0 but where a call gave samples) */
  int16_t pcm[RX_MAX_SAMPLES];
} result;

/* What the ops need: the DRED statistics tables, the parsed weights, a vocoder state. */
typedef struct {
  dredfx_dred_stats st;
  const dredfx_weight_array *arrays;
  int narrays;
  dredfx_fargan *fargan;
  dredfx_plc *plc;
  dredfx_rdovae_dec *rdovae;
  const records *in;   /* the set's input records (opus-receive looks ahead to the next packet) */
  int index;           /* the record being run */
#ifdef DREDFX_VECTORS_OPUS
  OpusDecoder *dec;
  OpusDREDDecoder *dred_dec;
  OpusDRED *dred;
  int32_t rate, channels;
  int dred_for, dred_ok;   /* the record whose packet dred holds (-1: none); whether it is usable */
#endif
} context;

/* The fargan op: cont starts a fresh state (dredfx_fargan_init) and continues it; synth
 * synthesizes one frame (the library refuses it before any cont). */
static int run_fargan(const unsigned char *body, uint32_t len, context *cx, result *r) {
  int32_t f[DREDFX_FARGAN_CONT_FRAMES * NF];
  int16_t pcm[DREDFX_FARGAN_CONT_SAMPLES];
  int32_t kind;
  int k;
  if (len < 4)
    return -1;
  kind = rd_i32(body);
  if (kind == FARGAN_CONT && len == FARGAN_CONT_BYTES) {
    for (k = 0; k < DREDFX_FARGAN_CONT_SAMPLES; k++)
      pcm[k] = rd_i16(body + 4 + 2 * k);
    for (k = 0; k < DREDFX_FARGAN_CONT_FRAMES * NF; k++)
      f[k] = rd_i32(body + 4 + 2 * DREDFX_FARGAN_CONT_SAMPLES + 4 * k);
    r->status = dredfx_fargan_init(cx->fargan, cx->arrays, cx->narrays);
    if (r->status >= 0)
      r->status = dredfx_fargan_cont(cx->fargan, pcm, f);
  } else if (kind == FARGAN_SYNTH && len == FARGAN_SYNTH_BYTES) {
    for (k = 0; k < NF; k++)
      f[k] = rd_i32(body + 4 + 4 * k);
    r->status = dredfx_fargan_synthesize_int16(cx->fargan, r->pcm, f);
    r->npcm = r->status >= 0 ? DREDFX_FARGAN_FRAME_SIZE : 0;
  } else {
    return -1;
  }
  r->found = 1;
  return 0;
}

/* The plc op: init starts a fresh state (a new run); the others are libopus' lpcnet_plc_* calls. */
static int run_plc(const unsigned char *body, uint32_t len, context *cx, result *r) {
  int32_t kind, f[NF];
  int16_t pcm[DREDFX_PLC_FRAME_SIZE];
  int k;
  if (len < 4)
    return -1;
  kind = rd_i32(body);
  if (len != (kind == PLC_UPDATE ? 4 + 2 * DREDFX_PLC_FRAME_SIZE : kind == PLC_FEC_ADD ? 4 + 4 * NF : 4) ||
      kind < PLC_INIT || kind > PLC_FEC_CLEAR)
    return -1;
  r->found = 1;
  switch (kind) {
  case PLC_INIT:
    r->status = dredfx_plc_init(cx->plc, cx->arrays, cx->narrays);
    break;
  case PLC_UPDATE:
    for (k = 0; k < DREDFX_PLC_FRAME_SIZE; k++)
      pcm[k] = rd_i16(body + 4 + 2 * k);
    r->status = dredfx_plc_update(cx->plc, pcm);
    break;
  case PLC_CONCEAL:
    r->status = dredfx_plc_conceal(cx->plc, r->pcm);
    r->npcm = r->status >= 0 ? DREDFX_PLC_FRAME_SIZE : 0;
    break;
  case PLC_FEC_ADD:
    for (k = 0; k < NF; k++)
      f[k] = rd_i32(body + 4 + 4 * k);
    r->status = dredfx_plc_fec_add(cx->plc, f);
    break;
  case PLC_FEC_SKIP:
    r->status = dredfx_plc_fec_add(cx->plc, NULL);
    break;
  default:
    dredfx_plc_fec_clear(cx->plc);
    r->status = 0;
  }
  return 0;
}

#ifdef DREDFX_VECTORS_OPUS
/* The opus-receive op (docs/conformance.md, "Layer 3: the receiver"): init makes a new decoder
 * (complexity 5) and a new DRED state; a packet is decoded with 120 ms of room; a lost slot takes
 * DRED from the next packet of the run (parsed once per gap with max_dred_samples = min(rate, the
 * gap's samples); opus_decoder_dred_decode at the offset from the slot's start to that packet),
 * or the PLC (opus_decode with no packet) when no packet follows or its parse gives no samples. */
/* What record i is to the procedure: RX_INIT (a well-formed init), RX_PACKET, RX_LOST (within
 * 1 .. 120 ms), or -1 for a record that does not fit (the procedure goes on without it, as
 * dredfx.vectors.rx_runs drops it). */
static int rx_slot(const context *cx, int i) {
  const unsigned char *b = cx->in->rec[i];
  const uint32_t len = cx->in->len[i];
  const int32_t kind = len >= 4 ? rd_i32(b) : -1;
  if (kind == RX_INIT && len == 12)
    return RX_INIT;
  if (cx->rate <= 0)
    return -1;
  if (kind == RX_PACKET && len > 4)
    return RX_PACKET;
  if (kind == RX_LOST && len == 8 && rd_i32(b + 4) > 0 && rd_i32(b + 4) <= (int64_t)cx->rate * 120 / 1000)
    return RX_LOST;
  return -1;
}

static int32_t rx_frame(const context *cx, int i) {
  return rx_slot(cx, i) == RX_LOST ? rd_i32(cx->in->rec[i] + 4) : 0;
}

static void rx_free(context *cx) {
  if (cx->dec)
    opus_decoder_destroy(cx->dec);
  if (cx->dred_dec)
    opus_dred_decoder_destroy(cx->dred_dec);
  if (cx->dred)
    opus_dred_free(cx->dred);
  cx->dec = NULL;
  cx->dred_dec = NULL;
  cx->dred = NULL;
}

static int run_receive(const unsigned char *body, uint32_t len, context *cx, result *r) {
  const int i = cx->index, n_in = (int)cx->in->n;
  int32_t n;
  int err = OPUS_OK, kind;
  r->found = 1;
  if (len == 12 && rd_i32(body) == RX_INIT) {
    rx_free(cx);
    cx->rate = rd_i32(body + 4);
    cx->channels = rd_i32(body + 8);
    cx->dred_for = -1;
    cx->dec = opus_decoder_create(cx->rate, cx->channels, &err);
    if (err == OPUS_OK)
      err = opus_decoder_ctl(cx->dec, OPUS_SET_COMPLEXITY(5));
    if (err == OPUS_OK)
      cx->dred_dec = opus_dred_decoder_create(&err);
    if (err == OPUS_OK)
      cx->dred = opus_dred_alloc(&err);
    if (err != OPUS_OK)
      rx_free(cx);
    r->status = err;
    return 0;
  }
  kind = rx_slot(cx, i);
  if (kind != RX_PACKET && kind != RX_LOST)
    return -1;
  if (!cx->dec) {
    r->status = OPUS_BAD_ARG;   /* the run's init failed: no decoder */
    return 0;
  }
  if (kind == RX_PACKET) {
    n = opus_decode(cx->dec, body + 4, (opus_int32)(len - 4), r->pcm, RX_MAX_SAMPLES / cx->channels, 0);
  } else {
    int j = i + 1, g = i, k;
    int64_t gap = 0, offset = 0;
    /* the next packet of the run, across lost slots and records that do not fit */
    while (j < n_in && (k = rx_slot(cx, j)) != RX_PACKET && k != RX_INIT)
      j++;
    if (j == n_in || rx_slot(cx, j) != RX_PACKET)
      j = -1;
    if (j >= 0 && cx->dred_for != j) {
      int dred_end = 0;
      while (g > 0 && (k = rx_slot(cx, g - 1)) != RX_PACKET && k != RX_INIT)
        g--;
      for (k = g; k < j; k++)
        gap += rx_frame(cx, k);
      cx->dred_for = j;
      cx->dred_ok = opus_dred_parse(cx->dred_dec, cx->dred, cx->in->rec[j] + 4,
                                    (opus_int32)(cx->in->len[j] - 4),
                                    (opus_int32)(gap < cx->rate ? gap : cx->rate), cx->rate,
                                    &dred_end, 0) > 0;
    }
    for (k = i; k < j; k++)
      offset += rx_frame(cx, k);
    if (j >= 0 && cx->dred_ok)
      n = opus_decoder_dred_decode(cx->dec, cx->dred, (opus_int32)offset, r->pcm, rd_i32(body + 4));
    else
      n = opus_decode(cx->dec, NULL, 0, r->pcm, rd_i32(body + 4), 0);
  }
  r->status = n;
  r->npcm = n > 0 ? n * cx->channels : 0;
  return 0;
}
#endif

static int op_stateful(const char *op) {
  return !strcmp(op, "fargan") || !strcmp(op, "plc") || !strcmp(op, "opus-receive");
}

/* Whether a record of a stateful op starts a new run (fargan: a cont record; plc: init). */
static int run_start(const char *op, const unsigned char *body, uint32_t len) {
  return op_stateful(op) && len >= 4 && rd_i32(body) == 0;
}

/* Runs an op on one input record. Returns 0, or -1 when the record does not fit the op. */
static int run_op(const char *op, const unsigned char *body, uint32_t len, context *cx, result *r) {
  const dredfx_dred_stats *st = &cx->st;
  memset(r, 0, sizeof(*r));
  if (!strcmp(op, "fargan"))
    return run_fargan(body, len, cx, r);
  if (!strcmp(op, "plc"))
    return run_plc(body, len, cx, r);
#ifdef DREDFX_VECTORS_OPUS
  if (!strcmp(op, "opus-receive"))
    return run_receive(body, len, cx, r);
#endif
  if (!strcmp(op, "dred-parse")) {
    const unsigned char *payload;
    int32_t payload_len;
    int frame_offset;
    if (len < 8)
      return -1;
    r->status = dredfx_dred_parse(body + 8, (int32_t)(len - 8), rd_i32(body), rd_i32(body + 4), st,
                                  &r->p, &r->dred_end);
    r->found = r->status >= 0 &&
               dredfx_dred_find(body + 8, (int32_t)(len - 8), &payload, &payload_len, &frame_offset) == 1;
  } else if (!strcmp(op, "dred-decode")) {
    if (len < 8)
      return -1;
    r->status = dredfx_dred_decode(body + 8, (int32_t)(len - 8), rd_i32(body), rd_i32(body + 4), st, &r->p);
    r->found = 1;
  } else if (!strcmp(op, "dred-coded")) {
    if (len < 4)
      return -1;
    r->status = dredfx_dred_decode_coded(body + 4, (int32_t)(len - 4), rd_i32(body), st, &r->p);
    r->found = 1;
  } else {
    return -1;
  }
  return 0;
}

static int op_known(const char *op) {
  return !strcmp(op, "dred-parse") || !strcmp(op, "dred-decode") || !strcmp(op, "dred-coded") ||
         !strcmp(op, "fargan") || !strcmp(op, "plc") || !strcmp(op, "opus-receive");
}

/* Compare modes: "exact", and layer 3's "dred_compare-audio:E4,E16,P" (a float codec's tolerance
 * for a reimplementation, docs/conformance.md). This checker runs dredfx-opus, whose output was
 * measured bit-identical on every target (x86-64 levels, aarch64, armv7), so it holds every mode
 * to bit identity and says so on a mismatch. */
static int mode_known(const char *mode) {
  return !strcmp(mode, "exact") || !strncmp(mode, "dred_compare-audio:", 19);
}

static int stage_known(const char *stage) {
  return !strcmp(stage, "quant") || !strcmp(stage, "dq16") || !strcmp(stage, "features") ||
         !strcmp(stage, "pcm");
}

/* Writes a stage's record for a result; returns its length in bytes, or -1 on a library error. */
static int stage_run(const char *stage, const result *r, const context *cx, unsigned char *out) {
  unsigned char *o = out;
  const dredfx_dred_payload *p = &r->p;
  const dredfx_dred_stats *st = &cx->st;
  if (!strcmp(stage, "features")) {
    /* the RDO-VAE decoder on the dequantized values: 4 nb_latents frames, newest first */
    static int32_t features[DREDFX_DRED_MAX_FRAMES * DREDFX_DRED_NUM_FEATURES];
    int32_t state[DREDFX_DRED_STATE_DIM], latents[DREDFX_DRED_MAX_LATENTS * LATENT_STRIDE];
    int frames;
    if (r->status < 0 || !r->found)
      return 0;
    if (dredfx_dred_dequantize(p, st, state, latents) < 0 ||
        (frames = dredfx_rdovae_decode_all(cx->rdovae, state, latents, p->nb_latents, features)) < 0)
      return -1;
    for (int k = 0; k < frames * DREDFX_DRED_NUM_FEATURES; k++)
      o = wr_i32(o, features[k]);
    return (int)(o - out);
  }
  if (!strcmp(stage, "pcm")) {
    o = wr_i32(o, r->status);
    for (int k = 0; k < r->npcm; k++) {
      *o++ = (unsigned char)((uint16_t)r->pcm[k] & 255);
      *o++ = (unsigned char)((uint16_t)r->pcm[k] >> 8);
    }
    return (int)(o - out);
  }
  if (!strcmp(stage, "quant")) {
    o = wr_i32(o, r->status);
    if (r->status < 0)
      return 4;
    o = wr_i32(o, r->found);
    if (!r->found)
      return 8;
    o = wr_i32(o, r->dred_end);
    o = wr_i32(o, p->q0);
    o = wr_i32(o, p->dq);
    o = wr_i32(o, p->qmax);
    o = wr_i32(o, p->dred_offset);
    o = wr_i32(o, p->dred_frame_offset);
    o = wr_i32(o, p->nb_latents);
    o = wr_i32(o, p->ec_bits);
    for (int k = 0; k < DREDFX_DRED_STATE_DIM; k++)
      o = wr_i32(o, p->state[k]);
    for (int c = 0; c < p->nb_latents; c++) {
      o = wr_i32(o, p->level[c]);
      for (int k = 0; k < DREDFX_DRED_LATENT_DIM; k++)
        o = wr_i32(o, p->latents[c][k]);
    }
    return (int)(o - out);
  }
  if (!strcmp(stage, "dq16")) {
    int32_t state[DREDFX_DRED_STATE_DIM], latents[DREDFX_DRED_MAX_LATENTS * LATENT_STRIDE];
    if (r->status < 0 || !r->found)
      return 0;
    if (dredfx_dred_dequantize(p, st, state, latents) < 0)
      return -1;
    for (int k = 0; k < DREDFX_DRED_STATE_DIM; k++)
      o = wr_i32(o, state[k]);
    for (int k = 0; k < p->nb_latents * LATENT_STRIDE; k++)
      o = wr_i32(o, latents[k]);
    return (int)(o - out);
  }
  return -1;
}

/* Name of the index-th int32 of a stage record. */
static void field_name(const char *stage, int i, char *out, size_t n) {
  static const char *const head[10] = {"status", "found", "dred_end", "q0", "dq", "qmax",
                                       "dred_offset", "dred_frame_offset", "nb_latents", "ec_bits"};
  if (!strcmp(stage, "quant")) {
    if (i < 10)
      snprintf(out, n, "%s", head[i]);
    else if (i < 10 + DREDFX_DRED_STATE_DIM)
      snprintf(out, n, "state_q[%d]", i - 10);
    else if ((i - 10 - DREDFX_DRED_STATE_DIM) % LATENT_STRIDE == 0)
      snprintf(out, n, "level[%d]", (i - 10 - DREDFX_DRED_STATE_DIM) / LATENT_STRIDE);
    else
      snprintf(out, n, "latents_q[%d][%d]", (i - 10 - DREDFX_DRED_STATE_DIM) / LATENT_STRIDE,
               (i - 10 - DREDFX_DRED_STATE_DIM) % LATENT_STRIDE - 1);
  } else if (!strcmp(stage, "status")) {
    snprintf(out, n, "status");
  } else if (!strcmp(stage, "features")) {
    snprintf(out, n, "features[%d][%d]", i / DREDFX_DRED_NUM_FEATURES, i % DREDFX_DRED_NUM_FEATURES);
  } else if (!strcmp(stage, "dq16")) {
    if (i < DREDFX_DRED_STATE_DIM)
      snprintf(out, n, "state_q16[%d]", i);
    else
      snprintf(out, n, "latents_q16[%d][%d]", (i - DREDFX_DRED_STATE_DIM) / LATENT_STRIDE,
               (i - DREDFX_DRED_STATE_DIM) % LATENT_STRIDE);
  } else {
    snprintf(out, n, "int32 #%d", i);
  }
}

static void describe(const char *stage, const unsigned char *got, int glen, const unsigned char *exp,
                     uint32_t elen, char *out, size_t n) {
  int words;
  if (!strcmp(stage, "pcm") && glen >= 4 && elen >= 4 && rd32(got) == rd32(exp)) {
    int samples = (int)((uint32_t)glen < elen ? (uint32_t)glen : elen) / 2 - 2, first = -1, count = 0;
    for (int j = 0; j < samples; j++)
      if (rd_i16(got + 4 + 2 * j) != rd_i16(exp + 4 + 2 * j)) {
        if (first < 0)
          first = j;
        count++;
      }
    if (first >= 0)
      snprintf(out, n, "sample %d: computed %d, expected %d (%d samples differ)", first,
               rd_i16(got + 4 + 2 * first), rd_i16(exp + 4 + 2 * first), count);
    else
      snprintf(out, n, "length: computed %d bytes, expected %u", glen, (unsigned)elen);
    return;
  }
  if (!strcmp(stage, "pcm"))
    stage = "status";
  words = (int)((uint32_t)glen < elen ? (uint32_t)glen : elen) / 4;
  char name[64];
  for (int i = 0; i < words; i++)
    if (rd32(got + 4 * i) != rd32(exp + 4 * i)) {
      field_name(stage, i, name, sizeof(name));
      snprintf(out, n, "%s: computed %d, expected %d", name, (int)rd_i32(got + 4 * i),
               (int)rd_i32(exp + 4 * i));
      return;
    }
  snprintf(out, n, "length: computed %d bytes, expected %u", glen, (unsigned)elen);
}

/* ---------------------------------------------------------------- main */
static int load_weights(const char *path, const char *want_sha, context *cx, unsigned char **blob) {
  static dredfx_weight_array arrays[MAX_WEIGHT_ARRAYS];
  char sha[65];
  size_t len;
  int n, rc;
  *blob = read_all(path, &len);
  if (!*blob) {
    printf("error: cannot read the weights blob %s\n", path);
    return -1;
  }
  sha256_hex(*blob, len, sha);
  if (want_sha && strcmp(sha, want_sha))
    printf("warning: vectors made with weights blob %s, checking with %s\n", want_sha, sha);
  n = dredfx_weights_parse(*blob, len, arrays, MAX_WEIGHT_ARRAYS);
  rc = n < 0 ? n : dredfx_dred_stats_init(&cx->st, arrays, n);
  if (rc < 0) {
    printf("error: %s: %s\n", path, dredfx_strerror(rc));
    return -1;
  }
  cx->arrays = arrays;
  cx->narrays = n;
#ifdef DREDFX_VECTORS_OPUS
  rc = dredfx_opus_set_weights(*blob, len);
  if (rc < 0) {
    printf("error: %s: dredfx-opus: %s\n", path, dredfx_strerror(rc));
    return -1;
  }
#endif
  /* aligned for a pointer, as the API asks; initialised at the start of a set and of a run */
  cx->fargan = aligned_alloc(64, (dredfx_fargan_get_size() + 63) & ~(size_t)63);
  cx->plc = aligned_alloc(64, (dredfx_plc_get_size() + 63) & ~(size_t)63);
  cx->rdovae = aligned_alloc(64, (dredfx_rdovae_dec_get_size() + 63) & ~(size_t)63);
  if (!cx->fargan || !cx->plc || !cx->rdovae) {
    printf("error: out of memory\n");
    return -1;
  }
  /* the RDO-VAE decoder only reads its state: one for every set */
  rc = dredfx_rdovae_dec_init(cx->rdovae, arrays, n);
  if (rc < 0) {
    printf("error: %s: %s\n", path, dredfx_strerror(rc));
    return -1;
  }
  return 0;
}

/* A stateful set's run: its first differing frame (-1: none yet) and how many later ones differ. */
typedef struct {
  int first_bad, later;
} run_state;

static void end_run(const mset *s, run_state *rs, int end) {
  if (rs->later)
    fail("set %s frames %d..%d: %d more frames differ after frame %d (the state carries the "
         "difference)", s->name, rs->first_bad + 1, end - 1, rs->later, rs->first_bad);
  rs->first_bad = -1;
  rs->later = 0;
}

static void check_set(const char *dir, manifest *m, const mset *s, context *cx, int *frames,
                      int *stage_records, int *layer_frames) {
  records in, exp[MAX_STAGES];
  const mfile *fin = file_entry(m, s->input);
  const mfile *fexp[MAX_STAGES];
  static unsigned char out[MAX_OUT];
  char md5[33], why[256];
  int i, k, ok = 1, stateful = op_stateful(s->op);
  run_state rs = {-1, 0};
  if (!op_known(s->op)) {
    fail("set %s: op %s is not known to dredfx %s", s->name, s->op, DREDFX_VERSION_STRING);
    return;
  }
#ifndef DREDFX_VECTORS_OPUS
  if (!strcmp(s->op, "opus-receive")) {
    printf("SKIPPED: set %s (layer %d, %d frames): this dredfx-vectors-check was built without "
           "dredfx-opus (cmake -DDREDFX_OPUS=ON -DDREDFX_OPUS_SOURCE=DIR), which layer 3 needs\n",
           s->name, s->layer, s->nframes);
    skipped_sets++;
    return;
  }
#endif
  for (k = 0; k < s->nstages; k++)
    if (!stage_known(s->stages[k].stage) || !mode_known(s->stages[k].mode)) {
      fail("set %s: stage %s (%s) not known to dredfx %s", s->name, s->stages[k].stage,
           s->stages[k].mode, DREDFX_VERSION_STRING);
      return;
    }
  if (records_load(dir, s->input, &in) < 0) {
    fail("set %s: cannot read %s as a record file", s->name, s->input);
    records_free(&in);
    return;
  }
  for (k = 0; k < s->nstages; k++) {
    fexp[k] = file_entry(m, s->stages[k].file);
    if (records_load(dir, s->stages[k].file, &exp[k]) < 0) {
      fail("set %s: cannot read %s as a record file", s->name, s->stages[k].file);
      ok = 0;
    } else if (exp[k].n != in.n) {
      fail("set %s: %s holds %u frames, %s %u", s->name, s->stages[k].file, (unsigned)exp[k].n,
           s->input, (unsigned)in.n);
      ok = 0;
    }
  }
  if (ok && (int)in.n != s->nframes) {
    fail("set %s: %d frames in the manifest, %u in %s", s->name, s->nframes, (unsigned)in.n, s->input);
    ok = 0;
  }
  /* a stateful op starts from an initialised state (a fargan synth record before any cont is
   * then the library's defined error) */
  if (ok && !strcmp(s->op, "fargan") && dredfx_fargan_init(cx->fargan, cx->arrays, cx->narrays) < 0) {
    fail("set %s: the weights blob has no FARGAN model", s->name);
    ok = 0;
  }
  if (ok && !strcmp(s->op, "plc") && dredfx_plc_init(cx->plc, cx->arrays, cx->narrays) < 0) {
    fail("set %s: the weights blob has no PLC models", s->name);
    ok = 0;
  }
  for (i = 0; ok && i < (int)in.n; i++) {
    result r;
    const char *label = fin && i < fin->nframes ? fin->label[i] : "";
    md5_hex(in.rec[i], in.len[i], md5);
    if (!fin || i >= fin->nframes || strcmp(md5, fin->md5[i]))
      fail("set %s frame %d (%s): input differs from its manifest MD5", s->name, i, label);
    if (stateful && run_start(s->op, in.rec[i], in.len[i]))
      end_run(s, &rs, i);
    cx->in = &in;
    cx->index = i;
    if (run_op(s->op, in.rec[i], in.len[i], cx, &r) < 0) {
      fail("set %s frame %d (%s): input record does not fit op %s", s->name, i, label, s->op);
      continue;
    }
    for (k = 0; k < s->nstages; k++) {
      const char *stage = s->stages[k].stage;
      int n = stage_run(stage, &r, cx, out);
      const char *want = fexp[k] && i < fexp[k]->nframes ? fexp[k]->md5[i] : "";
      if (n < 0) {
        fail("set %s frame %d (%s) stage %s: the library refused the result", s->name, i, label, stage);
        continue;
      }
      md5_hex(out, (size_t)n, md5);
      if ((uint32_t)n != exp[k].len[i] || memcmp(out, exp[k].rec[i], (size_t)n)) {
        if (rs.first_bad >= 0) {
          rs.later++;
        } else {
          describe(stage, out, n, exp[k].rec[i], exp[k].len[i], why, sizeof(why));
          fail("set %s frame %d (%s) stage %s: %s%s", s->name, i, label, stage, why,
               strcmp(s->stages[k].mode, "exact") ? " (held to bit identity here: dredfx-opus is "
               "measured bit-identical on every target; the mode's tolerance is for other "
               "implementations, python -m dredfx.vectors verify applies it)" : "");
          if (stateful)
            rs.first_bad = i;
        }
      } else if (strcmp(md5, want)) {
        fail("set %s frame %d (%s) stage %s: output differs from its manifest MD5", s->name, i,
             label, stage);
      }
      (*stage_records)++;
    }
    (*frames)++;
    if (s->layer >= 0 && s->layer < 16)
      layer_frames[s->layer]++;
  }
  if (ok)
    end_run(s, &rs, (int)in.n);
#ifdef DREDFX_VECTORS_OPUS
  rx_free(cx);
  cx->rate = 0;
#endif
  cx->in = NULL;
  records_free(&in);
  for (k = 0; k < s->nstages; k++)
    records_free(&exp[k]);
}

int main(int argc, char **argv) {
  static manifest m;
  const char *dir = NULL, *weights = getenv("DREDFX_WEIGHTS");
  int skip_without_weights = 0, usage = 0, frames = 0, stage_records = 0, i;
  int layer_frames[16] = {0};
  char path[4096], sha[65];
  unsigned char *text, *blob = NULL;
  size_t len;
  static context cx;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--weights") && i + 1 < argc)
      weights = argv[++i];
    else if (!strcmp(argv[i], "--skip-without-weights"))
      skip_without_weights = 1;
    else if (argv[i][0] != '-' && !dir)
      dir = argv[i];
    else
      usage = 1;
  }
  if (!dir || usage) {
    fprintf(stderr, "usage: %s [--weights BLOB] [--skip-without-weights] DIR\n"
                    "  (the blob may also come from $DREDFX_WEIGHTS)\n", argv[0]);
    return 2;
  }
  snprintf(path, sizeof(path), "%s/manifest.txt", dir);
  text = read_all(path, &len);
  if (!text) {
    printf("error: cannot read %s\n", path);
    return 2;
  }
  if (manifest_parse((char *)text, &m, path) < 0)
    return 2;
  printf("dredfx-vectors-check %s: vectors of dredfx %s (libopus %s), cpu level %s\n",
         DREDFX_VERSION_STRING, m.dredfx ? m.dredfx : "?", m.libopus ? m.libopus : "?",
         dredfx_cpu_level_name(dredfx_cpu_level()));
  for (i = 0; i < m.nfiles; i++) {
    unsigned char *data;
    snprintf(path, sizeof(path), "%s/%s", dir, m.files[i].name);
    data = read_all(path, &len);
    if (!data) {
      fail("%s: missing file", m.files[i].name);
      continue;
    }
    sha256_hex(data, len, sha);
    if (strcmp(sha, m.files[i].sha))
      fail("%s: SHA-256 differs from the manifest (file changed)", m.files[i].name);
    free(data);
  }
  if (!weights || !*weights) {
    printf("error: the DRED layers need the weights blob: --weights BLOB or DREDFX_WEIGHTS\n");
    return skip_without_weights ? 77 : 2;
  }
  if (skip_without_weights) {
    FILE *f = fopen(weights, "rb");
    if (!f) {
      printf("skipped: no weights blob at %s\n", weights);
      return 77;
    }
    fclose(f);
  }
  if (load_weights(weights, m.weights, &cx, &blob) < 0)
    return 2;
  for (i = 0; i < m.nsets; i++)
    check_set(dir, &m, &m.sets[i], &cx, &frames, &stage_records, layer_frames);
  printf("%s: %d sets, %d frames (", dir, m.nsets - skipped_sets, frames);
  for (i = 0, len = 0; i < 16; i++)
    if (layer_frames[i])
      printf("%slayer %d: %d", len++ ? ", " : "", i, layer_frames[i]);
  printf("), %d stage records: %s", stage_records, failures ? "" : skipped_sets ? "OK" : "OK\n");
  if (!failures && skipped_sets)
    printf(" (%d layer 3 sets SKIPPED: built without dredfx-opus)\n", skipped_sets);
  if (failures)
    printf("%d FAILURES\n", failures);
  free(cx.fargan);
  free(cx.plc);
  free(cx.rdovae);
  free(blob);
  free(text);
  return failures ? 1 : 0;
}
