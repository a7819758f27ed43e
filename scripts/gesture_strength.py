"""How strong each gesture is above its stream's floor, recorded against simulated (issue 12, sim-to-real), on the
TRAINING side only (docs/results_rejection.md, forty-seventh session).

A labelled gesture's strength is the peak of the onset ratio inside its label [dB above the stream's floor], with
the dataset config of ``--run`` (default: :class:`models.data.DatasetConfig` of the four gestures). Medians per
class are printed as they are and relative to ``tap_out``. The relative figures cancel each stream's floor
(noise, clutter, how dense the session is), so they compare recordings with simulator renders: they are what a
calibration of the simulator's gestures on the real training days would aim at.

Sources:
- ``DATA``: recordings (folders or files). Held-out ones are refused by name before anything is opened (every
  ``idx_3`` file, ``static_hand_idx_1``, held-out simulated subjects, anything under ``everyday_test``).
- ``--sim-subjects A-B``: training subjects rendered in memory, ``--reps`` of each gesture, as drawn or under one
  field of :class:`acquisition.sim.variation.Variation` at several values (``--vary distance_m=0.06,0.12``).
  Held-out subjects are refused.

With ``--echo`` it also gives each class's moving echo (:func:`label_echo`): how large the change a gesture makes
to the signal is, in counts and over the stream's noise, and at what range its motion energy lies. Unlike the onset
ratio it does not depend on the floor the detector tracks.

Usage:
    python scripts/gesture_strength.py [DATA ...] [--sim-subjects 0-11] [--reps 8] [--vary FIELD=V,V,...]
        [--seed S] [--run RUN_DIR] [--echo] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from acquisition.sim.hand import Subject
from acquisition.sim.variation import AS_DRAWN, Variation
from models.config import read_run_config
from models.data import NONE, DatasetConfig, Recording, load_recordings
from models.robustness import sim_recording
from radargest.datasets import held_out_subjects, training_side_files

GESTURES = ("tap_in", "tap_out", "double_tap_in", "wiggle")
REFERENCE = "tap_out"
#: How long before a label the signal is averaged as the hand's still echo [s].
STILL_S = 0.35


def label_peaks(recs: Iterable[Recording]) -> dict[str, list[float]]:
    """The onset ratio's peak inside every gesture label of ``recs``, by class [dB]."""
    out: dict[str, list[float]] = {}
    for rec in recs:
        for la in rec.labels:
            if la.gesture != NONE and la.end_frame > la.start_frame:
                ratio = rec.ratio_db[la.start_frame : la.end_frame]
                if np.isfinite(ratio).any():  # a label on bad frames only has no strength
                    out.setdefault(la.gesture, []).append(float(np.nanmax(ratio)))
    return out


def label_echo(recs: Iterable[Recording], still_s: float = STILL_S) -> dict[str, dict[str, list[float]]]:
    """The moving echo of every gesture label of ``recs``, by class and measure.

    Measures (each a list over the class's labels):
    - ``echo_db``: the 90th percentile over the label's frames of ``|frame mean − still echo|`` at the range point
      where that change is largest [dB re 1 count]; the still echo is the mean of the ``still_s`` before the
      label. It is what the gesture adds to the signal, with the leakage and the still hand removed.
    - ``echo_over_noise_db``: ``echo_db`` over the stream's noise scale (:attr:`Recording.noise_scale`) [dB], which
      cancels a sensor's or a simulator's noise level.
    - ``centroid_m``: the range of the label's motion energy (:attr:`Recording.point_power` weighted) [m]; taps
      toward and away from the sensor differ in it by about their depth.
    """
    out: dict[str, dict[str, list[float]]] = {}
    for rec in recs:
        still_frames = max(1, round(still_s * rec.frame_rate_hz))
        slow = rec.frames.mean(axis=1)  # (F, points): the echo without its Doppler part; NaN on bad frames
        for la in rec.labels:
            a, b = la.start_frame, la.end_frame
            still = slow[max(0, a - still_frames) : a]
            if la.gesture == NONE or b <= a or not np.isfinite(still).any() or not np.isfinite(slow[a:b]).any():
                continue
            change = np.abs(slow[a:b] - np.nanmean(still, axis=0))
            point = int(np.nanargmax(np.nansum(change, axis=0)))
            echo = float(20.0 * np.log10(np.nanpercentile(change[:, point], 90) + 1.0))
            energy = np.nansum(rec.point_power[a:b], axis=0)
            row = out.setdefault(la.gesture, {"echo_db": [], "echo_over_noise_db": [], "centroid_m": []})
            row["echo_db"].append(echo)
            row["echo_over_noise_db"].append(echo - float(20.0 * np.log10(rec.noise_scale)))
            if energy.sum() > 0:
                row["centroid_m"].append(float((energy * rec.point_ranges_m).sum() / energy.sum()))
    return out


