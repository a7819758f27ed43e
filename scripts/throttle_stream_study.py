"""How much of a throttled device's lost recall a full-rate decision stream while awake would win back (issue 11),
TRAINING side only.

Usage:
    python scripts/throttle_stream_study.py RUN BUNDLE FILE.h5 [FILE.h5 ...] --offset-files CAL.h5 [CAL.h5 ...]
        [--json OUT.json]

A throttled device runs its decision layer on the idle-geometry onset stream (``DecisionConfig.for_idle_stream``),
asleep and awake. The true-history mode of ``scripts/throttle_history_study.py`` showed that the view at a wake is
not where its recall goes (``docs/results_power.md``, sixteenth pass). This script asks what a decision layer fed
the full-rate stream whenever the device senses at full rate would win back. The run's float model and the
evaluation's own decision layer (:func:`models.evaluate.evaluate_recordings`, the run's operating point) score each
stream in six passes, always with the true view. The first three:

- ``always_on``: the full-rate onset ratio;
- ``full_rate_stream_while_awake``: the same ratio, set to ``--asleep-db`` on every frame the bundle's throttle does
  not sense at full rate (``detect``'s transitions, its default throttle). The ratio keeps its smoothing and floor
  from every frame, so this is an upper bound;
- ``full_rate_stream_while_awake_device_floor``: the ratio as a device would have it, its smoothing and floor kept
  from the frames it senses at full rate only (:func:`device_ratio`).

Three more passes try floors that awake motion does not inflate, all on the awake frames only (:func:`floor_ratios`):

- ``idle_floor_offset``: the full-geometry level minus the device's own idle-stream floor plus an offset [dB], the
  median gap between the two floors on ``--offset-files`` (:func:`floor_offset_db`; training-side streams that are
  not scored);
- ``idle_geometry_full_rate``: the idle-geometry power of every awake frame, smoothed at the full rate, minus the
  idle-stream floor (one scale, no offset);
- ``quiet_awake_floor``: the full-geometry level minus a floor kept from the awake frames the idle stream calls
  quiet (its latest ratio below the throttle's ``release_db``).

It also counts the labelled gestures the device is never awake for, and those it is awake for less than half of,
by subject and gesture.

Held-out data is refused (:func:`radargest.datasets.held_out_paths`).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deploy.throttle import Phase, ThrottleConfig, idle_geometry, idle_power
from dsp import FrameGeometry, OnsetConfig, OnsetProcessor, onset_from_power, onset_power
from radargest.datasets import held_out_paths

#: Phases in which the device senses full-rate frames.
AWAKE = (int(Phase.ONSET), int(Phase.ACTIVE))


def awake_mask(transitions: Sequence[tuple[int, int]], num_frames: int) -> npt.NDArray[np.bool_]:
    """Full-rate frames a throttled device senses, ``(num_frames,)``, from ``StreamingDetector.transitions``.

    A transition ``(t, phase)`` is the phase after frame ``t``: a wake at ``t`` (an IDLE frame) senses ``t + 1``
    on at full rate, and the full-rate frame ``u`` that goes back to sleep is still sensed at full rate.
    """
    awake = np.zeros(num_frames, dtype=bool)
    phase, since = int(Phase.IDLE), 0
    for t, new in [*transitions, (num_frames - 1, int(Phase.IDLE))]:
        if phase in AWAKE:
            awake[since + 1 : t + 1] = True
        phase, since = int(new), int(t)
    return awake


def device_ratio(
    power: npt.NDArray[np.float64],
    awake: npt.NDArray[np.bool_],
    *,
    cfg: OnsetConfig,
    geometry: FrameGeometry,
    asleep_db: float,
) -> npt.NDArray[np.float64]:
    """The full-rate onset ratio [dB] of a device that computes it only while awake, ``(frames,)``: ``power``
    (:func:`dsp.onset_power`, ``(frames,)``) of the awake frames through the onset processor's smoothing and floor,
    which skip the frames it never gets, and ``asleep_db`` on the others."""
    ratio = onset_from_power(np.where(awake, power, np.nan), cfg=cfg, geometry=geometry).ratio_db
    return np.where(awake, ratio, asleep_db)


class LoggedOnset(OnsetProcessor):
    """An :class:`dsp.OnsetProcessor` that keeps ``(frame, floor [dB], ratio [dB])`` of every sample it is given;
    ``frame`` is set by the caller before each full-rate frame is processed."""

    def __init__(self, *, cfg: OnsetConfig, geometry: FrameGeometry) -> None:
        super().__init__(cfg=cfg, geometry=geometry)
        self.frame = 0
        self.log: list[tuple[int, float, float]] = []

    def process_power(self, power: float) -> tuple[float, float, float]:
        out = super().process_power(power)
        self.log.append((self.frame, out[1], out[2]))
        return out


def logged_run(bundle: Any, frames: npt.NDArray[Any], geometry: FrameGeometry) -> tuple[Any, LoggedOnset]:
    """Run ``deploy.runtime.StreamingDetector`` with its default throttle over a fixed-rate stream, as
    ``deploy.runtime.detect_frames`` does, logging its onset samples; returns the flushed detector and the log."""
    from deploy.runtime import StreamingDetector

    det = StreamingDetector(bundle, geometry=geometry)
    det.onset = logged = LoggedOnset(cfg=det.onset_cfg, geometry=det.onset.geometry)
    for t in range(len(frames)):
        if det.wants(t):
            logged.frame = t
            det.process(frames[t], t)
    det.flush()
    return det, logged


def held(frames: Sequence[int], values: Sequence[float], num_frames: int) -> npt.NDArray[np.float64]:
    """``values`` sampled at increasing ``frames``, held until the next sample, ``(num_frames,)``; NaN before the
    first."""
    out = np.full(num_frames, np.nan)
    idx = np.searchsorted(np.asarray(frames, dtype=np.int64), np.arange(num_frames), side="right") - 1
    ok = idx >= 0
    out[ok] = np.asarray(values, dtype=np.float64)[idx[ok]]
    return out


def _level_db(power: npt.NDArray[np.float64], *, cfg: OnsetConfig, geometry: FrameGeometry) -> npt.NDArray[np.float64]:
    """Smoothed level [dB] of a power series (NaN frames skipped), ``(frames,)``."""
    metric = onset_from_power(power, cfg=cfg, geometry=geometry).metric
    return np.asarray(10.0 * np.log10(metric + cfg.metric_eps), dtype=np.float64)


def idle_ticks_floor(
    frames: npt.NDArray[Any], *, throttle: ThrottleConfig, cfg: OnsetConfig, geometry: FrameGeometry
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Always-on floors [dB] at the idle ticks (every ``idle_decimation``-th frame), ``(ticks,)`` each: the
    full-geometry floor and the idle-geometry floor of single IDLE frames, as a sleeping device samples them."""
    full = onset_from_power(onset_power(frames, cfg=cfg, geometry=geometry), cfg=cfg, geometry=geometry).floor
    ticks = slice(0, None, throttle.idle_decimation)
    ip = idle_power(frames[ticks], cfg=throttle, onset_cfg=cfg, geometry=geometry)
    idle = onset_from_power(ip, cfg=cfg, geometry=idle_geometry(geometry, cfg=throttle)).floor
    return np.asarray(full[ticks]), np.asarray(idle)


