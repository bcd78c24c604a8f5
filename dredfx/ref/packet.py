"""Opus packet framing (RFC 6716 section 3) and padding extensions (libopus 1.6.1
src/extensions.c), in pure Python. Twin of c/src/packet/: same results, same error codes."""
from .._types import Packet, as_bytes
from ..errors import (ERR_BAD_ARG, ERR_BUFFER_TOO_SMALL, ERR_EXT_FRAME_INDEX, ERR_EXT_OVERRUN,
                      ERR_PACKET_CBR_SIZE, ERR_PACKET_EMPTY, ERR_PACKET_FRAME_COUNT,
                      ERR_PACKET_FRAME_SIZE, ERR_PACKET_LENGTH, ERR_PACKET_PADDING,
                      BufferTooSmallError, InvalidArgumentError, InvalidPacketError)

MAX_FRAMES = 48
MAX_FRAME_BYTES = 1275
MAX_PACKET_SAMPLES = 5760  # 120 ms at 48 kHz
ID_SEPARATOR, ID_REPEAT, ID_FIRST, ID_FIRST_LONG, ID_LAST = 1, 2, 3, 32, 127


def _bad(message, code):
    return InvalidPacketError(message, code)


def samples_per_frame(toc):
    """Samples per frame at 48 kHz for a TOC byte."""
    if not 0 <= toc <= 255:
        raise InvalidArgumentError("toc must be in 0..255, got %r" % toc, ERR_BAD_ARG)
    if toc & 0x80:
        return 120 << ((toc >> 3) & 3)
    if toc & 0x60 == 0x60:
        return 960 if toc & 0x08 else 480
    size = (toc >> 3) & 3
    return 2880 if size == 3 else 480 << size


def _parse_size(data, pos, rem):
    """(bytes used, frame length) of a code 2/3 length field, or None if it runs past rem."""
    if rem < 1:
        return None
    if data[pos] < 252:
        return 1, data[pos]
    if rem < 2:
        return None
    return 2, 4 * data[pos + 1] + data[pos]


def parse_packet(packet):
    """Parses a whole (undelimited) Opus packet; raises InvalidPacketError naming the rule."""
    data = as_bytes(packet, "packet")
    if not data:
        raise _bad("empty packet (R1)", ERR_PACKET_EMPTY)
    toc = data[0]
    spf = samples_per_frame(toc)
    pos, rem, pad, vbr = 1, len(data) - 1, 0, 0
    last_size = rem
    code = toc & 3
    sizes = []
    if code == 0:
        count = 1
    elif code == 1:
        count = 2
        if rem & 1:
            raise _bad("code 1 with an odd payload (R3)", ERR_PACKET_CBR_SIZE)
        last_size = rem // 2
        sizes = [last_size]
    elif code == 2:
        count = 2
        size = _parse_size(data, pos, rem)
        if size is None or size[1] > rem - size[0]:
            raise _bad("code 2 first frame length past the end (R4)", ERR_PACKET_LENGTH)
        rem -= size[0]
        pos += size[0]
        sizes = [size[1]]
        last_size = rem - size[1]
    else:
        if rem < 1:
            raise _bad("code 3 without a frame count byte", ERR_PACKET_LENGTH)
        ch = data[pos]
        pos += 1
        rem -= 1
        count = ch & 0x3F
        if count == 0 or spf * count > MAX_PACKET_SAMPLES:
            raise _bad("code 3 frame count 0 or over 120 ms (R5)", ERR_PACKET_FRAME_COUNT)
        if ch & 0x40:
            while True:
                if rem <= 0:
                    raise _bad("padding length past the end (R6/R7)", ERR_PACKET_PADDING)
                p = data[pos]
                pos += 1
                add = 254 if p == 255 else p
                rem -= 1 + add
                pad += add
                if p != 255:
                    break
            if rem < 0:
                raise _bad("padding past the end (R6/R7)", ERR_PACKET_PADDING)
        vbr = 1 if ch & 0x80 else 0
        if vbr:
            last_size = rem
            for _ in range(count - 1):
                size = _parse_size(data, pos, rem)
                if size is None or size[1] > rem - size[0]:
                    raise _bad("code 3 VBR frame length past the end (R7)", ERR_PACKET_LENGTH)
                rem -= size[0]
                pos += size[0]
                last_size -= size[0] + size[1]
                sizes.append(size[1])
            if last_size < 0:
                raise _bad("code 3 VBR frames past the end (R7)", ERR_PACKET_LENGTH)
        else:
            last_size = rem // count
            if last_size * count != rem:
                raise _bad("code 3 CBR payload not a multiple of M (R6)", ERR_PACKET_CBR_SIZE)
            sizes = [last_size] * (count - 1)
    if last_size > MAX_FRAME_BYTES:
        raise _bad("frame longer than 1275 bytes (R2)", ERR_PACKET_FRAME_SIZE)
    sizes.append(last_size)
    frames = []
    for size in sizes:
        frames.append(data[pos:pos + size])
        pos += size
    return Packet(toc, toc >> 3, (toc >> 2) & 1, code, vbr, count, spf, frames, data[pos:pos + pad])


