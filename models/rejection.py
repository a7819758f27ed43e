"""Rejection: the operating point of the decision, false activations by cause, recall at a budget (DESIGN §6, §8a).

A continuous detector accepts a segmenter candidate when the model's decision is a gesture whose
probability reaches ``min_score``. Raising ``min_score`` trades misses for fewer false activations. This
module measures that trade-off on streams and picks the operating point:

- :func:`models.evaluate.stream_scores` collects, per stream, the model's probabilities on every window
  the decision layer (:mod:`dsp.decision`) may classify, test-time averaged, and re-runs the decision
  layer at any ``min_score``.
- :func:`operating_curve` sweeps ``min_score`` over the distinct candidate scores and, at each value,
  scores the streams with :func:`models.evaluate.continuous_metrics` (the decision the evaluation, and
  through the bundle ``detect``, apply), pooled: false activations per hour of background and recall.
- :func:`recall_at_budgets` reads the curve at 0.5, 1 and 5 false activations per hour (the keyword-
  spotting figure of merit); :func:`choose_min_score` picks the lowest ``min_score`` whose false
  activations stay within a budget, so recall is the highest the budget allows.
- :func:`false_activations_by_cause` traces every false activation to the cause label of the negative
  span it falls in (``Recording.negatives``), ``unlabelled`` when it falls in none.

Why a threshold on the top gesture probability and not a margin or a verifier: with a ``none`` class
trained on hard negatives, the top gesture probability already is ``1 − p(none) − p(other gestures)``;
a margin adds nothing the ``none`` class does not carry, and a second model would double the flash and
the C parity surface for a gain no training-side data showed. The threshold is one number, the same in
Python, the runtime and the C build.

Calibration is done on training-side streams only (:func:`calibrate`): the validation part of the
training recordings (never a gradient step on it) plus any calibration-only streams (e.g. simulated
everyday streams of training subjects). The held-out streams never choose it. Its recall guard holds
pooled and, by default, on each source of measured streams (:func:`source_of`, :func:`is_measured`): the
simulated everyday streams are the only everyday negatives there are and set the false-activation
trade, but their hours of simulated gestures would otherwise outvote the real validation tails a
fine-tuned model is deployed on, whose gestures score lower, and the threshold would spend the guard
several times over on them.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from dsp.decision import Decision
from models.data import DataError, Recording

__all__ = [
    "FA_BUDGETS_PER_HOUR",
    "UNLABELLED",
    "CurvePoint",
    "SourceGuard",
    "StreamScores",
    "calibrate",
    "calibration_recordings",
    "choose_min_score",
    "choose_operating_point",
    "curve_to_json",
    "fa_per_hour_upper",
    "false_activations_by_cause",
    "guards_holding",
    "is_measured",
    "operating_curve",
    "recall_at_budgets",
    "source_curves",
    "source_of",
    "sub_recording",
    "trace_false_activations",
]

#: The budgets of ``recall_at_fa_per_hour`` [false activations per hour].
FA_BUDGETS_PER_HOUR = (0.5, 1.0, 5.0)
#: The cause given to a false activation outside every labelled negative span.
UNLABELLED = "unlabelled"
#: Which calibration sources the recall guard also holds on by themselves: those of measured streams
#: (:func:`is_measured`), every source, or none (the pool only).
SourceGuard = Literal["measured", "every", "pooled"]
#: The one-sided confidence of :func:`fa_per_hour_upper`'s bound, as ``fa_per_hour_upper95`` reports it.
FA_UPPER_CONFIDENCE = 0.95
#: ``min_score`` values of the coarse sweep, and of each refinement at a budget crossing [count].
COARSE_POINTS = 32
REFINE_POINTS = 16


@dataclass(frozen=True, kw_only=True, eq=False)
class StreamScores:
    """One stream and the model's output on the windows its decision layer classifies.

    Attributes:
        rec: the recording (its labels, negatives and onset ratio).
        probs: ``(E, classes)`` probabilities per window.
        ends: ``(E,)`` window ends [frames].
        decide: ``min_score -> [dsp.Decision]``, the stream's decision records at that operating point.
    """

    rec: Recording
    probs: npt.NDArray[np.float32]
    ends: npt.NDArray[np.int64]
    decide: Callable[[float], list[Any]]


@dataclass(frozen=True, kw_only=True)
class CurvePoint:
    """The pooled result of one ``min_score`` on a set of streams.

    Fields:
        min_score: the rejection threshold on the decided gesture's probability [0..1].
        false_activations: accepted candidates that overlap no labelled event [count].
        background_h: stream time outside every label [h].
        fa_per_hour: ``false_activations / background_h`` [1/h].
        recall: correct events / labelled events (None without labelled events) [0..1].
        correct: correctly decided labelled events [count].
        truth: labelled events of the model's gestures [count].
    """

    min_score: float
    false_activations: int
    background_h: float
    fa_per_hour: float
    recall: float | None
    correct: int
    truth: int

    @property
    def miss_rate(self) -> float | None:
        return None if self.recall is None else 1.0 - self.recall


# -- streams --------------------------------------------------------------------------------------
def sub_recording(rec: Recording, start: int, end: int) -> Recording:
    """The frames ``[start, end)`` of ``rec`` as a recording of their own (labels, negatives and
    candidates clipped to the range and shifted; candidates must lie wholly inside it).

    Used to score the validation tail of a training recording as a stream.
    """
    n = rec.num_frames
    start, end = max(0, int(start)), min(n, int(end))
    if end <= start:
        raise DataError(f"{rec.path.name}: empty frame range [{start}, {end})")
    labels = tuple(
        dataclasses.replace(
            la, start_frame=max(la.start_frame, start) - start, end_frame=min(la.end_frame, end) - start
        )
        for la in rec.labels
        if la.end_frame > start and la.start_frame < end
    )
    keep = (rec.detected[:, 0] >= start) & (rec.detected[:, 1] <= end) & (rec.detected_emit < end)
    changes: dict[str, Any] = {
        "frames": rec.frames[start:end],
        "features": rec.features[start:end],
        "labels": labels,
        "detected": rec.detected[keep] - start,
        "detected_emit": rec.detected_emit[keep] - start,
        "ratio_db": rec.ratio_db[start:end],
    }
    negatives = getattr(rec, "negatives", None)
    if negatives is not None:
        changes["negatives"] = tuple(
            (max(s, start) - start, min(e, end) - start, c) for s, e, c in negatives if e > start and s < end
        )
    return dataclasses.replace(rec, **changes)


# -- the sweep ------------------------------------------------------------------------------------
Scorer = Callable[[StreamScores, float], dict[str, Any]]


def candidate_scores(streams: Sequence[StreamScores]) -> npt.NDArray[np.float64]:
    """Every distinct probability of a gesture top class among the streams' candidates, ascending."""
    scores = [s.probs.max(axis=1)[s.probs.argmax(axis=1) > 0] for s in streams if len(s.probs)]
    return np.unique(np.concatenate(scores)).astype(np.float64) if scores else np.zeros(0)


