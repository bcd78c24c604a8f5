"""The range coder of Opus (RFC 6716 section 4.1), bit-identical to libopus 1.6.1's
celt/entenc.c, entdec.c and laplace.c (the C library; the pure-Python twin is dredfx.ref.ec).

    enc = Encoder(64)                 # a 64-byte buffer
    enc.enc_uint(5, 16); laplace_encode_p0(enc, -3, p0=16384, decay=12000)
    enc.done(); data = enc.buffer
    dec = Decoder(data)
    dec.dec_uint(16), laplace_decode_p0(dec, p0=16384, decay=12000)    # 5, -3

Encoder(size): encode, encode_bin, enc_bit_logp, enc_icdf, enc_icdf16, enc_uint, enc_bits,
shrink, done, tell, tell_frac, copy, buffer. Decoder(data): decode, decode_bin, update,
dec_bit_logp, dec_icdf, dec_icdf16, dec_uint, dec_bits, tell, tell_frac. Arguments libopus would
assert on raise InvalidArgumentError naming the argument.
"""
from ._ec import Decoder, Encoder, laplace_decode_p0, laplace_encode_p0

__all__ = ["Encoder", "Decoder", "laplace_encode_p0", "laplace_decode_p0"]
