/* Tests of the Opus packet layer: RFC 6716 section 3.4 rules, libopus 1.6.1's own extension
 * tests (tests/test_opus_extensions.c), byte-exact expectations produced by libopus 1.6.1's
 * opus_packet_extensions_generate and repacketizer, and random-input robustness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dredfx.h"
#include "packet/packet.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
static int rnd_below(int n) { return n > 0 ? (int)(rnd() % (uint32_t)n) : 0; }

static int unhex(const char *s, unsigned char *out) {
  int n = 0;
  while (s[0] && s[1]) {
    unsigned v;
    sscanf(s, "%2x", &v);
    out[n++] = (unsigned char)v;
    s += 2;
  }
  return n;
}

static const unsigned char *U(const char *s) { return (const unsigned char *)s; }

/* ---------------------------------------------------------------- libopus' extension tests */

static const dredfx_extension basic_exts[] = {
    {3, 0, (const unsigned char *)"a", 1},
    {32, 10, (const unsigned char *)"DRED", 4},
    {33, 1, (const unsigned char *)"NOT DRED", 8},
    {4, 4, NULL, 0},
};

static void test_generate_basic(void) {
  unsigned char buf[100], want[64];
  int n, wn, len, i;
  /* bytes from libopus 1.6.1 opus_packet_extensions_generate */
  wn = unhex("07610243084e4f54204452454403030803064044524544", want);
  n = dredfx_ext_generate(buf, 32, basic_exts, 4, 11, 0);
  CHECKF(n == 23 && !memcmp(buf, want, 23), "no padding: %d bytes", n);
  CHECKF(dredfx_ext_generate(NULL, 32, basic_exts, 4, 11, 0) == 23, "length only");
  n = dredfx_ext_generate(buf, 27, basic_exts, 4, 11, 1);
  CHECKF(n == 27 && !memcmp(buf, "\x01\x01\x01\x01", 4) && !memcmp(buf + 4, want, wn),
        "padded to 27: %d", n);
  CHECKF(dredfx_ext_generate(buf, 0, NULL, 0, 0, 1) == 0, "zero extensions, zero length");
  for (len = 0; len < 23; len++) {
    int untouched = 1;
    memset(buf, 0xFE, sizeof(buf));
    n = dredfx_ext_generate(buf, len, basic_exts, 4, 11, 1);
    for (i = len; i < (int)sizeof(buf); i++) untouched &= buf[i] == 0xFE;
    CHECKF(n == DREDFX_ERR_BUFFER_TOO_SMALL && untouched, "len %d: %d", len, n);
  }
  {
    const dredfx_extension id_big = {256, 0, U("a"), 1}, id_small = {2, 0, U("a"), 1},
                           frame_big = {33, 11, U("a"), 1}, frame_neg = {33, -1, U("a"), 1},
                           short_4 = {3, 0, U("abcd"), 4}, neg = {3, 0, NULL, -4},
                           neg_long = {33, 0, NULL, -4}, null_data = {40, 0, NULL, 3};
    CHECKF(dredfx_ext_generate(buf, 100, &id_big, 1, 11, 1) == DREDFX_ERR_BAD_ARG, "id 256");
    CHECKF(dredfx_ext_generate(buf, 100, &id_small, 1, 11, 1) == DREDFX_ERR_BAD_ARG, "id 2");
    CHECKF(dredfx_ext_generate(buf, 100, &frame_big, 1, 49, 1) == DREDFX_ERR_BAD_ARG, "49 frames");
    CHECKF(dredfx_ext_generate(buf, 100, &frame_neg, 1, 11, 1) == DREDFX_ERR_BAD_ARG, "frame -1");
    CHECKF(dredfx_ext_generate(buf, 100, &frame_big, 1, 11, 1) == DREDFX_ERR_BAD_ARG, "frame 11");
    CHECKF(dredfx_ext_generate(buf, 100, &short_4, 1, 1, 1) == DREDFX_ERR_BAD_ARG, "short len 4");
    CHECKF(dredfx_ext_generate(buf, 100, &neg, 1, 1, 1) == DREDFX_ERR_BAD_ARG, "short len -4");
    CHECKF(dredfx_ext_generate(buf, 100, &neg_long, 1, 1, 1) == DREDFX_ERR_BAD_ARG, "long len -4");
    CHECKF(dredfx_ext_generate(buf, 100, &null_data, 1, 1, 0) == DREDFX_ERR_BAD_ARG, "NULL data");
    CHECKF(dredfx_ext_generate(buf, -1, basic_exts, 4, 11, 0) == DREDFX_ERR_BAD_ARG, "len -1");
  }
}

static void test_parse_basic(void) {
  unsigned char pkt[32];
  dredfx_extension out[10];
  int len = dredfx_ext_generate(pkt, 32, basic_exts, 4, 11, 1), n;
  CHECKF(len == 32, "len %d", len);
  CHECKF(dredfx_ext_count(pkt, len, 11) == 4, "count");
  n = dredfx_ext_parse(pkt, len, 11, out, 10);
  CHECKF(n == 4, "parse %d", n);
  CHECKF(out[0].id == 3 && out[0].frame == 0 && out[0].len == 1 && out[0].data[0] == 'a', "ext 0");
  CHECKF(out[1].id == 33 && out[1].frame == 1 && out[1].len == 8 &&
            !memcmp(out[1].data, "NOT DRED", 8), "ext 1");
  CHECKF(out[2].id == 4 && out[2].frame == 4 && out[2].len == 0, "ext 2");
  CHECKF(out[3].id == 32 && out[3].frame == 10 && out[3].len == 4 &&
            !memcmp(out[3].data, "DRED", 4) && out[3].data + 4 == pkt + 32, "ext 3");
  {
    const dredfx_extension one = {32, 1, U("DRED"), 4};
    len = dredfx_ext_generate(pkt, 32, &one, 1, 2, 1);
    CHECKF(dredfx_ext_parse(pkt, len, 2, NULL, 0) == DREDFX_ERR_BUFFER_TOO_SMALL, "no room");
  }
}