def _frames(frames):
    return [as_bytes(f, "frames[%d]" % i) for i, f in enumerate(frames)]


def _frames_fit(frames, toc):
    if not 0 <= toc <= 255:
        raise InvalidArgumentError("toc must be in 0..255, got %r" % toc, ERR_BAD_ARG)
    if not 1 <= len(frames) <= MAX_FRAMES:
        raise InvalidArgumentError("frames must hold 1..%d frames, got %d"
                                   % (MAX_FRAMES, len(frames)), ERR_BAD_ARG)
    if samples_per_frame(toc) * len(frames) > MAX_PACKET_SAMPLES:
        raise InvalidArgumentError("frames hold more than 120 ms", ERR_BAD_ARG)
    if any(len(f) > MAX_FRAME_BYTES for f in frames):
        raise InvalidArgumentError("frames: a frame is longer than 1275 bytes", ERR_BAD_ARG)


def _extensions(exts):
    return [(int(i), int(f), as_bytes(p, "exts payload")) for i, f, p in exts]


def _size_field(size):
    if size < 252:
        return bytes([size])
    first = 252 + (size & 3)
    return bytes([first, (size - first) >> 2])


def build_packet(config, stereo, frames, padding=b"", force_code3=False, vbr=False, maxlen=None):
    """Builds a packet as libopus' repacketizer does: code 0/1/2 when possible, code 3 for more
    frames, padding or force_code3; padding-length bytes are the fewest 255s then 1..254."""
    frames = _frames(frames)
    padding = as_bytes(padding, "padding")
    n = len(frames)
    if not (0 <= config <= 31 and stereo in (0, 1)):
        raise InvalidArgumentError("config must be in 0..31 and stereo 0 or 1, got %r, %r"
                                   % (config, stereo), ERR_BAD_ARG)
    _frames_fit(frames, config << 3)
    lens = [len(f) for f in frames]
    equal = all(x == lens[0] for x in lens)
    toc = config << 3 | stereo << 2
    if n > 2 or padding or force_code3:
        vbr = bool(vbr) or not equal
        out = bytearray([toc | 3, n | (0x40 if padding else 0) | (0x80 if vbr else 0)])
        if padding:
            n255 = (len(padding) - 1) // 254
            out += bytes([255] * n255 + [len(padding) - 254 * n255])
        if vbr:
            for f in frames[:-1]:
                out += _size_field(len(f))
    elif n == 1:
        out = bytearray([toc])
    elif equal:
        out = bytearray([toc | 1])
    else:
        out = bytearray([toc | 2]) + _size_field(lens[0])
    out += b"".join(frames) + padding
    if maxlen is not None and len(out) > maxlen:
        raise BufferTooSmallError("packet does not fit", ERR_BUFFER_TOO_SMALL)
    return bytes(out)


# ---------------------------------------------------------------- extensions

