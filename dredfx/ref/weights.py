"""Pure-Python reader of the dredfx weight blob (docs/weights-blob.md), twin of the C loader
(c/src/weights/weights.c): the same checks, the arrays as read-only NumPy views. The reference
models get their arrays here, with NumPy alone."""
import functools
import os
import struct
import zlib

import numpy as np

from ..errors import WeightsError
from ..opus_source import weights_blob_path

MAGIC = b"DREDFXWB"
FORMAT_VERSION = 1
HEADER_SIZE = 64
NAME_LEN = 44
# Element types (c/include/dredfx.h DREDFX_WT_*).
TYPES = {1: np.dtype("<f4"), 2: np.dtype("<i4"), 3: np.dtype("i1"), 4: np.dtype("u1"),
         5: np.dtype("<i2")}


def unpack(blob):
    """Blob bytes -> {name: numpy array (read-only view)}; raises WeightsError on any fault."""
    if len(blob) < HEADER_SIZE or blob[:8] != MAGIC:
        raise WeightsError("not a dredfx weights blob (bad magic)")
    version, n, total, crc = struct.unpack_from("<IIII", blob, 8)
    if version != FORMAT_VERSION:
        raise WeightsError("weights blob format version %d, this dredfx reads %d: re-run "
                           "`dredfx weights import`" % (version, FORMAT_VERSION))
    if total > len(blob):
        raise WeightsError("weights blob truncated (%d of %d bytes)" % (len(blob), total))
    if total != len(blob):
        raise WeightsError("weights blob has %d bytes after its end" % (len(blob) - total))
    mv = memoryview(blob)
    if zlib.crc32(mv[24:total]) != crc:
        raise WeightsError("weights blob checksum mismatch (corrupt file)")
    out, pos = {}, HEADER_SIZE
    for _ in range(n):
        if pos + 64 > total:
            raise WeightsError("weights blob truncated in a record header")
        rawname = bytes(mv[pos:pos + NAME_LEN])
        typ, count, nbytes, r0, r1 = struct.unpack_from("<IIIII", blob, pos + NAME_LEN)
        name = rawname.split(b"\0", 1)[0].decode("ascii", "replace")
        printable = all(33 <= c <= 126 for c in rawname.split(b"\0", 1)[0])
        if typ not in TYPES or r0 or r1 or not name or b"\0" not in rawname or not printable:
            raise WeightsError("weights blob: bad record header at offset %d" % pos)
        if nbytes != count * TYPES[typ].itemsize or pos + 64 + nbytes > total:
            raise WeightsError("weights blob: record %s runs past the end" % name)
        if name in out:
            raise WeightsError("weights blob: duplicate array %s" % name)
        out[name] = np.frombuffer(blob, dtype=TYPES[typ], count=count, offset=pos + 64)
        pos += 64 + nbytes + (-nbytes % 64)
    if pos != total:
        raise WeightsError("weights blob: %d bytes after the last record" % (total - pos))
    return out


def load(path=None):
    """The arrays of a blob file (default: the imported one, `dredfx weights import`)."""
    path = path or weights_blob_path()
    if not os.path.exists(path):
        raise WeightsError("no dredfx weights at %s: run `dredfx weights import`" % path)
    with open(path, "rb") as f:
        return unpack(f.read())


@functools.lru_cache(maxsize=None)
def default():
    """The imported blob's arrays, read once per process."""
    return load()
