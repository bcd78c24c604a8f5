# cython: language_level=3
"""dredfx._packet: Opus packet framing and padding extensions over c/src/packet/ (the C twin of
dredfx.ref.packet; public API: dredfx.packet). Packets, frames, paddings and extension payloads
are bytes-like objects; results are bytes and dredfx._types.Packet."""
from libc.stdint cimport int16_t, int32_t, INT32_MAX
from libc.stdlib cimport free, malloc

from cdredfx_packet cimport *

include "common.pxi"

from dredfx._types import Packet


def samples_per_frame(toc):
    """Samples per frame at 48 kHz for a TOC byte."""
    return check(dredfx_packet_samples_per_frame(int_in(toc, "toc", 0, 255)))


def parse_packet(packet):
    """Parses a whole Opus packet into a Packet (frames and padding as bytes)."""
    cdef bytes raw = bytes_in(packet, "packet")
    cdef const unsigned char *ptr = raw
    cdef int32_t n = len(raw)
    cdef dredfx_packet_info info
    cdef int rc
    with nogil:
        rc = dredfx_packet_parse(ptr, n, &info)
    check(rc, "packet")
    frames = [raw[info.frame_offset[i]:info.frame_offset[i] + info.frame_len[i]]
              for i in range(info.nb_frames)]
    padding = raw[info.padding_offset:info.padding_offset + info.padding_len]
    return Packet(info.toc, info.config, info.stereo, info.code, info.vbr, info.nb_frames,
                  info.samples_per_frame, frames, padding)


cdef list _frames_in(frames, const unsigned char **fptr, int16_t *flen):
    """The frames as a list of bytes (which the caller keeps alive), fptr/flen (48 entries)
    pointing at them."""
    cdef list out = [bytes_in(f, "frames[%d]" % i) for i, f in enumerate(frames)]
    cdef int i, n = len(out)
    if not 1 <= n <= DREDFX_MAX_FRAMES:
        bad_arg("frames", "must hold 1..%d frames, got %d" % (DREDFX_MAX_FRAMES, n))
    for i in range(n):
        if len(out[i]) > DREDFX_MAX_FRAME_BYTES:
            bad_arg("frames[%d]" % i, "is longer than %d bytes" % DREDFX_MAX_FRAME_BYTES)
        fptr[i] = out[i]
        flen[i] = <int16_t>len(out[i])
    return out


cdef class _Extensions:
    """(id, frame, payload) tuples as a C array; the payload bytes are kept here."""
    cdef dredfx_extension *c
    cdef int n
    cdef list items

    def __cinit__(self, exts):
        self.items = [(int_in(i, "extension id", -2**31 + 1, INT32_MAX),
                       int_in(f, "extension frame", -2**31 + 1, INT32_MAX),
                       bytes_in(p, "extension payload")) for i, f, p in exts]
        self.n = len(self.items)
        self.c = <dredfx_extension *>malloc(max(self.n, 1) * sizeof(dredfx_extension))
        if self.c == NULL:
            raise MemoryError()
        for i in range(self.n):
            ext_id, frame, payload = self.items[i]
            self.c[i].id = ext_id
            self.c[i].frame = frame
            self.c[i].data = payload
            self.c[i].len = <int32_t>len(payload)

    def __dealloc__(self):
        free(self.c)

    def payload_bytes(self):
        return sum(len(p) for _, _, p in self.items)


def build_packet(config, stereo, frames, padding=b"", force_code3=False, vbr=False,
                 maxlen=None):
    """Builds a packet from frames (a list of bytes-like) and padding content, as libopus does."""
    cdef int c_config = int_in(config, "config", -2**31, INT32_MAX)
    cdef int c_stereo = int_in(stereo, "stereo", -2**31, INT32_MAX)
    cdef const unsigned char *fptr[48]
    cdef int16_t flen[48]
    keep = _frames_in(frames, fptr, flen)
    cdef bytes pad = bytes_in(padding, "padding")
    cdef int n = len(keep)
    cdef long long bound = 3 + len(pad) // 254 + 1 + 2 * n + sum(len(f) for f in keep) + len(pad)
    if maxlen is not None:
        bound = min(bound, int_in(maxlen, "maxlen", 0, INT32_MAX))
    out = bytearray(max(bound, 1))
    cdef unsigned char *optr = out
    cdef int rc = dredfx_packet_build(optr, <int32_t>bound, c_config, c_stereo, fptr, flen, n,
                                      pad, <int32_t>len(pad), 1 if force_code3 else 0,
                                      1 if vbr else 0)
    check(rc, "build_packet(config, stereo, frames, padding, maxlen)")
    return bytes(out[:rc])


def count_extensions(padding, nb_frames):
    """Number of extensions in a padding area."""
    cdef bytes raw = bytes_in(padding, "padding")
    cdef int nf = int_in(nb_frames, "nb_frames", -2**31, INT32_MAX)
    cdef const unsigned char *ptr = raw
    cdef int32_t n = len(raw)
    cdef int rc
    with nogil:
        rc = dredfx_ext_count(ptr, n, nf)
    return check(rc, "count_extensions(padding, nb_frames)")


