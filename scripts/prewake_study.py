"""A pre-wake quiet test, studied on TRAINING-side streams (docs/results_power.md, seventh pass). No default
changes here. It refuses held-out files by name (``idx_3``, ``static_hand_idx_1``, simulated subjects 12-15,
5000-5007, 7000-7099, 9000-9199, anything under ``everyday_test``).

Hypothesis: a gesture is a short burst from a still hand, everyday motion starts slowly (fifth pass: an everyday
negative wakes the device a median 0.81 s into its bout, a gesture 0.05 s after its start). So the idle-rate onset
ratio in the P seconds *before* a wake should be quiet for a gesture and already raised for everyday motion, and a
wake could be refused when it is not.

What it does: every stream runs through ``detect`` (:class:`deploy.runtime.StreamingDetector`, the bundle's own
throttle, as ``scripts/throttle_selection.py`` runs it). It records every onset sample the throttle's policy
gets (the :class:`dsp.OnsetResult.ratio_db` of the idle-rate onset processor, on the emulated IDLE frames, one
every ``idle_decimation`` full-rate frames in every phase). At every wake (IDLE → ONSET) it takes the max and
the mean of those samples over ``[wake - P, wake)`` (the wake's own sample excluded). Each awake period is
attributed as ``throttle_selection.py`` does (a true gesture within 10 frames before / 30 after, else the
``/radargest/negatives`` cause, else ``unlabelled``).

For each setting (P, statistic, level, skip) a wake is *blocked* if the statistic is >= level, unless a decision
was taken within ``skip`` seconds before the wake (on dense repetitions the window can hold the previous
gesture's tail). Printed per setting: the share of wakes blocked per cause and the share of the awake time
(the milliamps) they held; for gestures also the share of gesture events whose FIRST wake is blocked, and of
those the throttle detected correctly. A static study: a blocked wake's later re-wakes in the same bout are
judged as they happened, not as a device with the test would see them (phase 2 of the issue measures that).
``not_gesture`` pools every wake not attributed to a gesture (the causes, ``empty`` and ``unlabelled``).

``--metric pre_slow`` (exploratory, not the hypothesis) runs the same test on a slow-motion ratio instead: the
change of the IDLE frame's mean sweep between IDLE frames (:func:`slow_power`), which the onset metric removes,
through the same smoothing and floor as the onset metric. Records keep both, so ``--from-records`` can switch.

Usage:
    python scripts/prewake_study.py RUN_DIR BUNDLE FILE.h5 ... --records OUT.jsonl [--windows-s 0.2,0.4,...]
    python scripts/prewake_study.py --from-records OUT.jsonl [...]   # the table again, without running detect
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from radargest.datasets import held_out_paths


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def slow_power(frames: npt.NDArray[Any], *, lag: int, sweeps: int, point_step: int) -> npt.NDArray[np.float64]:
    """``(frames,)`` power of the change of an IDLE frame's mean sweep against the IDLE frame ``lag`` frames before
    (its first ``sweeps`` sweeps, every ``point_step``-th point) [counts²]; 0 for the first ``lag`` frames.

    Exploratory: the onset metric removes each frame's mean over its sweeps, so motion slower than about half its
    Doppler bin (0.25 m/s on a 5-sweep IDLE frame) is invisible to it; between two IDLE frames 3 periods apart a
    hand at 0.1 m/s moves 5 mm, two wavelengths of phase at 60 GHz."""
    mean = np.nan_to_num(np.asarray(frames)[:, :sweeps, ::point_step].mean(axis=1))
    out = np.zeros(mean.shape[0])
    diff = mean[lag:] - mean[:-lag]
    out[lag:] = (diff.real**2 + diff.imag**2).sum(axis=-1)
    return out


def wake_records(run_dir: Path, bundle_path: Path, files: Sequence[Path]) -> list[dict[str, Any]]:
    """Run ``detect`` throttled on every file; one record per wake and one per true gesture (``"type"``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from throttle_selection import _Detector, _phases, _wake_end, _wake_kind

    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream
    from deploy.sweep import match_events
    from deploy.throttle import Phase, idle_geometry
    from dsp import OnsetProcessor
    from models.config import read_config
    from models.data import load_recordings

    class Recorder(_Detector):
        """``detect``'s detector that keeps every onset sample ``(full-rate frame, ratio_db)`` the policy gets."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.samples: list[tuple[int, float]] = []

        def _segment(self, ratio: float, now: int, point_power: Any = None) -> None:
            self.samples.append((now, float(ratio)))
            super()._segment(ratio, now, point_power)

    bundle = load_bundle(bundle_path)
    recs = load_recordings(list(files), cfg=read_config(run_dir / "config.toml").dataset)
    known = set(bundle.classes[1:])
    out: list[dict[str, Any]] = []
    for rec in recs:
        frames, geometry = session_stream(load_session(rec.path), bundle)
        n = len(frames)
        rate = geometry.frame_rate_hz
        truth = [(la.start_frame, la.end_frame, la.gesture) for la in rec.labels if la.gesture in known]
        det = Recorder(bundle, geometry=geometry, always_on=False, throttle=None)
        for t in range(n):
            if det.wants(t):
                det.process(frames[t], t)
        det.flush()
        res = det.result(n)
        match = match_events(res.events, truth)
        sample_t = np.array([s[0] for s in det.samples], np.int64)
        sample_r = np.array([s[1] for s in det.samples], np.float64)
        thr = det.throttle
        slow = slow_power(frames, lag=thr.idle_decimation, sweeps=thr.idle_sweeps, point_step=thr.idle_point_step)
        slow_proc = OnsetProcessor(cfg=bundle.onset, geometry=idle_geometry(geometry, cfg=thr))
        slow_r = np.array([slow_proc.process_power(float(slow[t]))[2] for t in sample_t], np.float64)
        phases = _phases(det, n)
        awake = np.isin(phases, (Phase.ONSET, Phase.ACTIVE))
        edges = np.flatnonzero(np.diff(np.r_[0, awake.astype(np.int8), 0]))
        periods = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
        decided = np.array(sorted(det.decided_at), np.int64)
        first_wake: dict[int, int] = {}
        prev_end = None
        for k, (s, e) in enumerate(periods):
            wake = s - 1  # the IDLE frame whose sample woke the device; its first full-rate frame is s
            before = sample_t < wake
            pre, pre_t, pre_slow = sample_r[before], sample_t[before], slow_r[before]
            last_dec = decided[decided < wake]
            kind = _wake_kind(s, e, truth, rec.negatives)
            gi = next((i for i, (ts, te, _) in enumerate(truth) if min(e, te + 30) > max(s, ts - 10)), None)
            if gi is not None and gi not in first_wake:
                first_wake[gi] = k
            out.append(
                {
                    "type": "wake",
                    "file": rec.path.name,
                    "wake_frame": int(wake),
                    "rate_hz": rate,
                    "kind": kind,
                    "gesture": gi,
                    "awake_frames": int(e - s),
                    "end": _wake_end(int(phases[e]) if e < n else -1, e - s, det.throttle.max_active_frames),
                    "wake_db": float(sample_r[sample_t == wake][0]) if (sample_t == wake).any() else None,
                    # the samples before the wake, newest last, as (frames before the wake, ratio_db)
                    "pre": [[int(wake - a), round(float(b), 3)] for a, b in zip(pre_t[-60:], pre[-60:], strict=True)],
                    # the same for the exploratory slow-motion ratio (slow_power through the onset smoothing/floor)
                    "pre_slow": [
                        [int(wake - a), round(float(b), 3)] for a, b in zip(pre_t[-60:], pre_slow[-60:], strict=True)
                    ],
                    "since_decision_s": round((wake - int(last_dec[-1])) / rate, 3) if last_dec.size else None,
                    "since_awake_s": round((wake - prev_end) / rate, 3) if prev_end is not None else None,
                }
            )
            prev_end = e
        for i, (ts, _te, g) in enumerate(truth):
            out.append(
                {
                    "type": "gesture",
                    "file": rec.path.name,
                    "index": i,
                    "start_frame": ts,
                    "gesture_label": g,
                    "first_wake": None if i not in first_wake else first_wake[i],
                    "correct": match.correct_detection[i] >= 0,
                }
            )
        print(f"{rec.name}: {len(periods)} wakes, {len(truth)} gestures", file=sys.stderr, flush=True)
    return out


def pre_stat(rec: dict[str, Any], window_s: float, stat: str, metric: str = "pre") -> float:
    """Max or mean of the onset ratio (``metric`` "pre", or the exploratory "pre_slow") over the ``window_s``
    before a wake (-inf if no sample there)."""
    lim = window_s * rec["rate_hz"]
    vals = [r for d, r in rec[metric] if d <= lim + 1e-9 and np.isfinite(r)]
    if not vals:
        return -np.inf
    return float(max(vals) if stat == "max" else np.mean(vals))


def blocked(
    rec: dict[str, Any], window_s: float, stat: str, level_db: float, skip_s: float, metric: str = "pre"
) -> bool:
    """Whether the quiet test refuses this wake."""
    since = rec["since_decision_s"]
    if skip_s > 0 and since is not None and since < skip_s:
        return False
    return pre_stat(rec, window_s, stat, metric) >= level_db


def summarise(
    records: Sequence[dict[str, Any]],
    window_s: float,
    stat: str,
    level_db: float,
    skip_s: float,
    metric: str = "pre",
) -> dict[str, Any]:
    """One setting: per cause the wakes and awake frames blocked, and the gesture events whose first wake is."""
    wakes = [r for r in records if r["type"] == "wake"]
    n: collections.Counter[str] = collections.Counter()
    b: collections.Counter[str] = collections.Counter()
    first_blocked: dict[tuple[str, int], bool] = {}
    files_wakes: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in wakes:
        files_wakes[r["file"]].append(r)
    for r in wakes:
        hit = blocked(r, window_s, stat, level_db, skip_s, metric)
        group = "gesture" if r["kind"] == "gesture" else "not_gesture"
        for key in {r["kind"], group}:
            n[key + ":n"] += 1
            n[key + ":frames"] += r["awake_frames"]
            if hit:
                b[key + ":n"] += 1
                b[key + ":frames"] += r["awake_frames"]
    for g in (r for r in records if r["type"] == "gesture"):
        if g["first_wake"] is not None:
            first_blocked[(g["file"], g["index"])] = blocked(
                files_wakes[g["file"]][g["first_wake"]], window_s, stat, level_db, skip_s, metric
            )
    gestures = [r for r in records if r["type"] == "gesture" and r["first_wake"] is not None]
    correct = [g for g in gestures if g["correct"]]
    kinds = sorted({k.split(":")[0] for k in n})
    return {
        "metric": metric,
        "window_s": window_s,
        "stat": stat,
        "level_db": level_db,
        "skip_s": skip_s,
        "wakes": {k: n[k + ":n"] for k in kinds},
        "blocked_pct": {k: round(100 * b[k + ":n"] / n[k + ":n"], 1) for k in kinds},
        "blocked_awake_pct": {k: round(100 * b[k + ":frames"] / max(n[k + ":frames"], 1), 1) for k in kinds},
        "gesture_events": len(gestures),
        "first_wake_blocked_pct": round(
            100 * sum(first_blocked[(g["file"], g["index"])] for g in gestures) / max(len(gestures), 1), 1
        ),
        "correct_first_wake_blocked": sum(first_blocked[(g["file"], g["index"])] for g in correct),
        "correct_events": len(correct),
    }


def distributions(
    records: Sequence[dict[str, Any]], windows_s: Sequence[float], stat: str, metric: str = "pre"
) -> list[dict[str, Any]]:
    """Percentiles (10/25/50/75/90) of the pre-wake statistic per cause and window."""
    out = []
    wakes = [r for r in records if r["type"] == "wake"]
    for w in windows_s:
        by: dict[str, list[float]] = collections.defaultdict(list)
        for r in wakes:
            by[r["kind"]].append(pre_stat(r, w, stat, metric))
        out.append(
            {
                "metric": metric,
                "window_s": w,
                "stat": stat,
                **{
                    k: [round(float(x), 2) for x in np.percentile(v, [10, 25, 50, 75, 90])] + [len(v)]
                    for k, v in sorted(by.items())
                },
            }
        )
    return out


def dense_repeats(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How close gesture wakes follow the previous accepted decision (on dense repetitions the pre-wake window
    can hold the previous gesture's tail): counts of gesture wakes within 1, 1.5, 2 and 3 s of one."""
    g = [r for r in records if r["type"] == "wake" and r["kind"] == "gesture"]
    since = [r["since_decision_s"] for r in g if r["since_decision_s"] is not None]
    return {
        "gesture_wakes": len(g),
        **{f"after_decision_lt_{x:g}s": sum(1 for v in since if v < x) for x in (1.0, 1.5, 2.0, 3.0)},
        "since_decision_s_p10_50_90": [round(float(x), 2) for x in np.percentile(since, [10, 50, 90])]
        if since
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path, nargs="?", help="the model's run directory (its dataset config)")
    ap.add_argument("bundle", type=Path, nargs="?", help="the bundle whose runtime and throttle run")
    ap.add_argument("files", type=Path, nargs="*", help="training-side labelled recordings (.h5)")
    ap.add_argument("--records", type=Path, help="write the per-wake records here (JSON lines)")
    ap.add_argument("--from-records", type=Path, nargs="+", help="read records written before; runs nothing")
    ap.add_argument("--windows-s", type=_floats, default=[0.2, 0.4, 0.6, 0.8], help="pre-wake windows P [s]")
    ap.add_argument("--levels-db", type=_floats, default=[2.0, 3.0, 4.0], help="quiet levels [dB]")
    ap.add_argument("--stats", default="max,mean", help="statistics over the window: max,mean")
    ap.add_argument("--skips-s", type=_floats, default=[0.0, 1.5], help="skip the test this long after a decision")
    ap.add_argument(
        "--metric",
        choices=("pre", "pre_slow"),
        default="pre",
        help="pre: the throttle's onset ratio (the hypothesis); pre_slow: the exploratory slow-motion ratio",
    )
    args = ap.parse_args(argv)
    if args.from_records:
        records = [json.loads(line) for p in args.from_records for line in p.read_text().splitlines() if line]
        if bad := held_out_paths(Path(r["file"]) for r in records):
            print(f"error: held-out file(s) refused: {', '.join(sorted(set(bad)))}", file=sys.stderr)
            return 2
    else:
        if args.run_dir is None or args.bundle is None or not args.files:
            ap.error("give RUN_DIR BUNDLE FILE.h5 ... or --from-records")
        if bad := held_out_paths(args.files):
            print(f"error: held-out file(s) refused: {', '.join(bad)}", file=sys.stderr)
            return 2
        records = wake_records(args.run_dir, args.bundle, args.files)
        if args.records:
            args.records.write_text("".join(json.dumps(r) + "\n" for r in records))
    stats = [s for s in args.stats.split(",") if s]
    for stat in stats:
        for d in distributions(records, args.windows_s, stat, args.metric):
            print(json.dumps({"distribution": d}))
    print(json.dumps({"dense": dense_repeats(records)}))
    for stat in stats:
        for w in args.windows_s:
            for level in args.levels_db:
                for skip in args.skips_s:
                    print(json.dumps(summarise(records, w, stat, level, skip, args.metric)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
