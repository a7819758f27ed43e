"""Physical-gate study (issue 10): candidate event statistics on the decisions of a finished run, TRAINING side only.

Usage:
    python scripts/gate_study.py RUN_DIR OUT.json FILE.h5 [FILE.h5 ...] [--min-peak-db DB]
    python scripts/gate_study.py --bundle BUNDLE OUT.json FILE.h5 [FILE.h5 ...] [--min-peak-db DB]
    python scripts/gate_study.py --summarise OUT.json [OUT.json ...]

The first form runs the run's model and decision layer (at the run's calibrated ``min_score``; the physical
gate ``min_peak_db`` as given, default 0 = off) over whole streams and writes one row per decision record:
the event ``[start, end)``, the decided class and score, whether it was accepted, the labelled gesture it
overlaps (None: a false activation, with the cause of the negative span it falls in) and, over the
event's frames:

- ``peak_db``: the highest onset ratio [dB] (what ``DecisionConfig.min_peak_db`` gates);
- ``exc_mm``: the radial excursion of the dominant reflector, max - min of the phase of the point with the
  most dynamic energy, unwrapped over the 1 kHz sweeps, times lambda / 4 pi [mm];
- ``peak_v_m_s``: the fastest pulse-pair radial speed of that point over the event's frames [m/s].

The ``--bundle`` form runs an exported bundle in the throttled runtime instead (``deploy.runtime``, the bundle's
throttle and decision, both gates ``min_peak_db`` and ``idle_min_peak_db`` set to DB, their range conditions to
``--gate-max-range-m FULL IDLE``, default 0 0 = none), so ``peak_db`` is the
highest ratio of the idle-rate onset stream the device's policy is fed, from the event's start to its decision
(events mapped back to full-rate frames); the other statistics are not computed there.

The ``--summarise`` form prints, per file of rows, the correct decisions, the false activations by cause, and for each
statistic the largest threshold that keeps at least 99.5 % of the correct decisions (the gate rule of
``DecisionConfig.min_peak_db``) with the false activations it would remove.

Held-out data is refused (:func:`radargest.datasets.held_out_paths`: ``idx_3``, ``static_hand``, every
held-out simulated subject and ``everyday_test``).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import dsp
from dsp.decision import Classifier
from radargest.datasets import held_out_paths

WAVELENGTH_M = 299_792_458.0 / 60.5e9
STATS = ("peak_db", "exc_mm", "peak_v_m_s")
KEEP = 0.995


def event_stats(frames: np.ndarray, ratio: np.ndarray, sweep_rate_hz: float = 1000.0) -> dict[str, float]:
    """The statistics of one event: ``frames`` ``(F, sweeps, points)`` complex, ``ratio`` ``(F,)`` [dB]."""
    out = {"peak_db": float(np.nanmax(ratio)) if np.isfinite(ratio).any() else math.nan}
    x = frames[np.all(np.isfinite(frames), axis=(1, 2))]
    if x.shape[0] < 2:
        return {**out, "exc_mm": math.nan, "peak_v_m_s": math.nan}
    dyn = x - x.mean(axis=(0, 1), keepdims=True)
    p = int(np.argmax((np.abs(dyn) ** 2).sum(axis=(0, 1))))
    z = x[:, :, p]
    d_mm = np.unwrap(np.angle(z.reshape(-1))) * WAVELENGTH_M / (4 * np.pi) * 1000.0
    r1 = (z[:, 1:] * np.conj(z[:, :-1])).sum(axis=1)
    v = np.angle(r1) * WAVELENGTH_M / (4 * np.pi) * sweep_rate_hz
    return {**out, "exc_mm": float(d_mm.max() - d_mm.min()), "peak_v_m_s": float(np.abs(v).max())}


def run_study(run_dir: Path, out: Path, files: list[Path], min_peak_db: float) -> None:
    from models.config import load_run
    from models.data import load_recordings
    from models.evaluate import keras_predictor, stream_scores
    from models.rejection import cause_of

    bad = held_out_paths(files)
    if bad:
        sys.exit(f"error: held-out file(s) refused: {', '.join(bad)}")
    model, cfg = load_run(run_dir)
    recs = load_recordings(files, cfg=cfg.dataset)
    predict = keras_predictor(model)
    dc = dsp.DecisionConfig(min_score=cfg.min_score, min_peak_db=min_peak_db, prefixes=cfg.prefixes)
    rows = []
    for i, rec in enumerate(recs):
        sc = stream_scores(predict, recs, i, cfg=cfg.dataset, window_frames=cfg.architecture.window_frames, decision=dc)
        for d in sc.decide(dc.min_score):
            s, e = d.start_frame, d.end_frame
            truth = [la.gesture for la in rec.labels if la.start_frame < e and la.end_frame > s]
            rows.append(
                {
                    "file": rec.name,
                    "start": s,
                    "end": e,
                    "label": cfg.dataset.classes[d.label],
                    "score": d.score,
                    "accepted": d.accepted,
                    "truth": truth[0] if truth else None,
                    "cause": None if truth else cause_of(rec, s, e),
                    **event_stats(rec.frames[s:e], rec.ratio_db[s:e]),
                }
            )
        print(rec.name, sum(r["accepted"] for r in rows if r["file"] == rec.name), "accepted", flush=True)
    out.write_text(json.dumps({"run": str(run_dir), "min_peak_db": min_peak_db, "rows": rows}))


def _log_policy(policy: dsp.DecisionPolicy) -> tuple[list[float], list[dsp.Decision]]:
    """Wrap ``policy`` so that every ratio it is fed and every record it returns are logged in the lists returned."""
    ratios: list[float] = []
    records: list[dsp.Decision] = []
    process, flush = policy.process, policy.flush

    def logged_process(ratio_db: float, classify: Classifier, point_power: Any = None) -> list[dsp.Decision]:
        ratios.append(ratio_db)
        out = process(ratio_db, classify, point_power)
        records.extend(out)
        return out

    def logged_flush(classify: Classifier) -> list[dsp.Decision]:
        out = flush(classify)
        records.extend(out)
        return out

    policy.process = logged_process  # type: ignore[method-assign]
    policy.flush = logged_flush  # type: ignore[method-assign]
    return ratios, records


def run_detector(
    bundle: Any, frames: np.ndarray, geometry: dsp.FrameGeometry, decision: dsp.DecisionConfig
) -> tuple[np.ndarray, list[dsp.Decision], Any]:
    """Run ``bundle``'s throttled runtime (``detect``) over ``frames`` with ``decision``.

    Returns:
        ``(ratio, records, onset_frames)``: the onset ratio the decision policy was fed [dB], one per policy step;
        every record it returned; the detector's full-rate frame index of each policy step.
    """
    from deploy.runtime import StreamingDetector

    det = StreamingDetector(bundle, geometry=geometry, decision=decision)
    ratios, records = _log_policy(det.policy)
    for t in range(len(frames)):
        if det.wants(t):
            det.process(frames[t], t)
    det.flush()
    return np.asarray(ratios, dtype=float), records, det.onset_frames


def run_throttled(
    bundle_path: Path, out: Path, files: list[Path], min_peak_db: float, max_range_m: tuple[float, float] = (0.0, 0.0)
) -> None:
    import dataclasses

    from acquisition.recording import load_session
    from deploy.runtime import load_bundle, session_stream
    from models.rejection import UNLABELLED

    bad = held_out_paths(files)
    if bad:
        sys.exit(f"error: held-out file(s) refused: {', '.join(bad)}")
    bundle = load_bundle(bundle_path)
    dc = dataclasses.replace(
        bundle.decision,
        min_peak_db=min_peak_db,
        idle_min_peak_db=min_peak_db,
        gate_max_range_m=max_range_m[0],
        idle_gate_max_range_m=max_range_m[1],
    )
    rows = []
    for f in files:
        session = load_session(f)
        frames, geometry = session_stream(session, bundle)
        ratio, records, full = run_detector(bundle, frames, geometry, dc)
        negatives = [(n.start_frame, n.end_frame, n.cause) for n in session.negatives]
        for d in records:
            if not d.accepted:
                continue
            s, e = full[min(d.start_frame, len(full) - 1)], full[min(d.end_frame, len(full) - 1)]
            truth = [la.gesture for la in session.labels if la.start_frame < e and la.end_frame > s]
            over = [(min(b, e) - max(a, s), c) for a, b, c in negatives if min(b, e) > max(a, s)]
            rows.append(
                {
                    "file": f.stem,
                    "start": int(s),
                    "end": int(e),
                    "label": bundle.classes[d.label],
                    "score": d.score,
                    "accepted": True,
                    "truth": truth[0] if truth else None,
                    "cause": None if truth else (max(over)[1] if over else UNLABELLED),
                    "peak_db": float(np.nanmax(ratio[d.start_frame : d.frame + 1])),
                }
            )
        print(f.stem, sum(r["file"] == f.stem for r in rows), "accepted", flush=True)
    head = {"run": str(bundle_path), "min_peak_db": min_peak_db, "max_range_m": list(max_range_m)}
    out.write_text(json.dumps({**head, "rows": rows}))


def rule_threshold(values: np.ndarray, keep: float = KEEP) -> float:
    """The largest threshold ``t`` with at least ``keep`` of ``values`` at or above it."""
    v = np.sort(values[np.isfinite(values)])
    return float(v[math.floor(v.size * (1 - keep) + 1e-9)]) if v.size else math.nan


def summarise(paths: list[Path]) -> None:
    for path in paths:
        data = json.loads(path.read_text())
        acc = [r for r in data["rows"] if r["accepted"]]
        good = [r for r in acc if r["truth"] == r["label"]]
        fa = [r for r in acc if r["truth"] is None]
        causes = collections.Counter(r["cause"] for r in fa)
        print(f"{path}: run {data['run']}, min_peak_db {data['min_peak_db']}")
        print(f"  correct {len(good)}, false activations {len(fa)} {dict(sorted(causes.items()))}")
        for k in STATS:
            if not all(k in r for r in acc):
                continue
            g = np.array([r[k] for r in good], dtype=float)
            t = rule_threshold(g)
            removed = collections.Counter(r["cause"] for r in fa if r[k] < t)
            print(
                f"  {k:11s} keep-{KEEP:.1%} threshold {t:8.3f}: loses {int((g < t).sum())} of {g.size} correct, "
                f"removes {sum(removed.values())} false activations {dict(sorted(removed.items()))}"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", type=Path, nargs="+", help="RUN_DIR OUT.json FILE... (or OUT.json... with --summarise)")
    p.add_argument("--min-peak-db", type=float, default=0.0, help="the gate of the decisions studied (0: off)")
    p.add_argument("--summarise", action="store_true", help="print the summary of written studies")
    p.add_argument("--bundle", type=Path, default=None, help="run this bundle in the throttled runtime instead")
    p.add_argument(
        "--gate-max-range-m",
        type=float,
        nargs=2,
        default=(0.0, 0.0),
        metavar=("FULL", "IDLE"),
        help="--bundle: the gates' range conditions gate_max_range_m and idle_gate_max_range_m [m] (0: off)",
    )
    args = p.parse_args()
    if args.summarise:
        summarise(args.paths)
    elif args.bundle is not None:
        if len(args.paths) < 2:
            p.error("need OUT.json and at least one recording")
        run_throttled(args.bundle, args.paths[0], args.paths[1:], args.min_peak_db, tuple(args.gate_max_range_m))
    elif len(args.paths) < 3:
        p.error("need RUN_DIR OUT.json and at least one recording")
    else:
        run_study(args.paths[0], args.paths[1], args.paths[2:], args.min_peak_db)


if __name__ == "__main__":
    main()