def _skip_payload(data, pos, rem, id_byte, trailing):
    """(new pos, bytes left, lacing bytes) after the payload of id_byte, or None on overrun."""
    ext_id, l = id_byte >> 1, id_byte & 1
    lacing_bytes = 0
    if (ext_id == 0 and l == 1) or ext_id == ID_REPEAT:
        pass
    elif 0 < ext_id < ID_FIRST_LONG:
        if rem < l:
            return None
        pos += l
        rem -= l
    elif l == 0:  # long L = 0 (and ID 0 L = 0): all but the trailing bytes
        if rem < trailing:
            return None
        pos += rem - trailing
        rem = trailing
    else:
        total = 0
        while True:
            if rem < 1:
                return None
            lacing = data[pos]
            pos += 1
            total += lacing
            lacing_bytes += 1
            rem -= lacing + 1
            if lacing != 255:
                break
        if rem < 0:
            return None
        pos += total
    return pos, rem, lacing_bytes


def _skip_extension(data, pos, end):
    """(new pos, header bytes) after one whole extension in data[pos:end], or None."""
    if pos == end:
        return pos, 0
    r = _skip_payload(data, pos + 1, end - pos - 1, data[pos], 0)
    if r is None:
        return None
    return r[0], r[2] + 1


def iter_extensions(padding, nb_frames):
    """Yields (id, frame, payload) in bitstream order; raises InvalidPacketError where the C
    iterator returns an error (after yielding what came before)."""
    data = as_bytes(padding, "padding")
    if not 0 <= nb_frames <= MAX_FRAMES:
        raise InvalidArgumentError("nb_frames must be in 0..%d, got %r" % (MAX_FRAMES, nb_frames),
                                   ERR_BAD_ARG)
    end = len(data)
    pos = group_start = 0
    last_long, trailing, frame = -1, 0, 0
    while frame < nb_frames and pos < end:
        start = pos
        ext_id, l = data[pos] >> 1, data[pos] & 1
        r = _skip_extension(data, pos, end)
        if r is None:
            raise _bad("extension runs past the padding", ERR_EXT_OVERRUN)
        pos, header = r
        if ext_id == ID_SEPARATOR:
            inc = 1 if l == 0 else data[start + 1]
            if inc == 0:
                continue  # no-op: the group goes on
            frame += inc
            if frame >= nb_frames:
                raise _bad("frame separator past the last frame", ERR_EXT_FRAME_INDEX)
            group_start, last_long, trailing = pos, -1, 0
        elif ext_id == ID_REPEAT:
            # each later frame gets one payload, without header, per extension of the group
            for rframe in range(frame + 1, nb_frames):
                src = group_start
                while src < start:
                    id_byte = data[src]
                    src = _skip_extension(data, src, start)[0]
                    if id_byte <= 3:
                        continue  # padding and zero-increment separators are not repeated
                    if l == 0 and rframe + 1 >= nb_frames and src == last_long:
                        id_byte &= ~1  # R = 0: last long of the last frame runs to end - T
                    r = _skip_payload(data, pos, end - pos, id_byte, trailing)
                    if r is None:
                        raise _bad("repeated extension runs past the padding", ERR_EXT_OVERRUN)
                    yield id_byte >> 1, rframe, data[pos + r[2]:r[0]]
                    pos = r[0]
            group_start, last_long = pos, -1
            if l == 0:  # R = 0 doubles as a separator; past the last frame the rest is ignored
                frame += 1
        elif ext_id >= ID_FIRST:
            if ext_id >= ID_FIRST_LONG:
                last_long, trailing = pos, 0
            else:
                trailing += l
            yield ext_id, frame, data[start + header:pos]


def parse_extensions(padding, nb_frames):
    """All extensions of a padding area as a list of (id, frame, payload), bitstream order."""
    return list(iter_extensions(padding, nb_frames))


def count_extensions(padding, nb_frames):
    return len(parse_extensions(padding, nb_frames))


def find_extension(padding, nb_frames, ext_id, accept=None):
    """First (id, frame, payload) with this ID that accept() takes, or None. Errors are raised
    only if they occur before it (opus_extension_iterator_find semantics)."""
    for ext in iter_extensions(padding, nb_frames):
        if ext[0] == ext_id and (accept is None or accept(ext)):
            return ext
    return None


