/* Opus padding extensions as libopus 1.6.1 (src/extensions.c) reads and writes them:
 * short (ID 3..31) and long (ID 32..127) forms, frame separators (ID 1), padding (ID 0) and
 * "repeat these extensions" indicators (ID 2), as opus_packet_extensions_parse and
 * opus_packet_extensions_generate read and write them. */
#include <string.h>

#include "packet/packet.h"

#define EXT_ID_SEPARATOR 1
#define EXT_ID_REPEAT 2
#define EXT_ID_FIRST 3
#define EXT_ID_FIRST_LONG 32
#define EXT_ID_LAST 127

/* Skips the payload of an extension whose header byte is id_byte, starting at *pos with rem
 * bytes left. A long extension with L = 0 runs to rem - trailing. Sets *header_size to the
 * lacing bytes read. Returns the bytes left after it, or -1 on an overrun. Repeat indicators
 * and 0x01 padding have no payload. */
static int32_t skip_payload(const unsigned char *data, int32_t *pos, int32_t rem, int id_byte,
                            int32_t trailing, int32_t *header_size) {
  int id = id_byte >> 1, l = id_byte & 1;
  int32_t p = *pos, lacing_bytes = 0;
  if ((id == 0 && l == 1) || id == EXT_ID_REPEAT) {
    /* header only */
  } else if (id > 0 && id < EXT_ID_FIRST_LONG) {
    if (rem < l) return -1;
    p += l;
    rem -= l;
  } else if (l == 0) {
    /* long L = 0, and ID 0 L = 0 (rest is padding): everything but the trailing bytes */
    if (rem < trailing) return -1;
    p += rem - trailing;
    rem = trailing;
  } else {
    int32_t bytes = 0;
    int lacing;
    do {
      if (rem < 1) return -1;
      lacing = data[p++];
      bytes += lacing;
      lacing_bytes++;
      rem -= lacing + 1;
    } while (lacing == 255);
    if (rem < 0) return -1;
    p += bytes;
  }
  *pos = p;
  *header_size = lacing_bytes;
  return rem;
}

/* Skips one whole extension (header byte and payload). Returns the bytes left or -1. */
static int32_t skip_extension(const unsigned char *data, int32_t *pos, int32_t rem,
                              int32_t *header_size) {
  int32_t p = *pos;
  int id_byte;
  if (rem == 0) {
    *header_size = 0;
    return 0;
  }
  id_byte = data[p++];
  rem = skip_payload(data, &p, rem - 1, id_byte, 0, header_size);
  if (rem >= 0) {
    *pos = p;
    (*header_size)++;
  }
  return rem;
}

void dredfx_ext_iter_init(dredfx_ext_iter *it, const unsigned char *data, int32_t len,
                          int nb_frames) {
  memset(it, 0, sizeof(*it));
  it->data = data;
  it->len = len;
  it->last_long = -1;
  it->nb_frames = nb_frames;
}

static int iter_fail(dredfx_ext_iter *it, int err) {
  it->err = err;
  return err;
}

static void set_ext(dredfx_extension *ext, int id, int frame, const unsigned char *data,
                    int32_t len) {
  if (ext) {
    ext->id = id;
    ext->frame = frame;
    ext->data = data;
    ext->len = len;
  }
}

/* Serves the payloads that follow a repeat indicator: for each later frame, one payload per
 * extension of the group [group_start, src_end), without header bytes. Returns 1 with an
 * extension, 0 when all are served, or an error. */
