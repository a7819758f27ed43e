"""Where the onset segmenter loses gestures, and what other onset ratios would propose (issues 10 and 12).
TRAINING side only; no model is run.

Usage:
    python scripts/onset_range_study.py NAME=PATH [NAME=PATH ...] [--on-db 5,6,7,8,9] [--off-db 3] [--json OUT.json]

Each ``NAME=PATH`` is a set of recordings (a file or a folder). For every variant of the onset ratio and every
``on_db`` of the segmenter (``off_db`` as given, at most ``on_db``; the other :class:`dsp.SegmentConfig` fields at
their defaults) it counts, per set:

- the gestures that some segmenter event overlaps (the decision layer can only decide those: the recall
  ceiling of everything downstream), also split into simulated subjects slower than ``speed_factor`` 0.8,
  farther than 0.15 m, and the rest;
- the segmenter events that overlap no gesture, per hour (the candidates the model has to reject);
- the median duration of the events that overlap a gesture: an event much longer than a gesture has merged it with
  neighbouring motion, and the decision layer may then miss it although it was proposed.

Variants of the ratio (each with :class:`dsp.OnsetConfig`'s smoothing and adaptive floor):

- ``sum``: today's, the motion energy summed over every range point (:func:`dsp.onset_metric`);
- ``sum_k1``: the same with the speed floor one Doppler bin lower (``min_speed_m_s`` 0.15: at 16 sweeps of
  1000 Hz the bins are 0.155 m/s apart, so the default 0.25 m/s keeps ``|k| >= 2`` and this keeps ``|k| >= 1``);
- ``max1``: each range point's own motion energy with its own floor (:func:`dsp.onset_point_power`,
  :func:`dsp.onset_from_power`); the largest ratio over points;
- ``max3``: the same over the sums of three adjacent points.

Why range-resolved: a hand is a few range points wide, while the noise of every point enters the sum. At the
far end of the preset the hand's echo is weak and the summed ratio stays below ``on_db``; a point's own ratio
does not carry the other points' noise. The maximum of several noisy ratios sits above 0 dB in a typical frame
(about 1.7 dB for six points), so a per-point variant needs its ``off_db`` raised with its ``on_db``, or its events
hang on (``--off-db``).

Held-out data is refused before anything is opened (:func:`radargest.datasets.training_side_files`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from radargest.datasets import training_side_files

#: variant name -> what it is (the table's legend)
VARIANTS = {
    "sum": "today: motion energy summed over range points",
    "sum_k1": "the same, speed floor one Doppler bin lower (0.15 m/s)",
    "max1": "largest per-point ratio (each point its own floor)",
    "max3": "largest ratio over groups of 3 adjacent points",
}
GROUPS = ("slow", "far", "other", "real", "all")
SLOW_SPEED_FACTOR = 0.8
FAR_DISTANCE_M = 0.15


def variant_ratios(frames: npt.NDArray[Any], *, onset: Any, geometry: Any) -> dict[str, npt.NDArray[np.float64]]:
    """The onset ratio of each variant, ``(frames,)`` float64 [dB] each, from ``(frames, sweeps, points)`` frames."""
    import dsp

    ratios = {"sum": dsp.onset_metric(frames, cfg=onset, geometry=geometry).ratio_db}
    k1 = dataclasses.replace(onset, min_speed_m_s=0.15)
    ratios["sum_k1"] = dsp.onset_metric(frames, cfg=k1, geometry=geometry).ratio_db
    point = dsp.onset_point_power(frames, cfg=onset, geometry=geometry)  # (frames, points)
    triple = point[:, :-2] + point[:, 1:-1] + point[:, 2:]
    for name, power in (("max1", point), ("max3", triple)):
        per = dsp.onset_from_power(power.T, cfg=onset, geometry=geometry).ratio_db  # (points, frames)
        with np.errstate(all="ignore"):
            ratios[name] = np.where(
                np.isfinite(per).any(axis=0), np.nanmax(np.where(np.isfinite(per), per, -np.inf), axis=0), np.nan
            )
    return ratios


def overlaps(
    events: npt.NDArray[np.int64], spans: Sequence[tuple[int, int]]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which ``[start, end)`` spans some event overlaps ``(spans,)``, which ``(E, 2)`` events overlap one ``(E,)``."""
    ev = events.tolist()
    span_hit = np.array([any(min(e, b) > max(s, a) for s, e in ev) for a, b in spans], dtype=bool)
    event_hit = np.array([any(min(e, b) > max(s, a) for a, b in spans) for s, e in ev], dtype=bool)
    return span_hit, event_hit


def subject_group(meta: Any) -> str:
    """``slow``, ``far`` or ``other`` for a simulated session (from its ``SessionMeta`` scene), else ``real``."""
    scene = meta.simulator_params if meta is not None else None
    if scene is None:
        return "real"
    subject = scene.get("subject", {})
    if subject.get("speed_factor", 1.0) < SLOW_SPEED_FACTOR:
        return "slow"
    return "far" if subject.get("distance_m", 0.0) > FAR_DISTANCE_M else "other"