static void test_parse_fail(void) {
  static const dredfx_extension ext[] = {
      {3, 0, (const unsigned char *)"a", 1},    {33, 1, (const unsigned char *)"NOT DRED", 8},
      {4, 4, NULL, 0},                          {32, 10, (const unsigned char *)"DRED", 4},
      {32, 9, (const unsigned char *)"DRED", 4}, {4, 9, (const unsigned char *)"b", 1},
      {4, 10, (const unsigned char *)"c", 1}};
  unsigned char pkt[32];
  dredfx_extension out[10];
  dredfx_ext_iter it;
  int len, n;

  len = dredfx_ext_generate(pkt, 32, ext, 4, 11, 0);
  pkt[4] = 255; /* lacing length of ID 33 now runs past the end */
  CHECKF(dredfx_ext_parse(pkt, len, 11, out, 10) == DREDFX_ERR_EXT_OVERRUN, "bad length");
  CHECKF(dredfx_ext_count(pkt, len, 11) == DREDFX_ERR_EXT_OVERRUN, "count reports it");
  dredfx_ext_iter_init(&it, pkt, len, 11);
  for (n = 0; dredfx_ext_iter_next(&it, NULL) > 0; n++) {}
  CHECKF(n == 1 && dredfx_ext_iter_next(&it, NULL) == DREDFX_ERR_EXT_OVERRUN,
        "1 extension before the error (%d), error sticky", n);

  len = dredfx_ext_generate(pkt, 32, ext, 4, 11, 0);
  CHECKF(dredfx_ext_parse(pkt, len, 5, out, 10) == DREDFX_ERR_EXT_FRAME_INDEX, "5 frames");
  dredfx_ext_iter_init(&it, pkt, len, 5);
  for (n = 0; dredfx_ext_iter_next(&it, NULL) > 0; n++) {}
  CHECKF(n == 3, "3 extensions before the bad increment (%d)", n);
  pkt[14] = 255;
  CHECKF(dredfx_ext_parse(pkt, len, 11, out, 10) == DREDFX_ERR_EXT_FRAME_INDEX, "increment 255");
  dredfx_ext_iter_init(&it, pkt, len, 11);
  for (n = 0; dredfx_ext_iter_next(&it, NULL) > 0; n++) {}
  CHECKF(n == 2, "2 extensions before the bad increment (%d)", n);

  len = dredfx_ext_generate(pkt, 32, ext, 4, 11, 0);
  CHECKF(dredfx_ext_parse(pkt, len, 11, out, 1) == DREDFX_ERR_BUFFER_TOO_SMALL, "max 1");

  /* repeated L = 0 long extension without room for the short payloads after it */
  len = dredfx_ext_generate(pkt, 32, ext, 7, 11, 0) - 5;
  CHECKF(dredfx_ext_parse(pkt, len, 11, out, 10) == DREDFX_ERR_EXT_OVERRUN, "L=0 too short");
  dredfx_ext_iter_init(&it, pkt, len, 11);
  for (n = 0; dredfx_ext_iter_next(&it, NULL) > 0; n++) {}
  CHECKF(n == 5, "5 extensions before the error (%d)", n);

  {
    /* lacing length that would overflow 32 bits if summed carelessly (about 8 MB) */
    int32_t size = (int32_t)((1U << 31) / 255 + 1);
    unsigned char *buf = malloc((size_t)size + 1);
    if (buf) {
      buf[0] = 33 << 1 | 1;
      memset(buf + 1, 0xFF, (size_t)size - 1);
      buf[size] = 0xFE;
      CHECKF(dredfx_ext_parse(buf, size + 1, 1, out, 10) == DREDFX_ERR_EXT_OVERRUN, "overflow");
      free(buf);
    }
  }
}

/* The extensions of ext_out (bitstream order) are, frame by frame, those of ext_in in order. */
static int same_per_frame(const dredfx_extension *in, int n_in, const dredfx_extension *out,
                          int n_out, int nb_frames) {
  int f;
  if (n_in != n_out) return 0;
  for (f = 0; f < nb_frames; f++) {
    int i = 0, j = 0;
    for (;;) {
      while (i < n_in && in[i].frame != f) i++;
      while (j < n_out && out[j].frame != f) j++;
      if (i == n_in || j == n_out) {
        if (i != n_in || j != n_out) return 0;
        break;
      }
      if (in[i].id != out[j].id || in[i].len != out[j].len ||
          (in[i].len && memcmp(in[i].data, out[j].data, (size_t)in[i].len)))
        return 0;
      i++;
      j++;
    }
  }
  return 1;
}

static void check_repeat_parse(const unsigned char *pkt, int len, const dredfx_extension *ext,
                               int nb_ext, const char *what) {
  dredfx_extension out[16];
  int n = dredfx_ext_parse(pkt, len, 3, out, 16);
  CHECKF(n == nb_ext && dredfx_ext_count(pkt, len, 3) == nb_ext, "%s: %d of %d", what, n, nb_ext);
  CHECKF(n >= 0 && same_per_frame(ext, nb_ext, out, n, 3), "%s: contents", what);
}