def floor_offset_db(pairs: Sequence[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]) -> float:
    """Median of (full-geometry floor − idle-geometry floor) [dB] over the ticks of :func:`idle_ticks_floor`'s
    pairs."""
    gaps = np.concatenate([f - i for f, i in pairs])
    return float(np.nanmedian(gaps))


def floor_ratios(
    frames: npt.NDArray[Any],
    power: npt.NDArray[np.float64],
    awake: npt.NDArray[np.bool_],
    log: Sequence[tuple[int, float, float]],
    *,
    throttle: ThrottleConfig,
    cfg: OnsetConfig,
    geometry: FrameGeometry,
    offset_db: float,
    asleep_db: float,
) -> dict[str, npt.NDArray[np.float64]]:
    """The three candidate full-rate ratios [dB] of the module docstring, each ``(frames,)``, ``asleep_db`` on the
    frames not sensed at full rate. ``power`` is the frames' :func:`dsp.onset_power`, ``(frames,)``; ``log`` is
    :class:`LoggedOnset`'s record of the device's idle stream."""
    n = len(frames)
    ticks = [t for t, _, _ in log]
    idle_floor = held(ticks, [f for _, f, _ in log], n)
    idle_ratio = held(ticks, [r for _, _, r in log], n)
    full_level = _level_db(np.where(awake, power, np.nan), cfg=cfg, geometry=geometry)
    ip = idle_power(frames, cfg=throttle, onset_cfg=cfg, geometry=geometry)
    idle_fast = dataclasses.replace(idle_geometry(geometry, cfg=throttle), frame_rate_hz=geometry.frame_rate_hz)
    idle_level = _level_db(np.where(awake, ip, np.nan), cfg=cfg, geometry=idle_fast)
    quiet = awake & (idle_ratio < throttle.release_db)
    # the floor of the quiet awake levels: their 20th percentile over the last floor window, no extra smoothing
    unsmoothed = dataclasses.replace(cfg, smoothing_s=0.5 / geometry.frame_rate_hz)
    qpow = np.where(quiet, 10.0 ** (full_level / 10.0) - cfg.metric_eps, np.nan)
    qfloor = onset_from_power(qpow, cfg=unsmoothed, geometry=geometry).floor
    quiet_floor = held(np.flatnonzero(quiet).tolist(), qfloor[quiet].tolist(), n)
    out = {
        "idle_floor_offset": full_level - (idle_floor + offset_db),
        "idle_geometry_full_rate": idle_level - idle_floor,
        "quiet_awake_floor": full_level - quiet_floor,
    }
    return {k: np.where(awake & np.isfinite(v), v, asleep_db) for k, v in out.items()}


