# C declarations shared by every dredfx._* module: the error codes (c/include/dredfx.h).
cdef extern from "dredfx.h" nogil:
    ctypedef enum dredfx_error:
        DREDFX_OK
        DREDFX_ERR_BAD_ARG
        DREDFX_ERR_BUFFER_TOO_SMALL
        DREDFX_ERR_INTERNAL
        DREDFX_ERR_INVALID_PACKET
        DREDFX_ERR_UNIMPLEMENTED
        DREDFX_ERR_PACKET_EMPTY
        DREDFX_ERR_PACKET_CBR_SIZE
        DREDFX_ERR_PACKET_LENGTH
        DREDFX_ERR_PACKET_FRAME_SIZE
        DREDFX_ERR_PACKET_FRAME_COUNT
        DREDFX_ERR_PACKET_PADDING
        DREDFX_ERR_EXT_FRAME_INDEX
        DREDFX_ERR_EXT_OVERRUN
        DREDFX_ERR_WEIGHTS_FORMAT
        DREDFX_ERR_WEIGHTS_TRUNCATED
        DREDFX_ERR_WEIGHTS_CHECKSUM
        DREDFX_ERR_WEIGHTS_MISSING
        DREDFX_ERR_WEIGHTS_SHAPE
        DREDFX_ERR_CPU_UNSUPPORTED
    const char *dredfx_strerror(int err)
    int dredfx_is_invalid_packet(int err)