static void test_repeating(void) {
  static const dredfx_extension ext[] = {
      {3, 0, (const unsigned char *)"a", 1},     {3, 1, (const unsigned char *)"b", 1},
      {3, 2, (const unsigned char *)"c", 1},     {4, 0, (const unsigned char *)"d", 1},
      {4, 1, NULL, 0},                           {4, 2, NULL, 0},
      {32, 2, (const unsigned char *)"DRED2", 5}, {32, 1, (const unsigned char *)"DRED", 4},
      {5, 1, NULL, 0},                           {5, 2, NULL, 0},
      {6, 2, (const unsigned char *)"f", 1},     {6, 1, (const unsigned char *)"e", 1},
      {32, 2, (const unsigned char *)"DREDthree", 9}};
  static const int encoded_len[] = {0, 2, 5, 5, 7, 9, 10, 16, 21, 23, 22, 26, 25, 37};
  /* libopus 1.6.1 output for nb_ext = 13 */
  static const char *want13 = "0761056263096402084104445245440a0d650505445245443266024044524544"
                              "7468726565";
  int nb_ext;
  for (nb_ext = 0; nb_ext <= 13; nb_ext++) {
    unsigned char pkt[64], want[64];
    char what[48];
    int len = dredfx_ext_generate(pkt, 64, ext, nb_ext, 3, 0);
    CHECKF(len == encoded_len[nb_ext], "repeat %d: length %d, want %d", nb_ext, len,
          encoded_len[nb_ext]);
    if (len < 0) continue;
    snprintf(what, sizeof(what), "repeat %d", nb_ext);
    check_repeat_parse(pkt, len, ext, nb_ext, what);
    if (nb_ext == 13) CHECKF(unhex(want13, want) == len && !memcmp(pkt, want, 37), "bytes 13");
    /* hand modifications that libopus' generator never makes but its parser accepts */
    if (nb_ext == 6) {
      pkt[len++] = 2 << 1; /* repeat in the last frame, then junk that must be ignored */
      pkt[len++] = 3 << 1;
      check_repeat_parse(pkt, len, ext, nb_ext, "6 + repeat in last frame + junk");
    } else if (nb_ext == 8) {
      memmove(pkt + 16, pkt + 15, (size_t)(len - 15)); /* padding before the indicator */
      pkt[15] = 0x01;
      len++;
      check_repeat_parse(pkt, len, ext, nb_ext, "8 + padding before repeat");
      memmove(pkt + 10, pkt + 9, (size_t)(len - 9)); /* several indicators in one frame */
      pkt[9] = 2 << 1 | 1;
      len++;
      memmove(pkt + 6, pkt + 5, (size_t)(len - 5)); /* even with nothing new to repeat */
      pkt[5] = 2 << 1 | 1;
      len++;
      check_repeat_parse(pkt, len, ext, nb_ext, "8 + extra repeat indicators");
    } else if (nb_ext == 10) {
      memmove(pkt + 17, pkt + 15, (size_t)(len - 15)); /* separator with increment 0 */
      pkt[15] = 0x03;
      pkt[16] = 0;
      len += 2;
      check_repeat_parse(pkt, len, ext, nb_ext, "10 + zero increment");
    } else if (nb_ext == 13) {
      pkt[26] = 2 << 1; /* L = 0 repeat with no extensions acts as a separator */
      check_repeat_parse(pkt, len, ext, nb_ext, "13 + empty L=0 repeat");
    }
  }
}

/* ---------------------------------------------------------------- libopus byte expectations */

static void test_known_answers(void) {
  static const struct {
    const char *name, *hex;
  } cases[] = {
      /* three DRED payloads ('D', 12, ...) over a 60 ms packet: FD 12 .. 04 12 .. (L=0 last) */
      {"dred3", "fd12440c12131415161718191a1b1c1d1e1f20210412440c42434445464748494a4b4c4d4e4f5051"
                "440c82838485868788898a8b8c8d8e8f90919293"},
      {"dred frames 1, 2", "02fd12440c42434445464748494a4b4c4d4e4f505104440c8283848586878889"
                           "8a8b8c8d8e8f90919293"},
      {"dred1", "fc440c12131415161718191a1b1c1d1e1f2021"},
      {"mixed repeat", "51020108131604031d242b3240"},
      {"mixed repeat tail", "51020108131605031d242b32004002644e55"},
      {"short repeat", "1404"},
  };
  unsigned char p0[18], p1[18], p2[20], d[600], buf[700], want[700];
  dredfx_extension e[8];
  int i, n, wn;
  for (i = 0; i < 600; i++) d[i] = (unsigned char)(i * 7 + 1);
  p0[0] = p1[0] = p2[0] = 'D';
  p0[1] = p1[1] = p2[1] = 12;
  for (i = 2; i < 18; i++) p0[i] = (unsigned char)(0x10 + i), p1[i] = (unsigned char)(0x40 + i);
  for (i = 2; i < 20; i++) p2[i] = (unsigned char)(0x80 + i);
  for (i = 0; i < (int)DREDFX_ARRAY_LEN(cases); i++) {
    int nb_frames = 3, count;
    switch (i) {
      case 0:
      case 1:
        e[0] = (dredfx_extension){126, 0, p0, 18};
        e[1] = (dredfx_extension){126, 1, p1, 18};
        e[2] = (dredfx_extension){126, 2, p2, 20};
        count = 3;
        if (i == 1) memmove(e, e + 1, 2 * sizeof(e[0])), count = 2;
        break;
      case 2:
        e[0] = (dredfx_extension){126, 0, p0, 18};
        count = 1, nb_frames = 1;
        break;
      case 3:
      case 4:
        e[0] = (dredfx_extension){40, 0, d, 2};
        e[1] = (dredfx_extension){9, 0, d + 3, 1};
        e[2] = (dredfx_extension){40, 1, d + 4, 3};
        e[3] = (dredfx_extension){9, 1, d + 7, 1};
        e[4] = (dredfx_extension){40, 2, d + 8, 0};
        e[5] = (dredfx_extension){9, 2, d + 9, 1};
        e[6] = (dredfx_extension){50, 1, d + 11, 2};
        count = i == 3 ? 6 : 7;
        break;
      default:
        for (n = 0; n < 4; n++) e[n] = (dredfx_extension){10, n, NULL, 0};
        count = 4, nb_frames = 4;
        break;
    }
    wn = unhex(cases[i].hex, want);
    n = dredfx_ext_generate(buf, sizeof(buf), e, count, nb_frames, 0);
    CHECKF(n == wn && !memcmp(buf, want, (size_t)wn), "%s: %d bytes, want %d", cases[i].name, n,
          wn);
    {
      dredfx_extension out[8];
      int m = dredfx_ext_parse(want, wn, nb_frames, out, 8);
      CHECKF(m == count && same_per_frame(e, count, out, m, nb_frames), "%s: parse", cases[i].name);
    }
  }
  {
    /* long extension of 300 bytes (lacing FF 2D), then short and long ones */
    dredfx_extension lg[3] = {{100, 0, d, 300}, {7, 0, d, 1}, {124, 1, d + 5, 3}};
    n = dredfx_ext_generate(buf, sizeof(buf), lg, 3, 2, 0);
    CHECKF(n == 310 && buf[0] == 0xC9 && buf[1] == 0xFF && buf[2] == 0x2D &&
              !memcmp(buf + 3, d, 300) && !memcmp(buf + 303, "\x0f\x01\x02\xf8\x24\x2b\x32", 7),
          "long 300: %d", n);
  }
  {
    /* lengths 254 and 255: lacing FE, then repeat with L=0 */
    dredfx_extension lr[2] = {{126, 0, d, 254}, {126, 1, d + 1, 255}};
    n = dredfx_ext_generate(buf, sizeof(buf), lr, 2, 2, 0);
    CHECKF(n == 512 && buf[0] == 0xFD && buf[1] == 0xFE && buf[256] == 0x04 &&
              !memcmp(buf + 257, d + 1, 255), "long 254/255: %d", n);
  }
}

