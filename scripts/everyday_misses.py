"""Where the everyday recall goes: every true gesture of training-side everyday streams that the continuous
evaluation does not decide correctly, with the reason (docs/results_rejection.md, eighth session).

It runs the evaluation's own code (:func:`models.evaluate.stream_scores`, :func:`models.evaluate.
continuous_metrics`, :func:`dsp.decision.decide_stream` via the stream's ``decide``) at ``min_score`` 0
(arg-max) and at the run's operating point, and instruments :meth:`dsp.decision.DecisionPolicy._judge` to
record the physical gate's inputs (the event's peak onset ratio and strongest range point) of every
checkpoint. Nothing in the pipeline is re-implemented; the per-gesture matching below follows
``continuous_metrics`` and is checked against its ``correct`` count on every stream.

Reasons (the first that applies, in this order):

- ``no_onset_run``: the onset ratio never reaches ``on_db`` inside the gesture (no hysteresis run);
- ``event_dropped``: runs, but the merged event fails the segmenter's duration / area tests;
- ``absorbed``: the gesture's segmenter event was already decided on an earlier part (the hover's entry, a
  neighbouring negative): the later runs are absorbed, no record overlaps the gesture;
- ``no_candidate``: a kept event, but no decision record overlaps the gesture (any other case);
- ``matched_other``: a record of the right class overlaps the gesture, but the evaluation's matching (largest
  overlap) picked another record;
- ``shared``: the right-class record was already matched to another true gesture;
- ``gated``: the right class on top, above ``min_score``, removed by the gate (``min_peak_db`` / range);
- ``below_min_score``: the right class on top, below ``min_score``;
- ``decided_none``: ``none`` on top at the record's window;
- ``wrong_class:A->B``: another gesture on top (accepted or not).

Each miss row also says where the record's event and window sit relative to the gesture (``cand_start_s``,
``cand_end_s``: offsets from the label's start / end; ``window_end_s``: from the label's end), the
negative causes its event overlaps, the motion runs (count, the longest gap inside the label), the
classifier's probabilities on the window the decision layer used and on the window centred on the
gesture as training places it (``event_window_end`` of the label, averaged over ``test_shifts_s``
like the evaluation), and the gate's inputs.

Refuses held-out files by name (``idx_3``, ``static_hand_idx_1``, simulated subjects 12-15, 5000-5007,
7000-7099, 9000-9199, anything under ``everyday_test``).

Usage:
    python scripts/everyday_misses.py RUN_DIR DATA [DATA ...] --json OUT.json [--min-score X]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from radargest.cli_args import probability
from radargest.datasets import training_side_files

#: how far a right-class decision may lie from a gesture it does not overlap to be reported as near [s]
NEAR_S = 1.0


@contextlib.contextmanager
def gate_log() -> Iterator[dict[tuple[int, int, int, int], tuple[float, int, bool]]]:
    """Record, for every checkpoint the decision layer judges, ``(start, end, window_end, label) ->
    (peak_db, point, gated)``: the gate's inputs and whether the gate fails the event."""
    from dsp.decision import DecisionPolicy

    log: dict[tuple[int, int, int, int], tuple[float, int, bool]] = {}
    original = DecisionPolicy._judge

    def judge(self: Any, start: int, end: int, n: int, classify: Any, peak: Any, point: int = 0, **kw: Any) -> Any:
        d = original(self, start, end, n, classify, peak, point, **kw)
        log[(d.start_frame, d.end_frame, d.window_end, d.label)] = (float(peak), int(point), self.gated(peak, point))
        return d

    DecisionPolicy._judge = judge  # type: ignore[method-assign]
    try:
        yield log
    finally:
        DecisionPolicy._judge = original  # type: ignore[method-assign]


def raw_runs(ratio_db: npt.ArrayLike, segment_cfg: Any, rate: float) -> npt.NDArray[np.int64]:
    """The segmenter's hysteresis runs before merging, dropping and rolls (:func:`dsp.segment`, those off)."""
    from dsp.segment import segment

    cfg = dataclasses.replace(
        segment_cfg, merge_gap_s=0.0, min_duration_s=0.0, min_area_db_s=0.0, pre_roll_s=0.0, post_roll_s=0.0
    )
    return segment(ratio_db, cfg=cfg, frame_rate_hz=rate)


