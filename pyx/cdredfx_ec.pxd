from libc.stdint cimport uint16_t, uint32_t

cdef extern from "dredfx.h" nogil:
    ctypedef struct dredfx_ec:
        unsigned char *buf
        uint32_t storage
        uint32_t end_offs
        uint32_t end_window
        int nend_bits
        int nbits_total
        uint32_t offs
        uint32_t rng
        uint32_t val
        uint32_t ext
        int rem
        int error

    void dredfx_ec_enc_init(dredfx_ec *ec, unsigned char *buf, uint32_t size)
    void dredfx_ec_encode(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned ft)
    void dredfx_ec_encode_bin(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned bits)
    void dredfx_ec_enc_bit_logp(dredfx_ec *ec, int val, unsigned logp)
    void dredfx_ec_enc_icdf(dredfx_ec *ec, int s, const unsigned char *icdf, unsigned ftb)
    void dredfx_ec_enc_icdf16(dredfx_ec *ec, int s, const uint16_t *icdf, unsigned ftb)
    void dredfx_ec_enc_uint(dredfx_ec *ec, uint32_t fl, uint32_t ft)
    void dredfx_ec_enc_bits(dredfx_ec *ec, uint32_t fl, unsigned bits)
    void dredfx_ec_enc_shrink(dredfx_ec *ec, uint32_t size)
    void dredfx_ec_enc_done(dredfx_ec *ec)

    void dredfx_ec_dec_init(dredfx_ec *ec, const unsigned char *buf, uint32_t size)
    unsigned dredfx_ec_decode(dredfx_ec *ec, unsigned ft)
    unsigned dredfx_ec_decode_bin(dredfx_ec *ec, unsigned bits)
    void dredfx_ec_dec_update(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned ft)
    int dredfx_ec_dec_bit_logp(dredfx_ec *ec, unsigned logp)
    int dredfx_ec_dec_icdf(dredfx_ec *ec, const unsigned char *icdf, unsigned ftb)
    int dredfx_ec_dec_icdf16(dredfx_ec *ec, const uint16_t *icdf, unsigned ftb)
    uint32_t dredfx_ec_dec_uint(dredfx_ec *ec, uint32_t ft)
    uint32_t dredfx_ec_dec_bits(dredfx_ec *ec, unsigned bits)

    int dredfx_ec_tell(const dredfx_ec *ec)
    uint32_t dredfx_ec_tell_frac(const dredfx_ec *ec)

    void dredfx_ec_laplace_encode_p0(dredfx_ec *ec, int value, uint16_t p0, uint16_t decay)
    int dredfx_ec_laplace_decode_p0(dredfx_ec *ec, uint16_t p0, uint16_t decay)