/* Three 20 ms hybrid code-3 packets, each with one DRED-like extension: their frames and their
 * extensions renumbered to frames 0, 1, 2 (the input of libopus' repacketizer tests below). */
static void load_three(unsigned char in[3][64], const unsigned char **frames, int16_t *frame_len,
                       dredfx_extension *exts) {
  static const char *in_hex[3] = {
      "7b411300010203040506070809fc440c12131415161718191a1b1c1d1e1f2021",
      "7b411310111213141516171819fc440c42434445464748494a4b4c4d4e4f5051",
      "7b411520212223242526272829fc440c82838485868788898a8b8c8d8e8f90919293"};
  dredfx_packet_info info;
  int k;
  for (k = 0; k < 3; k++) {
    int len = unhex(in_hex[k], in[k]);
    CHECKF(dredfx_packet_parse(in[k], len, &info) == 0 && info.nb_frames == 1 &&
              info.padding_len == 19 + (k == 2 ? 2 : 0), "input %d", k);
    frames[k] = in[k] + info.frame_offset[0];
    frame_len[k] = info.frame_len[0];
    CHECKF(dredfx_ext_parse(in[k] + info.padding_offset, info.padding_len, 1, &exts[k], 1) == 1,
          "input %d ext", k);
    exts[k].frame = k;
  }
}

static void test_repacketizer_answers(void) {
  /* libopus 1.6.1: opus_repacketizer_out of the three packets, and the same with CBR padding to
   * 120 bytes */
  static const char *out_hex =
      "7b433c000102030405060708091011121314151617181920212223242526272829fd12440c1213141516171819"
      "1a1b1c1d1e1f20210412440c42434445464748494a4b4c4d4e4f5051440c82838485868788898a8b8c8d8e8f"
      "90919293";
  unsigned char in[3][64], want[200], buf[200], padding[120];
  const unsigned char *frames[3];
  int16_t frame_len[3];
  dredfx_extension exts[3];
  int n, wn, plen;
  load_three(in, frames, frame_len, exts);
  wn = unhex(out_hex, want);
  plen = dredfx_ext_generate(NULL, 1000, exts, 3, 3, 0);
  CHECKF(plen == 60, "ext len %d", plen);
  dredfx_ext_generate(padding, plen, exts, 3, 3, 0);
  n = dredfx_packet_build(buf, sizeof(buf), 15, 0, frames, frame_len, 3, padding, plen, 0, 0);
  CHECKF(n == wn && !memcmp(buf, want, (size_t)wn), "repacketized: %d, want %d", n, wn);
  /* CBR: 120 bytes; padding content 120 - 3 - 30 = 87 bytes, 0x01 filler first */
  CHECKF(dredfx_ext_generate(padding, 87, exts, 3, 3, 1) == 87 && padding[0] == 1 &&
            padding[26] == 1 && padding[27] == 0xFD, "padded extensions");
  n = dredfx_packet_build(buf, sizeof(buf), 15, 0, frames, frame_len, 3, padding, 87, 0, 0);
  CHECKF(n == 120 && buf[1] == 0x43 && buf[2] == 87 && !memcmp(buf + 3, want + 3, 30) &&
            !memcmp(buf + 120 - 60, want + wn - 60, 60), "CBR padded packet %d", n);
}

/* dredfx_packet_repacketize / dredfx_packet_pad against what libopus 1.6.1's
 * opus_repacketizer_out_range_impl and opus_packet_pad_impl wrote (interop/dred_dump.c). */