def overlapping(spans: npt.NDArray[np.int64], s: int, e: int) -> npt.NDArray[np.int64]:
    """Indices of the ``(n, 2)`` ``[start, end)`` spans overlapping ``[s, e)``."""
    if not len(spans):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((spans[:, 0] < e) & (spans[:, 1] > s))


def match_truth(
    truth: Sequence[tuple[int, int, int]], cand: npt.NDArray[np.int64], decision: npt.NDArray[np.int64]
) -> list[tuple[int, bool, bool]]:
    """Per true event ``(s, e, c)``: ``(j, correct, shared)`` as :func:`models.evaluate.continuous_metrics`
    matches it: ``j`` the record with the largest overlap (-1: none), ``correct`` if its decision is ``c``
    and it was not matched before, ``shared`` if it was."""
    used = np.zeros(len(cand), dtype=bool)
    out: list[tuple[int, bool, bool]] = []
    for s, e, c in truth:
        overlap = np.clip(np.minimum(cand[:, 1], e) - np.maximum(cand[:, 0], s), 0, None) if len(cand) else None
        if overlap is None or not np.any(overlap > 0):
            out.append((-1, False, False))
            continue
        j = int(np.argmax(overlap))
        ok = bool(decision[j] == c)
        out.append((j, ok and not used[j], ok and bool(used[j])))
        if ok:
            used[j] = True
    return out


def window_probs(
    predict: Any, recs: Sequence[Any], index: int, ends: Sequence[int], *, cfg: Any, window_frames: int
) -> npt.NDArray[np.float32]:
    """Probabilities on windows ending at ``ends``, averaged over ``cfg.window.test_shifts_s`` and read as
    :func:`models.evaluate.stream_scores` reads the decision layer's windows."""
    from models.data import WindowSet, materialise

    rec = recs[index]
    e0 = np.asarray(ends, dtype=np.int64)
    total = np.zeros((e0.size, len(cfg.classes)), dtype=np.float64)
    if not e0.size:
        return total.astype(np.float32)
    for sh in cfg.window.test_shifts_s:
        e = np.minimum(e0 + round(sh * rec.frame_rate_hz), rec.num_frames)
        z = np.zeros(e.size, dtype=np.int64)
        w = WindowSet(recording=np.full(e.size, index, dtype=np.int64), end=e, label=z, kind=z + 1)
        x, _ = materialise(recs, w, cfg=cfg, window_frames=window_frames, pad_start=True)
        total += predict(x)
    return np.asarray(total / len(cfg.window.test_shifts_s), dtype=np.float32)


def _causes(rec: Any, s: int, e: int) -> list[str]:
    return sorted({str(c) for a, b, c in rec.negatives if a < e and b > s})