def parse_extensions(padding, nb_frames):
    """All extensions of a padding area as a list of (id, frame, payload), in bitstream order."""
    cdef bytes raw = bytes_in(padding, "padding")
    cdef int nf = int_in(nb_frames, "nb_frames", -2**31, INT32_MAX)
    cdef int n = count_extensions(raw, nf)
    cdef const unsigned char *base = raw
    cdef int32_t size = len(raw)
    cdef int rc, i
    cdef dredfx_extension *exts = <dredfx_extension *>malloc(max(n, 1) * sizeof(dredfx_extension))
    if exts == NULL:
        raise MemoryError()
    try:
        with nogil:
            rc = dredfx_ext_parse(base, size, nf, exts, n)
        check(rc, "parse_extensions(padding, nb_frames)")
        return [(exts[i].id, exts[i].frame,
                 raw[exts[i].data - base:exts[i].data - base + exts[i].len]) for i in range(rc)]
    finally:
        free(exts)


def generate_extensions(exts, nb_frames, pad=False, length=None):
    """Writes (id, frame, payload) extensions as libopus' opus_packet_extensions_generate. length
    bounds the output; with pad, 0x01 filler bytes first make the result exactly length bytes."""
    cdef _Extensions e = _Extensions(exts)
    cdef int nf = int_in(nb_frames, "nb_frames", -2**31, INT32_MAX)
    cdef int c_pad = 1 if pad else 0
    cdef int32_t cap
    cdef int rc
    if length is None:
        if pad:
            bad_arg("length", "must be given with pad")
        cap = check(dredfx_ext_generate(NULL, INT32_MAX, e.c, e.n, nf, 0),
                    "generate_extensions(exts, nb_frames)")
    else:
        cap = int_in(length, "length", 0, INT32_MAX)
    out = bytearray(max(cap, 1))
    cdef unsigned char *optr = out
    with nogil:
        rc = dredfx_ext_generate(optr, cap, e.c, e.n, nf, c_pad)
    return bytes(out[:check(rc, "generate_extensions(exts, nb_frames, length)")])


cdef tuple _out_size(long long base, long long ext_bytes, length, maxlen):
    """(buffer size, pad flag): exactly `length` bytes (CBR), else at most `maxlen`, else a size
    that any result fits in (frames, extension headers and lacing, padding-length bytes)."""
    if length is not None:
        return int_in(length, "length", 0, INT32_MAX), 1
    if maxlen is not None:
        return int_in(maxlen, "maxlen", 0, INT32_MAX), 0
    return min(base + ext_bytes + ext_bytes // 254 + 16, INT32_MAX), 0


def repacketize(toc, frames, exts=(), length=None, maxlen=None):
    """libopus' opus_repacketizer_out_range_impl: frames (bytes) of one TOC and (id, frame, payload)
    extensions, in that order, into one packet; exactly `length` bytes (libopus' CBR padding) if
    given, else the shortest packet (at most maxlen)."""
    cdef int c_toc = int_in(toc, "toc", -2**31, INT32_MAX)
    cdef const unsigned char *fptr[48]
    cdef int16_t flen[48]
    keep = _frames_in(frames, fptr, flen)
    cdef _Extensions e = _Extensions(exts)
    cdef int n = len(keep)
    size, pad = _out_size(sum(len(f) + 2 for f in keep) + 2,
                          e.payload_bytes() + e.n * 4 + e.payload_bytes() // 255, length, maxlen)
    out = bytearray(max(size, 1))
    cdef unsigned char *optr = out
    cdef int32_t cap = size
    cdef int cpad = pad, rc
    with nogil:
        rc = dredfx_packet_repacketize(optr, cap, c_toc, fptr, flen, n, e.c, e.n, cpad)
    check(rc, "repacketize(toc, frames, exts, length, maxlen)")
    return bytes(out[:rc])


def pad_packet(packet, exts=(), length=None, maxlen=None):
    """libopus' opus_packet_pad_impl, the encoder's way of attaching DRED: the packet's frames with
    the (id, frame, payload) extensions followed by the packet's own ones; exactly `length` bytes
    (CBR) if given, else the shortest packet (at most maxlen)."""
    cdef bytes raw = bytes_in(packet, "packet")
    cdef _Extensions e = _Extensions(exts)
    cdef long long ext_bytes = e.payload_bytes() + e.n * 4 + e.payload_bytes() // 255
    if length is None and maxlen is None:
        # Room for the packet's own extensions too, which come back after the new ones.
        try:
            info = parse_packet(raw)
            for _, _, p in (parse_extensions(info.padding, info.nb_frames) if info.padding else ()):
                ext_bytes += len(p) + len(p) // 255 + 4
        except _errors.DredfxError:
            pass  # the C call reports it
    size, pad = _out_size(len(raw), ext_bytes, length, maxlen)
    out = bytearray(max(size, 1))
    cdef unsigned char *optr = out
    cdef const unsigned char *iptr = raw
    cdef int32_t cap = size, n = len(raw)
    cdef int cpad = pad, rc
    with nogil:
        rc = dredfx_packet_pad(optr, cap, iptr, n, e.c, e.n, cpad)
    check(rc, "pad_packet(packet, exts, length, maxlen)")
    return bytes(out[:rc])