static void test_pad_answers(void) {
  static const unsigned char small[3] = {0x08, 0x41, 0x42};
  static const unsigned char dred_bytes[3] = {0x44, 0x43, 0x0c};
  const dredfx_extension dred = {126, 0, dred_bytes, 3};
  unsigned char in[3][64], buf[700], one[200];
  const unsigned char *frames[3];
  int16_t frame_len[3];
  dredfx_extension exts[3];
  int n, i, ok;
  /* The three packets through the repacketizer, CBR to 120 bytes: 27 bytes of 0x01. */
  load_three(in, frames, frame_len, exts);
  n = dredfx_packet_repacketize(buf, 120, 0x7b, frames, frame_len, 3, exts, 3, 1);
  for (ok = 1, i = 33; i < 60; i++) ok &= buf[i] == 1;
  CHECKF(n == 120 && buf[0] == 0x7b && buf[1] == 0x43 && buf[2] == 0x57 && ok && buf[60] == 0xfd &&
             buf[119] == 0x93, "CBR repacketized %d", n);
  /* Pad amount 256: libopus writes the padding length as 255, 0; zeros without extensions. */
  n = dredfx_packet_pad(buf, 260, small, 3, NULL, 0, 1);
  for (ok = 1, i = 6; i < 260; i++) ok &= buf[i] == 0;
  CHECKF(n == 260 && buf[0] == 0x0b && buf[1] == 0x41 && buf[2] == 0xff && buf[3] == 0 && buf[4] == 0x41 &&
             buf[5] == 0x42 && ok, "pad to 260: %d", n);
  n = dredfx_packet_pad(buf, 261, small, 3, &dred, 1, 1);
  for (ok = 1, i = 6; i < 257; i++) ok &= buf[i] == 1;
  CHECKF(n == 261 && buf[2] == 0xff && buf[3] == 1 && ok && buf[257] == 0xfc && buf[260] == 0x0c,
         "pad to 261 with DRED: %d", n);
  n = dredfx_packet_pad(buf, 600, small, 3, NULL, 0, 1);
  CHECKF(n == 600 && buf[2] == 0xff && buf[3] == 0xff && buf[4] == 0x55, "pad to 600: %d", n);
  /* VBR: the shortest packet. */
  n = dredfx_packet_pad(buf, sizeof(buf), small, 3, &dred, 1, 0);
  CHECKF(n == 9 && unhex("0b41044142fc44430c", one) == 9 && !memcmp(buf, one, 9), "VBR pad %d", n);
  /* Unchanged when already that long with nothing to add; libopus' errors. */
  CHECK_EQ(dredfx_packet_pad(buf, 3, small, 3, NULL, 0, 1), 3);
  CHECK_EQ(dredfx_packet_pad(buf, 2, small, 3, &dred, 1, 1), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_packet_pad(buf, 5, small, 3, &dred, 1, 1), DREDFX_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(dredfx_packet_pad(buf, 100, in[0], 20, NULL, 0, 1), DREDFX_ERR_PACKET_PADDING);
  CHECK_EQ(dredfx_packet_pad(buf, 100, NULL, 3, NULL, 0, 1), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_packet_repacketize(buf, 100, 0x7b, frames, frame_len, 0, NULL, 0, 0), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_packet_repacketize(buf, 100, 256, frames, frame_len, 1, NULL, 0, 0), DREDFX_ERR_BAD_ARG);
  /* code 0, 1, 2 when nothing needs code 3, and they must fit */
  CHECK_EQ(dredfx_packet_repacketize(buf, 11, 0x78, frames, frame_len, 1, NULL, 0, 1), 11);
  CHECK(buf[0] == 0x78);
  CHECK_EQ(dredfx_packet_repacketize(buf, 10, 0x78, frames, frame_len, 1, NULL, 0, 0), DREDFX_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(dredfx_packet_repacketize(buf, 100, 0x78, frames, frame_len, 2, NULL, 0, 0), 21);
  CHECK(buf[0] == 0x79);
}

/* ---------------------------------------------------------------- find (DRED search) */

static int accept_dred(const dredfx_extension *ext, void *ctx) {
  (void)ctx;
  return ext->len > 2 && ext->data[0] == 'D' && ext->data[1] == 12;
}

static void test_find(void) {
  unsigned char pkt[64];
  dredfx_extension found;
  const dredfx_extension exts[] = {{126, 0, U("X\x0c" "ab"), 4}, {126, 1, U("D\x0c" "cd"), 4},
                                   {126, 2, U("D\x0c" "ef"), 4}};
  int len = dredfx_ext_generate(pkt, 64, exts, 3, 3, 0), ret;
  ret = dredfx_ext_find(pkt, len, 3, 126, accept_dred, NULL, &found);
  CHECKF(ret == 1 && found.frame == 1 && !memcmp(found.data, "D\x0c" "cd", 4), "skip non-DRED");
  ret = dredfx_ext_find(pkt, len, 3, 126, NULL, NULL, &found);
  CHECKF(ret == 1 && found.frame == 0, "first 126");
  CHECKF(dredfx_ext_find(pkt, len, 3, 77, NULL, NULL, &found) == 0, "absent id");
  /* error after the match is not seen, error before it is reported */
  {
    /* ID 126 L=1 length 4, then a separator past the frame count of a 1-frame packet */
    unsigned char bad[7] = {0xFD, 4, 'D', 12, 9, 9, 0x02};
    ret = dredfx_ext_find(bad, 7, 1, 126, accept_dred, NULL, &found);
    CHECKF(ret == 1 && found.len == 4, "match before error: %d", ret);
    ret = dredfx_ext_find(bad + 6, 1, 1, 126, accept_dred, NULL, &found);
    CHECKF(ret == DREDFX_ERR_EXT_FRAME_INDEX, "error before match: %d", ret);
    bad[2] = 'E';
    ret = dredfx_ext_find(bad, 7, 1, 126, accept_dred, NULL, &found);
    CHECKF(ret == DREDFX_ERR_EXT_FRAME_INDEX, "rejected match, then error: %d", ret);
  }
  CHECKF(dredfx_ext_find(NULL, 3, 1, 126, NULL, NULL, &found) == DREDFX_ERR_BAD_ARG, "NULL");
}

/* ---------------------------------------------------------------- RFC 6716 section 3.4 */

static int parse(const unsigned char *p, int len, dredfx_packet_info *info) {
  return dredfx_packet_parse(p, len, info);
}

static void test_rfc_rules(void) {
  static unsigned char p[4000];
  dredfx_packet_info info;
  int ret;
  memset(p, 0x55, sizeof(p));
  /* R1 */
  CHECKF(parse(p, 0, &info) == DREDFX_ERR_PACKET_EMPTY, "R1 empty");
  /* code 0: one frame, up to 1275 bytes (R2) */
  p[0] = 15 << 3;
  CHECKF(parse(p, 1, &info) == 0 && info.nb_frames == 1 && info.frame_len[0] == 0, "code 0 empty");
  CHECKF(parse(p, 1276, &info) == 0 && info.frame_len[0] == 1275, "code 0 1275");
  CHECKF(parse(p, 1277, &info) == DREDFX_ERR_PACKET_FRAME_SIZE, "R2 code 0 1276");
  /* code 1: R3 odd payload, R2 */
  p[0] = 15 << 3 | 1;
  CHECKF(parse(p, 1, &info) == 0 && info.nb_frames == 2 && info.frame_len[1] == 0, "code 1 0+0");
  CHECKF(parse(p, 4, &info) == DREDFX_ERR_PACKET_CBR_SIZE, "R3 odd");
  CHECKF(parse(p, 2551, &info) == 0 && info.frame_len[0] == 1275 && info.frame_offset[1] == 1276,
        "code 1 2x1275");
  CHECKF(parse(p, 2553, &info) == DREDFX_ERR_PACKET_FRAME_SIZE, "R2 code 1 2x1276");
  /* code 2: R4 */
  p[0] = 15 << 3 | 2;
  CHECKF(parse(p, 1, &info) == DREDFX_ERR_PACKET_LENGTH, "R4 no length byte");
  p[1] = 252;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_LENGTH, "R4 truncated 2-byte length");
  p[1] = 10;
  CHECKF(parse(p, 11, &info) == DREDFX_ERR_PACKET_LENGTH, "R4 first frame past the end");
  CHECKF(parse(p, 12, &info) == 0 && info.frame_len[0] == 10 && info.frame_len[1] == 0, "10+0");
  p[1] = 253, p[2] = 3; /* 253 + 4*3 = 265 */
  CHECKF(parse(p, 3 + 265 + 7, &info) == 0 && info.frame_len[0] == 265 && info.frame_len[1] == 7 &&
            info.frame_offset[0] == 3, "2-byte length");
  p[1] = 255, p[2] = 255; /* 1275 */
  CHECKF(parse(p, 3 + 1275 + 1275, &info) == 0, "code 2 1275+1275");
  CHECKF(parse(p, 3 + 1275 + 1276, &info) == DREDFX_ERR_PACKET_FRAME_SIZE, "R2 code 2 second");
  /* code 3: R5 */
  p[0] = 15 << 3 | 3;
  CHECKF(parse(p, 1, &info) == DREDFX_ERR_PACKET_LENGTH, "code 3 without count byte");
  p[1] = 0;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_FRAME_COUNT, "R5 M=0");
  p[1] = 6; /* 6 x 20 ms = 120 ms */
  CHECKF(parse(p, 2, &info) == 0 && info.nb_frames == 6 && !info.vbr, "6 x 20 ms empty CBR");
  p[1] = 7;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_FRAME_COUNT, "R5 140 ms");
  p[0] = 16 << 3 | 3, p[1] = 48; /* CELT 2.5 ms x 48 */
  CHECKF(parse(p, 2 + 48 * 3, &info) == 0 && info.nb_frames == 48 && info.frame_len[47] == 3 &&
            info.samples_per_frame == 120, "48 x 2.5 ms");
  p[1] = 49;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_FRAME_COUNT, "R5 49 frames");
  p[0] = 3 << 3 | 3, p[1] = 2; /* SILK 60 ms x 2 */
  CHECKF(parse(p, 2, &info) == 0 && info.samples_per_frame == 2880, "2 x 60 ms");
  p[1] = 3;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_FRAME_COUNT, "R5 3 x 60 ms");
  /* R6 CBR */
  p[0] = 15 << 3 | 3, p[1] = 3;
  CHECKF(parse(p, 2 + 7, &info) == DREDFX_ERR_PACKET_CBR_SIZE, "R6 7 bytes / 3 frames");
  CHECKF(parse(p, 2 + 3 * 1276, &info) == DREDFX_ERR_PACKET_FRAME_SIZE, "R2 CBR 3x1276");
  p[1] = 0x40 | 2;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_PADDING, "R6 padding byte missing");
  p[2] = 5;
  CHECKF(parse(p, 3 + 4, &info) == DREDFX_ERR_PACKET_PADDING, "R6 padding past the end");
  CHECKF(parse(p, 3 + 5, &info) == 0 && info.padding_len == 5 && info.padding_offset == 3 &&
            info.frame_len[0] == 0, "padding only");
  CHECKF(parse(p, 3 + 5 + 3, &info) == DREDFX_ERR_PACKET_CBR_SIZE, "R6 CBR odd after padding");
  CHECKF(parse(p, 3 + 5 + 4, &info) == 0 && info.frame_len[1] == 2 && info.padding_offset == 7,
        "CBR with padding");
  p[2] = 255, p[3] = 255, p[4] = 0; /* 254 + 254 + 0 */
  CHECKF(parse(p, 5 + 508, &info) == 0 && info.padding_len == 508 && info.padding_offset == 5,
        "padding 255 255 0");
  CHECKF(parse(p, 5 + 507, &info) == DREDFX_ERR_PACKET_PADDING, "R6 chained padding short");
  CHECKF(parse(p, 4, &info) == DREDFX_ERR_PACKET_PADDING, "R6 chain truncated");
  /* R7 VBR */
  p[1] = 0x80 | 3;
  CHECKF(parse(p, 2, &info) == DREDFX_ERR_PACKET_LENGTH, "R7 no length bytes");
  p[2] = 1, p[3] = 2;
  CHECKF(parse(p, 4, &info) == DREDFX_ERR_PACKET_LENGTH, "R7 frames past the end");
  CHECKF(parse(p, 4 + 3, &info) == 0 && info.vbr && info.frame_len[0] == 1 &&
            info.frame_len[1] == 2 && info.frame_len[2] == 0 && info.frame_offset[2] == 7,
        "VBR 1, 2, 0");
  p[2] = 252;
  CHECKF(parse(p, 3, &info) == DREDFX_ERR_PACKET_LENGTH, "R7 truncated 2-byte length");
  p[1] = 0xC0 | 2, p[2] = 2, p[3] = 3;
  CHECKF(parse(p, 4 + 3, &info) == DREDFX_ERR_PACKET_LENGTH, "R7 VBR frames eat the padding");
  CHECKF(parse(p, 4 + 3 + 2 + 1, &info) == 0 && info.frame_len[1] == 1 && info.padding_len == 2 &&
            info.padding_offset == 4 + 4, "VBR with padding");
  p[3] = 0xFF, p[4] = 0xFF;
  ret = parse(p, 5 + 1275 + 1276 + 2, &info);
  CHECKF(ret == DREDFX_ERR_PACKET_FRAME_SIZE, "R2 VBR last frame 1276: %d", ret);
  CHECKF(parse(NULL, 3, &info) == DREDFX_ERR_BAD_ARG && parse(p, -1, &info) == DREDFX_ERR_BAD_ARG,
        "bad args");
  CHECKF(dredfx_is_invalid_packet(DREDFX_ERR_PACKET_EMPTY) &&
            dredfx_is_invalid_packet(DREDFX_ERR_EXT_OVERRUN) &&
            !dredfx_is_invalid_packet(DREDFX_ERR_BAD_ARG), "is_invalid_packet");
  CHECKF(dredfx_packet_samples_per_frame(0) == 480 && dredfx_packet_samples_per_frame(3 << 3) == 2880 &&
            dredfx_packet_samples_per_frame(13 << 3) == 960 &&
            dredfx_packet_samples_per_frame(12 << 3) == 480 &&
            dredfx_packet_samples_per_frame(31 << 3) == 960 &&
            dredfx_packet_samples_per_frame(16 << 3) == 120, "samples per frame");
}

