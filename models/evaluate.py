"""Held-out evaluation: window mode and continuous streams (DESIGN §6).

**Window mode** scores the windows of the held-out recordings (event, detector and background windows,
cut as in :mod:`models.data`, without shift or augmentation): ``accuracy``, ``balanced_accuracy`` (mean
recall over the classes present), ``per_class`` (precision, recall, support) and ``confusion`` (rows: true
class, columns: predicted, in the order of ``per_class``).

**Continuous mode** runs the detector the device runs over each whole stream: the onset ratio feeds
:class:`dsp.decision.DecisionPolicy` (the segmenter's events, decided as soon as the evidence is in; a
prefix gesture such as ``tap_in`` waits ``prefix_wait_s`` for the rest of a ``double_tap_in``), configured
by a :class:`dsp.DecisionConfig` (``min_score`` rejects a top probability below it). The model classifies
the window placed on each checkpoint (:func:`dsp.event_window_end`), averaging its probabilities over the
windows shifted by ``WindowConfig.test_shifts_s`` (by default the windows ending 0.2, 0.1 and 0 s before
the nominal end). Accepted decisions are the detected *events*; rejected ones are candidates.

Scores, against the labels of the requested gestures (``truth``):

- ``event_accuracy``: of the candidates that overlap a true event, the share whose decision is the true
  class (a ``none`` decision is wrong). On the Acconeer files, whose labels are the segmenter's events
  carrying the file's class, this is the share of the stream's events given the file's gesture.
- ``events``: the accepted decisions, right or wrong (not the right ones: those are ``correct``, the events
  given the class of the true event they overlap, each true event counted once); ``truth``: the true events.
- ``precision`` = correct / events; ``recall`` = correct / truth; ``f1``.
- ``false_activations_per_hour``: events that overlap no true event, per hour outside the labels.
- ``false_activations_per_hour_upper95``: the highest rate that count is consistent with (95 % one-sided Poisson
  bound, :func:`models.rejection.fa_per_hour_upper`): hours of streams, not the rate, decide what a low rate proves.
- ``latency_ms_p50/p90``: from the end of the true event (the label's ``end_frame``: on simulated
  sessions the simulator's motion end, for ``double_tap_in`` the end of its second tap) to the decision
  (the end of the frame at which the policy decides), over correct events; the inference time is not
  included. ``latency_ms_by_class`` gives ``{gesture: {"p50", "p90", "n"}}``.
- ``outcomes``: what became of each true event (:func:`event_outcomes`): ``right``, ``wrong_class``,
  ``rejected`` or ``no_candidate``, so a fall in recall or event accuracy points at the classifier, the
  operating point or the segmenter.

``per_file`` repeats the figures for every file, with ``events_per_minute``, ``false_activations`` and
``false_activation_events``: each false activation's event, decision time, gesture, score and cause
(:func:`models.rejection.trace_false_activations`), so that it can be found in the recording.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dsp.decision import Decision, DecisionConfig, checkpoints, decide_stream, window_shift_frames
from models.data import (
    DatasetConfig,
    Recording,
    SplitConfig,
    WindowSet,
    cut_windows,
    event_window_end,
    load_recordings,
    materialise,
    scored_indices,
)

if TYPE_CHECKING:
    import keras

    from models.rejection import StreamScores

__all__ = [
    "CONTINUOUS_KEYS",
    "JSON_KEYS",
    "REJECTION_KEYS",
    "WINDOW_KEYS",
    "Predictor",
    "candidate_probs",
    "continuous_metrics",
    "ensemble_predictor",
    "evaluate_recordings",
    "evaluate_run",
    "event_outcomes",
    "keras_predictor",
    "stream_decisions",
    "stream_scores",
    "window_metrics",
]

WINDOW_KEYS = ("accuracy", "balanced_accuracy", "per_class", "confusion")
CONTINUOUS_KEYS = (
    "events",
    "correct",
    "truth",
    "event_accuracy",
    "precision",
    "recall",
    "f1",
    "false_activations_per_hour",
    "false_activations_per_hour_upper95",
    "latency_ms_p50",
    "latency_ms_p90",
    "latency_ms_by_class",
    "outcomes",
)
#: Continuous-mode keys about rejection (see :mod:`models.rejection`); pooled over the streams only.
REJECTION_KEYS = (
    "min_score",
    "false_activations_per_hour_by_cause",
    "false_activations_by_cause",
    "recall_at_fa_per_hour",
    "operating_curve",
)
#: The keys of ``radargest evaluate --json``; other tools read them, keep them stable. ``training_side_files``: the
#: scored files that were on the run's own training or validation side (its metrics.json), so not held out.
JSON_KEYS = (*WINDOW_KEYS, *CONTINUOUS_KEYS, *REJECTION_KEYS, "per_file", "training_side_files")

#: Maps ``(N, T, doppler_bins, points)`` float32 windows to ``(N, classes)`` probabilities.
Predictor = Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]]


def keras_predictor(model: keras.Model, *, batch_size: int = 256) -> Predictor:
    """A :data:`Predictor` running a Keras model."""

    def predict(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        n = len(x)
        if n == 0:
            return np.zeros((0, int(model.output.shape[-1])), dtype=np.float32)
        # pad to whole batches: one input shape, so the predict function is traced once; batch by batch, without
        # the data pipeline model.predict builds on every call (0.43 -> 0.30 s per call on the default model)
        padded = np.concatenate([x, np.zeros((-n % batch_size, *x.shape[1:]), dtype=x.dtype)])
        out = [np.asarray(model.predict_on_batch(padded[i : i + batch_size])) for i in range(0, n, batch_size)]
        return np.asarray(np.concatenate(out)[:n], dtype=np.float32)

    return predict


def ensemble_predictor(predictors: Sequence[Predictor]) -> Predictor:
    """A :data:`Predictor` averaging the probabilities of several (e.g. one model per seed)."""

    def predict(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return np.asarray(np.mean([p(x) for p in predictors], axis=0), dtype=np.float32)

    return predict


def window_metrics(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, balanced accuracy, per-class precision/recall/support and the confusion matrix."""
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    k = len(classes)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    diag = np.diag(cm)
    recall = np.where(support > 0, diag / np.maximum(support, 1), np.nan)
    precision = np.where(predicted > 0, diag / np.maximum(predicted, 1), np.nan)
    present = support > 0
    return {
        "accuracy": float(diag.sum() / t.size) if t.size else None,
        "balanced_accuracy": float(np.mean(recall[present])) if present.any() else None,
        "per_class": {
            c: {
                "precision": None if math.isnan(precision[i]) else float(precision[i]),
                "recall": None if math.isnan(recall[i]) else float(recall[i]),
                "support": int(support[i]),
            }
            for i, c in enumerate(classes)
        },
        "confusion": cm.tolist(),
    }


