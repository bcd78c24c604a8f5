cdef extern from "dredfx.h" nogil:
    const char *dredfx_strerror(int err)
    int dredfx_is_invalid_packet(int err)
    int DREDFX_OK
    int DREDFX_ERR_BAD_ARG
    int DREDFX_ERR_BUFFER_TOO_SMALL
    int DREDFX_ERR_INVALID_PACKET
    int DREDFX_ERR_WEIGHTS_FORMAT
    int DREDFX_ERR_WEIGHTS_SHAPE
    int DREDFX_ERR_CPU_UNSUPPORTED