static int iter_next_repeat(dredfx_ext_iter *it, dredfx_extension *ext) {
  for (; it->repeat_frame < it->nb_frames; it->repeat_frame++) {
    while (it->src_pos < it->src_end) {
      int32_t start, header_size, rem;
      int id_byte = it->data[it->src_pos];
      /* The group was parsed once already, so this cannot fail; checked all the same. */
      if (skip_extension(it->data, &it->src_pos, it->src_end - it->src_pos, &header_size) < 0)
        return iter_fail(it, DREDFX_ERR_EXT_OVERRUN);
      /* padding and zero-increment separators are not repeated */
      if (id_byte <= 3) continue;
      /* R = 0: the last long extension of the group runs to the end in the last frame,
       * leaving room for the short payloads repeated after it. */
      if (it->repeat_l == 0 && it->repeat_frame + 1 >= it->nb_frames &&
          it->src_pos == it->last_long)
        id_byte &= ~1;
      start = it->pos;
      rem = skip_payload(it->data, &it->pos, it->len - it->pos, id_byte, it->trailing_short,
                         &header_size);
      if (rem < 0) return iter_fail(it, DREDFX_ERR_EXT_OVERRUN);
      set_ext(ext, id_byte >> 1, it->repeat_frame, it->data + start + header_size,
              it->pos - start - header_size);
      return 1;
    }
    it->src_pos = it->group_start;
  }
  it->group_start = it->pos;
  it->last_long = -1;
  /* R = 0 acts as a separator; past the last frame the rest is ignored */
  if (it->repeat_l == 0) {
    it->frame++;
    if (it->frame >= it->nb_frames) it->pos = it->len;
  }
  it->repeat_frame = 0;
  return 0;
}

int dredfx_ext_iter_next(dredfx_ext_iter *it, dredfx_extension *ext) {
  if (it->err) return it->err;
  if (it->repeat_frame > 0) {
    int ret = iter_next_repeat(it, ext);
    if (ret) return ret;
  }
  if (it->frame >= it->nb_frames) return 0;
  while (it->pos < it->len) {
    int32_t start = it->pos, header_size;
    int id = it->data[start] >> 1, l = it->data[start] & 1;
    if (skip_extension(it->data, &it->pos, it->len - it->pos, &header_size) < 0)
      return iter_fail(it, DREDFX_ERR_EXT_OVERRUN);
    if (id == EXT_ID_SEPARATOR) {
      if (l == 0) {
        it->frame++;
      } else {
        int inc = it->data[start + 1];
        /* an increment of 0 is a no-op: the group goes on */
        if (inc == 0) continue;
        it->frame += inc;
      }
      if (it->frame >= it->nb_frames) return iter_fail(it, DREDFX_ERR_EXT_FRAME_INDEX);
      it->group_start = it->pos;
      it->last_long = -1;
      it->trailing_short = 0;
    } else if (id == EXT_ID_REPEAT) {
      int ret;
      it->repeat_l = l;
      it->repeat_frame = it->frame + 1;
      it->src_pos = it->group_start;
      it->src_end = start;
      ret = iter_next_repeat(it, ext);
      if (ret) return ret;
    } else if (id >= EXT_ID_FIRST) {
      if (id >= EXT_ID_FIRST_LONG) {
        it->last_long = it->pos;
        it->trailing_short = 0;
      } else {
        it->trailing_short += l;
      }
      set_ext(ext, id, it->frame, it->data + start + header_size, it->pos - start - header_size);
      return 1;
    }
  }
  return 0;
}

static int check_padding_args(const unsigned char *padding, int32_t len, int nb_frames) {
  if (len < 0 || (!padding && len > 0) || nb_frames < 0 || nb_frames > DREDFX_MAX_FRAMES)
    return DREDFX_ERR_BAD_ARG;
  return 0;
}

int dredfx_ext_parse(const unsigned char *padding, int32_t len, int nb_frames,
                     dredfx_extension *exts, int max_exts) {
  dredfx_ext_iter it;
  dredfx_extension ext;
  int count = 0, ret = check_padding_args(padding, len, nb_frames);
  if (ret) return ret;
  if (max_exts < 0 || (!exts && max_exts > 0)) return DREDFX_ERR_BAD_ARG;
  dredfx_ext_iter_init(&it, padding, len, nb_frames);
  while ((ret = dredfx_ext_iter_next(&it, &ext)) > 0) {
    if (count == max_exts) return DREDFX_ERR_BUFFER_TOO_SMALL;
    exts[count++] = ext;
  }
  return ret < 0 ? ret : count;
}

