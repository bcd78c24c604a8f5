/* Opus packet framing (RFC 6716 section 3): TOC byte, codes 0..3, padding. The parser accepts
 * exactly what libopus 1.6.1 opus_packet_parse_impl accepts (undelimited framing) and names the
 * section 3.4 rule a malformed packet breaks. */
#include <string.h>

#include "packet/packet.h"

#define MAX_PACKET_SAMPLES 5760 /* 120 ms at 48 kHz */
#define PADDING_CONTINUE 255    /* padding-length byte: 254 bytes and another length byte */

int dredfx_packet_samples_per_frame(int toc) {
  if (toc < 0 || toc > 255) return DREDFX_ERR_BAD_ARG;
  if (toc & 0x80) return 120 << ((toc >> 3) & 3);       /* CELT: 2.5, 5, 10, 20 ms */
  if ((toc & 0x60) == 0x60) return (toc & 0x08) ? 960 : 480; /* hybrid: 10, 20 ms */
  if (((toc >> 3) & 3) == 3) return 2880;               /* SILK: 60 ms */
  return 480 << ((toc >> 3) & 3);                       /* SILK: 10, 20, 40 ms */
}

/* Frame length of codes 2 and 3 VBR: one byte < 252, or two bytes (first + 4 * second).
 * Returns the bytes used or -1 if they run past rem. */
static int parse_size(const unsigned char *p, int32_t rem, int32_t *size) {
  if (rem < 1) return -1;
  if (p[0] < 252) {
    *size = p[0];
    return 1;
  }
  if (rem < 2) return -1;
  *size = 4 * p[1] + p[0];
  return 2;
}

int dredfx_packet_parse(const unsigned char *data, int32_t len, dredfx_packet_info *info) {
  int32_t pos, rem, last_size, pad = 0, size[DREDFX_MAX_FRAMES];
  int i, count, spf, toc;
  if (!info || len < 0 || (!data && len > 0)) return DREDFX_ERR_BAD_ARG;
  if (len == 0) return DREDFX_ERR_PACKET_EMPTY; /* R1 */
  memset(info, 0, sizeof(*info));
  toc = data[0];
  spf = dredfx_packet_samples_per_frame(toc);
  pos = 1;
  rem = len - 1;
  last_size = rem;
  switch (toc & 3) {
    case 0:
      count = 1;
      break;
    case 1: /* R3: two frames of equal size */
      count = 2;
      if (rem & 1) return DREDFX_ERR_PACKET_CBR_SIZE;
      last_size = rem / 2;
      size[0] = last_size;
      break;
    case 2: { /* R4: the first frame's length fits */
      int bytes;
      count = 2;
      bytes = parse_size(data + pos, rem, &size[0]);
      if (bytes < 0) return DREDFX_ERR_PACKET_LENGTH;
      rem -= bytes;
      if (size[0] > rem) return DREDFX_ERR_PACKET_LENGTH;
      pos += bytes;
      last_size = rem - size[0];
      break;
    }
    default: { /* code 3: R5, R6, R7 */
      int ch;
      if (rem < 1) return DREDFX_ERR_PACKET_LENGTH;
      ch = data[pos++];
      rem--;
      count = ch & 0x3F;
      if (count == 0 || spf * count > MAX_PACKET_SAMPLES) return DREDFX_ERR_PACKET_FRAME_COUNT;
      if (ch & 0x40) {
        int p;
        do {
          int32_t add;
          if (rem <= 0) return DREDFX_ERR_PACKET_PADDING;
          p = data[pos++];
          rem--;
          add = p == PADDING_CONTINUE ? 254 : p;
          rem -= add;
          pad += add;
        } while (p == PADDING_CONTINUE);
        if (rem < 0) return DREDFX_ERR_PACKET_PADDING;
      }
      info->vbr = (ch & 0x80) != 0;
      if (info->vbr) {
        last_size = rem;
        for (i = 0; i < count - 1; i++) {
          int bytes = parse_size(data + pos, rem, &size[i]);
          if (bytes < 0) return DREDFX_ERR_PACKET_LENGTH;
          rem -= bytes;
          if (size[i] > rem) return DREDFX_ERR_PACKET_LENGTH;
          pos += bytes;
          last_size -= bytes + size[i];
        }
        if (last_size < 0) return DREDFX_ERR_PACKET_LENGTH;
      } else {
        last_size = rem / count;
        if (last_size * count != rem) return DREDFX_ERR_PACKET_CBR_SIZE;
        for (i = 0; i < count - 1; i++) size[i] = last_size;
      }
      break;
    }
  }
  /* R2: the implicit last (or CBR) size can exceed what a length byte could code */
  if (last_size > DREDFX_MAX_FRAME_BYTES) return DREDFX_ERR_PACKET_FRAME_SIZE;
  size[count - 1] = last_size;

  info->toc = toc;
  info->config = toc >> 3;
  info->stereo = (toc >> 2) & 1;
  info->code = toc & 3;
  info->nb_frames = count;
  info->samples_per_frame = spf;
  for (i = 0; i < count; i++) {
    info->frame_offset[i] = pos;
    info->frame_len[i] = (int16_t)size[i];
    pos += size[i];
  }
  info->padding_offset = pos;
  info->padding_len = pad;
  return 0;
}

