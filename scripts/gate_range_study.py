"""Range and the physical gate (issues 10/12): how the event's peak onset ratio falls with the hand's range,
what the fixed gate ``DecisionConfig.min_peak_db`` costs far hands, and what range-aware gates would keep
and reject. TRAINING side only.

Usage:
    python scripts/gate_range_study.py sim RUN_DIR CACHE_DIR --first-subjects 600,700 --subjects 8
    python scripts/gate_range_study.py files RUN_DIR CACHE_DIR FILE.h5 [FILE.h5 ...]
    python scripts/gate_range_study.py decide OUT.json CACHE_DIR [CACHE_DIR ...] --gates GATE [GATE ...]
    python scripts/gate_range_study.py summarise OUT.json [OUT.json ...]
    python scripts/gate_range_study.py annotate ROWS.json CACHE_DIR [--below DB]
    python scripts/gate_range_study.py throttled BUNDLE OUT.json --first-subjects 600,700 --subjects 8 [--gate F:I ...]

``sim`` renders, in memory as ``radargest robustness --factors distance`` does, each training-side subject
(``--subjects`` seeds from each of ``--first-subjects``) performing every gesture of the run
``--reps`` times at each of ``--distances`` (everything else as the subject drew it); ``files`` loads
recordings (real training days, simulated everyday streams). Both run the run's model once on every window
the decision layer may ask for, at the run's calibrated ``min_score``, and cache per stream the onset ratio,
those probabilities, the labels and negatives, the per-frame motion power of each range point (the
frame's sweeps minus their mean, ``|.|^2`` summed over the sweeps) and the per-frame onset power of each range
point (:func:`dsp.onset_point_power`, what the shipped gate's range condition accumulates), so that ``decide``
re-runs the decision layer under any gate without the model.

``decide`` runs :class:`dsp.DecisionPolicy` on every cached stream under each gate and writes one row per
accepted decision (event, class, truth or cause, ``peak_db`` = the event's highest onset ratio,
``range_m`` = range of the point with the most motion power over the event's frames, ``centroid_m`` = the
power-weighted mean range) plus the per-stream counts of ``models.evaluate.continuous_metrics``. A GATE is

- ``fixed:T``: the gate without range condition, ``min_peak_db`` = T dB (``fixed:0`` = off);
- ``rgate:T:R``: the shipped gate with its range condition, ``min_peak_db`` = T dB, ``gate_max_range_m`` = R m
  (:class:`dsp.DecisionPolicy` itself, fed the cached onset power per range point; R = 0: no condition);
- ``range:T:K:R``: a gesture needs ``peak_db >= T - K * log10(range_m / R)`` (T dB at range R m, K dB lower
  per decade of range beyond it, never above T), the range taken over the event as known at the judgement;
- ``table:T1:T2:...``: a gesture needs ``peak_db >= Ti``, ``i`` the range point of the event (one level per
  range point of the stream, nearest first);
- ``recent:D:N:T``: ``peak_db >= min(T, median of the stream's last N accepted gesture peaks - D)``
  (T alone until the stream has N accepted gestures): the gate relaxes on a stream whose gestures are weak.

Range-aware gates run inside the policy (a subclass in this script, replacing the peak test of the
checkpoint and closing judgements), so a rejected checkpoint leaves the event open as the shipped gate does.

``summarise`` prints, per gate, correct decisions, event accuracy and false activations per distance (sim) or
per file group, the peak onset ratio of the correct decisions per distance and per range point, and the false
activations with their cause, range and peak.

``annotate`` adds the range to the accepted rows of a ``scripts/gate_study.py`` output (e.g. its ``--bundle``
form, the throttled runtime) from the cached motion power of the same files, and prints those whose peak is
below ``--below`` (the decisions a gate at that level removes) and the range points of the correct ones.

``throttled`` renders the same sessions as ``sim`` and runs an exported bundle in the throttled runtime
(``deploy.runtime.StreamingDetector``, the bundle's throttle) under each ``--gate F:I[:R:RI]`` (``min_peak_db``
F, ``idle_min_peak_db`` I, ``gate_max_range_m`` R and ``idle_gate_max_range_m`` RI, default 0 = no range
condition; default gates ``0:0`` and ``5.9:6.6``), and writes per distance the labelled
gestures, the correct and false decisions, and the peak of the idle-rate onset ratio the policy was fed over
each correct decision's event (from its start to its decision), with its range point.

Held-out data is refused (:func:`radargest.datasets.held_out_paths`, :func:`~radargest.datasets.held_out_subjects`:
``idx_3``, ``static_hand``, every held-out simulated subject and ``everyday_test``).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import dsp
from dsp.decision import Classifier, Decision, DecisionConfig, DecisionPolicy
from radargest.datasets import held_out_paths, held_out_subjects

DISTANCES_M = (0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2)


def point_power(frames: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """``(F, points)`` motion power of each range point: ``frames`` ``(F, sweeps, points)`` minus each frame's
    mean over its sweeps, ``|.|^2`` summed over the sweeps (NaN frames give 0)."""
    x = np.asarray(frames)
    dyn = x - x.mean(axis=1, keepdims=True)
    p = (np.abs(dyn) ** 2).sum(axis=1)
    return np.nan_to_num(p, nan=0.0).astype(np.float32)


def event_range(power: npt.NDArray[Any], ranges_m: npt.NDArray[Any], start: int, end: int) -> tuple[float, float]:
    """``(range_m, centroid_m)`` of the event ``[start, end)``: the point with the most motion power, and the
    power-weighted mean range."""
    p = power[max(start, 0) : max(end, start + 1)].sum(axis=0)
    if not np.any(p > 0):
        return math.nan, math.nan
    return float(ranges_m[int(np.argmax(p))]), float((p * ranges_m).sum() / p.sum())


# -- caching the model's outputs -------------------------------------------------------------------------
def cache_stream(
    out_dir: Path, name: str, rec: Any, ranges_m: npt.NDArray[Any], *, predict: Any, run_cfg: Any, meta: dict[str, Any]
) -> None:
    """Run the model on the stream's decision windows (gate off) and write ``out_dir/name.npz``."""
    from models.evaluate import stream_scores

    dc = DecisionConfig(min_score=run_cfg.min_score, min_peak_db=0.0, prefixes=run_cfg.prefixes)
    wf = run_cfg.architecture.window_frames
    sc = stream_scores(predict, [rec], 0, cfg=run_cfg.dataset, window_frames=wf, decision=dc)
    if rec.point_power.shape != (rec.ratio_db.size, np.asarray(ranges_m).size):
        sys.exit(f"error: {name}: no onset power per range point for its {np.asarray(ranges_m).size} points")
    info = {
        **meta,
        "name": name,
        "frame_rate_hz": rec.frame_rate_hz,
        "min_score": run_cfg.min_score,
        "prefixes": [list(p) for p in run_cfg.prefixes],
        "window_frames": wf,
        "classes": list(run_cfg.dataset.classes),
        "segment": dataclasses.asdict(run_cfg.dataset.segment),
        "end_pad_frames": round(run_cfg.dataset.window.end_pad_s * rec.frame_rate_hz),
        "pre_frames": round(run_cfg.dataset.window.pre_s * rec.frame_rate_hz),
        "labels": [[la.start_frame, la.end_frame, la.gesture] for la in rec.labels],
        "negatives": [list(n) for n in rec.negatives],
    }
    np.savez_compressed(
        out_dir / f"{name}.npz",
        ratio_db=rec.ratio_db,
        ends=sc.ends,
        probs=sc.probs,
        power=point_power(rec.frames),
        onset_power=rec.point_power,
        ranges_m=np.asarray(ranges_m, dtype=np.float64),
        info=np.array(json.dumps(info)),
    )


