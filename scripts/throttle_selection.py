"""Throttle settings on TRAINING-side labelled streams: recall, current, awake share and why events are lost
(docs/results_power.md). Never run it on the held-out files (idx_3, static_hand_idx_1, sim subjects 7000-7099).

Usage:
    python scripts/throttle_selection.py RUN_DIR BUNDLE FILE.h5 ... [--set NAME:field=v,field=v ...]
        [--always-on | --no-always-on] [--phases N]

Each ``--set`` is a throttle setting: the bundle's throttle with the named :class:`deploy.ThrottleConfig`
fields replaced (e.g. ``s5:idle_sweeps=5,idle_window=rect,idle_point_step=2,onset_db=5``, or the back-off after
everyday motion ``b4:backoff_s=4,backoff_db=1.5``; ``backoff_s=0`` turns it off). Every stream is
run through ``detect`` (:class:`deploy.runtime.StreamingDetector`) always-on (unless ``--no-always-on``) and
at each setting; printed per setting (one JSON line): true events, recall and event accuracy
(:func:`deploy.sweep.match_events`), false activations, the A121 current from exptool's power model
(:func:`deploy.power.run_energy`), the share of time awake (ONSET/ACTIVE), wakes near a true event and
elsewhere, the mean wake latency (frames from an event's start to its first full-rate frame) and, with
always-on, the events always-on finds and the setting loses, by reason: ``no_wake`` (never sensed at full
rate), ``rejected`` (a candidate below ``min_score`` or ``none``), ``no_candidate`` (no candidate at all).

Where the milliamps go (per setting): the A121 current split into the awake phases (ONSET/ACTIVE frames at the
full configuration's current), the IDLE/COOLDOWN frames (the IDLE configuration's) and the configuration
switches, the MCU estimate next to it, and every awake period by what it overlaps (a true gesture, else the
``/radargest/negatives`` cause, else ``unlabelled``; within 10 frames before and 30 after) and by how it ended
(``decision``: a classifier decision, then COOLDOWN; ``hold``: ``hold_s`` without motion; ``max_active``:
forced COOLDOWN after ``max_active_s``): wakes per hour, mean seconds awake and the mA they cost.

``--phases N`` runs every stream N times, from its frame 0, 1, ..., N-1 (labels shifted with it): the IDLE frames
then fall on each phase of the idle decimation, as a device's do wherever a gesture starts. The figures pool the
runs, and ``recall_by_phase`` gives each phase's recall [%] so that a setting's difference can be read against
the spread that the phase alone makes (docs/results_power.md, eleventh pass).

On simulated recordings the right decisions are also split by the subject's distance to the sensor
(``right_by_distance``: band → [right, gestures], always-on included; bands cut at ``--distance-edges-m``, default
0.10 and 0.15 m, named by :func:`radargest.datasets.distance_band`, and ``recorded`` for a session without a
simulated subject): the throttle's gap is mostly the far hands' (docs/results_power.md, twentieth pass).

``--decision field=v,...`` and ``--segment field=v,...`` replace fields of the bundle's decision layer
(:class:`dsp.DecisionConfig`) and segmenter (:class:`dsp.SegmentConfig`) in every run, always-on included (e.g.
the idle-rate stream's gate and area test set to the full-rate stream's: ``--decision
idle_min_peak_db=5.9,idle_gate_max_range_m=0.14,idle_weak_on_db=3.5 --segment idle_min_area_db_s=0.2``;
docs/results_power.md, fourteenth pass).
"""

from __future__ import annotations

import argparse
import collections
import copy
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from acquisition import load_session
from deploy.power import run_energy
from deploy.runtime import Bundle, StreamingDetector, load_bundle, session_stream
from deploy.sweep import match_events
from deploy.throttle import Phase, ThrottleConfig
from models.config import read_config
from models.data import load_recordings
from radargest.datasets import distance_band, distance_edges


