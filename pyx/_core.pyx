# cython: language_level=3
"""dredfx._core: the C library, layer by layer. Each layer lives in its own .pxi (declarations in
the matching .pxd); this module only stitches them together."""
import numpy as np
cimport numpy as cnp
cnp.import_array()

include "errors.pxi"
include "ec.pxi"
include "packet.pxi"
include "dred.pxi"
include "weights.pxi"
include "nn.pxi"
