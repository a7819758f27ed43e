#!/usr/bin/env bash
# Reproduces the rejection figures of docs/results_rejection.md (issue 10): false activations per hour by
# cause and recall at 0.5/1/5 FA/h on everyday streams of held-out simulated subjects, before (the recipe
# without rejection, `train --no-rejection`, at arg-max) and after (the default recipe: everyday negatives,
# hard-negative mining, calibrated operating point); the real held-out day with the default recipe, 3 seeds;
# detect against the Python evaluation on the held-out streams. ~60 min on 2 busy cores.
#   scripts/run_rejection_experiments.sh [OUT_DIR]     (default: $TMPDIR/radargest_rejection)
# Real data: $RADARGEST_DATA or ../shared/data/acconeer-a121-gesture-control. Held out, never trained,
# validated or calibrated on: every idx_3 file and static_hand_idx_1 (--split day), simulated subjects
# 12-15 (gesture sessions) and 7000-7007 (everyday streams).
set -euo pipefail
OUT=${1:-${TMPDIR:-/tmp}/radargest_rejection}
DATA=${RADARGEST_DATA:-$(dirname "$0")/../../shared/data/acconeer-a121-gesture-control}
SEEDS=${SEEDS:-"0 1 2"}
HERE=$(cd "$(dirname "$0")" && pwd)
export TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$OUT"
G=tap_in,tap_out,double_tap_in,wiggle
SIMTEST=subject:sim-s012,sim-s013,sim-s014,sim-s015

# 1. data. Training side: the real training days, 16 simulated subjects' gesture sessions (12-15 held out by
#    the sim split), everyday streams of the training subjects 0-11 (2 h) and calibration-only everyday
#    streams of 4 further training-side subjects (100-103, 1 h). Held out: everyday streams of subjects
#    7000-7007 (8 x 15 min = 2 h), disjoint from everything above.
[ -d "$OUT/real" ] || radargest import acconeer-gesture-control "$DATA" --out "$OUT/real" --quiet
[ -d "$OUT/sim" ] || radargest simulate --subjects 16 --first-subject 0 --out "$OUT/sim" --quiet
[ -d "$OUT/everyday_train" ] || radargest simulate --everyday --subjects 12 --first-subject 0 --minutes 10 \
  --seed 1 --out "$OUT/everyday_train" --quiet
[ -d "$OUT/everyday_cal" ] || radargest simulate --everyday --subjects 4 --first-subject 100 --minutes 15 \
  --seed 2 --out "$OUT/everyday_cal" --quiet
[ -d "$OUT/everyday_test" ] || radargest simulate --everyday --subjects 8 --first-subject 7000 --minutes 15 \
  --seed 3 --out "$OUT/everyday_test" --quiet

# 2. before: the recipe without rejection (sim gesture sessions only, no mining, min_score 0)
[ -f "$OUT/sim_before/model.keras" ] || radargest train --data "$OUT/sim" --gestures $G --split $SIMTEST --seed 0 \
  --no-rejection --none-subclasses 1 --out "$OUT/sim_before" --overwrite --quiet
radargest evaluate "$OUT/sim_before" --data "$OUT/everyday_test" --split none --continuous --threshold 0 --json \
  --out "$OUT/sim_before/everyday_test" --quiet > "$OUT/sim_before.everyday.json"

# 3. after: the default recipe's sim model (everyday negatives of the training subjects, mining, operating point
#    chosen by train on its validation streams + the calibration-only streams), at its operating point and at
#    arg-max (what the training alone does)
radargest train --data "$OUT/sim" "$OUT/everyday_train" --gestures $G --split $SIMTEST --seed 0 \
  --calibration-data "$OUT/everyday_cal" --out "$OUT/fin_sim" --overwrite --quiet
radargest evaluate "$OUT/fin_sim" --data "$OUT/everyday_test" --split none --continuous --json \
  --out "$OUT/fin_sim/everyday_test" --quiet > "$OUT/fin_sim.everyday.json"
radargest evaluate "$OUT/fin_sim" --data "$OUT/everyday_test" --split none --continuous --threshold 0 --json \
  --out "$OUT/fin_sim/everyday_test_argmax" --quiet > "$OUT/fin_sim.everyday.argmax.json"

# 4. real: the sim model fine-tuned on the real training days with the everyday streams replayed (tail
#    validation, as before), operating point on the validation tails + calibration-only streams; 3 seeds,
#    tested once on the idx_3 day + static_hand
for s in $SEEDS; do
  radargest train --data "$OUT/real" "$OUT/everyday_train" --gestures $G --split day --val-mode tail \
    --init "$OUT/fin_sim" --calibration-data "$OUT/everyday_cal" --seed "$s" --out "$OUT/fin_real_s$s" \
    --overwrite --quiet
  radargest evaluate "$OUT/fin_real_s$s" --data "$OUT/real" --continuous --json --out "$OUT/fin_real_s$s/heldout" \
    --quiet > "$OUT/fin_real_s$s.eval.json"
done

# 5. consistency: the seed-0 bundle's detect (int8, manifest decision layer) against the Python evaluation
s0=$(echo $SEEDS | cut -d' ' -f1)
radargest export "$OUT/fin_real_s$s0" --out "$OUT/bundle_real_s$s0" --overwrite --quiet
python "$HERE/rejection_consistency.py" "$OUT/fin_real_s$s0" "$OUT/bundle_real_s$s0" "$OUT"/real/*idx_3.h5 \
  "$OUT"/real/label_static_hand_idx_1.h5 > "$OUT/consistency_real_s$s0.json"
echo "wrote $OUT"
