#!/usr/bin/env bash
# dredfx against libopus 1.6.1 float through `dredfx simulate --compare-libopus` on the speech
# corpus (scripts/speech-corpus.sh: 15 real clips, five languages) at 10, 20 and 30 % lossgen
# loss, all four modes, 24 kb/s, 16 kHz. Per loss level a corpus report in
# out/simulate-corpus/lossgen<P>/ (report.md, report.json, report.png, clips/) and, on stdout,
# its tables (mean ± 95 % interval per codec and mode; dredfx against libopus beside libopus' own
# x86-vs-generic spread), as docs/accuracy.md quotes them. About 15 minutes on 2 cores.
# Arguments go to every `dredfx simulate` run (e.g. --jobs 1, --modes plc,dred).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
corpus=$(bash scripts/speech-corpus.sh)
bash scripts/build-libopus.sh x86 >/dev/null
bash scripts/build-libopus.sh generic >/dev/null
for p in 10 20 30; do
  echo "## lossgen:$p"
  echo
  "$PY" -m dredfx simulate "$corpus/*.16k.raw" --raw-rate 16000 --compare-libopus --loss "lossgen:$p" \
    --out "out/simulate-corpus/lossgen$p" --quiet "$@"
  sed -n '/^| codec/,/^$/p;/^| mode/,/^$/p' "out/simulate-corpus/lossgen$p/report.md"
done
