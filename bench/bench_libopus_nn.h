/* The libopus side of bench/bench_nn.c (bench_libopus_nn.c, compiled against libopus' headers). */
#ifndef BENCH_LIBOPUS_NN_H
#define BENCH_LIBOPUS_NN_H

typedef struct bench_libopus bench_libopus;
/* kind "dense", "sparse" or "gru" (IN inputs, OUT outputs or units); NULL if too large; *macs:
 * multiply-accumulates per call. */
bench_libopus *bench_libopus_new(const char *kind, int nin, int nout, double *macs);
void bench_libopus_run(bench_libopus *b, long calls);
void bench_libopus_free(bench_libopus *b);

#endif
