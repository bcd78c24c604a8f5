# C declarations of the NN engine (internal headers c/src/nn/kernels.h, c/src/nn/nn.h) and the
# CPU dispatch of the public header, for dredfx._nn.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t


cdef extern from "nn/kernels.h" nogil:
    ctypedef struct dredfx_nn_kernels:
        void (*dense_i8)(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) noexcept nogil
        void (*sparse_i8)(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                          int rows) noexcept nogil
        void (*dense_i16)(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols) noexcept nogil
    int dredfx_nn_i8_row_sums(int32_t *wsum, const int8_t *w, const int32_t *idx, int rows, int cols)
    int DREDFX_NN_RQ_LEN(int n)
    int dredfx_nn_requant_prep(int64_t *rq, const int8_t *w, const int32_t *idx, int rows, int cols,
                               const int32_t *mult, const int32_t *shift, const int32_t *bias, int n)
    const dredfx_nn_kernels *dredfx_nn_kernels_for_level(int level)
    const dredfx_nn_kernels *dredfx_nn_get_kernels()


cdef extern from "nn/nn.h" nogil:
    enum:
        DREDFX_NN_ACT_LINEAR
        DREDFX_NN_ACT_SIGMOID
        DREDFX_NN_ACT_TANH
        DREDFX_NN_ACT_RELU
        DREDFX_NN_ACT_SOFTMAX
        DREDFX_NN_MAX_INPUTS
        DREDFX_NN_MAX_OUTPUTS
        DREDFX_NN_TANH_MAX_ERR_APPROX_E7
        DREDFX_NN_TANH_MAX_ERR_TRUE_E7
        DREDFX_NN_SIGMOID_MAX_ERR_APPROX_E7
        DREDFX_NN_SIGMOID_MAX_ERR_TRUE_E7
        DREDFX_NN_EXP2_MAX_REL_ERR_E7
        DREDFX_NN_LOG2_MAX_ERR_E7

    ctypedef struct dredfx_nn_linear:
        int nb_inputs
        int nb_outputs
        const int8_t *w8
        const int32_t *idx
        const int32_t *mult
        const int32_t *shift
        const int16_t *w16
        const int32_t *wexp
        const int32_t *w32
        const int32_t *wexp32
        const int32_t *bias
        const int32_t *wsum
        const int64_t *rq

    int dredfx_nn_linear_a15(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out, const int16_t *a15_in)
    int dredfx_nn_linear_i16(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out, const int16_t *x, int in_q)
    int dredfx_nn_linear_i32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out, const int32_t *x, int in_q)
    int dredfx_nn_dense_i32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15, const int32_t *x,
                            int in_q)
    int dredfx_nn_activation(int16_t *a15_out, const int32_t *p16_in, int n, int act)
    void dredfx_nn_tanh(int16_t *a15_out, const int32_t *p16_in, int n)
    void dredfx_nn_sigmoid(int16_t *a15_out, const int32_t *p16_in, int n)
    void dredfx_nn_sigmoid_gate(int32_t *g15_out, const int32_t *p16_in, int n)
    int dredfx_nn_dense(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15, const int16_t *in_a15)
    int dredfx_nn_dense_i16(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15, const int16_t *x,
                            int in_q)
    int dredfx_nn_gru(const dredfx_nn_kernels *k, const dredfx_nn_linear *input_layer, const dredfx_nn_linear *recurrent_layer,
                      int16_t *state_a15, const int16_t *in_a15)
    int dredfx_nn_glu(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int16_t *out_a15, const int16_t *in_a15)
    int dredfx_nn_conv1d(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15, int16_t *mem_a15,
                         const int16_t *in_a15, int input_size, int dilation)
    int dredfx_nn_conv2d(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int in_channels, int ktime, int kheight, int act,
                         int16_t *out_a15, int hstride, int16_t *mem, const int16_t *inp, int height,
                         int in_q)
    int32_t dredfx_nn_exp2_q16(int32_t x_p16)
    int32_t dredfx_nn_log2_q16(int32_t x, int q)
    int dredfx_nn_sparse_check(const int32_t *idx, size_t idx_len, size_t w_len, int rows, int cols)


cdef extern from "dredfx.h" nogil:
    int dredfx_cpu_level()
    int dredfx_cpu_max_level()
    int dredfx_cpu_set_level(int level)
    const char *dredfx_cpu_level_name(int level)