static int size_bytes(int32_t size) {
  return size < 252 ? 1 : 2;
}

static unsigned char *write_size(unsigned char *p, int32_t size) {
  if (size < 252) {
    *p++ = (unsigned char)size;
  } else {
    int first = 252 + (size & 3);
    *p++ = (unsigned char)first;
    *p++ = (unsigned char)((size - first) >> 2);
  }
  return p;
}

/* Padding-length bytes as libopus writes them: the fewest 255s, then the remainder (1..254). */
static int32_t padding_length_bytes(int32_t padding_len) {
  return padding_len > 0 ? (padding_len - 1) / 254 + 1 : 0;
}

int dredfx_packet_build(unsigned char *out, int32_t maxlen, int config, int stereo,
                        const unsigned char *const *frames, const int16_t *frame_len, int nb_frames,
                        const unsigned char *padding, int32_t padding_len, int force_code3, int vbr) {
  int64_t total;
  int i, code, equal = 1;
  unsigned char *p = out;
  if (!out || maxlen < 0 || config < 0 || config > 31 || (stereo != 0 && stereo != 1) ||
      !frames || !frame_len || nb_frames < 1 || nb_frames > DREDFX_MAX_FRAMES ||
      padding_len < 0 || (!padding && padding_len > 0))
    return DREDFX_ERR_BAD_ARG;
  if (dredfx_packet_samples_per_frame(config << 3) * nb_frames > MAX_PACKET_SAMPLES)
    return DREDFX_ERR_BAD_ARG;
  total = 1;
  for (i = 0; i < nb_frames; i++) {
    if (frame_len[i] < 0 || frame_len[i] > DREDFX_MAX_FRAME_BYTES ||
        (!frames[i] && frame_len[i] > 0))
      return DREDFX_ERR_BAD_ARG;
    if (frame_len[i] != frame_len[0]) equal = 0;
    total += frame_len[i];
  }
  if (nb_frames > 2 || padding_len > 0 || force_code3) {
    code = 3;
    vbr = vbr || !equal;
    total += 1 + padding_length_bytes(padding_len) + padding_len;
    if (vbr)
      for (i = 0; i < nb_frames - 1; i++) total += size_bytes(frame_len[i]);
  } else if (nb_frames == 1) {
    code = 0;
  } else if (equal) {
    code = 1;
  } else {
    code = 2;
    total += size_bytes(frame_len[0]);
  }
  if (total > maxlen) return DREDFX_ERR_BUFFER_TOO_SMALL;

  *p++ = (unsigned char)(config << 3 | stereo << 2 | code);
  if (code == 2) p = write_size(p, frame_len[0]);
  if (code == 3) {
    int32_t n255 = padding_length_bytes(padding_len) - 1;
    *p++ = (unsigned char)(nb_frames | (padding_len > 0 ? 0x40 : 0) | (vbr ? 0x80 : 0));
    for (i = 0; i < n255; i++) *p++ = PADDING_CONTINUE;
    if (padding_len > 0) *p++ = (unsigned char)(padding_len - 254 * n255);
    if (vbr)
      for (i = 0; i < nb_frames - 1; i++) p = write_size(p, frame_len[i]);
  }
  for (i = 0; i < nb_frames; i++) {
    if (frame_len[i] > 0) memcpy(p, frames[i], (size_t)frame_len[i]);
    p += frame_len[i];
  }
  if (padding_len > 0) memcpy(p, padding, (size_t)padding_len);
  return (int)total;
}

/* ---------------------------------------------------------------- repacketizer (libopus) */

