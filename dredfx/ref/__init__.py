"""Pure-Python / float NumPy reference of every dredfx layer, mirroring c/src layer by layer:
ec (range coder), packet (Opus framing and padding extensions), dred (payload), nn (float
primitives mirroring libopus' float model), weights (the blob reader). It needs NumPy alone: no
module here imports a compiled dredfx module, and the compiled side never calls into it."""