def echo_summary(echo: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    """Per class: the count, the median of each :func:`label_echo` measure, and ``echo_over_noise_db`` relative to
    tap_out's."""
    out = {
        g: {"n": float(len(m["echo_db"]))} | {k: float(np.median(v)) for k, v in m.items() if v}
        for g, m in sorted(echo.items())
    }
    ref = out.get(REFERENCE, {}).get("echo_over_noise_db")
    for row in out.values():
        if ref is not None and "echo_over_noise_db" in row:
            row["echo_over_noise_vs_" + REFERENCE + "_db"] = row["echo_over_noise_db"] - ref
    return out


def summary(peaks: dict[str, list[float]], reference: str = REFERENCE) -> dict[str, dict[str, float]]:
    """Per class: count, p10 / p50 / p90 [dB] and the median relative to ``reference``'s (absent if it has none)."""
    ref = float(np.median(peaks[reference])) if peaks.get(reference) else None
    out: dict[str, dict[str, float]] = {}
    for g, v in sorted(peaks.items()):
        p10, p50, p90 = (float(x) for x in np.percentile(v, [10, 50, 90]))
        row = {"n": float(len(v)), "p10_db": p10, "p50_db": p50, "p90_db": p90}
        if ref is not None:
            row["vs_" + reference + "_db"] = p50 - ref
        out[g] = row
    return out


def parse_subjects(text: str) -> list[int]:
    """``"0-11"`` or ``"3"`` → subject seeds; held-out subjects are refused."""
    lo, _, hi = text.partition("-")
    subjects = list(range(int(lo), int(hi or lo) + 1))
    if not subjects:
        raise ValueError(f"--sim-subjects {text!r} names no subject")
    if bad := held_out_subjects(subjects):
        raise ValueError(f"held-out simulated subjects refused: {bad}")
    return subjects


def parse_vary(text: str | None) -> list[tuple[str, Variation]]:
    """``FIELD=V,V,...`` → one named :class:`Variation` per value; None → as drawn."""
    if text is None:
        return [("as drawn", AS_DRAWN)]
    field, _, values = text.partition("=")
    kinds = {f.name: str(f.type) for f in dataclasses.fields(Variation)}  # "int | None", "float", ...
    if field not in kinds or not values:
        raise ValueError(f"--vary wants FIELD=V,V,... with FIELD one of {', '.join(kinds)}; got {text!r}")
    cast = int if kinds[field].startswith("int") else float
    changes: list[dict[str, Any]] = [{field: cast(v)} for v in values.split(",")]
    return [(f"{field}={c[field]}", dataclasses.replace(AS_DRAWN, **c)) for c in changes]


def _bar(items: Sequence[Any], desc: str) -> Iterable[Any]:
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, leave=False)


def simulated(
    subjects: Sequence[int], *, reps: int, variation: Variation, dataset: DatasetConfig, seed: int = 100, desc: str = ""
) -> list[Recording]:
    """One session per subject, ``reps`` of each gesture, rendered in memory under ``variation`` (subject ``s``'s
    session timeline seeded ``seed + s``)."""
    return [
        sim_recording(
            gestures=GESTURES,
            subject=Subject.from_seed(s),
            reps_per_gesture=reps,
            seed=seed + s,
            dataset=dataset,
            variation=variation,
        )
        for s in _bar(subjects, desc or "render")
    ]


def _line(name: str, rows: dict[str, dict[str, float]]) -> str:
    parts = []
    for g, r in rows.items():
        rel = r.get("vs_" + REFERENCE + "_db")
        parts.append(f"{g} {r['p50_db']:.1f} dB" + (f" ({rel:+.1f})" if rel is not None else "") + f" n={int(r['n'])}")
    return f"{name}: " + " | ".join(parts)


def _echo_line(name: str, rows: dict[str, dict[str, float]]) -> str:
    parts = []
    for g, r in rows.items():
        rel = r.get("echo_over_noise_vs_" + REFERENCE + "_db")
        parts.append(
            f"{g} echo {r['echo_db']:.1f} dB, {r['echo_over_noise_db']:.1f} over noise"
            + (f" ({rel:+.1f})" if rel is not None else "")
            + (f", at {r['centroid_m']:.3f} m" if "centroid_m" in r else "")
        )
    return f"{name}, moving echo: " + " | ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("data", nargs="*", type=Path, help="training-side recordings (folders or .h5 files)")
    ap.add_argument("--sim-subjects", help="training subjects to render in memory, e.g. 0-11")
    ap.add_argument("--reps", type=int, default=8, help="repetitions of each gesture per simulated subject")
    ap.add_argument("--seed", type=int, default=100, help="session timeline seed of subject 0 (subject s: seed + s)")
    ap.add_argument("--vary", help="one Variation field at several values, e.g. distance_m=0.06,0.12")
    ap.add_argument("--run", type=Path, help="run whose dataset config (onset metric) to use")
    ap.add_argument(
        "--echo", action="store_true", help="also the moving echo's level, over the noise, and its range (label_echo)"
    )
    ap.add_argument("--json", type=Path, help="write the summaries here")
    args = ap.parse_args(argv)
    if not args.data and not args.sim_subjects:
        ap.error("give DATA, --sim-subjects, or both")
    if args.reps < 1:
        ap.error("--reps must be >= 1")
    if args.vary and not args.sim_subjects:
        ap.error("--vary changes the rendered subjects: give --sim-subjects too")
    try:
        files = training_side_files(args.data) if args.data else []
        subjects = parse_subjects(args.sim_subjects) if args.sim_subjects else []
        variations = parse_vary(args.vary)
    except ValueError as e:  # models.data.DataError is a ValueError
        ap.error(str(e))
    dataset = read_run_config(args.run).dataset if args.run else DatasetConfig(gestures=GESTURES)
    result: dict[str, Any] = {}
    echo: dict[str, Any] = {}
    sources: list[tuple[str, list[Recording]]] = []
    if files:
        sources.append(("recordings", load_recordings(files, cfg=dataset, progress=lambda p: _bar(list(p), "load"))))
    for name, variation in variations if subjects else []:
        sims = simulated(subjects, reps=args.reps, variation=variation, dataset=dataset, seed=args.seed, desc=name)
        sources.append((f"simulated {args.sim_subjects}, {name}", sims))
    for name, recs in sources:
        result[name] = summary(label_peaks(recs))
        print(_line(name, result[name]), flush=True)
        if args.echo:
            echo[name] = echo_summary(label_echo(recs))
            print(_echo_line(name, echo[name]), flush=True)
    if echo:
        result["moving echo"] = echo
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
