"""Which IDLE points let the throttle's IDLE stream see what the full-rate stream sees (docs/results_power.md,
twelfth pass). Model-free and TRAINING side only: it refuses held-out files by name
(:func:`radargest.datasets.training_side_files`).

Why: an IDLE sweep measures every ``idle_point_step``-th point of the full sweep from point ``idle_point_offset``
(``deploy.throttle.ThrottleConfig``). On ``gesture_close`` with a step of 2 the default offset 0 measures 0.05 /
0.11 / 0.17 m, 60 mm apart with a 40 mm pulse (PROFILE_1), and stops 30 mm short of the full frame's last point
(0.20 m), where a far hand moving away (``tap_out``) ends up.

What it measures, per IDLE configuration (``--configs NAME:SWEEPS,STEP,OFFSET``, the default throttle otherwise):

- on gesture recordings: the share of labelled gestures whose IDLE-stream onset ratio (:func:`deploy.throttle.
  emulate_throttle`, the device's own onset stream) reaches ``--idle-gate-db`` within the label (± 3 frames), per
  class and per band of the simulated subject's distance (from the recording's simulator scene), beside the
  full-rate onset ratio at ``--full-gate-db`` (what always-on segments on);
- on everyday recordings: the A121 current (exptool's power model) and the wakes per hour of the throttle run
  without decisions (every awake period ends by ``hold_s`` or ``max_active_s``: an upper bound of a device's,
  whose decisions end some periods early).

Usage:
    python scripts/idle_points_study.py GESTURES [...] [--everyday EVERYDAY [...]] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import dsp
from acquisition import Session, load_session
from deploy.power import stream_energy, throttle_power
from deploy.throttle import Phase, ThrottleConfig, Utilisation, emulate_throttle
from models.data import DataError
from radargest.datasets import training_side_files
from radargest.pipeline import geometry_of

DEFAULT_CONFIGS = ("D:5,2,0", "O1:5,2,1", "A4:4,1,0", "A5:5,1,0")
BANDS_M = (0.0, 0.10, 0.15, 0.175, 1.0)


def _config(text: str) -> tuple[str, ThrottleConfig]:
    name, _, values = text.partition(":")
    sweeps, step, offset = (int(v) for v in values.split(","))
    return name, ThrottleConfig(idle_sweeps=sweeps, idle_point_step=step, idle_point_offset=offset)


def _stream(session: Session) -> tuple[npt.NDArray[Any], dsp.FrameGeometry]:
    bad = dsp.bad_frames(session.frames, saturated=session.data_saturated)
    frames = dsp.mask_bad_frames(session.frames, bad) if bad.any() else session.frames
    return frames, geometry_of(session)


def _distance_m(session: Session) -> float:
    """The simulated subject's distance, NaN for a recording without a simulator scene."""
    d = session.meta.subject_distance_m if session.meta is not None else None
    return float("nan") if d is None else d


def gate_table(
    files: Sequence[Path],
    configs: dict[str, ThrottleConfig],
    *,
    idle_gate_db: float,
    full_gate_db: float,
    onset_cfg: dsp.OnsetConfig,
) -> dict[str, Any]:
    """``{config: {band: {class: [reached, of]}}}`` with ``full`` the full-rate stream at ``full_gate_db``."""
    table: dict[str, Any] = collections.defaultdict(
        lambda: collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    )
    for path in files:
        session = load_session(path)
        frames, geo = _stream(session)
        d = _distance_m(session)
        band = (
            "unknown"
            if np.isnan(d)
            else next(f"{lo:.3f}-{hi:.3f} m" for lo, hi in itertools.pairwise(BANDS_M) if lo <= d < hi)
        )
        ratios = {"full": (dsp.onset_metric(frames, cfg=onset_cfg, geometry=geo).ratio_db, full_gate_db)}
        for name, cfg in configs.items():
            cfg = dataclasses.replace(cfg, full_rate_hz=geo.frame_rate_hz)
            ratios[name] = (emulate_throttle(frames, cfg=cfg, onset_cfg=onset_cfg, geometry=geo).ratio_db, idle_gate_db)
        for label in session.labels:
            lo, hi = max(0, label.start_frame - 3), label.end_frame + 3
            for name, (ratio, level) in ratios.items():
                seg = ratio[lo:hi]
                reached = bool(np.any(seg[np.isfinite(seg)] >= level))
                for key in (band, "all"):
                    cell = table[name][key][label.gesture]
                    cell[0] += int(reached)
                    cell[1] += 1
    return json.loads(json.dumps(table))