def _percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values), q)) if len(values) else None


def _latency_by_class(latencies: Sequence[tuple[str, float]], classes: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in classes[1:]:
        v = [ms for g, ms in latencies if g == c]
        out[c] = {"p50": _percentile(v, 50), "p90": _percentile(v, 90), "n": len(v)}
    return out


def continuous_metrics(rec: Recording, decisions: Sequence[Decision], *, classes: Sequence[str]) -> dict[str, Any]:
    """Score the decisions of one stream (see the module docstring).

    Args:
        rec: the recording (its labels).
        decisions: the policy's records on the stream (:func:`stream_decisions`), accepted and rejected.

    Returns:
        The continuous keys plus raw counts (``truth``, ``correct``, ``candidates_on_truth``,
        ``candidates_correct``, ``candidates_rejected``, ``false_activations``, ``background_s``,
        ``duration_s``, ``latencies_ms``, ``latencies_by_class``: ``[(gesture, ms)]``) and ``false_decisions``,
        the decision of every false activation (traced to its cause by
        :func:`models.rejection.false_activations_by_cause` and :func:`models.rejection.trace_false_activations`).
    """
    from models.rejection import fa_per_hour_upper

    index = {c: i for i, c in enumerate(classes)}
    rate = rec.frame_rate_hz
    cand = np.array([(d.start_frame, d.end_frame) for d in decisions], dtype=np.int64).reshape(-1, 2)
    decision = np.array([d.label if d.accepted else 0 for d in decisions], dtype=np.int64)
    decided_at = np.array([d.frame + 1 for d in decisions], dtype=np.int64)
    accepted = decision > 0
    truth = [(la.start_frame, la.end_frame, index[la.gesture]) for la in rec.labels if la.gesture in index]
    spans = np.array([(la.start_frame, la.end_frame) for la in rec.labels], dtype=np.int64).reshape(-1, 2)
    correct = 0
    on_truth = 0
    cand_correct = 0
    cand_rejected = 0
    latencies: list[tuple[str, float]] = []
    used = np.zeros(len(cand), dtype=bool)
    for s, e, c in truth:
        overlap = np.clip(np.minimum(cand[:, 1], e) - np.maximum(cand[:, 0], s), 0, None) if len(cand) else np.zeros(0)
        if not np.any(overlap > 0):
            continue
        on_truth += 1
        j = int(np.argmax(overlap))
        cand_rejected += int(decision[j] == 0)
        if decision[j] == c:
            cand_correct += 1
            if not used[j]:
                used[j] = True
                correct += 1
                latencies.append((classes[c], float(decided_at[j] - e) / rate * 1000.0))
    on_any = np.zeros(len(cand), dtype=bool)
    for k, (s, e) in enumerate(cand.tolist()):
        on_any[k] = bool(np.any((spans[:, 0] < e) & (spans[:, 1] > s))) if len(spans) else False
    false_mask = accepted & ~on_any
    false = int(np.sum(false_mask))
    covered = np.zeros(rec.num_frames, dtype=bool)
    for s, e in spans.tolist():
        covered[s:e] = True
    background_s = float((~covered).sum()) / rate
    events = int(accepted.sum())
    precision = correct / events if events else None
    recall = correct / len(truth) if truth else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else (0.0 if precision is not None and recall is not None else None)
    )
    ms = [v for _, v in latencies]
    return {
        "events": events,
        "event_accuracy": cand_correct / on_truth if on_truth else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_activations_per_hour": false / background_s * 3600.0 if background_s > 0 else None,
        "false_activations_per_hour_upper95": fa_per_hour_upper(false, background_s / 3600.0),
        "latency_ms_p50": _percentile(ms, 50),
        "latency_ms_p90": _percentile(ms, 90),
        "latency_ms_by_class": _latency_by_class(latencies, classes),
        "outcomes": event_outcomes(
            truth=len(truth), on_truth=on_truth, correct_on_truth=cand_correct, rejected_on_truth=cand_rejected
        ),
        "truth": len(truth),
        "correct": correct,
        "candidates_on_truth": on_truth,
        "candidates_correct": cand_correct,
        "candidates_rejected": cand_rejected,
        "false_activations": false,
        "background_s": background_s,
        "duration_s": rec.num_frames / rate,
        "latencies_ms": ms,
        "latencies_by_class": latencies,
        "false_decisions": [d for d, f in zip(decisions, false_mask.tolist(), strict=True) if f],
    }