/* ---------------------------------------------------------------- build */

static void test_build(void) {
  static const unsigned char a[3] = {1, 2, 3}, b[300] = {9};
  const unsigned char *frames[48];
  int16_t len[48];
  unsigned char buf[2000], padding[600];
  dredfx_packet_info info;
  int n, i;
  frames[0] = a, frames[1] = a, frames[2] = b;
  len[0] = 3, len[1] = 3, len[2] = 300;
  n = dredfx_packet_build(buf, sizeof(buf), 1, 1, frames, len, 1, NULL, 0, 0, 0);
  CHECKF(n == 4 && buf[0] == (1 << 3 | 4) && !memcmp(buf + 1, a, 3), "code 0");
  n = dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 2, NULL, 0, 0, 0);
  CHECKF(n == 7 && buf[0] == (1 << 3 | 1), "code 1");
  frames[1] = b, len[1] = 300;
  n = dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 2, NULL, 0, 0, 0);
  CHECKF(n == 1 + 1 + 303 && buf[0] == (1 << 3 | 2) && buf[1] == 3, "code 2 short length");
  frames[0] = b, len[0] = 300, frames[1] = a, len[1] = 3;
  n = dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 2, NULL, 0, 0, 0);
  CHECKF(n == 1 + 2 + 303 && buf[1] == 252 && buf[2] == 12, "code 2 two-byte length (300)");
  n = dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 2, NULL, 0, 1, 0);
  CHECKF(n == 2 + 2 + 303 && buf[0] == (1 << 3 | 3) && buf[1] == 0x82, "forced code 3 VBR");
  frames[0] = a, len[0] = 3;
  n = dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 1, NULL, 0, 1, 0);
  CHECKF(n == 5 && buf[1] == 1, "forced code 3 CBR, one frame");
  n = dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 1, NULL, 0, 1, 1);
  CHECKF(n == 5 && buf[1] == 0x81, "forced code 3 VBR, one frame");
  /* padding lengths: fewest 255 bytes, then 1..254 */
  for (i = 0; i < 600; i++) padding[i] = (unsigned char)i;
  {
    static const struct { int p, nbytes, b0, b1, b2; } pads[] = {
        {1, 1, 1, 0, 0},     {253, 1, 253, 0, 0}, {254, 1, 254, 0, 0}, {255, 2, 255, 1, 0},
        {508, 2, 255, 254, 0}, {509, 3, 255, 255, 1}};
    for (i = 0; i < (int)DREDFX_ARRAY_LEN(pads); i++) {
      n = dredfx_packet_build(buf, sizeof(buf), 15, 0, frames, len, 1, padding, pads[i].p, 0, 0);
      CHECKF(n == 2 + pads[i].nbytes + 3 + pads[i].p && buf[1] == 0x41 && buf[2] == pads[i].b0 &&
                (pads[i].nbytes < 2 || buf[3] == pads[i].b1) &&
                (pads[i].nbytes < 3 || buf[4] == pads[i].b2),
            "padding %d", pads[i].p);
      CHECKF(parse(buf, n, &info) == 0 && info.padding_len == pads[i].p &&
                !memcmp(buf + info.padding_offset, padding, (size_t)pads[i].p),
            "padding %d parses", pads[i].p);
    }
  }
  CHECKF(dredfx_packet_build(buf, 6, 15, 0, frames, len, 1, padding, 1, 0, 0) ==
            DREDFX_ERR_BUFFER_TOO_SMALL, "too small");
  CHECKF(dredfx_packet_build(buf, 7, 15, 0, frames, len, 1, padding, 1, 0, 0) == 7, "exact fit");
  len[0] = 1276;
  CHECKF(dredfx_packet_build(buf, sizeof(buf), 15, 0, frames, len, 1, NULL, 0, 0, 0) ==
            DREDFX_ERR_BAD_ARG, "frame 1276");
  len[0] = 3;
  for (i = 0; i < 48; i++) frames[i] = a, len[i] = 3;
  CHECKF(dredfx_packet_build(buf, sizeof(buf), 15, 0, frames, len, 7, NULL, 0, 0, 0) ==
            DREDFX_ERR_BAD_ARG, "140 ms");
  CHECKF(dredfx_packet_build(buf, sizeof(buf), 16, 0, frames, len, 48, NULL, 0, 0, 0) ==
            2 + 48 * 3, "48 CELT frames");
  CHECKF(dredfx_packet_build(buf, sizeof(buf), 32, 0, frames, len, 1, NULL, 0, 0, 0) ==
            DREDFX_ERR_BAD_ARG, "config 32");
  CHECKF(dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 0, NULL, 0, 0, 0) ==
            DREDFX_ERR_BAD_ARG, "0 frames");
  CHECKF(dredfx_packet_build(buf, sizeof(buf), 1, 0, frames, len, 1, NULL, 3, 0, 0) ==
            DREDFX_ERR_BAD_ARG, "NULL padding");
}