def replace_fields(base: Any, fields: str) -> Any:
    """The dataclass ``base`` with ``field=v,field=v`` replaced (each value parsed as the field's type)."""
    name = type(base).__name__
    over: dict[str, Any] = {}
    for item in filter(None, fields.split(",")):
        key, _, value = item.partition("=")
        if key not in {f.name for f in dataclasses.fields(base)}:
            raise SystemExit(f"{name} has no field {key!r}")
        kind = type(getattr(base, key))
        try:
            if kind is bool:
                over[key] = {"true": True, "1": True, "false": False, "0": False}[value.lower()]
            elif kind in (int, float, str):
                over[key] = kind(value)
            else:
                raise SystemExit(f"{name}.{key} ({kind.__name__}) cannot be set here")
        except (KeyError, ValueError):
            raise SystemExit(f"{name}.{key}: {value!r} is not a {kind.__name__}") from None
    try:
        return dataclasses.replace(base, **over)
    except ValueError as exc:  # the config's own check (dsp.ParameterError is a ValueError)
        raise SystemExit(f"{name}: {exc}") from None


def parse_setting(text: str, base: ThrottleConfig) -> tuple[str, ThrottleConfig]:
    """``NAME:field=v,field=v`` → (name, the base throttle with those fields)."""
    name, _, fields = text.partition(":")
    return name, replace_fields(base, fields)


def with_policy(bundle: Bundle, *, decision: str, segment: str) -> Bundle:
    """The bundle with ``field=v,...`` replaced in its decision layer and its segmenter (every run uses them)."""
    manifest = copy.deepcopy(bundle.manifest)
    manifest["decision"] = replace_fields(bundle.decision, decision).to_json()
    manifest["features"]["segment"] = dataclasses.asdict(replace_fields(bundle.segment, segment))
    return dataclasses.replace(bundle, manifest=manifest)