def _pool_continuous(parts: Sequence[dict[str, Any]], classes: Sequence[str]) -> dict[str, Any]:
    from models.rejection import fa_per_hour_upper

    events = sum(p["events"] for p in parts)
    correct = sum(p["correct"] for p in parts)
    truth = sum(p["truth"] for p in parts)
    on_truth = sum(p["candidates_on_truth"] for p in parts)
    background = sum(p["background_s"] for p in parts)
    latencies = [v for p in parts for v in p["latencies_ms"]]
    false = sum(p["false_activations"] for p in parts)
    precision = correct / events if events else None
    recall = correct / truth if truth else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "events": events,
        "correct": correct,
        "truth": truth,
        "event_accuracy": sum(p["candidates_correct"] for p in parts) / on_truth if on_truth else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_activations_per_hour": false / background * 3600.0 if background > 0 else None,
        "false_activations_per_hour_upper95": fa_per_hour_upper(false, background / 3600.0),
        "latency_ms_p50": _percentile(latencies, 50),
        "latency_ms_p90": _percentile(latencies, 90),
        "latency_ms_by_class": _latency_by_class([v for p in parts for v in p["latencies_by_class"]], classes),
        "outcomes": event_outcomes(
            truth=truth,
            on_truth=on_truth,
            correct_on_truth=sum(p["candidates_correct"] for p in parts),
            rejected_on_truth=sum(p["candidates_rejected"] for p in parts),
        ),
    }


def event_outcomes(*, truth: int, on_truth: int, correct_on_truth: int, rejected_on_truth: int) -> dict[str, int]:
    """What became of the true events (counts that sum to ``truth``): ``right``, the candidate on it decided as its
    gesture; ``wrong_class``, decided as another gesture; ``rejected``, decided as nothing (``none``, under
    ``min_score`` or gated); ``no_candidate``, no candidate overlaps it (the segmenter never proposed it). Event
    accuracy is ``right`` over the first three; the split says which stage to look at when it falls."""
    return {
        "right": correct_on_truth,
        "wrong_class": on_truth - correct_on_truth - rejected_on_truth,
        "rejected": rejected_on_truth,
        "no_candidate": truth - on_truth,
    }