class _Memo:
    """Per stream, the scorer's result for each set of checkpoint scores a ``min_score`` lets through:
    two values that no score of the stream lies between give the same decisions, so the (slow) decision
    layer runs once per distinct set, not once per swept value."""

    def __init__(self, streams: Sequence[StreamScores], scorer: Scorer) -> None:
        self.scorer = scorer
        self.scores = [candidate_scores([s]) for s in streams]
        self.done: list[dict[int, dict[str, Any]]] = [{} for _ in streams]

    def __call__(self, k: int, stream: StreamScores, value: float) -> dict[str, Any]:
        key = int(np.searchsorted(self.scores[k], value, side="left"))
        if key not in self.done[k]:
            self.done[k][key] = self.scorer(stream, value)
        return self.done[k][key]


def _point(
    streams: Sequence[StreamScores], memo: _Memo, value: float, indices: Sequence[int] | None = None
) -> CurvePoint:
    """The pooled point of ``streams`` (or of those at ``indices``) at ``min_score`` ``value``."""
    chosen = range(len(streams)) if indices is None else indices
    parts = [memo(k, streams[k], value) for k in chosen]
    fa = sum(int(p["false_activations"]) for p in parts)
    bg_h = sum(float(p["background_s"]) for p in parts) / 3600.0
    truth = sum(int(p["truth"]) for p in parts)
    correct = sum(int(p["correct"]) for p in parts)
    return CurvePoint(
        min_score=float(value),
        false_activations=fa,
        background_h=bg_h,
        fa_per_hour=fa / bg_h if bg_h > 0 else math.inf,
        recall=correct / truth if truth else None,
        correct=correct,
        truth=truth,
    )


