/* libFuzzer target: Opus packet parser, padding-extension parser/counter/generator, and
 * repacketizer (dredfx_packet_pad).
 * Byte 0 picks the frame count for a raw padding parse; the rest is parsed as a packet and as a
 * padding area. What parses is regenerated and parsed again: the same extensions per frame. */
#include <stdlib.h>
#include <string.h>

#include "dredfx.h"
#include "packet/packet.h"

#define MAX_EXTS 4096

/* Stable order by frame (counting sort), so lists compare frame by frame in O(n). */
static void frame_order(const dredfx_extension *e, int n, int *order) {
  int start[DREDFX_MAX_FRAMES + 1] = {0}, i;
  for (i = 0; i < n; i++) start[e[i].frame + 1]++;
  for (i = 0; i < DREDFX_MAX_FRAMES; i++) start[i + 1] += start[i];
  for (i = 0; i < n; i++) order[start[e[i].frame]++] = i;
}

static int same_per_frame(const dredfx_extension *a, const dredfx_extension *b, int n) {
  static int oa[MAX_EXTS], ob[MAX_EXTS];
  int i;
  frame_order(a, n, oa);
  frame_order(b, n, ob);
  for (i = 0; i < n; i++) {
    const dredfx_extension *x = &a[oa[i]], *y = &b[ob[i]];
    if (x->frame != y->frame || x->id != y->id || x->len != y->len ||
        (x->len && memcmp(x->data, y->data, (size_t)x->len)))
      return 0;
  }
  return 1;
}

static void check_padding(const unsigned char *pad, int32_t len, int nb_frames) {
  static dredfx_extension exts[MAX_EXTS], again[MAX_EXTS];
  static unsigned char regen[1 << 20];
  int n = dredfx_ext_parse(pad, len, nb_frames, exts, MAX_EXTS), c, i;
  c = dredfx_ext_count(pad, len, nb_frames);
  if (n != DREDFX_ERR_BUFFER_TOO_SMALL && c != n) abort();
  /* an error past the first MAX_EXTS extensions reaches count but not parse */
  if (n == DREDFX_ERR_BUFFER_TOO_SMALL && c <= MAX_EXTS && !dredfx_is_invalid_packet(c)) abort();
  if (n < 0) {
    if (n != DREDFX_ERR_BUFFER_TOO_SMALL && !dredfx_is_invalid_packet(n)) abort();
    return;
  }
  for (i = 0; i < n; i++)
    if (exts[i].id < 3 || exts[i].id > 127 || exts[i].frame < 0 || exts[i].frame >= nb_frames ||
        exts[i].data < pad || exts[i].len < 0 || exts[i].data + exts[i].len > pad + len)
      abort();
  {
    int m = dredfx_ext_generate(regen, sizeof(regen), exts, n, nb_frames, 0), k;
    if (m < 0) abort();
    k = dredfx_ext_parse(regen, m, nb_frames, again, MAX_EXTS);
    if (k != n || !same_per_frame(exts, again, n)) abort();
  }
}

/* dredfx_packet_pad of a valid packet, CBR to a length taken from the input and VBR, with one
 * new extension: a result must parse, hold the same frames, and have exactly the CBR length. */
static void check_pad(const unsigned char *pkt, int32_t len, const dredfx_packet_info *info, int extra) {
  static unsigned char out[1 << 17];
  dredfx_packet_info again;
  const dredfx_extension ext = {126, 0, pkt, len < 8 ? len : 8};
  int pad, i;
  for (pad = 0; pad <= 1; pad++) {
    const int32_t maxlen = len + extra;
    int r = dredfx_packet_pad(out, maxlen, pkt, len, &ext, 1, pad);
    if (r < 0) {
      if (r != DREDFX_ERR_BUFFER_TOO_SMALL && !dredfx_is_invalid_packet(r)) abort();
      continue;
    }
    if (r > maxlen || (pad && r != maxlen)) abort();
    if (dredfx_packet_parse(out, r, &again) != 0 || again.nb_frames != info->nb_frames) abort();
    for (i = 0; i < info->nb_frames; i++)
      if (again.frame_len[i] != info->frame_len[i] ||
          memcmp(out + again.frame_offset[i], pkt + info->frame_offset[i], (size_t)info->frame_len[i]))
        abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dredfx_packet_info info;
  int32_t len;
  if (size < 1 || size > (1 << 16)) return 0;
  len = (int32_t)size - 1;
  check_padding(data + 1, len, data[0] % 49);
  if (dredfx_packet_parse(data + 1, len, &info) == 0) {
    if (info.padding_offset + (int64_t)info.padding_len > len) abort();
    check_padding(data + 1 + info.padding_offset, info.padding_len, info.nb_frames);
    check_pad(data + 1, len, &info, data[0] * 3);
  }
  return 0;
}
