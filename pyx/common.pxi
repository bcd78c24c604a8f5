# Included by every dredfx._* module: the plumbing of a thin binding. Arguments in (bytes-like
# objects only, arrays of the exact dtype and size), the C call without the GIL in the module,
# check() for its return code, new arrays out. C error codes become dredfx exceptions by the names
# of c/include/dredfx.h's enum dredfx_error (cdredfx_common.pxd), never by their numbers.
from libc.stdint cimport INT32_MAX
from libc.string cimport memcpy
cimport numpy as cnp

from cdredfx_common cimport *

import numpy as np

from dredfx import errors as _errors
from dredfx._types import as_bytes as _as_bytes

cnp.import_array()


cdef inline object _error_class(int rc):
    if rc == DREDFX_ERR_BAD_ARG:
        return _errors.InvalidArgumentError
    if rc == DREDFX_ERR_BUFFER_TOO_SMALL:
        return _errors.BufferTooSmallError
    if dredfx_is_invalid_packet(rc):
        return _errors.InvalidPacketError
    if DREDFX_ERR_WEIGHTS_SHAPE <= rc <= DREDFX_ERR_WEIGHTS_FORMAT:
        return _errors.WeightsError
    if rc == DREDFX_ERR_CPU_UNSUPPORTED:
        return _errors.CpuLevelError
    return _errors.DredfxError


cdef inline int check(int rc, str where=None) except -1:
    """rc when it is not negative; else raises its dredfx exception, the message led by `where`
    (the call and the arguments it checks)."""
    if rc >= 0:
        return rc
    msg = dredfx_strerror(rc).decode()
    raise _error_class(rc)(msg if where is None else "%s: %s" % (where, msg), rc)


cdef inline int bad_arg(str name, str why) except -1:
    """Raises InvalidArgumentError naming the argument: "<name> <why>"."""
    raise _errors.InvalidArgumentError("%s %s" % (name, why), DREDFX_ERR_BAD_ARG)


cdef inline bytes bytes_in(obj, str name):
    """obj as bytes (no copy for bytes); anything that is not bytes-like is refused with an error
    naming the argument, as is more than 2^31 - 1 bytes (the C length type)."""
    cdef bytes b = <bytes>obj if type(obj) is bytes else _as_bytes(obj, name)
    if len(b) > INT32_MAX:
        bad_arg(name, "is longer than 2^31 - 1 bytes")
    return b


cdef inline object int_in(obj, str name, long long lo, long long hi):
    """obj as a Python int in lo..hi (NumPy integers accepted), else an error naming it."""
    try:
        v = obj.__index__()
    except AttributeError:
        raise _errors.ArgumentTypeError("%s must be an integer, not %s"
                                        % (name, type(obj).__name__)) from None
    if not lo <= v <= hi:
        bad_arg(name, "must be in %d..%d, got %d" % (lo, hi, v))
    return v


cdef inline object array_in(object a, object dtype, Py_ssize_t size, str name):
    """a as a contiguous 1-D array of exactly `dtype` (no silent cast) and `size` elements
    (any size when size < 0)."""
    a = np.asarray(a)
    if a.dtype != dtype:
        bad_arg(name, "has dtype %s, expected %s" % (a.dtype, np.dtype(dtype)))
    a = np.ascontiguousarray(a).reshape(-1)
    if size >= 0 and a.size != size:
        bad_arg(name, "has %d values, expected %d" % (a.size, size))
    return a


cdef inline object array_out(const void *src, int nd, cnp.npy_intp *dims, int typenum):
    """A new NumPy array of that shape and type, filled from src."""
    arr = cnp.PyArray_SimpleNew(nd, dims, typenum)
    memcpy(cnp.PyArray_DATA(arr), src, cnp.PyArray_NBYTES(arr))
    return arr