static void test_build_parse_random(void) {
  static unsigned char data[48][1275], padding[1200], buf[70000];
  const unsigned char *frames[48];
  int16_t len[48];
  int it, ok = 1;
  for (it = 0; it < 3000 && ok; it++) {
    int config = rnd_below(32), stereo = rnd_below(2), i, n;
    int maxf = 5760 / dredfx_packet_samples_per_frame(config << 3);
    int nb = 1 + rnd_below(DREDFX_MIN(maxf, 48)), force = rnd_below(4) == 0, vbr = rnd_below(3) == 0;
    int plen = rnd_below(3) == 0 ? rnd_below(1200) : 0, same = rnd_below(2);
    dredfx_packet_info info;
    for (i = 0; i < nb; i++) {
      len[i] = (int16_t)(same && i ? len[0] : rnd_below(8) == 0 ? rnd_below(1276) : rnd_below(300));
      frames[i] = data[i];
      data[i][0] = (unsigned char)rnd();
    }
    n = dredfx_packet_build(buf, sizeof(buf), config, stereo, frames, len, nb, padding, plen, force,
                            vbr);
    ok &= n > 0 && parse(buf, n, &info) == 0 && info.nb_frames == nb && info.config == config &&
          info.stereo == stereo && info.padding_len == plen && info.padding_offset + plen == n;
    for (i = 0; ok && i < nb; i++)
      ok &= info.frame_len[i] == len[i] && (len[i] == 0 || buf[info.frame_offset[i]] == data[i][0]);
    ok &= info.code == (nb > 2 || plen || force ? 3 : nb == 1 ? 0 : len[0] == len[1] ? 1 : 2);
  }
  CHECKF(ok, "build/parse round trip (iteration %d)", it);
}