int dredfx_ext_count(const unsigned char *padding, int32_t len, int nb_frames) {
  dredfx_ext_iter it;
  int count = 0, ret = check_padding_args(padding, len, nb_frames);
  if (ret) return ret;
  dredfx_ext_iter_init(&it, padding, len, nb_frames);
  while ((ret = dredfx_ext_iter_next(&it, NULL)) > 0) count++;
  return ret < 0 ? ret : count;
}

int dredfx_ext_find(const unsigned char *padding, int32_t len, int nb_frames, int id,
                    int (*accept)(const dredfx_extension *ext, void *ctx), void *ctx,
                    dredfx_extension *out) {
  dredfx_ext_iter it;
  dredfx_extension ext;
  int ret = check_padding_args(padding, len, nb_frames);
  if (ret) return ret;
  if (!out) return DREDFX_ERR_BAD_ARG;
  dredfx_ext_iter_init(&it, padding, len, nb_frames);
  while ((ret = dredfx_ext_iter_next(&it, &ext)) > 0) {
    if (ext.id == id && (!accept || accept(&ext, ctx))) {
      *out = ext;
      return 1;
    }
  }
  return ret;
}

/* ---------------------------------------------------------------- generator */

/* Writes the payload of e at pos (out may be NULL: count only). A long extension is written
 * with a lacing length unless it is the last thing written (then its header has L = 0). */
static int32_t write_payload(unsigned char *out, int32_t len, int32_t pos,
                             const dredfx_extension *e, int last) {
  if (e->id < EXT_ID_FIRST_LONG) {
    if (e->len > 0) {
      if (len - pos < e->len) return DREDFX_ERR_BUFFER_TOO_SMALL;
      if (out) out[pos] = e->data[0];
      pos++;
    }
  } else {
    int32_t lacing = last ? 0 : 1 + e->len / 255;
    if ((int64_t)len - pos < (int64_t)lacing + e->len) return DREDFX_ERR_BUFFER_TOO_SMALL;
    if (!last) {
      int32_t j;
      for (j = 0; j < e->len / 255; j++) {
        if (out) out[pos] = 255;
        pos++;
      }
      if (out) out[pos] = (unsigned char)(e->len % 255);
      pos++;
    }
    if (out && e->len > 0) memcpy(out + pos, e->data, (size_t)e->len);
    pos += e->len;
  }
  return pos;
}

static int32_t write_extension(unsigned char *out, int32_t len, int32_t pos,
                               const dredfx_extension *e, int last) {
  if (len - pos < 1) return DREDFX_ERR_BUFFER_TOO_SMALL;
  if (out)
    out[pos] = (unsigned char)((e->id << 1) + (e->id < EXT_ID_FIRST_LONG ? e->len : !last));
  return write_payload(out, len, pos + 1, e, last);
}

static int check_generate_args(int32_t len, const dredfx_extension *exts, int n, int nb_frames) {
  int i;
  if (len < 0 || n < 0 || (!exts && n > 0) || nb_frames < 0 || nb_frames > DREDFX_MAX_FRAMES)
    return DREDFX_ERR_BAD_ARG;
  for (i = 0; i < n; i++) {
    const dredfx_extension *e = &exts[i];
    if (e->frame < 0 || e->frame >= nb_frames || e->id < EXT_ID_FIRST || e->id > EXT_ID_LAST ||
        e->len < 0 || (e->id < EXT_ID_FIRST_LONG && e->len > 1) || (!e->data && e->len > 0))
      return DREDFX_ERR_BAD_ARG;
  }
  return 0;
}

/* Same choices as opus_packet_extensions_generate: frames in increasing order; the extensions
 * of frame f are repeated (ID 2) while each has a counterpart of the same ID (and, if short,
 * the same length) in every later frame, in order. Works in O(n) when the list is in frame
 * order, any order being accepted. */
