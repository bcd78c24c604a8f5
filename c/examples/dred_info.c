/* dredfx from C, without Python: load the weight blob, parse the DRED of an Opus packet.
 *   dred_info BLOB PACKET_HEX [SAMPLING_RATE]
 * Build against an installed dredfx: cc dred_info.c $(pkg-config --cflags --libs dredfx) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dredfx.h>

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  /* dredfx_weights_parse wants an 8-byte aligned blob. */
  unsigned char *buf = n > 0 ? aligned_alloc(64, ((size_t)n + 63) & ~(size_t)63) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = buf ? (size_t)n : 0;
  return buf;
}

static int from_hex(const char *hex, unsigned char *out, int max) {
  int n = (int)strlen(hex) / 2;
  if ((int)strlen(hex) % 2 || n > max) return -1;
  for (int i = 0; i < n; i++)
    if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1) return -1;
  return n;
}

int main(int argc, char **argv) {
  static dredfx_weight_array arrays[1024];
  unsigned char packet[1500];
  dredfx_dred_stats stats;
  dredfx_dred_payload p;
  size_t blob_len;
  int32_t dred_end;
  if (argc < 3) {
    fprintf(stderr, "usage: %s BLOB PACKET_HEX [SAMPLING_RATE]\n", argv[0]);
    return 2;
  }
  unsigned char *blob = read_file(argv[1], &blob_len);
  if (!blob) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  int n = dredfx_weights_parse(blob, blob_len, arrays, 1024);
  int rc = n < 0 ? n : dredfx_dred_stats_init(&stats, arrays, n);
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", argv[1], dredfx_strerror(rc));
    return 1;
  }
  int len = from_hex(argv[2], packet, (int)sizeof(packet));
  if (len < 0) {
    fprintf(stderr, "PACKET_HEX is not a hex string of at most %d bytes\n", (int)sizeof(packet));
    return 2;
  }
  int32_t fs = argc > 3 ? atoi(argv[3]) : 48000;
  int samples = dredfx_dred_parse(packet, len, fs, fs, &stats, &p, &dred_end);
  if (samples < 0) {
    printf("error: %s\n", dredfx_strerror(samples));
    return 1;
  }
  if (p.nb_latents == 0) {
    printf("no DRED\n");
  } else {
    printf("q0 %d dQ %d qmax %d dred_offset %d latents %d: %d samples at %d Hz, dred_end %d\n", p.q0,
           p.dq, p.qmax, p.dred_offset, p.nb_latents, samples, (int)fs, (int)dred_end);
  }
  free(blob);
  return 0;
}