/* ---------------------------------------------------------------- robustness */

static void test_random_bytes(void) {
  static unsigned char buf[3000], regen[80000];
  static dredfx_extension exts[10000], again[10000];
  int it, ok = 1, valid = 0, roundtrips = 0;
  for (it = 0; it < 200000 && ok; it++) {
    int len = rnd_below(8) == 0 ? rnd_below(3000) : rnd_below(64), i, n, nb_frames = rnd_below(49);
    dredfx_packet_info info;
    for (i = 0; i < len; i++) buf[i] = rnd_below(3) ? (unsigned char)rnd() : (unsigned char)rnd_below(8);
    n = parse(buf, len, &info);
    if (n == 0) {
      int64_t end = info.padding_offset + (int64_t)info.padding_len;
      for (i = 0; i < info.nb_frames; i++)
        ok &= info.frame_offset[i] >= 1 && info.frame_offset[i] + info.frame_len[i] <= len;
      ok &= end <= len;
    } else {
      ok &= dredfx_is_invalid_packet(n);
    }
    n = dredfx_ext_parse(buf, len, nb_frames, exts, 10000);
    ok &= n >= 0 || dredfx_is_invalid_packet(n) || n == DREDFX_ERR_BUFFER_TOO_SMALL;
    if (n == DREDFX_ERR_BUFFER_TOO_SMALL)
      ok &= dredfx_ext_count(buf, len, nb_frames) > 10000;
    else
      ok &= dredfx_ext_count(buf, len, nb_frames) == n;
    for (i = 0; i < n; i++)
      ok &= exts[i].id >= 3 && exts[i].id <= 127 && exts[i].frame >= 0 &&
            exts[i].frame < nb_frames && exts[i].data >= buf && exts[i].len >= 0 &&
            exts[i].data + exts[i].len <= buf + len && (exts[i].id >= 32 || exts[i].len <= 1);
    if (n > 0) {
      int m = dredfx_ext_generate(regen, sizeof(regen), exts, n, nb_frames, 0);
      valid++;
      ok &= m >= 0;
      if (m >= 0) {
        int k = dredfx_ext_parse(regen, m, nb_frames, again, 10000);
        ok &= k == n && same_per_frame(exts, n, again, k, nb_frames);
        roundtrips++;
      }
    }
  }
  CHECKF(ok, "random bytes (iteration %d)", it);
  CHECKF(valid > 1000 && roundtrips == valid, "%d paddings with extensions, %d round trips", valid,
        roundtrips);
}

int main(void) {
  test_generate_basic();
  test_parse_basic();
  test_parse_fail();
  test_repeating();
  test_known_answers();
  test_repacketizer_answers();
  test_pad_answers();
  test_find();
  test_rfc_rules();
  test_build();
  test_build_parse_random();
  test_random_bytes();
  return check_report("test_packet");
}
