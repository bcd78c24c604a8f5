# cython: language_level=3
"""dredfx._weights: the C blob loader (c/src/weights/). Weights(blob) checks and indexes a blob
once; its arrays are NumPy views of that one aligned copy, and other modules cimport Weights to
reach the C index and the DRED statistics tables."""
from libc.stdlib cimport malloc, free
from cdredfx_weights cimport *

include "common.pxi"

DEF MAX_ARRAYS = 4096

cdef dict _DTYPES = {DREDFX_WT_F32: np.dtype("<f4"), DREDFX_WT_I32: np.dtype("<i4"),
                     DREDFX_WT_I8: np.dtype("i1"), DREDFX_WT_U8: np.dtype("u1"),
                     DREDFX_WT_I16: np.dtype("<i2")}


cdef class Weights:
    """A weights blob checked by the C loader. Raises dredfx.errors.WeightsError if it is
    truncated, corrupt, of another format version, or lacks the DRED statistics tables."""

    def __cinit__(self, blob):
        src = _as_bytes(blob, "blob")
        cdef Py_ssize_t n = len(src)
        # The C loader needs an 8-byte aligned blob: copy into a 64-byte aligned buffer.
        raw = np.empty(n + 64, dtype=np.uint8)
        off = (-raw.ctypes.data) % 64
        self._buf = raw[off:off + n]
        self._buf[:] = np.frombuffer(src, np.uint8)
        self._buf.flags.writeable = False
        self.arrays = <dredfx_weight_array *>malloc(MAX_ARRAYS * sizeof(dredfx_weight_array))
        if self.arrays == NULL:
            raise MemoryError()
        if n == 0:
            check(DREDFX_ERR_WEIGHTS_TRUNCATED, "blob")
        cdef const unsigned char *p = <const unsigned char *>cnp.PyArray_DATA(<cnp.ndarray>self._buf)
        cdef int rc
        with nogil:
            rc = dredfx_weights_parse(p, n, self.arrays, MAX_ARRAYS)
        if rc == DREDFX_ERR_BUFFER_TOO_SMALL:
            raise _errors.WeightsError("blob: more than %d arrays (corrupt record count?)"
                                       % MAX_ARRAYS, rc)
        self.n = check(rc, "blob")
        check(dredfx_dred_stats_init(&self.stats, self.arrays, self.n), "blob")

    def __dealloc__(self):
        free(self.arrays)

    cdef const dredfx_weight_array *find(self, const char *name, int type, unsigned count):
        return dredfx_weights_find(self.arrays, self.n, name, type, count)

    def __len__(self):
        return self.n

    def names(self):
        return [self.arrays[i].name.decode() for i in range(self.n)]

    def as_dict(self):
        """{name: read-only NumPy view of the array in the blob}, in blob order."""
        cdef const unsigned char *base = <const unsigned char *>cnp.PyArray_DATA(<cnp.ndarray>self._buf)
        cdef Py_ssize_t off
        out = {}
        for i in range(self.n):
            off = <const unsigned char *>self.arrays[i].data - base
            dtype = _DTYPES[self.arrays[i].type]
            out[self.arrays[i].name.decode()] = self._buf[off:off + self.arrays[i].count * dtype.itemsize].view(dtype)
        return out

    def has(self, name, int type, unsigned count):
        """True if the blob holds that array with that C type code and element count."""
        b = name.encode()
        return self.find(b, type, count) != NULL
