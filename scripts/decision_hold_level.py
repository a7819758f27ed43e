"""The level that holds a due prefix gesture on renewed motion (``DecisionConfig.prefix_hold_db``), on
TRAINING-side data only (docs/results_decision.md).

Usage: python scripts/decision_hold_level.py REAL_DIR SIM_DIR [SIM_DIR ...] [--sim-subjects 0-11,500-515]

REAL_DIR holds the imported Acconeer files; only the idx_1, idx_2 and idx_5 days are read (idx_3 and
static_hand_idx_1 are the held-out test set). Each SIM_DIR holds simulated sessions ``sim-sNNN_*.h5``; only the
subjects in ``--sim-subjects`` are read. Runs are those of ``scripts/decision_gaps.py``.

For each level L, printed:
- cost: lone ``tap_in`` events (no run for ``merge_gap_s`` after theirs) whose ratio is >= L at the frame
  their prefix wait ends, so that the hold would delay them, and by how many frames;
- gain: gaps between two runs of one ``double_tap_in`` at least the prefix wait long that the hold bridges
  (the ratio stays >= L from the frame the wait ends until the next run starts).
"""

from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

import numpy as np

import dsp
from acquisition import load_session
from dsp.segment import runs_of_span

LEVELS_DB = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def _ratio_runs(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    from decision_gaps import session_ratio  # the sibling script's onset ratio

    _, geometry, _, ratio_db = session_ratio(path)
    ratio = ratio_db.astype(np.float32)
    return ratio, dsp.motion_runs(ratio, cfg=dsp.SegmentConfig()), geometry.frame_rate_hz


def _subjects(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        lo, hi = (int(v) for v in part.split("-"))
        out.update(range(lo, hi + 1))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("real_dir", type=Path)
    p.add_argument("sim_dirs", type=Path, nargs="+")
    p.add_argument("--sim-subjects", default="0-11,500-515", help="inclusive subject ranges (default 0-11,500-515)")
    args = p.parse_args()
    keep = _subjects(args.sim_subjects)
    files = [f for f in sorted(args.real_dir.glob("*.h5")) if re.search(r"idx_[125]\.h5$", f.name)]
    files = [f for f in files if "static_hand" not in f.name]
    for d in args.sim_dirs:
        files += [f for f in sorted(d.glob("sim-s*.h5")) if int(re.search(r"sim-s(\d+)", f.name)[1]) in keep]  # type: ignore[index]
    cost: dict[float, list[int]] = {lv: [] for lv in LEVELS_DB}
    gain = dict.fromkeys(LEVELS_DB, 0)
    lone = beyond = 0
    for f in files:
        ratio, rs, rate = _ratio_runs(f)
        wait = round(dsp.DecisionConfig().prefix_wait_s * rate)
        gap = dsp.SegmentConfig().frames(rate)[0]
        for la in load_session(f).labels:
            inside = runs_of_span(rs, la.start_frame, la.end_frame).tolist()
            if not inside:
                continue
            end = inside[-1][1]
            later = rs[rs[:, 0] >= end, 0]
            if la.gesture == "tap_in" and (not later.size or later[0] - end >= gap):
                lone += 1
                for lv in LEVELS_DB:
                    k = 0
                    while end + wait - 1 + k < ratio.size and ratio[end + wait - 1 + k] >= lv and k < gap:
                        k += 1
                    cost[lv].append(k)
            if la.gesture == "double_tap_in":
                for (_, b1), (a2, _) in itertools.pairwise(inside):
                    if a2 - b1 >= wait:
                        beyond += 1
                        for lv in LEVELS_DB:
                            gain[lv] += bool(np.all(ratio[b1 + wait - 1 : a2] >= lv))
    print(f"{len(files)} files; {lone} lone tap_in; {beyond} double_tap_in gaps at least the prefix wait long")
    print("| level [dB] | lone tap_in held | frames held (max) | long double-tap gaps bridged |")
    print("|---:|---:|---:|---:|")
    for lv in LEVELS_DB:
        held = [c for c in cost[lv] if c]
        print(f"| {lv} | {len(held)} | {max(held) if held else 0} | {gain[lv]} / {beyond} |")


if __name__ == "__main__":
    main()
