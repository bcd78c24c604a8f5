# cython: language_level=3
"""dredfx._weights: the C blob loader (c/src/weights/). Weights(blob) checks and indexes a blob;
other modules cimport Weights to reach its arrays and the DRED stats tables."""
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
import numpy as np
cimport numpy as cnp
from cdredfx_weights cimport dredfx_weights_parse, dredfx_weights_find, dredfx_dred_stats_init

include "errors.pxi"

DEF MAX_ARRAYS = 4096


cdef class Weights:
    """A weights blob checked by the C loader. Raises dredfx.errors.WeightsError if it is
    truncated, corrupt, of another format version, or lacks the DRED statistics tables."""

    def __cinit__(self, blob):
        cdef const unsigned char[::1] src = blob
        cdef Py_ssize_t n = src.shape[0]
        # The C loader needs an 8-byte aligned blob: copy into a 64-byte aligned buffer.
        raw = np.empty(n + 64, dtype=np.uint8)
        off = (-raw.ctypes.data) % 64
        self._buf = raw[off:off + n]
        cdef unsigned char[::1] dst = self._buf
        if n:
            memcpy(&dst[0], &src[0], n)
        self.arrays = <dredfx_weight_array *>malloc(MAX_ARRAYS * sizeof(dredfx_weight_array))
        if self.arrays == NULL:
            raise MemoryError()
        cdef const unsigned char *p = &dst[0] if n else NULL
        cdef int rc
        with nogil:
            rc = dredfx_weights_parse(p, n, self.arrays, MAX_ARRAYS)
        if p == NULL:
            rc = -61
        self.n = check(rc)
        check(dredfx_dred_stats_init(&self.stats, self.arrays, self.n))

    def __dealloc__(self):
        free(self.arrays)

    cdef const dredfx_weight_array *find(self, const char *name, int type, unsigned count):
        return dredfx_weights_find(self.arrays, self.n, name, type, count)

    def __len__(self):
        return self.n

    def names(self):
        return [self.arrays[i].name.decode() for i in range(self.n)]

    def has(self, name, int type, unsigned count):
        """True if the blob holds that array with that C type code and element count."""
        b = name.encode()
        return self.find(b, type, count) != NULL
