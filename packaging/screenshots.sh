#!/usr/bin/env bash
# Renders every tab of the workbench after real runs (MoE, distillation, pruning) under Xvfb,
# into docs/screenshots/<run>/<tab>.png, and the three compared in docs/screenshots/compare.png.
# With an existing store argument the runs are trained again into it (new ids). Needs a build
# (packaging/bootstrap.sh build); about five minutes on two cores.
#   bash packaging/screenshots.sh [store]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/release/app/cli/slimlab-cli
gui=build/release/app/gui/slimlab
store="${1:-$(mktemp -d)/screenshots.sqlite}"

run() {  # run NAME SPEC [ARGS...]: trains SPEC, prints the run id
  "$cli" --db "$store" run "$2" --quiet --json "${@:3}" | tail -n 1 |
    grep -o '"run_id":[0-9]*' | cut -d: -f2
}

moe=$(run moe experiments/moe-fashion-top2.json)
spirals=$(run spirals experiments/moe-spirals.json)
prune=$(run prune experiments/prune-lenet300-agp.json)
"$cli" --db "$store" run experiments/cnn-fashion.json --quiet --set schedule.epochs=2 >/dev/null
distill=$(run distill experiments/kd-cnn-to-mlp.json --set schedule.epochs=6)

for pair in "moe:$moe" "spirals:$spirals" "prune:$prune" "distill:$distill"; do
  name="${pair%%:*}"
  id="${pair##*:}"
  xvfb-run -a -s "-screen 0 1400x900x24" \
    "$gui" --db "$store" --run "$id" --screenshots "docs/screenshots/$name"
done
xvfb-run -a -s "-screen 0 1400x900x24" \
  "$gui" --db "$store" --compare "$moe,$prune,$distill" --screenshot docs/screenshots/compare.png
# A window for a 1024x768 projector (less the desktop's panels) and a large one:
# docs/screenshots/<size>/<run>/<tab>.png.
# With runs, compared, and a new empty store (each tab says what fills it).
empty="$(mktemp -d)/empty.sqlite"
for size in 1024x700 1600x1000; do
  for pair in "moe:$moe" "spirals:$spirals" "prune:$prune" "distill:$distill"; do
    xvfb-run -a -s "-screen 0 1700x1100x24" "$gui" --db "$store" --run "${pair##*:}" \
      --size "$size" --screenshots "docs/screenshots/$size/${pair%%:*}"
  done
  xvfb-run -a -s "-screen 0 1700x1100x24" "$gui" --db "$store" --size "$size" \
    --compare "$moe,$prune,$distill" --screenshot "docs/screenshots/$size/compare.png"
  xvfb-run -a -s "-screen 0 1700x1100x24" "$gui" --db "$empty" --size "$size" \
    --screenshots "docs/screenshots/$size/empty"
done
echo "screenshots in docs/screenshots/{moe,spirals,prune,distill,1024x700,1600x1000}; store: $store"