int dredfx_packet_repacketize(unsigned char *out, int32_t maxlen, int toc, const unsigned char *const *frames,
                              const int16_t *frame_len, int nb_frames, const dredfx_extension *exts,
                              int nb_exts, int pad) {
  int64_t tot; /* int64: a sum of 48 frames of 1275 bytes plus headers cannot overflow it */
  int32_t pad_amount = 0, ext_len = 0, nb_255s = 0;
  int i, code, vbr = 0;
  unsigned char *p = out;
  if (!out || maxlen < 0 || toc < 0 || toc > 255 || !frames || !frame_len || nb_frames < 1 ||
      nb_frames > DREDFX_MAX_FRAMES || nb_exts < 0 || (!exts && nb_exts > 0))
    return DREDFX_ERR_BAD_ARG;
  if (dredfx_packet_samples_per_frame(toc) * nb_frames > MAX_PACKET_SAMPLES) return DREDFX_ERR_BAD_ARG;
  for (i = 0; i < nb_frames; i++) {
    if (frame_len[i] < 0 || frame_len[i] > DREDFX_MAX_FRAME_BYTES || (!frames[i] && frame_len[i] > 0))
      return DREDFX_ERR_BAD_ARG;
    if (frame_len[i] != frame_len[0]) vbr = 1;
  }
  /* libopus opus_repacketizer_out_range_impl (self_delimited = 0), step by step. */
  if (nb_frames == 1) {
    code = 0;
    tot = frame_len[0] + 1;
  } else if (nb_frames == 2 && !vbr) {
    code = 1;
    tot = 2 * frame_len[0] + 1;
  } else if (nb_frames == 2) {
    code = 2;
    tot = frame_len[0] + frame_len[1] + 2 + (frame_len[0] >= 252);
  } else {
    code = 3;
    tot = 0;
  }
  if (code < 3 && tot > maxlen) return DREDFX_ERR_BUFFER_TOO_SMALL;
  if (nb_frames > 2 || (pad && tot < maxlen) || nb_exts > 0) {
    code = 3;
    if (vbr) {
      tot = 2;
      for (i = 0; i < nb_frames - 1; i++) tot += size_bytes(frame_len[i]) + frame_len[i];
      tot += frame_len[nb_frames - 1];
    } else {
      tot = (int64_t)nb_frames * frame_len[0] + 2;
    }
    if (tot > maxlen) return DREDFX_ERR_BUFFER_TOO_SMALL;
    pad_amount = pad ? maxlen - (int32_t)tot : 0;
    if (nb_exts > 0) {
      ext_len = dredfx_ext_generate(NULL, maxlen - (int32_t)tot, exts, nb_exts, nb_frames, 0);
      if (ext_len < 0) return ext_len;
      if (!pad) pad_amount = ext_len + (ext_len ? (ext_len + 253) / 254 : 1);
    }
    if (pad_amount != 0) {
      nb_255s = (pad_amount - 1) / 255;
      if (tot + ext_len + nb_255s + 1 > maxlen) return DREDFX_ERR_BUFFER_TOO_SMALL;
    }
  }

  *p++ = (unsigned char)((toc & 0xFC) | code);
  if (code == 2) p = write_size(p, frame_len[0]);
  if (code == 3) {
    *p++ = (unsigned char)(nb_frames | (vbr ? 0x80 : 0) | (pad_amount ? 0x40 : 0));
    for (i = 0; i < nb_255s; i++) *p++ = PADDING_CONTINUE;
    if (pad_amount) *p++ = (unsigned char)(pad_amount - 255 * nb_255s - 1);
    if (vbr)
      for (i = 0; i < nb_frames - 1; i++) p = write_size(p, frame_len[i]);
  }
  for (i = 0; i < nb_frames; i++) {
    if (frame_len[i] > 0) memcpy(p, frames[i], (size_t)frame_len[i]);
    p += frame_len[i];
  }
  if (pad_amount) {
    const int64_t total = tot + pad_amount;
    unsigned char *ext_begin = out + (total - ext_len);
    /* Between the frames and the extensions: 0x01 (padding extension ID 0, L = 1, no payload)
     * bytes, or zeros when the packet carries no extension (libopus' opus_packet_pad). */
    memset(p, nb_exts > 0 ? 0x01 : 0x00, (size_t)(ext_begin - p));
    if (ext_len > 0) {
      int32_t r = dredfx_ext_generate(ext_begin, ext_len, exts, nb_exts, nb_frames, 0);
      if (r != ext_len) return r < 0 ? r : DREDFX_ERR_INTERNAL;
    }
    return (int)total;
  }
  return (int)tot;
}

int dredfx_packet_pad(unsigned char *out, int32_t maxlen, const unsigned char *in, int32_t len,
                      const dredfx_extension *exts, int nb_exts, int pad) {
  dredfx_packet_info info;
  dredfx_extension all[DREDFX_MAX_PAD_EXTENSIONS];
  const unsigned char *frames[DREDFX_MAX_FRAMES];
  int i, n, rc;
  if (!out || !in || len < 1 || maxlen < 0 || nb_exts < 0 || (!exts && nb_exts > 0)) return DREDFX_ERR_BAD_ARG;
  if (len > maxlen) return DREDFX_ERR_BAD_ARG;
  if (len == maxlen && nb_exts == 0) { /* libopus returns the packet as it is */
    if (out != in) memmove(out, in, (size_t)len);
    return (int)len;
  }
  if (nb_exts > DREDFX_MAX_PAD_EXTENSIONS) return DREDFX_ERR_BUFFER_TOO_SMALL;
  rc = dredfx_packet_parse(in, len, &info);
  if (rc < 0) return rc;
  for (i = 0; i < nb_exts; i++) all[i] = exts[i];
  n = 0;
  if (info.padding_len > 0) {
    n = dredfx_ext_parse(in + info.padding_offset, info.padding_len, info.nb_frames, all + nb_exts,
                         DREDFX_MAX_PAD_EXTENSIONS - nb_exts);
    if (n < 0) return n;
  }
  for (i = 0; i < info.nb_frames; i++) frames[i] = in + info.frame_offset[i];
  return dredfx_packet_repacketize(out, maxlen, info.toc, frames, info.frame_len, info.nb_frames, all,
                                   nb_exts + n, pad);
}