int dredfx_ext_generate(unsigned char *out, int32_t len, const dredfx_extension *exts, int n,
                        int nb_frames, int pad) {
  int32_t frame_min[DREDFX_MAX_FRAMES], frame_max[DREDFX_MAX_FRAMES];
  int32_t frame_repeat[DREDFX_MAX_FRAMES];
  int32_t pos = 0, written = 0, i;
  int f, curr_frame = 0;
  int ret = check_generate_args(len, exts, n, nb_frames);
  if (ret) return ret;

  for (f = 0; f < nb_frames; f++) {
    frame_min[f] = n;
    frame_max[f] = 0;
  }
  for (i = 0; i < n; i++) {
    f = exts[i].frame;
    frame_min[f] = DREDFX_MIN(frame_min[f], i);
    frame_max[f] = DREDFX_MAX(frame_max[f], i + 1);
  }
  for (f = 0; f < nb_frames; f++) frame_repeat[f] = frame_min[f];

  for (f = 0; f < nb_frames; f++) {
    int32_t last_long = -1;
    int repeat_count = 0;
    /* How many of frame f's extensions, from its first, repeat in every later frame. */
    if (f + 1 < nb_frames) {
      for (i = frame_min[f]; i < frame_max[f]; i++) {
        int g;
        if (exts[i].frame != f) continue;
        for (g = f + 1; g < nb_frames; g++) {
          const dredfx_extension *r;
          if (frame_repeat[g] >= frame_max[g]) break;
          r = &exts[frame_repeat[g]];
          if (r->id != exts[i].id) break;
          if (r->id < EXT_ID_FIRST_LONG && r->len != exts[i].len) break;
        }
        if (g < nb_frames) break;
        /* the instance in the last frame may be written with L = 0 */
        if (exts[i].id >= EXT_ID_FIRST_LONG) last_long = frame_repeat[nb_frames - 1];
        for (g = f + 1; g < nb_frames; g++) {
          int32_t j = frame_repeat[g] + 1;
          while (j < frame_max[g] && exts[j].frame != g) j++;
          frame_repeat[g] = j;
        }
        repeat_count++;
        frame_repeat[f] = i;
      }
    }
    for (i = frame_min[f]; i < frame_max[f]; i++) {
      if (exts[i].frame != f) continue;
      if (f != curr_frame) {
        int diff = f - curr_frame;
        if (len - pos < 2) return DREDFX_ERR_BUFFER_TOO_SMALL;
        if (diff == 1) {
          if (out) out[pos] = 0x02;
          pos++;
        } else {
          if (out) {
            out[pos] = 0x03;
            out[pos + 1] = (unsigned char)diff;
          }
          pos += 2;
        }
        curr_frame = f;
      }
      pos = write_extension(out, len, pos, &exts[i], written == n - 1);
      if (pos < 0) return pos;
      written++;

      if (repeat_count > 0 && frame_repeat[f] == i) {
        int32_t nb_repeated = repeat_count * (nb_frames - (f + 1));
        int g;
        /* R = 0 when nothing follows the repeats, or when the group has no long extension
         * and frame f has nothing more (R = 0 then doubles as the separator). */
        int last = written + nb_repeated == n || (last_long < 0 && i + 1 >= frame_max[f]);
        if (len - pos < 1) return DREDFX_ERR_BUFFER_TOO_SMALL;
        if (out) out[pos] = (unsigned char)(0x04 + !last);
        pos++;
        for (g = f + 1; g < nb_frames; g++) {
          int32_t j;
          for (j = frame_min[g]; j < frame_repeat[g]; j++) {
            if (exts[j].frame != g) continue;
            pos = write_payload(out, len, pos, &exts[j], last && j == last_long);
            if (pos < 0) return pos;
            written++;
          }
          frame_min[g] = j;
        }
        if (last) curr_frame++;
      }
    }
  }
  /* filler 0x01 bytes first, so the extensions end exactly at out + len */
  if (pad && pos < len) {
    int32_t filler = len - pos;
    if (out) {
      memmove(out + filler, out, (size_t)pos);
      memset(out, 0x01, (size_t)filler);
    }
    pos = len;
  }
  return pos;
}
