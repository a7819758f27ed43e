"""C parity and code size of the C99 feature, onset and throttle sources (deploy/c).

Builds ``deploy/c`` against a generated ``config.h`` per stream, runs it through ctypes on real frames
(training-side files only: the held-out idx_3 files and static_hand_idx_1 are not read) and on a simulated
session, and prints the largest absolute and relative (``|c - py| / max(1, |py|)``) errors against ``dsp``
and whether the throttle traces are identical; then the ``-Os`` object sizes.

Usage::

    python scripts/throttle_c_parity.py [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import dsp
from acquisition import get_preset, load_session, simulate_session
from acquisition.sim import SessionPlan, Subject
from deploy import (
    ThrottleConfig,
    build_shared_library,
    compile_objects,
    emulate_throttle,
    idle_geometry,
    object_size,
    oracle_decisions,
    write_config_h,
)
from deploy.c_binding import CLibrary

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "acconeer-a121-gesture-control"
REAL = {
    "tap_in_idx_1": "gesture_classification",
    "wiggle_idx_2": "gesture_classification",
    "dynamic_hand_idx_1": "gesture_detection",
}
FIELDS = ("phase", "sensed", "full_rate", "onset_computed", "encoder", "head", "decisions")


def errors(c: np.ndarray, py: np.ndarray) -> tuple[float, float]:
    c = np.asarray(c, dtype=np.float64)
    py = np.asarray(py, dtype=np.float64)
    ok = np.isfinite(py) & np.isfinite(c)
    d = np.abs(c[ok] - py[ok])
    return float(d.max()), float((d / np.maximum(1.0, np.abs(py[ok]))).max())


def parity(name: str, frames: np.ndarray, geometry: dsp.FrameGeometry, build: Path) -> list[str]:
    rd_cfg, oc = dsp.RangeDopplerConfig(), dsp.OnsetConfig()
    cfg = ThrottleConfig(full_rate_hz=geometry.frame_rate_hz)
    write_config_h(build / "config.h", geometry=geometry, rd_cfg=rd_cfg, onset_cfg=oc, throttle_cfg=cfg)
    lib = CLibrary(build_shared_library(build), sweeps=geometry.sweeps_per_frame, points=geometry.num_points)
    rd_c, p_c = lib.features(frames)
    rd_py = dsp.range_doppler(frames, cfg=rd_cfg)
    p_py = dsp.onset_power(frames, cfg=oc, geometry=geometry)
    rate = geometry.frame_rate_hz
    m, f, r = lib.onset(p_c, smooth_frames=oc.smoothing_frames(rate), floor_frames=oc.floor_frames(rate))
    ref = dsp.onset_metric(frames, cfg=oc, geometry=geometry)
    events = dsp.segment(ref.ratio_db, cfg=dsp.SegmentConfig(), frame_rate_hz=rate)
    mask = oracle_decisions(events, len(frames))
    py = emulate_throttle(frames, cfg=cfg, onset_cfg=oc, geometry=geometry, decide=mask)
    idle = idle_geometry(geometry, cfg=cfg).frame_rate_hz
    c = lib.emulate(
        frames, cfg=cfg, smooth_frames=oc.smoothing_frames(idle), floor_frames=oc.floor_frames(idle), decide=mask
    )
    same = all(np.array_equal(getattr(c, k), getattr(py, k)) for k in FIELDS)
    out = []
    for what, a, b in (
        ("range-Doppler map", rd_c, rd_py),
        ("onset power", p_c, p_py),
        ("onset metric (full rate)", m, ref.metric),
        ("onset floor (full rate)", f, ref.floor),
        ("onset ratio (full rate)", r, ref.ratio_db),
        ("onset ratio (idle, in throttle)", c.ratio_db, py.ratio_db),
    ):
        ab, rel = errors(a, b)
        out.append(f"| {name} | {len(frames)} | {what} | {ab:.2e} | {rel:.2e} |")
    out.append(f"| {name} | {len(frames)} | throttle trace identical | {same} | |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    rows = ["| stream | frames | quantity | max abs error | max rel error |", "|---|---:|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        streams = []
        for name, sub in REAL.items():
            s = load_session(args.data / sub / f"label_{name}.h5")
            streams.append((name, s))
        sim = t / "sim.h5"
        plan = SessionPlan(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"), reps_per_gesture=3)
        config = get_preset("gesture_close").sensor_config
        subject = Subject.from_seed(11)
        simulate_session(sim, plan=plan, subject=subject, seed=3, sensor_config=config, preset="gesture_close")
        streams.append(("simulated (subject 11)", load_session(sim)))
        for i, (name, s) in enumerate(streams):
            g = dsp.FrameGeometry.from_sensor_config(s.sensor_config, s.metadata, frame_rate_hz=s.stream_rate_hz)
            rows += parity(name, s.frames, g, t / f"b{i}")
        sizes = compile_objects(t / f"b{len(streams) - 1}", ("-Os",))
        size_rows = ["| object (-Os, host) | .text | .rodata | .data + .bss | flash |", "|---|---:|---:|---:|---:|"]
        for stem in sizes:
            sec = object_size(t / f"b{len(streams) - 1}" / f"{stem}.o")
            size_rows.append(f"| {stem}.o | {sec.text} | {sec.rodata} | {sec.ram} | {sec.flash} |")
    print("\n".join(rows))
    print()
    print("\n".join(size_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
