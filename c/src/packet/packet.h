/* Internal declarations of the Opus packet layer: the extension iterator (libopus 1.6.1
 * OpusExtensionIterator semantics) and the first-match search used by the DRED layer. */
#ifndef DREDFX_PACKET_H
#define DREDFX_PACKET_H

#include "common/common.h"

/* Walks a padding area in bitstream order. Offsets, not pointers, so every access is checked
 * against len. The fields mirror libopus' OpusExtensionIterator (src/opus_private.h). */
typedef struct {
  const unsigned char *data;
  int32_t len;
  int32_t pos;            /* next header byte */
  int32_t group_start;    /* G: first extension that a repeat indicator repeats */
  int32_t src_pos;        /* next header of the group while repeating */
  int32_t src_end;        /* end of the group: the repeat indicator being served */
  int32_t last_long;      /* offset just after the last long extension of the group, or -1 */
  int32_t trailing_short; /* T: short payload bytes after that long extension */
  int nb_frames;
  int frame;              /* f */
  int repeat_frame;       /* frame being served by a repeat indicator, 0 when not repeating */
  int repeat_l;           /* L bit of the repeat indicator being served */
  int err;                /* sticky error, 0 while valid */
} dredfx_ext_iter;

/* nb_frames 0..48; data may be NULL when len is 0 (the caller checks the arguments). */
void dredfx_ext_iter_init(dredfx_ext_iter *it, const unsigned char *data, int32_t len,
                          int nb_frames);
/* Next extension with ID >= 3: 1 and *ext set, 0 at the end, or a DREDFX_ERR_EXT_* code
 * (sticky). ext may be NULL. */
int dredfx_ext_iter_next(dredfx_ext_iter *it, dredfx_extension *ext);

/* First extension with this ID, in bitstream order, that accept() takes (accept NULL takes any;
 * ctx is passed through). Returns 1 with *out set, 0 if none, or an error, reported only if it
 * occurs before a match (opus_extension_iterator_find semantics; the DRED layer passes an accept
 * that checks the 'D', 12 version bytes and so skips other ID-126 extensions). */
int dredfx_ext_find(const unsigned char *padding, int32_t len, int nb_frames, int id,
                    int (*accept)(const dredfx_extension *ext, void *ctx), void *ctx,
                    dredfx_extension *out);

#endif
