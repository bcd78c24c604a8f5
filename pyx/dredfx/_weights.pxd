from cdredfx_weights cimport dredfx_weight_array, dredfx_dred_stats

cdef class Weights:
    cdef object _buf                   # aligned numpy copy of the blob; keeps the arrays alive
    cdef dredfx_weight_array *arrays   # C index into _buf
    cdef int n
    cdef dredfx_dred_stats stats       # the DRED quantizer tables (for dredfx._dred)
    cdef const dredfx_weight_array *find(self, const char *name, int type, unsigned count)
