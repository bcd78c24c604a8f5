# The one place that turns C error codes into Python exceptions (dredfx.errors).
# Included by every dredfx._* module.
from cdredfx_common cimport dredfx_strerror
from dredfx import errors as _errors


cdef int check(int rc) except -1:
    """Raises the dredfx exception for a negative C return code; returns rc otherwise."""
    if rc >= 0:
        return rc
    raise _errors.from_code(rc, dredfx_strerror(rc).decode())