def asleep_gestures(
    labels: Sequence[Any], awake: npt.NDArray[np.bool_], subject: str
) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """Counts by ``subject/gesture`` of the labels the device is never awake for, and awake for under half of."""
    never: collections.Counter[str] = collections.Counter()
    partly: collections.Counter[str] = collections.Counter()
    for la in labels:
        seg = awake[la.start_frame : la.end_frame]
        key = f"{subject}/{la.gesture}"
        if not seg.any():
            never[key] += 1
        elif seg.mean() < 0.5:
            partly[key] += 1
    return never, partly


def _outcome(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = ("event_accuracy", "recall", "false_activations_per_hour", "outcomes")
    return {k: metrics[k] for k in keys}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="run directory (its float model and operating point)")
    ap.add_argument("bundle", type=Path, help="the run's exported bundle (its throttle gives the wakes)")
    ap.add_argument("files", type=Path, nargs="+", help="labelled training-side recordings")
    ap.add_argument(
        "--offset-files",
        type=Path,
        nargs="+",
        required=True,
        help="training-side streams, not scored, on which the idle_floor_offset pass's offset is measured",
    )
    ap.add_argument("--asleep-db", type=float, default=-60.0, help="ratio of a frame not sensed at full rate [dB]")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    if bad := held_out_paths([*args.files, *args.offset_files]):
        print(f"error: held-out file(s) refused: {', '.join(bad)}", file=sys.stderr)
        return 2

    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream
    from models.config import load_run, run_decision
    from models.data import load_recordings
    from models.evaluate import evaluate_recordings, keras_predictor

    model, cfg = load_run(args.run)
    bundle = load_bundle(args.bundle)
    recs = load_recordings(list(args.files), cfg=cfg.dataset)
    onset = cfg.dataset.onset
    pairs = []
    for path in args.offset_files:
        frames, geometry = session_stream(load_session(path), bundle)
        throttle = dataclasses.replace(bundle.throttle, full_rate_hz=geometry.frame_rate_hz)
        pairs.append(idle_ticks_floor(frames, throttle=throttle, cfg=onset, geometry=geometry))
    offset = floor_offset_db(pairs)
    print(f"floor offset (full - idle geometry) {offset:.2f} dB on {len(pairs)} file(s)", file=sys.stderr)
    masked, device = [], []
    candidates: dict[str, list[Any]] = collections.defaultdict(list)
    never: collections.Counter[str] = collections.Counter()
    partly: collections.Counter[str] = collections.Counter()
    awake_frames = 0
    for rec in recs:
        frames, geometry = session_stream(load_session(rec.path), bundle)
        det, logged = logged_run(bundle, frames, geometry)
        awake = awake_mask(det.result(len(frames)).transitions, rec.num_frames)
        awake_frames += int(awake.sum())
        n, p = asleep_gestures(rec.labels, awake, rec.subject or rec.path.stem)
        never += n
        partly += p
        ratio = np.where(awake, np.asarray(rec.ratio_db, dtype=np.float64), args.asleep_db)
        masked.append(dataclasses.replace(rec, ratio_db=ratio))
        power = onset_power(rec.frames, cfg=onset, geometry=geometry)  # computed once, for both device passes
        kw_dev: dict[str, Any] = {"cfg": onset, "geometry": geometry, "asleep_db": args.asleep_db}
        device.append(dataclasses.replace(rec, ratio_db=device_ratio(power, awake, **kw_dev)))
        kw_fl: dict[str, Any] = {"throttle": det.throttle, "cfg": onset, "geometry": geometry}
        ratios = floor_ratios(rec.frames, power, awake, logged.log, offset_db=offset, asleep_db=args.asleep_db, **kw_fl)
        for name, r in ratios.items():
            candidates[name].append(dataclasses.replace(rec, ratio_db=r))
        print(f"{rec.path.name}: awake {awake.mean():.3f}", file=sys.stderr, flush=True)
    predict = keras_predictor(model)
    kw: dict[str, Any] = {"cfg": cfg.dataset, "window_frames": cfg.architecture.window_frames}
    kw["decision"] = run_decision(cfg, None)
    kw["sweep"] = False  # the figures at the run's own operating point only
    every = list(range(len(recs)))
    out: dict[str, Any] = {
        "always_on": _outcome(evaluate_recordings(predict, recs, every, **kw)),
        "full_rate_stream_while_awake": _outcome(evaluate_recordings(predict, masked, every, **kw)),
        "full_rate_stream_while_awake_device_floor": _outcome(evaluate_recordings(predict, device, every, **kw)),
        **{name: _outcome(evaluate_recordings(predict, rs, every, **kw)) for name, rs in candidates.items()},
        "floor_offset_db": offset,
        "awake_share": awake_frames / max(1, sum(r.num_frames for r in recs)),
        "gestures_never_awake": dict(sorted(never.items())),
        "gestures_awake_under_half": dict(sorted(partly.items())),
    }
    passes = ["always_on", "full_rate_stream_while_awake", "full_rate_stream_while_awake_device_floor", *candidates]
    for name in passes:
        o = out[name]["outcomes"]
        split = ", ".join(f"{k} {v}" for k, v in o.items())
        print(f"{name:42s} {split}; {out[name]['false_activations_per_hour']:.2f} false activations per hour")
    print(f"awake {out['awake_share']:.1%} of the frames; never awake for {sum(never.values())} gestures, ", end="")
    print(f"awake for under half of {sum(partly.values())}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
