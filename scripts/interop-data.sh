#!/usr/bin/env bash
# Interop data: real speech encoded with DRED by libopus 1.6.1, and libopus' own parse of every
# packet, as JSON lines for tests/test_interop.py. Everything is written to the cache folder:
#   $DREDFX_CACHE/interop/dred_dump          interop/dred_dump.c built against libopus 1.6.1 ("x86")
#   $DREDFX_CACHE/interop/dred_dump_generic  the same against libopus' generic C build
#   $DREDFX_CACHE/interop/clips/*.raw        speech prompts (asterisk-core-sounds-en-g722), s16le
#   $DREDFX_CACHE/interop/data/*.jsonl       one line per packet (fields: interop/dred_dump.c)
#   $DREDFX_CACHE/interop/data/manifest.tsv  file, clip, rate, bitrate, loss, frame_ms, cbr
# Prints the data folder. Idempotent: reuses the outputs while the tool source, this script, the
# libopus build and the clips are unchanged. Needs gcc, ffmpeg, asterisk-core-sounds-en-g722
# (scripts/install-deps.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
W="$CACHE/interop"
OUT="$W/data"
log() { echo "interop-data: $*" >&2; }
t0=$(date +%s)

SRC="$("$here/get-libopus.sh")"
B="$("$here/build-libopus.sh" x86)"
G="$("$here/build-libopus.sh" generic)"

# Sounds: Debian installs them under en/ or en_US_f_Allison/ depending on the release.
SND=""
for d in /usr/share/asterisk/sounds/en /usr/share/asterisk/sounds/en_US_f_Allison; do
  [ -f "$d/vm-intro.g722" ] && { SND="$d"; break; }
done
[ -n "$SND" ] || { log "error: no asterisk G.722 prompts; run scripts/install-deps.sh (asterisk-core-sounds-en-g722)"; exit 2; }
command -v ffmpeg >/dev/null || { log "error: ffmpeg missing; run scripts/install-deps.sh"; exit 2; }

# Six different prompts of 4-6 s; the last two are also resampled to 48 kHz.
clips16=(vm-intro demo-thanks agent-alreadyon ss-noservice vm-mismatch queue-youarenext)
clips48=(vm-mismatch queue-youarenext)
bitrates=(24000 32000 48000 64000)
losses=(10 20)

key=$( { cat "$root/interop/dred_dump.c" "$0"; sha256sum "$B/.libs/libopus.a" "$G/.libs/libopus.a" | cut -d' ' -f1;
         for c in "${clips16[@]}"; do sha256sum "$SND/$c.g722" | cut -d' ' -f1; done;
         ffmpeg -version 2>/dev/null | head -1; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/.key" ] && [ "$(cat "$OUT/.key")" = "$key" ] && [ -f "$OUT/manifest.tsv" ]; then
  log "up to date ($(($(wc -l < "$OUT/manifest.tsv") - 1)) files in $OUT)"
  echo "$OUT"; exit 0
fi

mkdir -p "$W/clips"
log "compiling interop/dred_dump.c against $B"
gcc -std=gnu11 -O2 -Wall -Wno-cpp -DHAVE_CONFIG_H -I"$B" -I"$SRC/include" -I"$SRC/src" \
    -I"$SRC/celt" -I"$SRC/silk" -I"$SRC/dnn" -I"$SRC" "$root/interop/dred_dump.c" \
    "$B/.libs/libopus.a" -lm -o "$W/dred_dump.tmp"
mv "$W/dred_dump.tmp" "$W/dred_dump"
# The same tool on libopus' generic C build (-U__SSE2__, as it was configured): libopus' own spread.
gcc -std=gnu11 -O2 -Wall -Wno-cpp -U__SSE2__ -DHAVE_CONFIG_H -I"$G" -I"$SRC/include" -I"$SRC/src" \
    -I"$SRC/celt" -I"$SRC/silk" -I"$SRC/dnn" -I"$SRC" "$root/interop/dred_dump.c" \
    "$G/.libs/libopus.a" -lm -o "$W/dred_dump_generic.tmp"
mv "$W/dred_dump_generic.tmp" "$W/dred_dump_generic"

log "decoding ${#clips16[@]} prompts from $SND"
for c in "${clips16[@]}"; do
  ffmpeg -nostdin -hide_banner -loglevel error -y -f g722 -i "$SND/$c.g722" -ac 1 -ar 16000 \
         -f s16le "$W/clips/$c.16k.raw"
done
for c in "${clips48[@]}"; do
  ffmpeg -nostdin -hide_banner -loglevel error -y -f g722 -i "$SND/$c.g722" -ac 1 -ar 48000 \
         -f s16le "$W/clips/$c.48k.raw"
done
# Two prompts with 1 s of digital silence between them: DRED sent during the pause skips its
# inactive newest latents, so the offset grows past 31 and uses the extra-offset field.
{ cat "$W/clips/vm-intro.16k.raw"; head -c 32000 /dev/zero; cat "$W/clips/demo-thanks.16k.raw"; } \
  > "$W/clips/gap.16k.raw"

rm -rf "$OUT.tmp"; mkdir -p "$OUT.tmp"
printf 'file\tclip\trate\tbitrate\tloss\tframe_ms\tcbr\n' > "$OUT.tmp/manifest.tsv"
jobs_file="$OUT.tmp/jobs"
: > "$jobs_file"
add() {  # clip rate bitrate loss frame_ms cbr
  local name="$1.${2:0:2}k.b$3.l$4.f$5$([ "$6" = 1 ] && echo .cbr).jsonl"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$1" "$2" "$3" "$4" "$5" "$6" >> "$OUT.tmp/manifest.tsv"
  echo "$name $1 $2 $3 $4 $5 $6" >> "$jobs_file"
}
for c in "${clips16[@]}"; do for b in "${bitrates[@]}"; do for l in "${losses[@]}"; do
  add "$c" 16000 "$b" "$l" 20 0; done; done; done
for c in "${clips48[@]}"; do for b in "${bitrates[@]}"; do for l in "${losses[@]}"; do
  add "$c" 48000 "$b" "$l" 20 0; done; done; done
# Variety: multi-frame packets, 10 ms frames, CBR (DRED fills leftover room, even at 0 % loss),
# a pause in the speech.
add vm-intro 16000 32000 20 60 0
add demo-thanks 16000 48000 15 40 0
add agent-alreadyon 16000 32000 20 10 0
add ss-noservice 16000 32000 5 20 1
add queue-youarenext 48000 64000 20 60 0
add vm-mismatch 48000 32000 10 20 1
add vm-mismatch 48000 32000 0 20 1
add gap 16000 32000 20 20 0
add gap 16000 64000 10 20 0

n=$(wc -l < "$jobs_file")
log "encoding $n settings with libopus 1.6.1"
run_one() {
  set -- $1
  local cbr=(); [ "$7" = 1 ] && cbr=(-cbr)
  "$W/dred_dump" encode -r "$3" -b "$4" -l "$5" -f "$6" "${cbr[@]}" \
      "$W/clips/$2.${3:0:2}k.raw" > "$OUT.tmp/$1"
}
i=0
while read -r line; do
  run_one "$line" || { log "error: dred_dump failed on: $line"; exit 1; }
  i=$((i + 1))
  [ $((i % 10)) = 0 ] && log "  $i/$n"
done < "$jobs_file"
rm -f "$jobs_file"
echo "$key" > "$OUT.tmp/.key"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
log "done: $(cat "$OUT"/*.jsonl | wc -l) packets in $n files, $(($(date +%s) - t0)) s"
echo "$OUT"