def _spread(values: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    """At most ``n`` of ``values`` (sorted), spread evenly by rank (the extremes kept)."""
    if values.size <= n:
        return values
    return np.unique(values[np.round(np.linspace(0, values.size - 1, n)).astype(np.int64)])


def operating_curve(
    streams: Sequence[StreamScores],
    scorer: Scorer,
    *,
    budgets: Sequence[float] = FA_BUDGETS_PER_HOUR,
    coarse_points: int = COARSE_POINTS,
    refine_points: int = REFINE_POINTS,
    memo: _Memo | None = None,
) -> list[CurvePoint]:
    """Pooled false activations per hour and recall over a sweep of ``min_score`` (ascending).

    The sweep takes 0 (arg-max), ``coarse_points`` of the candidates' gesture scores spread by rank, and
    a value just above the largest (nothing accepted); then, where the false-activation rate crosses
    each budget between two neighbouring points, up to ``refine_points`` of the scores in between, so the
    points that matter for :func:`recall_at_budgets` and :func:`choose_min_score` are resolved to single
    candidates. Each point re-runs ``scorer``, i.e. the decision, on every stream.

    Args:
        streams: the streams and their candidate probabilities.
        scorer: ``(stream, min_score) -> continuous metrics`` with the raw counts of
            :func:`models.evaluate.continuous_metrics` (``false_activations``, ``background_s``,
            ``correct``, ``truth``); passing the evaluation's own scorer keeps the sweep's decision
            identical to the evaluated one.
        budgets: false-activation rates to resolve [1/h].
        memo: the decisions already made on ``streams`` by ``scorer`` (shared with :func:`source_curves`).
    """
    scores = candidate_scores(streams)
    top = float(np.nextafter(np.float32(scores[-1]), np.float32(2.0))) if scores.size else 1.0
    values = np.unique(np.concatenate(([0.0], _spread(scores, coarse_points), [top])))
    memo = memo or _Memo(streams, scorer)
    points = {v: _point(streams, memo, v) for v in values.tolist()}
    for b in budgets:
        ordered = [points[v] for v in sorted(points)]
        for lo, hi in itertools.pairwise(ordered):
            if lo.fa_per_hour > b >= hi.fa_per_hour:
                inside = scores[(scores > lo.min_score) & (scores < hi.min_score)]
                for v in _spread(inside, refine_points).tolist():
                    if v not in points:
                        points[v] = _point(streams, memo, v)
                break
    return [points[v] for v in sorted(points)]


def source_of(rec: Recording) -> str:
    """The source of a calibration stream: the folder its recording was loaded from."""
    return str(rec.path.parent)


def is_measured(rec: Recording) -> bool:
    """Whether a stream comes from a sensor, not the simulator: one of its gesture labels was not made by it."""
    return any(la.source != "sim" for la in rec.labels)


def source_curves(
    streams: Sequence[StreamScores],
    scorer: Scorer,
    min_scores: Sequence[float],
    *,
    min_events: int,
    guard: SourceGuard = "measured",
    memo: _Memo | None = None,
) -> dict[str, list[CurvePoint]]:
    """Per source (:func:`source_of`) that ``guard`` names and that has at least ``min_events`` labelled
    events, its own curve at ``min_scores`` (the pooled curve's values, so the lists align point by point
    with it).

    Args:
        min_events: a source with fewer labelled events is left out: one event of a handful would make
            its guard a ban on any loss [count].
        guard: ``measured``: the sources of measured streams only (:func:`is_measured`); ``every``; or
            ``pooled``: none.
        memo: as in :func:`operating_curve` (pass the same one: no decision is made twice).
    """
    memo = memo or _Memo(streams, scorer)
    groups: dict[str, list[int]] = {}
    for k, s in enumerate(streams):
        if guard == "every" or (guard == "measured" and is_measured(s.rec)):
            groups.setdefault(source_of(s.rec), []).append(k)
    out: dict[str, list[CurvePoint]] = {}
    for source, ks in sorted(groups.items()):
        if sum(int(memo(k, streams[k], 0.0)["truth"]) for k in ks) >= min_events:
            out[source] = [_point(streams, memo, v, ks) for v in min_scores]
    return out


def recall_at_budgets(
    curve: Sequence[CurvePoint], budgets: Sequence[float] = FA_BUDGETS_PER_HOUR
) -> dict[str, dict[str, Any]]:
    """Best recall whose false activations per hour stay within each budget.

    Returns:
        ``{"0.5": {"recall", "min_score", "fa_per_hour"}, ...}``; ``recall`` is None when no point of
        the curve meets the budget or the streams carry no labelled event. ``resolution_per_hour`` is one
        false activation over the streams' background time: a budget below it can only be met with zero.
    """
    out: dict[str, dict[str, Any]] = {}
    bg_h = curve[0].background_h if curve else 0.0
    for b in budgets:
        ok = [p for p in curve if p.fa_per_hour <= b and p.recall is not None]
        best = max(ok, key=lambda p: (p.recall, -p.min_score)) if ok else None
        out[f"{b:g}"] = {
            "recall": None if best is None else best.recall,
            "min_score": None if best is None else best.min_score,
            "fa_per_hour": None if best is None else best.fa_per_hour,
            "resolution_per_hour": 1.0 / bg_h if bg_h > 0 else None,
        }
    return out


def fa_per_hour_upper(
    false_activations: int, background_h: float, *, confidence: float = FA_UPPER_CONFIDENCE
) -> float | None:
    """The highest false-activation rate that the count is still consistent with [1/h]: the one-sided Poisson upper
    confidence bound of ``false_activations`` seen in ``background_h`` hours (None without background).

    Why: a rate measured on a few hours rests on a handful of events. One false activation in 3.2 h reads 0.31/h,
    but a model that fires 1.5/h shows at most one there 5 % of the time; the bound says how long the streams must
    be before a 0.5/h budget "met" on them means it (with none seen, 3.0/h over one hour, 0.30/h over ten).
    """
    if not false_activations >= 0:
        raise DataError(f"false activations must be a count >= 0, got {false_activations}")
    if not 0 < confidence < 1:
        raise DataError(f"confidence must be in (0, 1), got {confidence}")
    if not background_h > 0:
        return None
    from scipy.special import gammainccinv

    # P(N <= n | rate r) = Q(n + 1, r h) (the regularised upper incomplete gamma): the bound solves it = 1 - conf.
    return float(gammainccinv(false_activations + 1, 1.0 - confidence)) / background_h


def choose_min_score(curve: Sequence[CurvePoint], *, budget_fa_per_hour: float) -> CurvePoint:
    """The lowest ``min_score`` of the curve whose false activations per hour are within the budget.

    Lowest, because recall can only fall as ``min_score`` rises: this is the point of highest recall
    the budget allows. The sweep always ends above the largest score, where nothing is accepted, so a
    point exists.

    Raises:
        DataError: an empty curve (no streams).
    """
    if not curve:
        raise DataError("no calibration streams: cannot choose an operating point")
    if not (math.isfinite(budget_fa_per_hour) and budget_fa_per_hour >= 0):
        raise DataError(f"the false-activation budget must be >= 0 per hour, got {budget_fa_per_hour}")
    ok = [p for p in curve if p.fa_per_hour <= budget_fa_per_hour]
    return min(ok, key=lambda p: p.min_score) if ok else max(curve, key=lambda p: p.min_score)


# -- causes ---------------------------------------------------------------------------------------
def _negatives(rec: Recording) -> tuple[tuple[int, int, str], ...]:
    return tuple(getattr(rec, "negatives", ()) or ())


def cause_of(rec: Recording, start: int, end: int) -> str:
    """The cause of the labelled negative span overlapping ``[start, end)`` most, else :data:`UNLABELLED`."""
    best, cause = 0, UNLABELLED
    for s, e, c in _negatives(rec):
        ov = min(e, end) - max(s, start)
        if ov > best:
            best, cause = ov, str(c)
    return cause


def trace_false_activations(
    rec: Recording, decisions: Sequence[Decision], classes: Sequence[str]
) -> list[dict[str, Any]]:
    """Each false activation of ``rec`` as JSON-ready fields, so that it can be found in the recording: the event
    ``start_s``/``end_s`` and ``decided_s`` (the end of the deciding frame) [s from the stream's start], the
    ``gesture`` decided, its ``score`` and the ``cause`` (:func:`cause_of`).

    Args:
        decisions: the accepted decisions that overlap no label (``false_decisions`` of
            :func:`models.evaluate.continuous_metrics`).
    """
    rate = rec.frame_rate_hz
    return [
        {
            "start_s": d.start_frame / rate,
            "end_s": d.end_frame / rate,
            "decided_s": (d.frame + 1) / rate,
            "gesture": classes[d.label],
            "score": float(d.score),
            "cause": cause_of(rec, d.start_frame, d.end_frame),
        }
        for d in decisions
    ]


def false_activations_by_cause(
    parts: Sequence[tuple[Recording, dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """False activations traced to their causes, pooled over streams.

    Args:
        parts: ``(recording, continuous metrics)`` per stream; the metrics carry ``false_decisions``, the
            decision of every false activation (see :func:`models.evaluate.continuous_metrics`).

    Returns:
        ``{cause: {"false_activations", "per_hour", "exposure_s", "per_hour_of_exposure"}}`` for every
        cause labelled in the streams (zero counts included, so a cause is never silently missing) and
        :data:`UNLABELLED`. ``per_hour`` is per hour of all background (the causes add up to the total);
        ``per_hour_of_exposure`` per hour of that cause's own spans (None for ``unlabelled``).
    """
    counts: dict[str, int] = {}
    exposure: dict[str, float] = {}
    background_s = 0.0
    for rec, m in parts:
        background_s += float(m["background_s"])
        rate = rec.frame_rate_hz
        for s, e, c in _negatives(rec):
            exposure[str(c)] = exposure.get(str(c), 0.0) + (int(e) - int(s)) / rate
            counts.setdefault(str(c), 0)
        for d in m["false_decisions"]:
            cause = cause_of(rec, d.start_frame, d.end_frame)
            counts[cause] = counts.get(cause, 0) + 1
    counts.setdefault(UNLABELLED, 0)
    out: dict[str, dict[str, Any]] = {}
    for cause in sorted(counts):
        n = counts[cause]
        exp = exposure.get(cause)
        out[cause] = {
            "false_activations": n,
            "per_hour": n / background_s * 3600.0 if background_s > 0 else None,
            "exposure_s": exp,
            "per_hour_of_exposure": n / exp * 3600.0 if exp else None,
        }
    return out


def curve_to_json(curve: Sequence[CurvePoint]) -> list[dict[str, Any]]:
    """The curve as JSON-ready dicts (infinite rates as None)."""
    return [
        {
            "min_score": p.min_score,
            "fa_per_hour": p.fa_per_hour if math.isfinite(p.fa_per_hour) else None,
            "recall": p.recall,
            "false_activations": p.false_activations,
        }
        for p in curve
    ]


# -- calibration ----------------------------------------------------------------------------------
def calibration_recordings(recs: Sequence[Recording], split: Any) -> list[Recording]:
    """The validation side of a split as streams: whole validation recordings, or for ``tail``
    validation the tail range of each training recording (:func:`sub_recording`)."""
    out: list[Recording] = []
    for i in split.val:
        lo, hi = split.frame_range(i, "val", recs[i].num_frames)
        out.append(recs[i] if (lo, hi) == (0, recs[i].num_frames) else sub_recording(recs[i], lo, hi))
    return out


def _within_loss(argmax: CurvePoint, point: CurvePoint, max_recall_loss: float) -> bool:
    if argmax.recall is None or point.recall is None:
        return True
    return point.recall >= argmax.recall - max_recall_loss - 1e-12


def _guarded_curves(
    curve: Sequence[CurvePoint],
    max_recall_loss: float,
    guards: Mapping[str, Sequence[CurvePoint]] | None,
    guard_max_recall_loss: float | None,
) -> list[tuple[str, Sequence[CurvePoint], float]]:
    """``(name, curve, allowed recall loss)`` of every recall guard: ``"pooled"``, then each of ``guards`` (with
    ``guard_max_recall_loss``, else the pooled loss)."""
    per_source = max_recall_loss if guard_max_recall_loss is None else guard_max_recall_loss
    return [("pooled", curve, max_recall_loss), *((n, c, per_source) for n, c in (guards or {}).items())]


def choose_operating_point(
    curve: Sequence[CurvePoint],
    *,
    budget_fa_per_hour: float,
    max_recall_loss: float,
    knee_recall_per_fa_per_hour: float = 0.0,
    guards: Mapping[str, Sequence[CurvePoint]] | None = None,
    guard_max_recall_loss: float | None = None,
) -> tuple[CurvePoint, bool]:
    """The operating point of a calibration curve and whether it meets the budget.

    The lowest ``min_score`` within ``budget_fa_per_hour`` (:func:`choose_min_score`) among the points
    whose recall is at most ``max_recall_loss`` below arg-max (``min_score`` 0), pooled and on each curve
    of ``guards`` (per-source curves aligned point by point with ``curve``, :func:`source_curves`; there at
    most ``guard_max_recall_loss`` below, when given). If
    none of those meets the budget, the rule fails soft: the knee of the allowed part of the curve, the
    point that minimises ``(1 - recall) + knee_recall_per_fa_per_hour * fa_per_hour`` (lowest
    ``min_score`` among ties), i.e. ``min_score`` is raised only while each false activation per hour it
    removes costs less recall than this exchange rate. 0 (off) keeps the point of the fewest false
    activations within the guard, which can spend the whole guard on the last one or two false
    activations of the calibration streams.
    """
    if not curve:
        raise DataError("no calibration streams: cannot choose an operating point")
    if not (math.isfinite(knee_recall_per_fa_per_hour) and knee_recall_per_fa_per_hour >= 0):
        raise DataError(f"knee_recall_per_fa_per_hour must be >= 0, got {knee_recall_per_fa_per_hour}")
    curves = _guarded_curves(curve, max_recall_loss, guards, guard_max_recall_loss)
    if any(len(c) != len(curve) for _, c, _ in curves):
        raise DataError("every guard curve must align point by point with the pooled curve")

    def guarded(i: int) -> bool:
        return all(_within_loss(c[0], c[i], loss) for _, c, loss in curves)

    r0 = curve[0].recall
    allowed = [p for i, p in enumerate(curve) if guarded(i)]
    within = [p for p in allowed if p.fa_per_hour <= budget_fa_per_hour]
    if within:
        return choose_min_score(within, budget_fa_per_hour=budget_fa_per_hour), True
    if knee_recall_per_fa_per_hour == 0 or r0 is None:
        return min(allowed, key=lambda p: (p.false_activations, p.min_score)), False

    def cost(p: CurvePoint) -> tuple[float, float]:
        miss = 1.0 - (p.recall if p.recall is not None else r0)
        return miss + knee_recall_per_fa_per_hour * p.fa_per_hour, p.min_score

    return min(allowed, key=cost), False


def guards_holding(
    curve: Sequence[CurvePoint],
    at: int,
    *,
    max_recall_loss: float,
    guards: Mapping[str, Sequence[CurvePoint]] | None = None,
    guard_max_recall_loss: float | None = None,
) -> list[str]:
    """The recall guards that keep an operating point from rejecting more: ``"pooled"`` and the names of
    ``guards`` (as :func:`choose_operating_point` takes them) whose loss limit the first point of ``curve``
    above index ``at`` with fewer false activations would break. Empty when there is no such point or none
    breaks. Tells a user which limit (``max_recall_loss`` or ``source_max_recall_loss``) stands between
    the chosen point and fewer false activations, e.g. a guarded source whose few events allow no loss.
    """
    nxt = next((j for j in range(at + 1, len(curve)) if curve[j].false_activations < curve[at].false_activations), None)
    if nxt is None:
        return []
    named = _guarded_curves(curve, max_recall_loss, guards, guard_max_recall_loss)
    return [name for name, c, loss in named if not _within_loss(c[0], c[nxt], loss)]


def calibrate(
    streams: Sequence[StreamScores],
    scorer: Scorer,
    *,
    budget_fa_per_hour: float,
    max_recall_loss: float,
    knee_recall_per_fa_per_hour: float = 0.0,
    source_guard: SourceGuard = "measured",
    source_min_events: int = 20,
    source_max_recall_loss: float | None = None,
) -> dict[str, Any]:
    """Choose ``min_score`` on training-side streams and describe the choice (written to metrics.json).

    ``source_guard``, ``source_min_events``: the recall guard also holds on each source of that kind with
    at least this many labelled events (:func:`source_curves`), there with ``source_max_recall_loss`` when
    given.

    Returns:
        ``min_score``, ``budget_fa_per_hour``, ``budget_met``, ``max_recall_loss``,
        ``knee_recall_per_fa_per_hour`` (0: the fewest-false-activations fallback), ``background_h``,
        ``streams``, the chosen and the arg-max point (``fa_per_hour``, ``recall``, ``false_activations``,
        ``events``),
        ``source_guard``, ``source_min_events``, ``sources`` (each guarded source's chosen and arg-max
        point), ``held_by`` (when the budget is not met, the guards that keep the threshold from rejecting
        more: :func:`guards_holding`), ``recall_at_fa_per_hour`` and the ``curve``.
    """
    memo = _Memo(streams, scorer)
    curve = operating_curve(streams, scorer, budgets=(*FA_BUDGETS_PER_HOUR, budget_fa_per_hour), memo=memo)
    values = [p.min_score for p in curve]
    guards = source_curves(streams, scorer, values, min_events=source_min_events, guard=source_guard, memo=memo)
    source_loss = max_recall_loss if source_max_recall_loss is None else source_max_recall_loss
    point, met = choose_operating_point(
        curve,
        budget_fa_per_hour=budget_fa_per_hour,
        max_recall_loss=max_recall_loss,
        knee_recall_per_fa_per_hour=knee_recall_per_fa_per_hour,
        guards=guards,
        guard_max_recall_loss=source_loss,
    )
    at = values.index(point.min_score)
    held_by = (
        []
        if met
        else guards_holding(
            curve, at, max_recall_loss=max_recall_loss, guards=guards, guard_max_recall_loss=source_loss
        )
    )

    def brief(p: CurvePoint) -> dict[str, Any]:
        return {
            "min_score": p.min_score,
            "fa_per_hour": p.fa_per_hour if math.isfinite(p.fa_per_hour) else None,
            "fa_per_hour_upper95": fa_per_hour_upper(p.false_activations, p.background_h),
            "false_activations": p.false_activations,
            "recall": p.recall,
            "events": p.truth,
        }

    return {
        "min_score": point.min_score,
        "budget_fa_per_hour": budget_fa_per_hour,
        "budget_met": met,
        "max_recall_loss": max_recall_loss,
        "knee_recall_per_fa_per_hour": knee_recall_per_fa_per_hour,
        "background_h": curve[0].background_h,
        "streams": [s.rec.name for s in streams],
        "chosen": brief(point),
        "argmax": brief(curve[0]),
        "source_guard": source_guard,
        "source_min_events": source_min_events,
        "source_max_recall_loss": source_loss,
        "sources": {name: {"chosen": brief(g[at]), "argmax": brief(g[0])} for name, g in guards.items()},
        "held_by": held_by,
        "recall_at_fa_per_hour": recall_at_budgets(curve),
        "curve": curve_to_json(curve),
    }
