"""The gaps between the motion runs of one labelled event, on TRAINING-side data only (docs/results_decision.md).

Usage: python scripts/decision_gaps.py REAL_DIR SIM_DIR [--sim-subjects 0-11]

REAL_DIR holds the imported Acconeer files (``radargest import acconeer-gesture-control``); only the idx_1,
idx_2 and idx_5 days are read (idx_3 and static_hand_idx_1 are the held-out test set). SIM_DIR holds
simulated sessions ``sim-sNNN_*.h5``; only the subjects in ``--sim-subjects`` are read.

A *run* is a hysteresis motion run of the default segmenter (``dsp.SegmentConfig``: on 5 dB, off 3 dB) on
the default onset ratio; the gap is from the end of one run to the start of the next run overlapping the
same labelled event. Printed: per source and gesture, the share of events of more than one run and the
percentiles of the largest gap per event; the pooled double_tap_in distribution; the same with the gap
counted to the *renewed motion* instead (the first frame, between the two runs, whose ratio is at least
``DecisionConfig.prefix_hold_db``: from there the decision layer's hold keeps a due prefix waiting), whose
maximum sets ``DecisionConfig.prefix_wait_s``; and how many events a shorter ``merge_gap_s`` would split.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

import dsp
from acquisition import Session, load_session
from radargest.pipeline import geometry_of


def session_ratio(path: Path) -> tuple[Session, dsp.FrameGeometry, np.ndarray, np.ndarray]:
    """A recording's session, geometry, frames with the bad ones masked, and its default onset ratio [dB]."""
    s = load_session(path)
    geometry = geometry_of(s)
    frames = dsp.mask_bad_frames(s.frames, dsp.bad_frames(s.frames, saturated=s.data_saturated))
    return s, geometry, frames, dsp.onset_metric(frames, cfg=dsp.OnsetConfig(), geometry=geometry).ratio_db


def event_gaps(path: Path, *, hold_db: float | None = None) -> list[tuple[str, list[float]]]:
    """Per labelled event: its gesture and the gaps between its runs [s]; with ``hold_db``, each gap ends at
    the first frame between the two runs whose ratio is at least ``hold_db`` (renewed motion), if any."""
    s, geometry, _, ratio = session_ratio(path)
    spans = [(la.start_frame, la.end_frame) for la in s.labels]
    gaps = dsp.renewed_motion_gaps(ratio, spans, cfg=dsp.SegmentConfig(), hold_db=hold_db)
    rate = geometry.frame_rate_hz
    return [(la.gesture, [g / rate for g in gs]) for la, gs in zip(s.labels, gaps, strict=True)]


def sim_subject(path: Path) -> int:
    """The simulated subject of a ``sim-sNNN`` file (-1 for any other)."""
    m = re.search(r"sim-s(\d+)", path.name)
    return int(m.group(1)) if m else -1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("real_dir", type=Path)
    p.add_argument("sim_dir", type=Path)
    p.add_argument("--sim-subjects", default="0-11", help="inclusive range of simulated subjects (default 0-11)")
    args = p.parse_args()
    lo, hi = (int(v) for v in args.sim_subjects.split("-"))
    files = {"real": [f for f in sorted(args.real_dir.glob("*.h5")) if re.search(r"idx_[125]\.h5$", f.name)]}
    files["real"] = [f for f in files["real"] if "static_hand" not in f.name]
    files["sim"] = [f for f in sorted(args.sim_dir.glob("sim-s*.h5")) if lo <= sim_subject(f) <= hi]
    table: dict[tuple[str, str], list[list[float]]] = {}
    renewed: list[float] = []
    hold_db = dsp.DecisionConfig().prefix_hold_db
    for source, paths in files.items():
        for f in paths:
            for gesture, gaps in event_gaps(f):
                table.setdefault((source, gesture), []).append(gaps)
            renewed += [max(g) for gesture, g in event_gaps(f, hold_db=hold_db) if gesture == "double_tap_in" and g]
    print("| data | gesture | events | > 1 run | largest gap p50 / p90 / p99 / max [s] |")
    print("|---|---|---:|---:|---|")
    for (source, gesture), events in sorted(table.items()):
        biggest = [max(g) for g in events if g]
        pct = " / ".join(f"{v:.3f}" for v in np.percentile(biggest, [50, 90, 99, 100])) if biggest else "-"
        print(f"| {source} | {gesture} | {len(events)} | {len(biggest)} | {pct} |")
    pooled = [max(g) for src in ("real", "sim") for g in table.get((src, "double_tap_in"), []) if g]
    q = np.percentile(pooled, [50, 90, 99, 100])
    print(
        f"\npooled double_tap_in, {len(pooled)} events of more than one run: largest gap p50 {q[0]:.3f} s, "
        f"p90 {q[1]:.3f} s, p99 {q[2]:.3f} s, max {q[3]:.3f} s"
    )
    q = np.percentile(renewed, [50, 90, 99, 100])
    print(
        f"pooled double_tap_in, gap to renewed motion (ratio >= {hold_db} dB): p50 {q[0]:.3f} s, p90 {q[1]:.3f} s, "
        f"p99 {q[2]:.3f} s, max {q[3]:.3f} s"
    )
    print("\nevents a merge gap of g seconds would split (largest gap >= g):")
    for key in sorted(table):
        largest = np.array([max(g) if g else 0.0 for g in table[key]])
        print(
            f"  {key[0]:4s} {key[1]:14s} "
            + "  ".join(f"{g:.2f}:{int((largest >= g).sum())}" for g in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5))
        )


if __name__ == "__main__":
    main()