def everyday_table(
    files: Sequence[Path], configs: dict[str, ThrottleConfig], *, onset_cfg: dsp.OnsetConfig
) -> dict[str, Any]:
    """``{config: {sensor_ma, idle_ma, full_share, wakes_per_h, hours}}`` of the throttle run without decisions."""
    out: dict[str, Any] = {}
    streams = [_stream(load_session(p)) for p in files]
    for name, cfg0 in configs.items():
        util: Utilisation | None = None
        wakes = 0
        geo0 = streams[0][1]
        cfg = dataclasses.replace(cfg0, full_rate_hz=geo0.frame_rate_hz)
        for frames, geo in streams:
            trace = emulate_throttle(
                frames, cfg=dataclasses.replace(cfg, full_rate_hz=geo.frame_rate_hz), onset_cfg=onset_cfg, geometry=geo
            )
            util = trace.utilisation if util is None else util + trace.utilisation
            phase = trace.phase.astype(int)
            wakes += int(np.sum((phase[1:] == Phase.ONSET) & (phase[:-1] != Phase.ONSET)))
        assert util is not None
        power = throttle_power(cfg)
        energy = stream_energy(util, power=power, geometry=geo0, onset_cfg=onset_cfg)
        hours = energy.seconds / 3600.0
        out[name] = {
            "sensor_ma": energy.sensor_ma,
            "idle_ma": 1e3 * power.idle_current_a,
            "full_share": util.full_rate_frames / util.frames,
            "wakes_per_h": wakes / hours,
            "hours": hours,
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("gestures", nargs="+", type=Path, help="labelled gesture recordings (files or folders)")
    ap.add_argument("--everyday", nargs="*", type=Path, default=[], help="everyday streams (files or folders)")
    ap.add_argument(
        "--configs",
        nargs="+",
        default=list(DEFAULT_CONFIGS),
        help=f"NAME:SWEEPS,STEP,OFFSET ... (default {' '.join(DEFAULT_CONFIGS)})",
    )
    ap.add_argument("--idle-gate-db", type=float, default=6.6, help="the decision gate on the IDLE stream [dB]")
    ap.add_argument("--full-gate-db", type=float, default=5.9, help="the decision gate on the full-rate stream [dB]")
    ap.add_argument("--json", type=Path, default=None, help="write the tables here")
    args = ap.parse_args(argv)
    configs = dict(_config(t) for t in args.configs)
    try:  # refuses held-out recordings by name before opening any
        gesture_files = training_side_files(args.gestures)
        everyday_files = training_side_files(args.everyday) if args.everyday else []
    except DataError as exc:
        print(f"idle_points_study: {exc}", file=sys.stderr)
        return 2
    onset_cfg = dsp.OnsetConfig()
    gates = gate_table(
        gesture_files, configs, idle_gate_db=args.idle_gate_db, full_gate_db=args.full_gate_db, onset_cfg=onset_cfg
    )
    everyday = everyday_table(everyday_files, configs, onset_cfg=onset_cfg) if everyday_files else {}
    classes = sorted(gates["full"]["all"])
    for band in sorted(gates["full"], key=lambda b: (b == "all", b)):
        print(f"\n{band}: gestures reaching the gate level / gestures")
        print(f"{'':6s} " + " ".join(f"{c:>14s}" for c in classes) + f" {'pooled':>10s}")
        for name in ["full", *configs]:
            row = gates[name].get(band, {})
            cells = [row.get(c, [0, 0]) for c in classes]
            pooled = [sum(c[0] for c in cells), sum(c[1] for c in cells)]
            print(
                f"{name:6s} " + " ".join(f"{c[0]:>9d}/{c[1]:<4d}" for c in cells) + f" {pooled[0]:>5d}/{pooled[1]:<4d}"
            )
    if everyday:
        hours = next(iter(everyday.values()))["hours"]
        print(f"\neveryday streams ({hours:.1f} h), throttle without decisions")
        print(f"{'':6s} {'A121 mA':>8s} {'IDLE mA':>8s} {'full %':>7s} {'wakes/h':>8s}")
        for name, e in everyday.items():
            share = 100 * e["full_share"]
            print(f"{name:6s} {e['sensor_ma']:8.3f} {e['idle_ma']:8.3f} {share:7.1f} {e['wakes_per_h']:8.0f}")
    if args.json is not None:
        args.json.write_text(json.dumps({"gates": gates, "everyday": everyday}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