def _ranges(start_point: int, num_points: int, step_length: int, base_step_m: float) -> npt.NDArray[np.float64]:
    return np.asarray((start_point + step_length * np.arange(num_points)) * base_step_m, dtype=np.float64)


def run_sim(run_dir: Path, out_dir: Path, args: argparse.Namespace) -> None:
    from acquisition.presets import get_preset
    from acquisition.sim import Subject
    from acquisition.sim.client import BASE_STEP_LENGTH_M
    from acquisition.sim.variation import Variation
    from models.config import load_run
    from models.evaluate import keras_predictor
    from models.robustness import sim_recording

    subjects = [s + k for s in args.first_subjects for k in range(args.subjects)]
    bad = held_out_subjects(subjects)
    if bad:
        sys.exit(f"error: held-out subject(s) refused: {bad}")
    model, cfg = load_run(run_dir)
    predict = keras_predictor(model)
    sub = get_preset(cfg.dataset.preset).sensor_config.subsweeps[0]
    ranges = _ranges(int(sub.start_point), int(sub.num_points), int(sub.step_length), BASE_STEP_LENGTH_M)
    out_dir.mkdir(parents=True, exist_ok=True)
    for s in subjects:
        for d in args.distances:
            name = f"s{s}_d{d:.3f}"
            if (out_dir / f"{name}.npz").exists():
                continue
            rec = sim_recording(
                gestures=cfg.dataset.gestures,
                subject=Subject.from_seed(s),
                reps_per_gesture=args.reps,
                seed=s,
                dataset=cfg.dataset,
                variation=Variation(distance_m=d),
                name=f"{name}.h5",
            )
            cache_stream(out_dir, name, rec, ranges, predict=predict, run_cfg=cfg, meta={"subject": s, "distance_m": d})
            print(name, flush=True)