def stream_scorer(classes: Sequence[str]) -> Callable[[Any, float], dict[str, Any]]:
    """``(StreamScores, min_score) -> continuous_metrics(...)``: the decision this module evaluates (the
    stream's decision layer re-run at ``min_score``)."""

    def score(stream: Any, min_score: float) -> dict[str, Any]:
        return continuous_metrics(stream.rec, stream.decide(min_score), classes=classes)

    return score


def rejection_metrics(
    streams: Sequence[Any],
    parts: Sequence[dict[str, Any]],
    *,
    classes: Sequence[str],
    threshold: float,
    sweep: bool = True,
) -> dict[str, Any]:
    """The :data:`REJECTION_KEYS` of a set of scored streams (see :mod:`models.rejection`).

    Args:
        streams: :class:`models.rejection.StreamScores` per stream.
        parts: :func:`continuous_metrics` of each stream at the evaluated ``threshold``.
        sweep: sweep the operating point for ``recall_at_fa_per_hour`` and ``operating_curve`` (None without:
            the sweep re-runs the decision layer at every point, the larger part of a continuous evaluation).
    """
    from models.rejection import curve_to_json, false_activations_by_cause, operating_curve, recall_at_budgets

    by_cause = false_activations_by_cause([(s.rec, p) for s, p in zip(streams, parts, strict=True)])
    curve = operating_curve(streams, stream_scorer(classes)) if sweep else None
    return {
        "min_score": float(threshold),
        "false_activations_per_hour_by_cause": {c: v["per_hour"] for c, v in by_cause.items()},
        "false_activations_by_cause": by_cause,
        "recall_at_fa_per_hour": recall_at_budgets(curve) if curve is not None else None,
        "operating_curve": curve_to_json(curve) if curve is not None else None,
    }


def candidate_windows(rec: Recording, index: int, *, cfg: DatasetConfig, window_frames: int) -> WindowSet:
    """The windows placed on the segmenter's candidates of one recording (label = 0, kind = 1)."""
    rate = rec.frame_rate_hz
    pad, pre = round(cfg.window.end_pad_s * rate), round(cfg.window.pre_s * rate)
    ends = np.array(
        [event_window_end(s, e, window_frames=window_frames, end_pad=pad, pre=pre) for s, e in rec.detected.tolist()],
        dtype=np.int64,
    )
    ends = np.clip(ends, window_frames, rec.num_frames)
    z = np.zeros(ends.size, dtype=np.int64)
    return WindowSet(recording=np.full(ends.size, index, dtype=np.int64), end=ends, label=z, kind=z + 1)


