# dredfx._packet: Opus packet framing and padding extensions (C twin of dredfx.ref.packet).
include "errors.pxi"

from libc.stdint cimport int16_t, int32_t, INT32_MAX
from libc.stdlib cimport free, malloc

from cdredfx_common cimport DREDFX_ERR_BAD_ARG
from cdredfx_packet cimport *

from dredfx.ref.packet import Packet

cdef unsigned char _EMPTY[1]


cdef inline const unsigned char *_ptr(const unsigned char[::1] view):
    return &view[0] if view.shape[0] > 0 else _EMPTY


def samples_per_frame(int toc):
    """Samples per frame at 48 kHz for a TOC byte."""
    return check(dredfx_packet_samples_per_frame(toc))


def parse_packet(data):
    """Parses a whole Opus packet into a dredfx.ref.packet.Packet (frames and padding as bytes)."""
    cdef const unsigned char[::1] view = bytes(data)
    cdef const unsigned char *ptr = _ptr(view)
    cdef dredfx_packet_info info
    cdef int rc
    if view.shape[0] > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    with nogil:
        rc = dredfx_packet_parse(ptr, <int32_t>view.shape[0], &info)
    check(rc)
    raw = bytes(view)
    frames = [raw[info.frame_offset[i]:info.frame_offset[i] + info.frame_len[i]]
              for i in range(info.nb_frames)]
    padding = raw[info.padding_offset:info.padding_offset + info.padding_len]
    return Packet(info.toc, info.config, info.stereo, info.code, info.vbr, info.nb_frames,
                  info.samples_per_frame, frames, padding)


cdef int _frames_in(list frames, const unsigned char **fptr, int16_t *flen) except -1:
    """Points fptr/flen (48 entries) at the frames (bytes, kept alive by the caller)."""
    cdef int i, n = len(frames)
    if n < 1 or n > DREDFX_MAX_FRAMES:
        check(DREDFX_ERR_BAD_ARG)
    for i in range(n):
        if len(frames[i]) > DREDFX_MAX_FRAME_BYTES:
            check(DREDFX_ERR_BAD_ARG)
        fptr[i] = frames[i]
        flen[i] = <int16_t>len(frames[i])
    return 0


def build_packet(int config, int stereo, frames, padding=b"", force_code3=False, vbr=False,
                 maxlen=None):
    """Builds a packet from frames (a list of bytes) and padding content, as libopus does."""
    frames = [bytes(f) for f in frames]
    padding = bytes(padding)
    cdef int n = len(frames)
    cdef const unsigned char *fptr[48]
    cdef int16_t flen[48]
    cdef const unsigned char[::1] pview = padding
    cdef long long bound = 3 + len(padding) // 254 + 1 + 2 * max(n, 1)
    cdef int rc
    if len(padding) > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    _frames_in(frames, fptr, flen)
    bound += sum(len(f) for f in frames) + len(padding)
    if maxlen is not None:
        if maxlen < 0:
            check(DREDFX_ERR_BAD_ARG)
        bound = min(bound, maxlen)
    out = bytearray(bound)
    cdef unsigned char[::1] oview = out
    cdef unsigned char *optr = &oview[0] if bound > 0 else _EMPTY
    rc = dredfx_packet_build(optr, <int32_t>bound, config, stereo, fptr, flen, n, _ptr(pview),
                             <int32_t>pview.shape[0], 1 if force_code3 else 0, 1 if vbr else 0)
    check(rc)
    return bytes(out[:rc])


def count_extensions(padding, int nb_frames):
    """Number of extensions in a padding area."""
    cdef const unsigned char[::1] view = bytes(padding)
    cdef const unsigned char *ptr = _ptr(view)
    cdef int rc
    if view.shape[0] > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    with nogil:
        rc = dredfx_ext_count(ptr, <int32_t>view.shape[0], nb_frames)
    return check(rc)


def parse_extensions(padding, int nb_frames):
    """All extensions of a padding area as a list of (id, frame, payload), in bitstream order."""
    raw = bytes(padding)
    cdef const unsigned char[::1] view = raw
    cdef const unsigned char *base = _ptr(view)
    cdef int n = count_extensions(raw, nb_frames)
    cdef int rc, i
    cdef dredfx_extension *exts = <dredfx_extension *>malloc(max(n, 1) * sizeof(dredfx_extension))
    if exts == NULL:
        raise MemoryError()
    try:
        with nogil:
            rc = dredfx_ext_parse(base, <int32_t>view.shape[0], nb_frames, exts, n)
        check(rc)
        return [(exts[i].id, exts[i].frame,
                 raw[exts[i].data - base:exts[i].data - base + exts[i].len]) for i in range(rc)]
    finally:
        free(exts)


