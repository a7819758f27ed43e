"""Throttle trade-off on continuous streams: utilisation against event coverage and added latency.

Streams: the real TRAINING-day recordings (idx_1, idx_2, idx_5; the held-out idx_3 files and
static_hand_idx_1 are refused) and simulated continuous sessions. Per stream:

- reference events: ``dsp.segment`` of the always-on full-rate onset ratio, with the default
  ``SegmentConfig`` except ``pre_roll_s = 0``, so an event starts at the frame where the always-on ratio
  first crosses ``on_db``: the latency below is then the throttle's *added* latency to full rate;
- placeholder classifier until a model exists: a head run decides on any frame from an event's end to the
  next event's start (:func:`deploy.throttle.oracle_decisions`);
- cost: 1 unit per encoder run, ``H`` per head run, against always-on (encoder every frame, head every hop).

Usage::

    python scripts/throttle_tradeoff.py [--data DIR] [--sim-subjects 4] [--json out.json] [--markdown out.md]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

import dsp
from acquisition import get_preset, load_session, simulate_session
from acquisition.sim import SessionPlan, Subject
from deploy.throttle import SweepPoint, ThrottleConfig, ThrottleStream, idle_power, sweep_throttle
from radargest.datasets import held_out_names

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "acconeer-a121-gesture-control"
TRAINING = re.compile(r"label_(?!.*hand).*_idx_[125]\.h5$")
DECIMATIONS = (2, 3, 4, 6, 8)
ONSET_DB = (5.0, 6.0, 8.0, 10.0, 12.0)
SEGMENT = dsp.SegmentConfig(pre_roll_s=0.0)


def stream_of(path: Path, onset_cfg: dsp.OnsetConfig) -> ThrottleStream:
    s = load_session(path)
    geometry = dsp.FrameGeometry.from_sensor_config(s.sensor_config, s.metadata, frame_rate_hz=s.stream_rate_hz)
    bad = dsp.bad_frames(s.frames, saturated=s.data_saturated)
    frames = dsp.mask_bad_frames(s.frames, bad) if bad.any() else s.frames
    # the throttle's onset stream: every frame's power on its first idle_sweeps sweeps (the IDLE frame)
    power = idle_power(frames, cfg=ThrottleConfig(), onset_cfg=onset_cfg, geometry=geometry)
    ratio = dsp.onset_metric(frames, cfg=onset_cfg, geometry=geometry).ratio_db
    events = dsp.segment(ratio, cfg=SEGMENT, frame_rate_hz=geometry.frame_rate_hz)
    return ThrottleStream(power=power, geometry=geometry, events=events, name=path.stem)


def real_streams(data: Path, onset_cfg: dsp.OnsetConfig) -> list[ThrottleStream]:
    files = sorted(p for p in (data / "gesture_classification").glob("*.h5") if TRAINING.search(p.name))
    if held := held_out_names(files):
        raise SystemExit(f"error: held-out file(s) refused: {', '.join(held)}")
    return [stream_of(p, onset_cfg) for p in files]


def sim_streams(out: Path, subjects: int, reps: int, onset_cfg: dsp.OnsetConfig) -> list[ThrottleStream]:
    config = get_preset("gesture_close").sensor_config
    plan = SessionPlan(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"), reps_per_gesture=reps)
    streams = []
    for i in range(subjects):
        path = out / f"sim_subject{500 + i}.h5"
        if not path.exists():
            simulate_session(
                path,
                plan=plan,
                subject=Subject.from_seed(500 + i),
                seed=i,
                sensor_config=config,
                preset="gesture_close",
            )
        streams.append(stream_of(path, onset_cfg))
    return streams


def row(pt: SweepPoint, rate_hz: float, head_costs: tuple[float, ...]) -> dict[str, float]:
    u, c = pt.utilisation, pt.coverage
    lat_ms = c.latency_frames / rate_hz * 1000.0 if c.latency_frames.size else np.array([np.nan])
    out = {
        "idle_decimation": pt.cfg.idle_decimation,
        "idle_rate_hz": rate_hz / pt.cfg.idle_decimation,
        "onset_db": pt.cfg.onset_db,
        "sensor_share": u.sensor_share,
        "encoder_share": u.encoder_share,
        "head_share": u.head_share,
        "events": c.events,
        "covered_share": c.covered_share,
        "decided_share": c.decided_share,
        "event_frames_full_rate_share": c.full_rate_share,
        "latency_median_ms": float(np.median(lat_ms)),
        "latency_p90_ms": float(np.percentile(lat_ms, 90)),
        "latency_max_ms": float(np.max(lat_ms)),
    }
    for h in head_costs:
        out[f"network_share_H{h:g}"] = u.network_share(head_cost=h)
    return out


def markdown(rows: list[dict[str, float]], head_costs: tuple[float, ...]) -> str:
    net = " | ".join(f"network H={h:g}" for h in head_costs)
    lines = [
        f"| D | idle Hz | onset dB | sensor | encoder | head | {net} | covered | decided | "
        "event frames at full rate | latency median / p90 / max [ms] |",
        "|---:|---:|---:|---:|---:|---:|" + "---:|" * len(head_costs) + "---:|---:|---:|---|",
        "| always-on | – | – | 100 % | 100 % | 100 % | " + "100 % | " * len(head_costs) + "100 % | 100 % | 100 % | 0 |",
    ]
    for r in rows:
        nets = " | ".join(f"{100 * r[f'network_share_H{h:g}']:.1f} %" for h in head_costs)
        lines.append(
            f"| {r['idle_decimation']:.0f} | {r['idle_rate_hz']:.1f} | {r['onset_db']:g} | "
            f"{100 * r['sensor_share']:.1f} % | {100 * r['encoder_share']:.1f} % | {100 * r['head_share']:.1f} % | "
            f"{nets} | {100 * r['covered_share']:.1f} % | {100 * r['decided_share']:.1f} % | "
            f"{100 * r['event_frames_full_rate_share']:.1f} % | "
            f"{r['latency_median_ms']:.0f} / {r['latency_p90_ms']:.0f} / {r['latency_max_ms']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the Acconeer gesture-control folder")
    ap.add_argument("--sim-subjects", type=int, default=4)
    ap.add_argument("--sim-reps", type=int, default=5, help="repetitions of each gesture per simulated session")
    ap.add_argument("--sim-dir", type=Path, default=None, help="where simulated sessions are written (else tmp)")
    ap.add_argument("--head-cost", type=float, nargs="+", default=[1.0, 8.0], help="cost H of one head run")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--markdown", type=Path, default=None)
    args = ap.parse_args(argv)
    onset_cfg = dsp.OnsetConfig()
    head_costs = tuple(args.head_cost)
    base = ThrottleConfig()
    cfgs = [dataclasses.replace(base, idle_decimation=d, onset_db=v) for d in DECIMATIONS for v in ONSET_DB]
    with tempfile.TemporaryDirectory() as tmp:
        sim_dir = args.sim_dir or Path(tmp)
        sim_dir.mkdir(parents=True, exist_ok=True)
        sets = {
            "real training days (idx_1/2/5)": real_streams(args.data, onset_cfg),
            f"simulated ({args.sim_subjects} subjects)": sim_streams(
                sim_dir, args.sim_subjects, args.sim_reps, onset_cfg
            ),
        }
    report: dict[str, object] = {"throttle_defaults": dataclasses.asdict(base), "sets": {}}
    text = []
    for name, streams in sets.items():
        rate = float(np.mean([s.geometry.frame_rate_hz for s in streams]))
        minutes = sum(s.power.size / s.geometry.frame_rate_hz for s in streams) / 60.0
        pts = sweep_throttle(streams, cfgs=cfgs, onset_cfg=onset_cfg)
        rows = [row(p, rate, head_costs) for p in pts]
        report["sets"][name] = {"streams": [s.name for s in streams], "minutes": minutes, "rows": rows}  # type: ignore[index]
        events = int(sum(len(s.events) for s in streams))
        text.append(f"### {name}: {len(streams)} streams, {minutes:.1f} min, {events} events, {rate:.2f} Hz\n")
        text.append(markdown(rows, head_costs) + "\n")
    out = "\n".join(text)
    print(out)
    if args.markdown:
        args.markdown.write_text(out, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
