# C declarations of the neural PLC (c/include/dredfx.h, "neural PLC"; c/src/plc/plc.h for the
# state's fields and the Burg cepstrum, which the tests read).
from libc.stdint cimport int16_t, int32_t, uint32_t

from cdredfx_weights cimport dredfx_weight_array

cdef extern from "plc/plc.h" nogil:
    enum:
        DREDFX_PLC_FRAME_SIZE
        DREDFX_PLC_MAX_FEC_FRAMES
        DREDFX_PLC_FEATURE_MAX_Q16
    ctypedef struct dredfx_plc:
        int loaded
        int blend
        int fec_read_pos
        int fec_fill_pos
        int fec_skip
        int loss_count
        int32_t features_q16[20]
        uint32_t sat_burg
    size_t dredfx_plc_get_size()
    int dredfx_plc_init(dredfx_plc *st, const dredfx_weight_array *arrays, int n)
    void dredfx_plc_reset(dredfx_plc *st)
    int dredfx_plc_update(dredfx_plc *st, const int16_t *pcm)
    int dredfx_plc_conceal(dredfx_plc *st, int16_t *pcm)
    void dredfx_plc_fec_clear(dredfx_plc *st)
    int dredfx_plc_fec_add(dredfx_plc *st, const int32_t *features_q16)
    void dredfx_plc_burg_cepstrum(const int16_t *x, int32_t *ceps_q16, uint32_t *sat)
