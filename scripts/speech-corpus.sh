#!/usr/bin/env bash
# The speech corpus of the accuracy and simulation runs: 15 real speech clips of 6-10 s, five
# languages and four voices (Asterisk's G.722 prompts: en and es by Allison, fr by June, it by
# Carlo, ru by the IvrvoiceRU voice), each made of whole prompts joined end to end with 100 ms of
# silence between them. Written to the cache folder, never committed:
#   $DREDFX_CACHE/corpus/<lang>-<n>.16k.raw   s16le mono 16 kHz
#   $DREDFX_CACHE/corpus/<lang>-<n>.48k.raw   the same resampled to 48 kHz by ffmpeg (swr)
#   $DREDFX_CACHE/corpus/manifest.tsv         clip, seconds, the prompts it joins
# Prints the corpus folder. Idempotent: reuses it while this script and the prompts are unchanged.
# Needs ffmpeg and asterisk-core-sounds-{en,es,fr,it,ru}-g722 (scripts/install-deps.sh).
set -euo pipefail
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
OUT="$CACHE/corpus"
SOUNDS=/usr/share/asterisk/sounds
log() { echo "speech-corpus: $*" >&2; }
command -v ffmpeg >/dev/null || { log "error: ffmpeg missing; run scripts/install-deps.sh"; exit 2; }

# One folder per language; Debian names them en/ or en_US_f_Allison/ depending on the release.
langs=(en es fr it ru)
declare -A dirs
for l in "${langs[@]}"; do
  for d in "$SOUNDS/$l" "$SOUNDS"/"${l}"_*_*; do
    if [ -d "$d" ] && ls "$d"/*.g722 >/dev/null 2>&1; then dirs[$l]="$d"; break; fi
  done
  [ -n "${dirs[$l]:-}" ] || { log "error: no G.722 prompts for '$l' under $SOUNDS; run scripts/install-deps.sh (asterisk-core-sounds-$l-g722)"; exit 2; }
done

key=$( { cat "$0"; for l in "${langs[@]}"; do (cd "${dirs[$l]}" && ls -l --time-style=+ ./*.g722 | awk '{print $5, $NF}'); done;
         ffmpeg -version 2>/dev/null | head -1; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/.key" ] && [ "$(cat "$OUT/.key")" = "$key" ]; then
  log "up to date ($(($(wc -l < "$OUT/manifest.tsv") - 1)) clips in $OUT)"; echo "$OUT"; exit 0
fi

rm -rf "$OUT.tmp"; mkdir -p "$OUT.tmp"
printf 'clip\tseconds\tprompts\n' > "$OUT.tmp/manifest.tsv"
sil=$(mktemp); trap 'rm -f "$sil"' EXIT
head -c 3200 /dev/zero > "$sil"   # 100 ms at 16 kHz
for l in "${langs[@]}"; do
  d="${dirs[$l]}"
  # Prompts of 1.5-4.5 s (G.722 is 8000 bytes a second), in name order: deterministic.
  mapfile -t prompts < <(cd "$d" && for f in *.g722; do
      s=$(stat -c %s "$f"); [ "$s" -ge 12000 ] && [ "$s" -le 36000 ] && echo "$f"; done | sort)
  n=0; i=0
  while [ $n -lt 3 ] && [ $i -lt ${#prompts[@]} ]; do
    n=$((n + 1)); name="$l-$n"; bytes=0; used=()
    : > "$OUT.tmp/$name.16k.raw"
    # Join prompts until 6 s; a prompt that would pass 10 s is skipped.
    while [ $bytes -lt 192000 ] && [ $i -lt ${#prompts[@]} ]; do
      f="${prompts[$i]}"; i=$((i + 1))
      pcm=$(mktemp)
      ffmpeg -v error -i "$d/$f" -ac 1 -ar 16000 -f s16le -y "$pcm"
      s=$(stat -c %s "$pcm")
      if [ $((bytes + s + 3200)) -le 320000 ]; then
        [ $bytes -gt 0 ] && { cat "$sil" >> "$OUT.tmp/$name.16k.raw"; bytes=$((bytes + 3200)); }
        cat "$pcm" >> "$OUT.tmp/$name.16k.raw"; bytes=$((bytes + s)); used+=("${f%.g722}")
      fi
      rm -f "$pcm"
    done
    [ $bytes -ge 192000 ] || { log "error: not enough prompts for $name"; exit 2; }
    ffmpeg -v error -f s16le -ar 16000 -ac 1 -i "$OUT.tmp/$name.16k.raw" -ar 48000 -f s16le -y "$OUT.tmp/$name.48k.raw"
    printf '%s\t%s\t%s\n' "$name" "$(awk "BEGIN{printf \"%.2f\", $bytes/32000}")" "${used[*]}" >> "$OUT.tmp/manifest.tsv"
  done
done
echo "$key" > "$OUT.tmp/.key"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
log "$(($(wc -l < "$OUT/manifest.tsv") - 1)) clips in $OUT"
echo "$OUT"