def diagnose_stream(
    sc: Any, decisions: Sequence[Any], gates: dict[tuple[int, int, int, int], tuple[float, int, bool]], *, ctx: Any
) -> tuple[list[dict[str, Any]], int, int]:
    """Every true gesture of one stream not decided correctly, as rows; plus ``(truth, correct)``."""
    from dsp.segment import event_window_end

    rec, classes, rate = sc.rec, ctx.classes, sc.rec.frame_rate_hz
    index = {c: i for i, c in enumerate(classes)}
    cand = np.array([(d.start_frame, d.end_frame) for d in decisions], dtype=np.int64).reshape(-1, 2)
    decision = np.array([d.label if d.accepted else 0 for d in decisions], dtype=np.int64)
    labels = [la for la in rec.labels if la.gesture in index]
    truth = [(la.start_frame, la.end_frame, index[la.gesture]) for la in labels]
    matched = match_truth(truth, cand, decision)
    runs = raw_runs(rec.ratio_db, ctx.segment, rate)
    lookup = {int(w): sc.probs[k] for k, w in enumerate(sc.ends.tolist())}
    rows: list[dict[str, Any]] = []
    for la, (s, e, c), (j, ok, shared) in zip(labels, truth, matched, strict=True):
        if ok:
            continue
        r_in = runs[overlapping(runs, s, e)]
        gaps = (r_in[1:, 0] - r_in[:-1, 1]) / rate if len(r_in) > 1 else np.zeros(0)
        ev = overlapping(rec.detected, s, e)
        row: dict[str, Any] = {
            "file": rec.path.name,
            "gesture": la.gesture,
            "start_frame": s,
            "end_frame": e,
            "duration_s": (e - s) / rate,
            "runs_in_label": len(r_in),
            "max_gap_in_label_s": float(gaps.max()) if gaps.size else None,
            "peak_ratio_in_label_db": float(np.nanmax(rec.ratio_db[s:e])) if e > s else None,
            "event": rec.detected[ev[0]].tolist() if ev.size else None,
            "event_runs": len(overlapping(runs, *rec.detected[ev[0]].tolist())) if ev.size else 0,
        }
        right = [k for k in overlapping(cand, s, e).tolist() if decision[k] == c]
        near = [  # a right-class decision beside the gesture, not overlapping it: its decision time
            (d.frame + 1 - e) / rate
            for k, d in enumerate(decisions)
            if decision[k] == c and k not in right and max(d.start_frame - e, s - d.end_frame) <= NEAR_S * rate
        ]
        row["near_right_decision_s"] = near[0] if near else None
        if j < 0:
            if not len(r_in):
                reason = "no_onset_run"
            elif not ev.size:
                reason = "event_dropped"
            else:
                es, ee = rec.detected[ev[0]].tolist()
                before = [
                    k
                    for k, d in enumerate(decisions)
                    if d.accepted and es <= d.start_frame and d.end_frame <= s and d.frame < ee
                ]
                if before:
                    d = decisions[before[-1]]
                    reason = "absorbed"
                    row["absorbed_by"] = {
                        "class": classes[d.label],
                        "score": d.score,
                        "span": [d.start_frame, d.end_frame],
                        "cause": _causes(rec, d.start_frame, d.end_frame),
                        "decided_s_before_label": (s - d.frame - 1) / rate,
                    }
                else:
                    reason = "no_candidate"
        else:
            d = decisions[j]
            peak, point, gated = gates.get((d.start_frame, d.end_frame, d.window_end, d.label), (np.nan, -1, False))
            if right and j not in right:
                reason = "matched_other"
            elif shared:
                reason = "shared"
            elif d.label == c:
                reason = "gated" if gated and d.score >= ctx.min_score else "below_min_score"
            elif d.label == 0:
                reason = "decided_none"
            else:
                reason = f"wrong_class:{la.gesture}->{classes[d.label]}"
            used = lookup.get(int(d.window_end))
            row.update(
                {
                    "record_class": classes[d.label],
                    "record_score": d.score,
                    "record_accepted": d.accepted,
                    "cand_start_s": (d.start_frame - s) / rate,
                    "cand_end_s": (d.end_frame - e) / rate,
                    "cand_len_s": (d.end_frame - d.start_frame) / rate,
                    "cand_causes": _causes(rec, d.start_frame, d.end_frame),
                    "window_end_s": (d.window_end - e) / rate,
                    # the strongest motion the record's event left out (a tap's sub-threshold return stroke)
                    "after_event_peak_db": float(np.nanmax(rec.ratio_db[d.end_frame : e])) if d.end_frame < e else None,
                    "decided_s": (d.frame + 1 - e) / rate,
                    "used_window_p_true": None if used is None else float(used[c]),
                    "used_window_p_none": None if used is None else float(used[0]),
                    "gate_peak_db": peak,
                    "gate_point_m": float(rec.point_ranges_m[point]) if 0 <= point < rec.point_ranges_m.size else None,
                    "gated": gated,
                }
            )
        pad = round(ctx.end_pad_s * rate)
        row["label_window_end"] = event_window_end(s, e, window_frames=ctx.window_frames, end_pad=pad, pre=0)
        row["reason"] = reason
        rows.append(row)
    return rows, len(truth), sum(ok for _, ok, _ in matched)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from models.config import load_run, run_decision
    from models.data import collect_files, load_recordings
    from models.evaluate import _pool_continuous, continuous_metrics, keras_predictor, stream_scores
    from models.rejection import false_activations_by_cause

    model, cfg = load_run(args.run_dir)
    files = collect_files(args.data)
    predict = keras_predictor(model)
    recs = load_recordings(files, cfg=cfg.dataset, progress=_bar("load"))
    op = cfg.min_score if args.min_score is None else args.min_score
    base = run_decision(cfg)  # the run's operating point and prefixes; the min_score is set per sweep point
    if args.decision:
        base = dataclasses.replace(base, **json.loads(args.decision))
    ctx = argparse.Namespace(
        classes=cfg.dataset.classes,
        segment=cfg.dataset.segment,
        window_frames=cfg.architecture.window_frames,
        end_pad_s=cfg.dataset.window.end_pad_s,
        min_score=op,
    )
    scores = sorted({0.0, float(op)})
    rows: dict[float, list[dict[str, Any]]] = {m: [] for m in scores}
    totals: dict[float, list[int]] = {m: [0, 0] for m in scores}
    parts: dict[float, list[tuple[Any, dict[str, Any]]]] = {m: [] for m in scores}
    for i in _bar("streams")(range(len(recs))):
        sc = stream_scores(
            predict, recs, i, cfg=cfg.dataset, window_frames=ctx.window_frames, decision=dataclasses.replace(base)
        )
        stream_rows: list[dict[str, Any]] = []
        for m in scores:
            with gate_log() as gates:
                decisions = sc.decide(m)
            ctx.min_score = m
            r, t, ok = diagnose_stream(sc, decisions, gates, ctx=ctx)
            cm = continuous_metrics(sc.rec, decisions, classes=ctx.classes)
            if ok != cm["correct"] or t != cm["truth"]:
                raise RuntimeError(f"{sc.rec.name}: matching differs from continuous_metrics ({ok} vs {cm['correct']})")
            for row in r:
                row["min_score"] = m
            rows[m].extend(r)
            stream_rows.extend(r)
            totals[m][0] += t
            totals[m][1] += ok
            parts[m].append((sc.rec, cm))
        ends = sorted({row["label_window_end"] for row in stream_rows})
        probs = window_probs(predict, recs, i, ends, cfg=cfg.dataset, window_frames=ctx.window_frames)
        at = {e: probs[k] for k, e in enumerate(ends)}
        for row in stream_rows:
            p = at[row["label_window_end"]]
            c = ctx.classes.index(row["gesture"])
            row["label_window_class"] = ctx.classes[int(np.argmax(p))]
            row["label_window_p_true"] = float(p[c])
            row["label_window_p_none"] = float(p[0])
    out: dict[str, Any] = {"run": str(args.run_dir), "data": [str(p) for p in args.data], "decision": base.to_json()}
    for m in scores:
        by_cause = false_activations_by_cause(parts[m])
        fa = sum(v["false_activations"] for v in by_cause.values())
        bg_h = sum(cm["background_s"] for _, cm in parts[m]) / 3600.0
        out[f"min_score_{m:g}"] = {
            "min_score": m,
            "truth": totals[m][0],
            "correct": totals[m][1],
            "recall": totals[m][1] / totals[m][0] if totals[m][0] else None,
            "false_activations": fa,
            "false_activations_per_hour": fa / bg_h if bg_h else None,
            "false_activations_by_cause": {c: v["false_activations"] for c, v in by_cause.items()},
            # the evaluation's own pooled figure (radargest evaluate --continuous): of the events that overlap
            # a true gesture, the share decided as that gesture
            "event_accuracy": _pool_continuous([cm for _, cm in parts[m]], ctx.classes)["event_accuracy"],
            "reasons": dict(collections.Counter(r["reason"] for r in rows[m]).most_common()),
            "misses": rows[m],
        }
    return out


