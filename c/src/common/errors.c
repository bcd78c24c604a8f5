#include "common/common.h"

const char *dredfx_strerror(int err) {
  switch (err) {
    case DREDFX_OK: return "success";
    case DREDFX_ERR_BAD_ARG: return "invalid argument";
    case DREDFX_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
    case DREDFX_ERR_INTERNAL: return "internal error";
    case DREDFX_ERR_INVALID_PACKET: return "invalid packet";
    case DREDFX_ERR_UNIMPLEMENTED: return "not implemented";
    case DREDFX_ERR_PACKET_EMPTY: return "invalid packet: empty";
    case DREDFX_ERR_PACKET_CBR_SIZE: return "invalid packet: CBR frame sizes do not divide the payload";
    case DREDFX_ERR_PACKET_LENGTH: return "invalid packet: frame length runs past the end";
    case DREDFX_ERR_PACKET_FRAME_SIZE: return "invalid packet: frame longer than 1275 bytes";
    case DREDFX_ERR_PACKET_FRAME_COUNT: return "invalid packet: bad frame count (0 or over 120 ms)";
    case DREDFX_ERR_PACKET_PADDING: return "invalid packet: padding runs past the end";
    case DREDFX_ERR_EXT_FRAME_INDEX: return "invalid packet: extension frame index past the last frame";
    case DREDFX_ERR_EXT_OVERRUN: return "invalid packet: extension runs past the padding";
    case DREDFX_ERR_WEIGHTS_FORMAT: return "weights blob: bad magic, version or record header";
    case DREDFX_ERR_WEIGHTS_TRUNCATED: return "weights blob: truncated";
    case DREDFX_ERR_WEIGHTS_CHECKSUM: return "weights blob: checksum mismatch (corrupt)";
    case DREDFX_ERR_WEIGHTS_MISSING: return "weights blob: a required array is missing";
    case DREDFX_ERR_WEIGHTS_SHAPE: return "weights blob: an array has the wrong type, size or contents";
    case DREDFX_ERR_CPU_UNSUPPORTED: return "CPU level not supported on this machine";
    default: return "unknown error";
  }
}

int dredfx_is_invalid_packet(int err) {
  return err == DREDFX_ERR_INVALID_PACKET || (err <= DREDFX_ERR_PACKET_EMPTY && err >= DREDFX_ERR_EXT_OVERRUN);
}
