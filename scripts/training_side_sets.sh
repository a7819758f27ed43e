#!/usr/bin/env bash
# Renders the training-side everyday judging sets that the rejection and throttle studies since the thirty-eighth
# session are judged on (docs/results_rejection.md, docs/results_power.md). No model trains, validates or
# calibrates on them, and none of their subjects is held out: the held-out simulated subjects are 12-15,
# 5000-5007, 7000-7099 and 9000-9199. Each set is a fixed command (subjects, minutes, timeline seed), so a new
# machine renders the same streams, frame for frame.
#   scripts/training_side_sets.sh OUT_DIR [SET ...] [-- SIMULATE_OPTIONS]
#     SET: evS evC evF evG evH evK evM (default: the five sets evS evC evF evG evH)
#     SIMULATE_OPTIONS go to every `radargest simulate`, e.g. -- --frame-rate-hz 28.5714 (half the awake rate) or
#     -- --hwaas 8. A set already in OUT_DIR is kept, never re-rendered.
# The recipe's training data (sim, sim_more, everyday_train, everyday_more, everyday_cal, everyday_extra) is step 1
# of scripts/run_model_experiments.sh.
set -euo pipefail
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then usage; [ $# -ge 1 ]; exit $?; fi
OUT=$1; shift
SETS=(); EXTRA=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; EXTRA=("$@"); break; fi
  SETS+=("$1"); shift
done
[ ${#SETS[@]} -gt 0 ] || SETS=(evS evC evF evG evH)
if radargest simulate --help >/dev/null 2>&1; then RG=(radargest); else RG=(python -m radargest); fi

# name -> "subjects first_subject minutes seed"
declare -A SPEC=(
  [evS]="16 5940 15 37"
  [evC]="8 5956 15 38"
  [evF]="8 5964 15 39"
  [evG]="8 5972 15 40"
  [evH]="8 5980 15 41"
  [evK]="16 6004 15 45"
  [evM]="32 6052 15 47"
)
for s in "${SETS[@]}"; do
  if [ -z "${SPEC[$s]+x}" ]; then echo "unknown set '$s' (known: ${!SPEC[*]})" >&2; exit 2; fi
done
mkdir -p "$OUT"
for s in "${SETS[@]}"; do
  read -r n first minutes seed <<< "${SPEC[$s]}"
  if [ -d "$OUT/$s" ]; then echo "$OUT/$s exists: kept"; continue; fi
  "${RG[@]}" simulate --everyday --subjects "$n" --first-subject "$first" --minutes "$minutes" --seed "$seed" \
    ${EXTRA[@]+"${EXTRA[@]}"} --out "$OUT/$s" --quiet
done