def candidate_probs(
    predict: Predictor,
    recs: Sequence[Recording],
    index: int,
    *,
    cfg: DatasetConfig,
    window_frames: int,
    shifts_s: Sequence[float] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Probabilities on one stream's candidates, averaged over the shifted windows (test-time averaging).

    Args:
        shifts_s: window offsets [s]; default ``cfg.window.test_shifts_s``.

    Returns:
        ``(E, classes)`` mean probabilities and ``(E,)`` the latest window end used per candidate (the
        decision cannot come before it).
    """
    rec = recs[index]
    cw = candidate_windows(rec, index, cfg=cfg, window_frames=window_frames)
    shifts = cfg.window.test_shifts_s if shifts_s is None else tuple(shifts_s)
    classes = len(cfg.classes)
    if len(cw) == 0:
        return np.zeros((0, classes), dtype=np.float32), cw.end
    total = np.zeros((len(cw), classes), dtype=np.float64)
    last = np.zeros(len(cw), dtype=np.int64)
    for s in shifts:
        ends = np.clip(cw.end + round(s * rec.frame_rate_hz), window_frames, rec.num_frames)
        w = WindowSet(recording=cw.recording, end=ends, label=cw.label, kind=cw.kind)
        x, _ = materialise(recs, w, cfg=cfg, window_frames=window_frames)
        total += predict(x)
        last = np.maximum(last, ends)
    return np.asarray(total / len(shifts), dtype=np.float32), last


def _point_kw(rec: Recording) -> dict[str, Any]:
    """The gate's range input of a recording for :func:`dsp.decision.decide_stream` (none if not computed)."""
    if rec.point_power.shape[0] != rec.ratio_db.size or rec.point_ranges_m.size != rec.point_power.shape[-1]:
        return {}
    return {"point_power": rec.point_power, "point_ranges_m": rec.point_ranges_m}


def stream_scores(
    predict: Predictor,
    recs: Sequence[Recording],
    index: int,
    *,
    cfg: DatasetConfig,
    window_frames: int,
    decision: DecisionConfig,
    shifts_s: Sequence[float] | None = None,
) -> StreamScores:
    """The model's probabilities on every window the decision layer may ask for on one stream, and the
    stream's decisions at any ``min_score`` (:class:`models.rejection.StreamScores`).

    The policy (:func:`dsp.decision.decide_stream`) runs on the recording's onset ratio at its frame rate.
    Every window it could ask for is known from the ratio alone (:func:`dsp.decision.checkpoints`: a first
    pass with a classifier that always answers ``none`` visits each checkpoint), so the model runs once,
    batched, on all of them, averaging the windows shifted by ``shifts_s`` (default
    ``cfg.window.test_shifts_s``).
    """
    from models.rejection import StreamScores

    rec = recs[index]
    rate = rec.frame_rate_hz
    classes = len(cfg.classes)
    kw: dict[str, Any] = {
        "segment": cfg.segment,
        "classes": cfg.classes,
        "frame_rate_hz": rate,
        "window_frames": window_frames,
        "end_pad_frames": round(cfg.window.end_pad_s * rate),
        "pre_frames": round(cfg.window.pre_s * rate),
    }
    kw_cp = {k: v for k, v in kw.items() if k != "classes"}
    wanted = np.unique(checkpoints(rec.ratio_db, cfg=decision, **kw_cp)[:, 2])
    shifts = cfg.window.test_shifts_s if shifts_s is None else tuple(shifts_s)
    total = np.zeros((wanted.size, classes), dtype=np.float64)
    if wanted.size:
        for off in window_shift_frames(shifts, rate):
            ends = np.minimum(wanted + off, rec.num_frames)
            z = np.zeros(ends.size, dtype=np.int64)
            w = WindowSet(recording=np.full(ends.size, index, dtype=np.int64), end=ends, label=z, kind=z + 1)
            # a window ending before frame T is not moved onto later frames: those are not seen yet when
            # it is decided; frames before the stream read as the runtime's ring fill (an all-zero map)
            x, _ = materialise(recs, w, cfg=cfg, window_frames=window_frames, pad_start=True)
            total += predict(x)
    probs = np.asarray(total / len(shifts), dtype=np.float32)
    lookup = {int(w): probs[k] for k, w in enumerate(wanted.tolist())}
    cache: dict[float, list[Decision]] = {}

    def decide(min_score: float) -> list[Decision]:
        key = float(min_score)
        if key not in cache:
            dc = dataclasses.replace(decision, min_score=key)
            cache[key] = decide_stream(rec.ratio_db, lambda s, e, w: lookup[int(w)], cfg=dc, **kw, **_point_kw(rec))
        return cache[key]

    return StreamScores(rec=rec, probs=probs, ends=wanted, decide=decide)


def stream_decisions(
    predict: Predictor,
    recs: Sequence[Recording],
    index: int,
    *,
    cfg: DatasetConfig,
    window_frames: int,
    decision: DecisionConfig,
    shifts_s: Sequence[float] | None = None,
) -> list[Decision]:
    """The decision layer's records (accepted and rejected, recording frames) on one stream, at
    ``decision.min_score`` (see :func:`stream_scores`)."""
    sc = stream_scores(predict, recs, index, cfg=cfg, window_frames=window_frames, decision=decision, shifts_s=shifts_s)
    return sc.decide(decision.min_score)


def evaluate_recordings(
    predict: Predictor,
    recs: Sequence[Recording],
    indices: Sequence[int],
    *,
    cfg: DatasetConfig,
    window_frames: int,
    continuous: bool = True,
    decision: DecisionConfig | None = None,
    training_side: Collection[str] = (),
    sweep: bool = True,
) -> dict[str, Any]:
    """Window-mode (and optionally continuous) scores of the recordings ``indices``.

    Args:
        decision: the decision layer of the continuous mode (default :class:`dsp.DecisionConfig`).
        training_side: file names the model was trained or validated on; those scored are listed under
            ``training_side_files``.
        sweep: with ``continuous``, also sweep the operating point (``recall_at_fa_per_hour``,
            ``operating_curve``); callers that read only the figures at ``decision``'s own point skip it.

    Returns:
        A dict with exactly :data:`JSON_KEYS`; continuous keys are None without ``continuous``.
    """

    from models.rejection import trace_false_activations

    dc = decision or DecisionConfig()
    classes = cfg.classes
    per_file: list[dict[str, Any]] = []
    all_true: list[npt.NDArray[np.int64]] = []
    all_pred: list[npt.NDArray[np.int64]] = []
    parts: list[dict[str, Any]] = []
    streams: list[StreamScores] = []
    for i in indices:
        rec = recs[i]
        w = cut_windows(recs, [i], cfg=cfg, window_frames=window_frames)
        x, y = materialise(recs, w, cfg=cfg, window_frames=window_frames)
        pred = predict(x).argmax(axis=1) if len(x) else np.zeros(0, dtype=np.int64)
        all_true.append(y)
        all_pred.append(pred)
        entry: dict[str, Any] = {"file": rec.path.name, **window_metrics(y, pred, classes)}
        if continuous:
            sc = stream_scores(predict, recs, i, cfg=cfg, window_frames=window_frames, decision=dc)
            c = continuous_metrics(rec, sc.decide(dc.min_score), classes=classes)
            parts.append(c)
            streams.append(sc)
            entry.update({k: c[k] for k in CONTINUOUS_KEYS})
            entry["false_activations"] = c["false_activations"]
            entry["false_activation_events"] = trace_false_activations(rec, c["false_decisions"], classes)
            entry["duration_s"] = c["duration_s"]
            entry["events_per_minute"] = c["events"] / c["duration_s"] * 60.0 if c["duration_s"] else 0.0
        else:
            entry.update(dict.fromkeys(CONTINUOUS_KEYS))
        per_file.append(entry)
    y_all = np.concatenate(all_true) if all_true else np.zeros(0, dtype=np.int64)
    p_all = np.concatenate(all_pred) if all_pred else np.zeros(0, dtype=np.int64)
    out: dict[str, Any] = window_metrics(y_all, p_all, classes)
    out.update(_pool_continuous(parts, classes) if continuous else dict.fromkeys(CONTINUOUS_KEYS))
    if continuous:
        out.update(rejection_metrics(streams, parts, classes=classes, threshold=dc.min_score, sweep=sweep))
    out.update({k: None for k in REJECTION_KEYS if k not in out})
    out["per_file"] = per_file
    out["training_side_files"] = [recs[i].path.name for i in indices if recs[i].path.name in training_side]
    return {k: out[k] for k in JSON_KEYS}


def evaluate_run(
    run_dir: Path,
    data: Iterable[Path],
    *,
    split: SplitConfig | None = None,
    continuous: bool = True,
    threshold: float | None = None,
    prefix_wait_s: float | None = None,
    decision: DecisionConfig | None = None,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> dict[str, Any]:
    """Evaluate a run directory on the *test side* of ``split`` (default: the run's own split) of ``data``.

    Scored files that the run was trained or validated on (its ``metrics.json``; ``data`` is split again, so
    other data or another ``split`` can put them on the test side) are listed under ``training_side_files``.

    The decision layer is ``decision`` (default :class:`dsp.DecisionConfig`) with the run's operating point
    (:func:`models.config.run_decision`: its ``min_score``, its close look, its prefixes, and at least its
    ``min_prefix_wait_s``); ``threshold`` replaces the ``min_score`` and ``prefix_wait_s`` [s] the prefix wait,
    as the same options do on a bundle.

    Raises:
        models.config.RunError: missing or corrupt run directory.
        models.data.DataError: bad data, or no test recording in ``data`` under the split.
    """
    from models.config import load_run, run_decision, training_side_files

    model, cfg = load_run(run_dir)
    dc = run_decision(cfg, decision)
    if threshold is not None:
        dc = dataclasses.replace(dc, min_score=float(threshold))
    if prefix_wait_s is not None:
        dc = dataclasses.replace(dc, prefix_wait_s=float(prefix_wait_s))
    split = split or cfg.split
    recs = load_recordings(list(data), cfg=cfg.dataset, progress=progress)
    t = cfg.architecture.window_frames
    cfg.check_rates(recs)
    test = scored_indices(recs, split)
    return evaluate_recordings(
        keras_predictor(model),
        recs,
        test,
        cfg=cfg.dataset,
        window_frames=t,
        continuous=continuous,
        decision=dc,
        training_side=training_side_files(run_dir, [recs[i].path.name for i in test]),
    )


def to_json(metrics: dict[str, Any]) -> str:
    """One JSON object (NaN-free)."""
    return json.dumps(metrics, allow_nan=False)
