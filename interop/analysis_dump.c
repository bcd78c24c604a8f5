/* analysis_dump: libopus 1.6.1's DRED analysis of mono s16le speech at any DRED input rate, for
 * dredfx's accuracy table (tools/analysis_accuracy.py, tests/test_analysis.py). Our own tool,
 * compiled against a libopus 1.6.1 build in the cache folder (never part of libdredfx).
 *
 *   analysis_dump RATE IN.raw OUT.f32
 *       RATE 8000, 12000, 16000, 24000 or 48000. The samples go through libopus' own
 *       dred_convert_to_16k (its static function, reached by including dnn/dred_encoder.c, so
 *       the archive's copy is not linked) in 10 ms pieces, as dred_compute_latents feeds it, then
 *       every 160 samples at 16 kHz through lpcnet_compute_single_frame_features_float. OUT: the
 *       first 20 features of each frame as float32, framed as `fargan_demo -features` frames
 *       16 kHz input (from the first sample, a trailing partial frame dropped).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dred_encoder.c"

int main(int argc, char **argv)
{
    static DREDEnc enc;
    static LPCNetEncState lpc;
    float in[480], out16[160], frame[160];
    short pcm[480];
    int fill = 0, arch = opus_select_arch();
    FILE *fin, *fout;
    if (argc != 4) {
        fprintf(stderr, "usage: analysis_dump RATE IN.raw OUT.f32\n");
        return 2;
    }
    enc.Fs = atoi(argv[1]);
    enc.channels = 1;
    if (enc.Fs != 8000 && enc.Fs != 12000 && enc.Fs != 16000 && enc.Fs != 24000 && enc.Fs != 48000) {
        fprintf(stderr, "analysis_dump: rate %s not a DRED input rate\n", argv[1]);
        return 2;
    }
    if (!(fin = fopen(argv[2], "rb")) || !(fout = fopen(argv[3], "wb"))) {
        perror("analysis_dump");
        return 2;
    }
    lpcnet_encoder_init(&lpc);
    for (;;) {
        int n = enc.Fs / 100;
        if ((int)fread(pcm, sizeof(short), (size_t)n, fin) != n) break;
        /* dred_compute_latents gets opus_encode's float input: the int16 value / 32768. */
        for (int i = 0; i < n; i++) in[i] = pcm[i] * (1.f / 32768.f);
        dred_convert_to_16k(&enc, in, n, out16, 160);
        for (int i = 0; i < 160; i++) {
            float feats[NB_TOTAL_FEATURES];
            frame[fill++] = out16[i];
            if (fill < 160) continue;
            lpcnet_compute_single_frame_features_float(&lpc, frame, feats, arch);
            fwrite(feats, sizeof(float), NB_FEATURES, fout);
            fill = 0;
        }
    }
    fclose(fin);
    fclose(fout);
    return 0;
}