def study(sets: dict[str, Path], on_dbs: Sequence[float], off_db: float, *, progress: bool = True) -> dict[str, Any]:
    """The counts of the module docstring: ``{set: {"hours": h, "variants": {variant: {on_db: {group: [hit, total],
    "extra_per_h": x, "gesture_event_median_s": d}}}}}``."""
    from tqdm import tqdm

    import dsp
    from acquisition import load_session
    from models.data import DatasetConfig, collect_files
    from radargest.pipeline import check_preset, geometry_of, masked_frames

    cfg = DatasetConfig(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"))
    out: dict[str, Any] = {}
    for name, path in sets.items():
        files = collect_files([path])
        table: dict[str, Any] = {
            v: {str(on): {**{g: [0, 0] for g in GROUPS}, "extra": 0, "durations": []} for on in on_dbs}
            for v in VARIANTS
        }
        hours = 0.0
        for f in tqdm(files, desc=name, unit="file", disable=not progress, file=sys.stderr):
            session = load_session(f)
            check_preset(session, cfg.preset)
            geometry = geometry_of(session)
            rate = geometry.frame_rate_hz
            frames = masked_frames(session)[0].astype(np.complex64)  # as models.data holds a recording's frames
            spans = [(la.start_frame, la.end_frame) for la in session.labels if la.gesture in cfg.gestures]
            group = subject_group(session.meta)
            hours += frames.shape[0] / rate / 3600.0
            for v, ratio in variant_ratios(frames, onset=cfg.onset, geometry=geometry).items():
                for on in on_dbs:
                    seg = dataclasses.replace(cfg.segment, on_db=on, off_db=min(off_db, on))
                    events = dsp.segment(ratio, cfg=seg, frame_rate_hz=rate)
                    hit, event_hit = overlaps(events, spans)
                    cell = table[v][str(on)]
                    for g in (group, "all"):
                        cell[g][0] += int(hit.sum())
                        cell[g][1] += len(spans)
                    cell["extra"] += int((~event_hit).sum())
                    cell["durations"] += ((events[event_hit, 1] - events[event_hit, 0]) / rate).tolist()
        for v in VARIANTS:
            for on in on_dbs:
                cell = table[v][str(on)]
                cell["extra_per_h"] = round(cell.pop("extra") / hours, 1) if hours else 0.0
                durations = cell.pop("durations")
                cell["gesture_event_median_s"] = round(float(np.median(durations)), 2) if durations else None
        out[name] = {"hours": round(hours, 3), "off_db": off_db, "variants": table}
    return out


def print_tables(result: dict[str, Any]) -> None:
    """One markdown table per set: gestures proposed (all, and per group that has any) and candidates per hour."""
    for name, block in result.items():
        print(f"\n### {name} ({block['hours']:.2f} h, off_db {block['off_db']:g})\n")
        first = next(iter(block["variants"].values()))
        groups = [g for g in GROUPS if g != "all" and next(iter(first.values()))[g][1]]
        print(
            "| variant | on_db | proposed (all) | "
            + " | ".join(groups)
            + " | other events / h | gesture events, median s |"
        )
        print("|---|---:|---:|" + "---:|" * len(groups) + "---:|---:|")
        for v, rows in block["variants"].items():
            for on, cell in rows.items():
                parts = " | ".join(f"{cell[g][0]}/{cell[g][1]}" for g in groups)
                med = "-" if cell["gesture_event_median_s"] is None else f"{cell['gesture_event_median_s']:.2f}"
                row = (
                    f"| {v} | {on} | {cell['all'][0]}/{cell['all'][1]} | {parts} | {cell['extra_per_h']:.0f} | {med} |"
                )
                print(row)
    print("\n" + "; ".join(f"{k}: {d}" for k, d in VARIANTS.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+", metavar="NAME=PATH", help="a named set of training-side recordings")
    ap.add_argument("--on-db", default="5,6,7,8,9", help="segmenter on_db values [dB], comma-separated")
    ap.add_argument(
        "--off-db",
        type=float,
        default=None,
        help="segmenter off_db [dB] (default: dsp.SegmentConfig's), capped at on_db",
    )
    ap.add_argument("--json", type=Path, help="also write the counts here")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    try:
        sets = {n: Path(p) for n, p in (s.split("=", 1) for s in args.sets)}
        on_dbs = [float(x) for x in args.on_db.split(",")]
    except ValueError:
        ap.error("sets are NAME=PATH and --on-db a comma-separated list of numbers")
    from models.data import DataError

    try:
        training_side_files(list(sets.values()))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import dsp

    off_db = dsp.SegmentConfig().off_db if args.off_db is None else args.off_db
    result = study(sets, on_dbs, off_db, progress=not args.quiet)
    print_tables(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