def run_files(run_dir: Path, out_dir: Path, files: list[Path]) -> None:
    from acquisition import load_session
    from models.config import load_run
    from models.data import load_recording
    from models.evaluate import keras_predictor

    bad = held_out_paths(files)
    if bad:
        sys.exit(f"error: held-out file(s) refused: {', '.join(bad)}")
    model, cfg = load_run(run_dir)
    predict = keras_predictor(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        if (out_dir / f"{f.stem}.npz").exists():
            continue
        rec = load_recording(f, cfg=cfg.dataset)
        sub = load_session(f).sensor_config.subsweeps[0]
        ranges = _ranges(int(sub.start_point), int(sub.num_points), int(sub.step_length), 0.0025)
        if ranges.size != rec.frames.shape[2]:
            sys.exit(f"error: {f.name}: {rec.frames.shape[2]} points but the session has {ranges.size}")
        cache_stream(out_dir, f.stem, rec, ranges, predict=predict, run_cfg=cfg, meta={"subject": rec.subject})
        print(f.stem, flush=True)


# -- deciding under gates ----------------------------------------------------------------------------------
#: ``threshold(start, end, history) -> dB``: the peak an event ``[start, end)`` must reach; ``history`` holds
#: the peaks of the stream's gestures accepted so far.
Threshold = Callable[[int, int, list[float]], float]


class GatedPolicy(DecisionPolicy):
    """:class:`DecisionPolicy` whose peak test is ``peak >= threshold(start, end, accepted peaks)``."""

    def __init__(self, threshold: Threshold, **kw: Any) -> None:
        self.threshold = threshold
        self.accepted_peaks: list[float] = []
        super().__init__(**kw)

    def _judge(self, start: int, end: int, n: int, classify: Classifier, peak: np.float32, point: int = 0) -> Decision:
        t = self.threshold(start, end, self.accepted_peaks)
        # the base test is peak' >= min_peak_db = 0 with peak' = peak - t (no ranges: every point gated)
        return super()._judge(start, end, n, classify, np.float32(peak - np.float32(t)), point)


def parse_gate(text: str) -> tuple[str, list[float]]:
    kind, _, rest = text.partition(":")
    vals = [float(v) for v in rest.split(":")] if rest else []
    need = {"fixed": 1, "rgate": 2, "range": 3, "recent": 3, "table": len(vals)}
    if kind not in need or len(vals) != need[kind] or not vals:
        raise argparse.ArgumentTypeError(
            f"bad gate {text!r}: fixed:T, rgate:T:R, range:T:K:R, table:T1:T2:... or recent:D:N:T"
        )
    return kind, vals


def decide_cached(
    path: Path, gate: tuple[str, list[float]]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The decisions on one cached stream under ``gate``: ``(info, rows, counts)``."""
    z = np.load(path)
    info = json.loads(str(z["info"]))
    ratio = z["ratio_db"]
    power, ranges = z["power"], z["ranges_m"]
    lookup = {int(w): p for w, p in zip(z["ends"].tolist(), z["probs"], strict=True)}
    kind, vals = gate
    classes = tuple(info["classes"])
    kw = {
        "segment": dsp.SegmentConfig(**info["segment"]),
        "classes": classes,
        "frame_rate_hz": info["frame_rate_hz"],
        "window_frames": info["window_frames"],
        "end_pad_frames": info["end_pad_frames"],
        "pre_frames": info["pre_frames"],
    }
    prefixes = tuple(tuple(p) for p in info["prefixes"])
    dc = DecisionConfig(min_score=info["min_score"], min_peak_db=0.0, prefixes=prefixes)

    def peak_of(s: int, e: int) -> float:
        r = ratio[s:e]
        return float(np.nanmax(r)) if np.isfinite(r).any() else math.nan

    def threshold(s: int, e: int, hist: list[float]) -> float:
        if kind == "fixed":
            return vals[0]
        if kind == "range":
            t0, k, r0 = vals
            r = event_range(power, ranges, s, e)[0]
            return t0 if not math.isfinite(r) else t0 - max(0.0, k * math.log10(r / r0))
        if kind == "table":
            p = power[max(s, 0) : max(e, s + 1)].sum(axis=0)
            return vals[min(int(np.argmax(p)), len(vals) - 1)] if np.any(p > 0) else min(vals)
        d, n, t0 = vals
        n = int(n)
        return t0 if len(hist) < n else min(t0, float(np.median(hist[-n:])) - d)

    onset_power = z["onset_power"] if "onset_power" in z.files else None
    if kind in ("fixed", "rgate"):  # the shipped policy itself, with the range condition fed
        if kind == "rgate" and onset_power is None:
            sys.exit(f"error: {path}: cached before the onset power per range point; re-run sim/files")
        shipped = dataclasses.replace(dc, min_peak_db=vals[0], gate_max_range_m=vals[1] if kind == "rgate" else 0.0)
        policy: DecisionPolicy = DecisionPolicy(cfg=shipped, point_ranges_m=ranges, **kw)
    else:
        policy = GatedPolicy(threshold, cfg=dc, **kw)
    records: list[Decision] = []
    classify = lambda s, e, w: lookup[int(w)]  # noqa: E731
    for i, r in enumerate(np.asarray(ratio, dtype=np.float64).tolist()):
        out = policy.process(r, classify, None if onset_power is None else onset_power[i])
        if isinstance(policy, GatedPolicy):
            policy.accepted_peaks.extend(peak_of(d.start_frame, d.end_frame) for d in out if d.accepted)
        records.extend(out)
    records.extend(policy.flush(classify))
    labels = [(int(a), int(b), g) for a, b, g in info["labels"]]
    negatives = [(int(a), int(b), c) for a, b, c in info["negatives"]]
    rows = []
    for d in records:
        if not d.accepted:
            continue
        s, e = d.start_frame, d.end_frame
        truth = [g for a, b, g in labels if a < e and b > s]
        over = [(min(b, e) - max(a, s), c) for a, b, c in negatives if min(b, e) > max(a, s)]
        rng, cen = event_range(power, ranges, s, e)
        rows.append(
            {
                "stream": info["name"],
                "subject": info.get("subject"),
                "distance_m": info.get("distance_m"),
                "start": s,
                "end": e,
                "label": classes[d.label],
                "score": d.score,
                "truth": truth[0] if truth else None,
                "cause": None if truth else (max(over)[1] if over else "unlabelled"),
                "peak_db": peak_of(s, e),
                "range_m": rng,
                "centroid_m": cen,
            }
        )
    counts = _metrics(info, records, labels, ratio.size, classes)
    return info, rows, counts


def _metrics(
    info: dict[str, Any], records: list[Decision], labels: list[tuple[int, int, str]], n: int, classes: tuple[str, ...]
) -> dict[str, Any]:
    from acquisition import Label
    from models.data import Recording
    from models.evaluate import continuous_metrics

    rec = Recording(
        path=Path(info["name"]),
        subject="",
        day="",
        frames=np.zeros((n, 1, 1), dtype=np.complex64),
        features=np.zeros((0,), dtype=np.float32),
        labels=tuple(Label(start_frame=a, end_frame=b, gesture=g, source="sim") for a, b, g in labels),
        detected=np.zeros((0, 2), dtype=np.int64),
        detected_emit=np.zeros(0, dtype=np.int64),
        frame_rate_hz=info["frame_rate_hz"],
        noise_scale=0.0,
    )
    m = continuous_metrics(rec, records, classes=classes)
    return {k: m[k] for k in ("truth", "correct", "candidates_on_truth", "candidates_correct", "false_activations")}


def run_decide(out: Path, caches: list[Path], gates: list[str]) -> None:
    files = sorted(p for c in caches for p in c.glob("*.npz"))
    result: dict[str, Any] = {"gates": {}}
    for g in gates:
        rows: list[dict[str, Any]] = []
        streams = []
        for p in files:
            info, r, counts = decide_cached(p, parse_gate(g))
            rows.extend(r)
            streams.append({"stream": info["name"], "distance_m": info.get("distance_m"), **counts})
        result["gates"][g] = {"rows": rows, "streams": streams}
        print(g, sum(s["correct"] for s in streams), "correct", sum(s["false_activations"] for s in streams), "FA")
    out.write_text(json.dumps(result))


# -- summary -----------------------------------------------------------------------------------------------
def _group(stream: str, distance: float | None) -> str:
    if distance is not None:
        return f"{distance:.3f} m"
    return stream.split("_idx")[0].replace("label_", "") if "_idx" in stream else "everyday"


def summarise(paths: list[Path]) -> None:
    for path in paths:
        data = json.loads(path.read_text())
        print(f"== {path}")
        for g, res in data["gates"].items():
            tot: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
            for s in res["streams"]:
                tot[_group(s["stream"], s["distance_m"])].update({k: v for k, v in s.items() if isinstance(v, int)})
            line = ", ".join(
                f"{k}: {c['correct']}/{c['truth']} acc {c['candidates_correct'] / max(c['candidates_on_truth'], 1):.3f}"
                f" FA {c['false_activations']}"
                for k, c in sorted(tot.items())
            )
            print(f"  gate {g}: {line}")
        first = next(iter(data["gates"].values()))
        good = [r for r in first["rows"] if r["truth"] == r["label"]]
        for g, res in list(data["gates"].items())[1:]:
            kept = {(r["stream"], r["start"]) for r in res["rows"] if r["truth"] == r["label"]}
            gone = [r for r in good if (r["stream"], r["start"]) not in kept]
            fa = {(r["stream"], r["start"]) for r in res["rows"] if r["truth"] is None}
            removed = [r for r in first["rows"] if r["truth"] is None and (r["stream"], r["start"]) not in fa]
            print(f"  gate {g}: correct decisions of the first gate not made the same: {len(gone)}")
            for r in gone:
                print(f"    {r['stream']:18s} {r['label']:14s} peak {r['peak_db']:5.2f} range {r['range_m']:.3f}")
            print(f"  gate {g}: false activations of the first gate removed: {len(removed)}")
            for r in removed:
                print(
                    f"    {r['stream']:28s} {r['start']}-{r['end']} {r['cause']} "
                    f"peak {r['peak_db']:5.2f} range {r['range_m']:.3f}"
                )
        print("  correct decisions (first gate): peak_db min/p5/p50 by group, range_m median")
        by: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for r in good:
            by[_group(r["stream"], r["distance_m"])].append(r)
        for k, rs in sorted(by.items()):
            pk = np.array([r["peak_db"] for r in rs])
            rg = np.array([r["range_m"] for r in rs])
            print(
                f"    {k:18s} n {pk.size:4d}  peak {pk.min():5.2f} / {np.percentile(pk, 5):5.2f} / "
                f"{np.median(pk):5.2f}  <5.9: {(pk < 5.9).sum():3d}  range {np.nanmedian(rg):.3f}"
            )
        print("  correct decisions by range point: n, peak p5/p50")
        for rv in sorted({r["range_m"] for r in good if math.isfinite(r["range_m"])}):
            pk = np.array([r["peak_db"] for r in good if r["range_m"] == rv])
            print(f"    {rv:.3f} m  n {pk.size:4d}  peak {np.percentile(pk, 5):5.2f} / {np.median(pk):5.2f}")
        fas = [r for r in first["rows"] if r["truth"] is None]
        print(f"  false activations (first gate): {len(fas)}")
        for r in sorted(fas, key=lambda r: r["peak_db"]):
            print(
                f"    {r['stream']:28s} {r['start']:6d}-{r['end']:6d} {r['label']:14s} {r['cause']:16s} "
                f"peak {r['peak_db']:5.2f} range {r['range_m']:.3f} centroid {r['centroid_m']:.3f}"
            )


def annotate(rows_path: Path, cache: Path, below: float) -> None:
    data = json.loads(rows_path.read_text())
    streams: dict[str, Any] = {}
    good: collections.Counter[float] = collections.Counter()
    for r in data["rows"]:
        if not r["accepted"]:
            continue
        if r["file"] not in streams:
            z = np.load(cache / f"{r['file']}.npz")
            streams[r["file"]] = (z["power"], z["ranges_m"])
        power, ranges = streams[r["file"]]
        rng, cen = event_range(power, ranges, r["start"], r["end"])
        if r["truth"] == r["label"]:
            good[rng] += 1
        if r["peak_db"] < below:
            kind = "correct" if r["truth"] == r["label"] else (r["cause"] or "wrong")
            print(
                f"  {r['file']:24s} {r['start']}-{r['end']} {kind:12s} "
                f"peak {r['peak_db']:5.2f} range {rng:.3f} centroid {cen:.3f}"
            )
    print("  correct decisions by range point:", {f"{k:.3f}": v for k, v in sorted(good.items())})


def run_throttled(bundle_path: Path, out: Path, args: argparse.Namespace) -> None:
    """Sessions rendered as :func:`run_sim` does, through the bundle's throttled runtime (module docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gate_study import run_detector  # the gate study's --bundle runner

    from acquisition.presets import get_preset
    from acquisition.sim import SessionPlan, Subject
    from acquisition.sim.client import BASE_STEP_LENGTH_M
    from acquisition.sim.variation import Variation, render_variation
    from deploy.runtime import load_bundle
    from models.robustness import _geometry

    subjects = [s + k for s in args.first_subjects for k in range(args.subjects)]
    bad = held_out_subjects(subjects)
    if bad:
        sys.exit(f"error: held-out subject(s) refused: {bad}")
    bundle = load_bundle(bundle_path)
    gestures = tuple(c for c in bundle.classes if c != "none")
    sensor_config = get_preset(bundle.manifest["sensor"]["preset"]).sensor_config
    sub = sensor_config.subsweeps[0]
    ranges = _ranges(int(sub.start_point), int(sub.num_points), int(sub.step_length), BASE_STEP_LENGTH_M)
    gates = [(*(float(v) for v in g.split(":")), 0.0, 0.0) for g in args.gate]
    result: dict[str, Any] = {"bundle": str(bundle_path), "gates": {g: [] for g in args.gate}}
    for s in subjects:
        for d in args.distances:
            plan = SessionPlan(gestures=gestures, reps_per_gesture=args.reps, pause_s=(1.0, 2.0))
            stream = render_variation(
                plan,
                subject=Subject.from_seed(s),
                seed=s,
                sensor_config=sensor_config,
                variation=Variation(distance_m=d),
            )
            bad_f = dsp.bad_frames(stream.frames, saturated=stream.saturated)
            frames = dsp.mask_bad_frames(stream.frames, bad_f) if bad_f.any() else stream.frames
            geometry = _geometry(sensor_config, stream.frame_rate_hz)
            power = point_power(frames)
            labels = [(la.start_frame, la.end_frame, la.gesture) for la in stream.labels]
            for name, (fg, ig, rg, irg, *_) in zip(args.gate, gates, strict=True):
                dc = dataclasses.replace(
                    bundle.decision,
                    min_peak_db=fg,
                    idle_min_peak_db=ig,
                    gate_max_range_m=rg,
                    idle_gate_max_range_m=irg,
                )
                ratio, records, full = run_detector(bundle, frames, geometry, dc)
                hit: set[int] = set()
                correct, false, peaks = 0, 0, []
                for rd in records:
                    if not rd.accepted:
                        continue
                    a, b = full[min(rd.start_frame, len(full) - 1)], full[min(rd.end_frame, len(full) - 1)]
                    over = [i for i, (ls, le, _) in enumerate(labels) if ls < b and le > a]
                    if not over:
                        false += 1
                        continue
                    i = over[0]
                    if labels[i][2] == bundle.classes[rd.label] and i not in hit:
                        hit.add(i)
                        correct += 1
                        pk = float(np.nanmax(ratio[rd.start_frame : rd.frame + 1]))
                        peaks.append([labels[i][2], pk, event_range(power, ranges, a, b)[0]])
                result["gates"][name].append(
                    {
                        "subject": s,
                        "distance_m": d,
                        "truth": len(labels),
                        "correct": correct,
                        "false": false,
                        "peaks": peaks,
                    }
                )
            print(f"s{s}_d{d:.3f}", flush=True)
    out.write_text(json.dumps(result))
    for name, rows in result["gates"].items():
        by: dict[float, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        for r in rows:
            by[r["distance_m"]][0] += r["truth"]
            by[r["distance_m"]][1] += r["correct"]
            by[r["distance_m"]][2] += r["false"]
        print(f"gate {name}: " + ", ".join(f"{d:.3f} m {c}/{t} FA {f}" for d, (t, c, f) in sorted(by.items())))


def _add_render_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the subjects ``sim`` and ``throttled`` render: seeds, distances, repetitions."""
    p.add_argument("--first-subjects", type=lambda t: [int(v) for v in t.split(",")], default=[600, 700])
    p.add_argument("--subjects", type=int, default=8, help="subjects from each first subject")
    p.add_argument("--distances", type=lambda t: [float(v) for v in t.split(",")], default=list(DISTANCES_M))
    p.add_argument("--reps", type=int, default=4, help="repetitions of each gesture per session")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("sim", help="render training-side subjects at each distance and cache the model's outputs")
    ps.add_argument("run_dir", type=Path)
    ps.add_argument("cache_dir", type=Path)
    _add_render_arguments(ps)
    pf = sub.add_parser("files", help="cache the model's outputs on recordings")
    pf.add_argument("run_dir", type=Path)
    pf.add_argument("cache_dir", type=Path)
    pf.add_argument("files", type=Path, nargs="+")
    pd = sub.add_parser("decide", help="re-run the decision layer on cached streams under gates")
    pd.add_argument("out", type=Path)
    pd.add_argument("caches", type=Path, nargs="+")
    pd.add_argument("--gates", nargs="+", required=True, help="fixed:T, rgate:T:R, range:T:K:R or recent:D:N:T")
    pm = sub.add_parser("summarise", help="print the tables of decide outputs")
    pm.add_argument("outs", type=Path, nargs="+")
    pa = sub.add_parser("annotate", help="the range of the rows of a scripts/gate_study.py output")
    pa.add_argument("rows", type=Path)
    pa.add_argument("cache_dir", type=Path)
    pa.add_argument("--below", type=float, default=6.6, help="print the rows whose peak is below this [dB]")
    pt = sub.add_parser("throttled", help="render as sim does and run a bundle's throttled runtime under gates")
    pt.add_argument("bundle", type=Path)
    pt.add_argument("out", type=Path)
    _add_render_arguments(pt)
    pt.add_argument(
        "--gate",
        nargs="+",
        default=["0:0", "5.9:6.6"],
        help="min_peak_db:idle_min_peak_db[:gate_max_range_m:idle_gate_max_range_m]",
    )
    args = p.parse_args()
    if args.cmd == "throttled":
        run_throttled(args.bundle, args.out, args)
    elif args.cmd == "annotate":
        annotate(args.rows, args.cache_dir, args.below)
    elif args.cmd == "sim":
        run_sim(args.run_dir, args.cache_dir, args)
    elif args.cmd == "files":
        run_files(args.run_dir, args.cache_dir, args.files)
    elif args.cmd == "decide":
        for g in args.gates:
            try:
                parse_gate(g)
            except argparse.ArgumentTypeError as e:
                p.error(str(e))
        run_decide(args.out, args.caches, args.gates)
    else:
        summarise(args.outs)


if __name__ == "__main__":
    main()