def _payload_bytes(ext_id, payload, last):
    if ext_id < ID_FIRST_LONG:
        return payload
    if last:
        return payload
    n = len(payload)
    return bytes([255] * (n // 255) + [n % 255]) + payload


def generate_extensions(exts, nb_frames, pad=False, length=None):
    """Writes (id, frame, payload) extensions as libopus' opus_packet_extensions_generate does.
    length bounds the output (BufferTooSmallError past it); with pad, 0x01 filler bytes come
    first so the result is exactly length bytes."""
    exts = _extensions(exts)
    n = len(exts)
    if not 0 <= nb_frames <= MAX_FRAMES:
        raise InvalidArgumentError("nb_frames must be in 0..%d, got %r" % (MAX_FRAMES, nb_frames),
                                   ERR_BAD_ARG)
    if pad and length is None:
        raise InvalidArgumentError("length must be given with pad", ERR_BAD_ARG)
    if length is not None and length < 0:
        raise InvalidArgumentError("length must be >= 0, got %r" % length, ERR_BAD_ARG)
    for ext_id, frame, payload in exts:
        if not (0 <= frame < nb_frames and ID_FIRST <= ext_id <= ID_LAST) or (
                ext_id < ID_FIRST_LONG and len(payload) > 1):
            raise InvalidArgumentError("exts: extension (%d, %d, %d bytes) has an id outside "
                                       "3..127, a frame outside 0..nb_frames - 1 or a short id "
                                       "with over 1 byte" % (ext_id, frame, len(payload)),
                                       ERR_BAD_ARG)
    fmin = [n] * nb_frames
    fmax = [0] * nb_frames
    for i, (_, f, _) in enumerate(exts):
        fmin[f] = min(fmin[f], i)
        fmax[f] = max(fmax[f], i + 1)
    frep = list(fmin)
    out = bytearray()
    written = curr_frame = 0

    def put(b):
        if length is not None and len(out) + len(b) > length:
            raise BufferTooSmallError("extensions do not fit", ERR_BUFFER_TOO_SMALL)
        out.extend(b)

    def same_kind(a, b):
        return a[0] == b[0] and (a[0] >= ID_FIRST_LONG or len(a[2]) == len(b[2]))

    for f in range(nb_frames):
        last_long, repeat_count = -1, 0
        if f + 1 < nb_frames:
            for i in range(fmin[f], fmax[f]):
                if exts[i][1] != f:
                    continue
                if not all(frep[g] < fmax[g] and same_kind(exts[frep[g]], exts[i])
                           for g in range(f + 1, nb_frames)):
                    break
                if exts[i][0] >= ID_FIRST_LONG:
                    last_long = frep[nb_frames - 1]
                for g in range(f + 1, nb_frames):
                    j = frep[g] + 1
                    while j < fmax[g] and exts[j][1] != g:
                        j += 1
                    frep[g] = j
                repeat_count += 1
                frep[f] = i
        for i in range(fmin[f], fmax[f]):
            ext_id, frame, payload = exts[i]
            if frame != f:
                continue
            if f != curr_frame:
                if length is not None and length - len(out) < 2:
                    raise BufferTooSmallError("extensions do not fit", ERR_BUFFER_TOO_SMALL)
                put(b"\x02" if f - curr_frame == 1 else bytes([3, f - curr_frame]))
                curr_frame = f
            last = written == n - 1
            l = len(payload) if ext_id < ID_FIRST_LONG else int(not last)
            put(bytes([(ext_id << 1) + l]))
            put(_payload_bytes(ext_id, payload, last))
            written += 1
            if repeat_count > 0 and frep[f] == i:
                nb_repeated = repeat_count * (nb_frames - (f + 1))
                last = written + nb_repeated == n or (last_long < 0 and i + 1 >= fmax[f])
                put(bytes([0x04 + (not last)]))
                for g in range(f + 1, nb_frames):
                    j = fmin[g]
                    while j < frep[g]:
                        if exts[j][1] == g:
                            put(_payload_bytes(exts[j][0], exts[j][2], last and j == last_long))
                            written += 1
                        j += 1
                    fmin[g] = max(fmin[g], frep[g])
                if last:
                    curr_frame += 1
    if pad and len(out) < length:
        out = bytearray(b"\x01" * (length - len(out))) + out
    return bytes(out)


# ---------------------------------------------------------------- repacketizer

MAX_PAD_EXTENSIONS = 256


def repacketize(toc, frames, exts=(), length=None, maxlen=None):
    """libopus' opus_repacketizer_out_range_impl (self_delimited 0): frames of one TOC (config and
    stereo bits kept) and (id, frame, payload) extensions, in that order, into one packet. With
    length: exactly that many bytes (libopus' CBR padding: its padding-length form for that total,
    0x01 before the extensions, zeros without extensions); else the shortest packet, at most
    maxlen bytes (unbounded if None)."""
    frames = _frames(frames)
    exts = _extensions(exts)
    n = len(frames)
    _frames_fit(frames, toc)
    pad = length is not None
    if pad:
        maxlen = length
    if maxlen is None:
        maxlen = 2**31 - 1
    if maxlen < 0:
        raise InvalidArgumentError("length and maxlen must be >= 0", ERR_BAD_ARG)
    too_small = BufferTooSmallError("packet does not fit", ERR_BUFFER_TOO_SMALL)
    lens = [len(f) for f in frames]
    vbr = any(x != lens[0] for x in lens)
    if n == 1:
        code, tot = 0, lens[0] + 1
    elif n == 2 and not vbr:
        code, tot = 1, 2 * lens[0] + 1
    elif n == 2:
        code, tot = 2, lens[0] + lens[1] + 2 + (lens[0] >= 252)
    else:
        code, tot = 3, 0
    if code < 3 and tot > maxlen:
        raise too_small
    pad_amount, ext = 0, b""
    if n > 2 or (pad and tot < maxlen) or exts:
        code = 3
        if vbr:
            tot = 2 + sum(len(_size_field(x)) + x for x in lens[:-1]) + lens[-1]
        else:
            tot = n * lens[0] + 2
        if tot > maxlen:
            raise too_small
        pad_amount = maxlen - tot if pad else 0
        if exts:
            ext = generate_extensions(exts, n, length=maxlen - tot)
            if not pad:
                pad_amount = len(ext) + (len(ext) + 253) // 254
        if pad_amount:
            n255 = (pad_amount - 1) // 255
            if tot + len(ext) + n255 + 1 > maxlen:
                raise too_small
    out = bytearray([toc & 0xFC | code])
    if code == 2:
        out += _size_field(lens[0])
    if code == 3:
        out.append(n | (0x80 if vbr else 0) | (0x40 if pad_amount else 0))
        if pad_amount:
            n255 = (pad_amount - 1) // 255
            out += bytes([255] * n255 + [pad_amount - 255 * n255 - 1])
        if vbr:
            for x in lens[:-1]:
                out += _size_field(x)
    out += b"".join(frames)
    if pad_amount:
        fill = tot + pad_amount - len(ext) - len(out)
        out += bytes([1 if exts else 0]) * fill + ext
    return bytes(out)


def pad_packet(packet, exts=(), length=None, maxlen=None):
    """libopus' opus_packet_pad_impl, the encoder's way of attaching DRED: the packet's frames with
    exts followed by its own extensions, through repacketize (length: exactly that many bytes,
    CBR; else the shortest packet, at most maxlen). A packet already `length` bytes long with no
    new extension comes back as it is, as in libopus."""
    packet = as_bytes(packet, "packet")
    exts = _extensions(exts)
    limit = length if length is not None else maxlen
    if not packet:
        raise InvalidArgumentError("packet is empty", ERR_BAD_ARG)
    if limit is not None and (limit < 0 or len(packet) > limit):
        raise InvalidArgumentError("length or maxlen (%d) is below the packet's %d bytes"
                                   % (limit, len(packet)), ERR_BAD_ARG)
    if limit is not None and len(packet) == limit and not exts:
        return packet
    if len(exts) > MAX_PAD_EXTENSIONS:
        raise BufferTooSmallError("more than %d extensions" % MAX_PAD_EXTENSIONS, ERR_BUFFER_TOO_SMALL)
    info = parse_packet(packet)
    own = parse_extensions(info.padding, info.nb_frames) if info.padding else []
    if len(exts) + len(own) > MAX_PAD_EXTENSIONS:
        raise BufferTooSmallError("more than %d extensions" % MAX_PAD_EXTENSIONS, ERR_BUFFER_TOO_SMALL)
    return repacketize(info.toc, info.frames, exts + own, length=length, maxlen=maxlen)