def generate_extensions(exts, int nb_frames, pad=False, length=None):
    """Writes (id, frame, payload) extensions as libopus' opus_packet_extensions_generate. length
    bounds the output; with pad, 0x01 filler bytes first make the result exactly length bytes."""
    items = [(int(i), int(f), bytes(p)) for i, f, p in exts]
    cdef int n = len(items)
    cdef int i, rc
    cdef int32_t cap
    cdef dredfx_extension *c_exts = <dredfx_extension *>malloc(max(n, 1) * sizeof(dredfx_extension))
    if c_exts == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            ext_id, frame, payload = items[i]
            if not (-2**31 < ext_id < 2**31 and -2**31 < frame < 2**31) or len(payload) > INT32_MAX:
                check(DREDFX_ERR_BAD_ARG)
            c_exts[i].id = ext_id
            c_exts[i].frame = frame
            c_exts[i].data = payload
            c_exts[i].len = <int32_t>len(payload)
        if length is None:
            if pad:
                check(DREDFX_ERR_BAD_ARG)
            cap = INT32_MAX
            rc = check(dredfx_ext_generate(NULL, cap, c_exts, n, nb_frames, 0))
            cap = rc
        else:
            if not 0 <= length <= INT32_MAX:
                check(DREDFX_ERR_BAD_ARG)
            cap = length
        out = bytearray(max(cap, 1))
        rc = _generate_into(out, cap, c_exts, n, nb_frames, 1 if pad else 0)
        return bytes(out[:check(rc)])
    finally:
        free(c_exts)


cdef int _generate_into(bytearray out, int32_t cap, const dredfx_extension *exts, int n,
                        int nb_frames, int pad):
    cdef unsigned char[::1] view = out
    cdef int rc
    with nogil:
        rc = dredfx_ext_generate(&view[0], cap, exts, n, nb_frames, pad)
    return rc


cdef dredfx_extension *_c_exts(list items) except NULL:
    """(id, frame, bytes) tuples -> a malloc'ed C array (payloads stay owned by items)."""
    cdef int i, n = len(items)
    cdef dredfx_extension *c = <dredfx_extension *>malloc(max(n, 1) * sizeof(dredfx_extension))
    if c == NULL:
        raise MemoryError()
    for i in range(n):
        ext_id, frame, payload = items[i]
        if not (-2**31 < ext_id < 2**31 and -2**31 < frame < 2**31) or len(payload) > INT32_MAX:
            free(c)
            check(DREDFX_ERR_BAD_ARG)
        c[i].id = ext_id
        c[i].frame = frame
        c[i].data = payload
        c[i].len = <int32_t>len(payload)
    return c


def _out_size(long long base, list items, length, maxlen):
    """(buffer size, pad flag): exactly `length` bytes (CBR), else at most `maxlen`, else a size
    that any result fits in (frames, extension headers and lacing, padding-length bytes)."""
    if length is not None:
        if not 0 <= length <= INT32_MAX:
            check(DREDFX_ERR_BAD_ARG)
        return length, 1
    if maxlen is not None:
        if not 0 <= maxlen <= INT32_MAX:
            check(DREDFX_ERR_BAD_ARG)
        return maxlen, 0
    ext = sum(len(p) + len(p) // 255 + 4 for _, _, p in items)
    return min(base + ext + ext // 254 + 16, INT32_MAX), 0


def repacketize(int toc, frames, exts=(), length=None, maxlen=None):
    """libopus' opus_repacketizer_out_range_impl: frames (bytes) of one TOC and (id, frame, payload)
    extensions, in that order, into one packet; exactly `length` bytes (libopus' CBR padding) if
    given, else the shortest packet (at most maxlen)."""
    frames = [bytes(f) for f in frames]
    items = [(int(i), int(f), bytes(p)) for i, f, p in exts]
    cdef int n = len(frames)
    cdef const unsigned char *fptr[48]
    cdef int16_t flen[48]
    cdef int rc
    _frames_in(frames, fptr, flen)
    size, pad = _out_size(sum(len(f) + 2 for f in frames) + 2, items, length, maxlen)
    out = bytearray(max(size, 1))
    cdef unsigned char[::1] oview = out
    cdef dredfx_extension *c = _c_exts(items)
    cdef int32_t cap = size
    cdef int cpad = pad, ne = len(items)
    try:
        with nogil:
            rc = dredfx_packet_repacketize(&oview[0], cap, toc, fptr, flen, n, c, ne, cpad)
    finally:
        free(c)
    check(rc)
    return bytes(out[:rc])


def pad_packet(packet, exts=(), length=None, maxlen=None):
    """libopus' opus_packet_pad_impl, the encoder's way of attaching DRED: the packet's frames with
    the (id, frame, payload) extensions followed by the packet's own ones; exactly `length` bytes
    (CBR) if given, else the shortest packet (at most maxlen)."""
    raw = bytes(packet)
    items = [(int(i), int(f), bytes(p)) for i, f, p in exts]
    cdef const unsigned char[::1] view = raw
    if view.shape[0] > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    own = []
    if length is None and maxlen is None:  # size the output for the packet's own extensions too
        try:
            info = parse_packet(raw)
            own = parse_extensions(info.padding, info.nb_frames) if info.padding else []
        except _errors.DredfxError:
            pass  # the C call reports it
    size, pad = _out_size(len(raw), items + own, length, maxlen)
    out = bytearray(max(size, 1))
    cdef unsigned char[::1] oview = out
    cdef const unsigned char *iptr = _ptr(view)
    cdef dredfx_extension *c = _c_exts(items)
    cdef int32_t cap = size
    cdef int cpad = pad, ne = len(items), rc
    try:
        with nogil:
            rc = dredfx_packet_pad(&oview[0], cap, iptr, <int32_t>view.shape[0], c, ne, cpad)
    finally:
        free(c)
    check(rc)
    return bytes(out[:rc])