def _bar(desc: str) -> Any:
    from tqdm import tqdm

    def bar(items: Any) -> Any:
        return tqdm(list(items), desc=desc, unit="file", file=sys.stderr)

    return bar


#: the decision layer's stage of each reason (the table's grouping)
STAGES = {
    "no_onset_run": "segmentation",
    "event_dropped": "segmentation",
    "absorbed": "decision layer",
    "no_candidate": "decision layer",
    "gated": "decision layer",
    "below_min_score": "decision layer",
    "matched_other": "evaluation matching",
    "shared": "evaluation matching",
}


def _detail(row: dict[str, Any]) -> str:
    """The sub-reason of a miss: where the decision layer's window sat on the gesture, and whether the
    window centred on the gesture (as training places it) is classified right."""
    centred = "centred window right" if row.get("label_window_class") == row["gesture"] else "centred window wrong"
    if "window_end_s" not in row:
        return centred
    w = row["window_end_s"]
    if w < -0.1:
        where = "window ends before the gesture does"
    elif w > 0.25:
        where = "window ends after the gesture (event runs on)"
    else:
        where = "window on the gesture"
    return f"{where}; {centred}"


#: the compact table's rows, in order: what the miss says about where the fix belongs
GROUPS = (
    "no onset run (ratio < on_db in the gesture)",
    "event dropped (duration / area test)",
    "absorbed (an earlier part of its event decided)",
    "event = first part only (window ends before the gesture)",
    "event runs on past the gesture (window ends after it)",
    "classifier: window on the gesture, wrong class or none",
    "below min_score: window on the gesture, right class",
    "gate (min_peak_db / range)",
    "evaluation matching",
    "other",
)