class _Detector(StreamingDetector):
    """``detect``'s detector that also keeps the rejected candidates ``(start, end, label, score, accepted)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates_seen: list[tuple[int, int, int, float, bool]] = []

    def _decided(self, d: Any, now: int) -> None:
        s, e = self._to_frames(d.start_frame, d.end_frame, now)
        self.candidates_seen.append((s, e, d.label, float(d.score), bool(d.accepted)))
        super()._decided(d, now)


def _run(frames: Any, geometry: Any, bundle: Any, throttle: ThrottleConfig | None, always_on: bool) -> _Detector:
    det = _Detector(bundle, geometry=geometry, always_on=always_on, throttle=throttle)
    for t in range(len(frames)):
        if det.wants(t):
            det.process(frames[t], t)
    det.flush()
    return det


def _phases(det: _Detector, n: int) -> np.ndarray:
    """Phase of every full-rate frame (the phase a frame was sensed in)."""
    ph = np.zeros(n, np.int8)
    cur, last = 0, 0
    for t, p in det.transitions:
        ph[last : t + 1] = cur
        cur, last = p, t + 1
    ph[last:] = cur
    return ph


def _wake_kind(s: int, e: int, truth: list[tuple[int, int, str]], negatives: Any) -> str:
    """What an awake period ``[s, e)`` overlaps (10 frames before, 30 after): ``gesture``, a negative's cause,
    or ``unlabelled``."""
    if any(min(e, te + 30) > max(s, ts - 10) for ts, te, _ in truth):
        return "gesture"
    causes = [c for ns, ne, c in negatives if min(e, ne + 30) > max(s, ns - 10)]
    return causes[0] if causes else "unlabelled"


def _wake_end(phase_after: int, frames: int, max_active_frames: int) -> str:
    """How an awake period ended, from the phase that followed it."""
    if phase_after == Phase.COOLDOWN:
        return "max_active" if frames >= max_active_frames else "decision"
    return "hold" if phase_after == Phase.IDLE else "stream_end"


def _overlaps(s: int, e: int, events: Any) -> bool:
    return any(min(e, ev.end_frame) > max(s, ev.start_frame) for ev in events)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("bundle", type=Path)
    ap.add_argument("files", type=Path, nargs="+")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME:field=v,...")
    ap.add_argument("--no-always-on", action="store_true", help="skip the always-on run (no loss reasons)")
    ap.add_argument(
        "--decision",
        default="",
        metavar="field=v,...",
        help="replace these dsp.DecisionConfig fields of the bundle's decision layer in every run",
    )
    ap.add_argument(
        "--segment",
        default="",
        metavar="field=v,...",
        help="replace these dsp.SegmentConfig fields of the bundle's segmenter in every run",
    )
    ap.add_argument(
        "--phases", type=int, default=1, metavar="N", help="run each stream from frames 0..N-1 and pool (default 1)"
    )
    ap.add_argument(
        "--distance-edges-m",
        default="0.10,0.15",
        metavar="M,M,...",
        help="ascending band edges [m] of the right decisions split by simulated subject distance (default 0.10,0.15)",
    )
    args = ap.parse_args()
    if args.phases < 1:
        ap.error(f"--phases must be >= 1, got {args.phases}")
    try:
        bands_m = distance_edges(args.distance_edges_m)
    except ValueError as exc:
        ap.error(f"--distance-edges-m: {exc}")
    bundle = with_policy(load_bundle(args.bundle), decision=args.decision, segment=args.segment)
    recs = load_recordings(list(args.files), cfg=read_config(args.run_dir / "config.toml").dataset)
    settings = [("bundle", bundle.throttle)] + [parse_setting(s, bundle.throttle) for s in args.settings]
    known = set(bundle.classes[1:])
    tot: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for rec in recs:
        session = load_session(rec.path)
        stream, geometry = session_stream(session, bundle)
        distance_m = session.meta.subject_distance_m if session.meta is not None else None
        band = "recorded" if distance_m is None else distance_band(distance_m, bands_m)
        for offset in range(args.phases):
            frames = stream[offset:]
            n = len(frames)
            n_us = round(1e6 * n / geometry.frame_rate_hz)  # the stream's own rate (recordings need not be 57 Hz)
            truth = [
                (la.start_frame - offset, la.end_frame - offset, la.gesture)
                for la in rec.labels
                if la.gesture in known and la.start_frame >= offset
            ]
            negatives = [(ns - offset, ne - offset, cause) for ns, ne, cause in rec.negatives if ns >= offset]
            found0: list[bool] | None = None
            if not args.no_always_on:
                r0 = _run(frames, geometry, bundle, None, True).result(n)
                m0 = match_events(r0.events, truth)
                c = tot["always_on"]
                c.update(truth=m0.truth, found=m0.found, correct=m0.correct, false=m0.false, stream_us=n_us)
                c[f"dist:{band}:truth"] += m0.truth
                c[f"dist:{band}:right"] += m0.correct
                found0 = [_overlaps(s, e, r0.events) for s, e, _ in truth]
            for name, thr in settings:
                det = _run(frames, geometry, bundle, thr, False)
                r = det.result(n)
                m = match_events(r.events, truth)
                energy, pw = run_energy(
                    r.utilisation,
                    manifest=bundle.manifest,
                    geometry=geometry,
                    onset_cfg=bundle.onset,
                    throttle=det.throttle,
                    always_on=False,
                )
                c = tot[name]
                c.update(truth=m.truth, found=m.found, correct=m.correct, false=m.false, frames=n)
                c[f"dist:{band}:truth"] += m.truth
                c[f"dist:{band}:right"] += m.correct
                c[f"phase_truth:{offset}"] += m.truth
                c[f"phase_found:{offset}"] += m.found
                c["sensor_mas"] += round(1e6 * energy.sensor_ma * energy.seconds)  # nA·s, integer for the Counter
                c["micro_s"] += round(1e6 * energy.seconds)
                u = r.utilisation
                # charge in nC (integers for the Counter): awake frames, IDLE/COOLDOWN frames, switches, MCU
                c["q_awake"] += round(1e9 * u.full_rate_frames * pw.full_current_a / pw.full_rate_hz)
                c["q_idle"] += round(1e9 * (u.sensor_frames - u.full_rate_frames) * pw.idle_current_a / pw.idle_rate_hz)
                c["q_switch"] += round(1e9 * u.switches * pw.switch_charge_c)
                c["q_mcu"] += round(1e6 * energy.mcu_ma * energy.seconds)
                phases = _phases(det, n)
                awake = np.isin(phases, (Phase.ONSET, Phase.ACTIVE))
                c["awake_frames"] += int(awake.sum())
                near = np.zeros(n, bool)
                for s, e, _ in truth:
                    near[max(0, s - 10) : e + 30] = True
                edges = np.flatnonzero(np.diff(np.r_[0, awake.astype(np.int8), 0]))
                for s, e in zip(edges[::2], edges[1::2], strict=True):
                    c["wakes_gesture" if near[s:e].any() else "wakes_other"] += 1
                    after = int(phases[e]) if e < n else -1
                    for key in (
                        "by_cause:" + _wake_kind(s, e, truth, negatives),
                        "by_end:" + _wake_end(after, e - s, det.throttle.max_active_frames),
                    ):
                        c[key + ":n"] += 1
                        c[key + ":us"] += round(1e6 * (e - s) / geometry.frame_rate_hz)
                        c[key + ":nc"] += round(1e9 * (e - s) * pw.full_current_a / pw.full_rate_hz)
                for i, (s, e, _) in enumerate(truth):
                    full = np.flatnonzero(awake[s:e])
                    if full.size:
                        c["latency_sum"] += int(full[0])
                        c["latency_n"] += 1
                    if found0 is not None and found0[i] and not _overlaps(s, e, r.events):
                        cands = [x for x in det.candidates_seen if min(e, x[1]) > max(s, x[0])]
                        c["lost_" + ("no_wake" if not full.size else "rejected" if cands else "no_candidate")] += 1
            print(rec.name if args.phases == 1 else f"{rec.name} from frame {offset}", file=sys.stderr, flush=True)
    for name, c in tot.items():
        hours = (c["stream_us"] if name == "always_on" else c["micro_s"]) / 3.6e9
        line: dict[str, Any] = {
            "setting": name,
            "truth": c["truth"],
            "recall_pct": round(100 * c["found"] / max(c["truth"], 1), 1),
            "accuracy_pct": round(100 * c["correct"] / max(c["truth"], 1), 1),
            "false": c["false"],
            "false_per_h": round(c["false"] / hours, 2) if hours else None,
            "right_by_distance": {
                key.split(":")[1]: [c[key[: -len("truth")] + "right"], v]
                for key, v in sorted(c.items())
                if key.startswith("dist:") and key.endswith(":truth")
            },
        }
        if name != "always_on":
            line |= {
                "a121_ma": round(c["sensor_mas"] / max(c["micro_s"], 1), 3),
                "awake_pct": round(100 * c["awake_frames"] / max(c["frames"], 1), 2),
                "wakes_gesture": c["wakes_gesture"],
                "wakes_other": c["wakes_other"],
                "latency_frames": round(c["latency_sum"] / max(c["latency_n"], 1), 2),
                "ma_split": {k: round(c["q_" + k] / max(c["micro_s"], 1), 4) for k in ("awake", "idle", "switch")},
                "mcu_ma": round(c["q_mcu"] / max(c["micro_s"], 1), 4),
                **{
                    group: {
                        key.split(":")[1]: {
                            "per_h": round(v / hours, 1),
                            "mean_s": round(c[key[:-2] + ":us"] / v / 1e6, 2),
                            "ma": round(c[key[:-2] + ":nc"] / max(c["micro_s"], 1), 4),
                        }
                        for key, v in sorted(c.items())
                        if key.startswith(group + ":") and key.endswith(":n")
                    }
                    for group in ("by_cause", "by_end")
                },
                **{k: v for k, v in c.items() if k.startswith("lost_")},
                "recall_by_phase": [
                    round(100 * c[f"phase_found:{k}"] / max(c[f"phase_truth:{k}"], 1), 1) for k in range(args.phases)
                ],
            }
        print(json.dumps(line))


if __name__ == "__main__":
    main()