def group(row: dict[str, Any]) -> str:
    """The compact table's row of a miss (:data:`GROUPS`)."""
    reason = row["reason"]
    simple = {"no_onset_run": 0, "event_dropped": 1, "absorbed": 2, "gated": 7, "matched_other": 8, "shared": 8}
    if reason in simple:
        return GROUPS[simple[reason]]
    w = row.get("window_end_s")
    if w is None:
        return GROUPS[-1]
    if w < -0.1:
        return GROUPS[3]
    if w > 0.25:
        return GROUPS[4]
    return GROUPS[6] if reason == "below_min_score" else GROUPS[5]


def print_tables(out: dict[str, Any]) -> None:
    for key, part in out.items():
        if not key.startswith("min_score_"):
            continue
        print(
            f"\nmin_score {part['min_score']:.3f}: recall {part['recall']:.3f} ({part['correct']}/{part['truth']}), "
            f"false activations {part['false_activations']} ({part['false_activations_per_hour']:.1f}/h) "
            f"{part['false_activations_by_cause']}"
            + (f", event accuracy {part['event_accuracy']:.3f}" if part.get("event_accuracy") is not None else "")
        )
        counts = collections.Counter(group(r) for r in part["misses"])
        for g in GROUPS:
            if counts[g]:
                print(f"  {g:60s} {counts[g]:4d}")
        print(f"{'stage':20s} {'reason':40s} {'misses':>6s}")
        for reason, n in part["reasons"].items():
            print(f"{STAGES.get(reason, 'decision layer'):20s} {reason:40s} {n:6d}")
            sub = collections.Counter(_detail(r) for r in part["misses"] if r["reason"] == reason)
            for text, k in sub.most_common():
                print(f"{'':24s}{text:57s} {k:3d}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path, nargs="?", help="a run directory (model.keras, config.toml)")
    ap.add_argument("data", type=Path, nargs="*", help="training-side everyday streams (files or folders)")
    ap.add_argument("--from-json", type=Path, help="print the tables of an earlier --json again (nothing is run)")
    ap.add_argument("--json", type=Path, help="write the per-miss rows and the tables here")
    ap.add_argument("--min-score", type=probability, help="the operating point (default: the run's calibrated one)")
    ap.add_argument(
        "--decision", help="DecisionConfig fields to override, as JSON (e.g. '{\"min_peak_db\": 0}'); default none"
    )
    args = ap.parse_args(argv)
    if args.from_json is not None:
        print_tables(json.loads(args.from_json.read_text()))
        return 0
    if args.run_dir is None or not args.data:
        ap.error("RUN_DIR and DATA are required (or --from-json)")
    from models.data import DataError

    try:
        training_side_files(args.data)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = run(args)
    print_tables(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=float))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
