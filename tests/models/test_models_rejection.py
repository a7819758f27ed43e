"""Rejection: the operating-point sweep, recall at a budget, calibration, and false activations by cause."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny_models import GESTURES

from acquisition import Label
from dsp.decision import DecisionConfig, decide_stream
from models.config import RejectionConfig
from models.data import DatasetConfig, Recording
from models.evaluate import continuous_metrics, rejection_metrics, stream_scorer
from models.rejection import (
    UNLABELLED,
    CurvePoint,
    SourceGuard,
    StreamScores,
    choose_operating_point,
    fa_per_hour_upper,
    guards_holding,
    operating_curve,
    recall_at_budgets,
    sub_recording,
)

CLASSES = DatasetConfig(gestures=GESTURES).classes
RATE = 50.0
NEGATIVES = ((300, 400, "scratch"), (600, 700, "hover"), (800, 900, "empty"))


def _stream(**changes: Any) -> StreamScores:
    """A 20 s stream: one tap_in, three labelled negative spans, four candidates.

    Candidates: on the tap_in (tap_in 0.9), in the scratch (tap_in 0.8), in the hover (tap_out 0.6), in an
    unlabelled pause (wiggle 0.7). Nothing falls in the empty field.
    """
    n = 1000
    fields: dict[str, Any] = {
        "path": Path("synthetic.h5"),
        "subject": "s",
        "day": "2026-01-01",
        "frames": np.zeros((n, 1, 1), dtype=np.complex64),
        "features": np.zeros((n, 16, 6), dtype=np.float32),
        "labels": (Label(start_frame=100, end_frame=120, gesture="tap_in", source="sim"),),
        "detected": np.array([[102, 118], [320, 340], [610, 630], [500, 510]], dtype=np.int64),
        "detected_emit": np.array([140, 360, 650, 530], dtype=np.int64),
        "frame_rate_hz": RATE,
        "noise_scale": 1.0,
    }
    if "negatives" in {f.name for f in dataclasses.fields(Recording)}:
        fields["negatives"] = NEGATIVES
    fields.update(changes)
    ratio = np.zeros(n)  # the onset ratio: motion (10 dB) on each candidate
    for s, e in fields["detected"].tolist():
        ratio[s:e] = 10.0
    fields["ratio_db"] = ratio
    rec = Recording(**fields)
    probs = np.zeros((len(rec.detected), len(CLASSES)), dtype=np.float32)
    for k, (c, p) in enumerate([("tap_in", 0.9), ("tap_in", 0.8), ("tap_out", 0.6), ("wiggle", 0.7)][: len(probs)]):
        probs[k, CLASSES.index(c)] = p
        probs[k, 0] = 1.0 - p
    return _scores(rec, probs)


def _scores(rec: Recording, probs: np.ndarray) -> StreamScores:
    """The stream under the decision layer, the model answering ``probs[k]`` on candidate ``k``."""

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        k = int(np.argmax(np.minimum(rec.detected[:, 1], end) - np.maximum(rec.detected[:, 0], start)))
        return probs[k]

    def decide(min_score: float) -> list[Any]:
        return decide_stream(
            rec.ratio_db,
            classify,
            cfg=DecisionConfig(min_score=min_score),
            segment=DatasetConfig(gestures=GESTURES).segment,
            classes=CLASSES,
            frame_rate_hz=RATE,
            window_frames=44,
            end_pad_frames=5,
            pre_frames=2,
        )

    return StreamScores(rec=rec, probs=probs, ends=rec.detected[:, 1] + 5, decide=decide)


needs_negatives = pytest.mark.skipif(
    "negatives" not in {f.name for f in dataclasses.fields(Recording)}, reason="Recording.negatives not there yet"
)


@needs_negatives
def test_every_cause_label_reaches_the_per_cause_table() -> None:
    s = _stream()
    part = continuous_metrics(s.rec, s.decide(0.0), classes=CLASSES)
    m = rejection_metrics([s], [part], classes=CLASSES, threshold=0.0)
    by = m["false_activations_by_cause"]
    assert {c: v["false_activations"] for c, v in by.items()} == {"scratch": 1, "hover": 1, "empty": 0, UNLABELLED: 1}
    assert by["hover"]["exposure_s"] == pytest.approx(100 / RATE)
    # the causes add up to the total rate
    total = sum(v for v in m["false_activations_per_hour_by_cause"].values())
    assert total == pytest.approx(part["false_activations_per_hour"])
    # a threshold that rejects the hover candidate moves only the hover count
    m2 = rejection_metrics(
        [s],
        [continuous_metrics(s.rec, s.decide(0.65), classes=CLASSES)],
        classes=CLASSES,
        threshold=0.65,
    )
    assert {c: v["false_activations"] for c, v in m2["false_activations_by_cause"].items()} == {
        "scratch": 1,
        "hover": 0,
        "empty": 0,
        UNLABELLED: 1,
    }


def test_sweep_recall_at_budget_and_operating_point() -> None:
    s = _stream()
    curve = operating_curve([s], stream_scorer(CLASSES))
    scores = [p.min_score for p in curve]
    assert scores == sorted(scores) and scores[0] == 0.0
    assert curve[0].false_activations == 3 and curve[-1].false_activations == 0
    assert all(a.false_activations >= b.false_activations for a, b in itertools.pairwise(curve))
    at = recall_at_budgets(curve)
    assert at["0.5"]["recall"] == 1.0 and 0.8 < at["0.5"]["min_score"] <= 0.9  # only the true tap accepted
    point, met = choose_operating_point(curve, budget_fa_per_hour=0.0, max_recall_loss=0.0)
    assert met and 0.8 < point.min_score <= 0.9 and point.recall == 1.0
    # a budget that needs a recall loss beyond the limit is reported as not met
    two = _stream(detected=np.array([[102, 118], [320, 340]], dtype=np.int64), detected_emit=np.array([140, 360]))
    probs = two.probs[[0, 0]]  # the negative scores as high as the gesture
    hard = _scores(two.rec, probs)
    point, met = choose_operating_point(
        operating_curve([hard], stream_scorer(CLASSES)), budget_fa_per_hour=0.0, max_recall_loss=0.0
    )
    assert not met and point.recall == 1.0


def _curve(points: list[tuple[float, int, float]], hours: float = 2.0) -> list[CurvePoint]:
    """A calibration curve from ``(min_score, false activations, recall)`` over ``hours`` of background."""
    return [
        CurvePoint(
            min_score=m, false_activations=fa, background_h=hours, fa_per_hour=fa / hours, recall=r, correct=0, truth=0
        )
        for m, fa, r in points
    ]


def test_operating_point_fails_soft_at_the_knee() -> None:
    # the budget (0.5/h over 2 h: no false activation) is out of reach within a 5-point recall guard
    curve = _curve([(0.0, 30, 0.90), (0.5, 10, 0.885), (0.6, 6, 0.88), (0.7, 4, 0.86), (0.8, 2, 0.851), (0.9, 0, 0.6)])
    kw: dict[str, Any] = {"budget_fa_per_hour": 0.5, "max_recall_loss": 0.05}
    point, met = choose_operating_point(curve, **kw)  # default: the fewest false activations within the guard
    assert not met and point.min_score == 0.8
    # the knee at 0.5 points of recall per false activation per hour: 0.6 (cost 0.12 + 0.015 = 0.135) beats
    # 0.7 (0.14 + 0.01), 0.8 (0.149 + 0.005) and 0.5 (0.115 + 0.025)
    point, met = choose_operating_point(curve, **kw, knee_recall_per_fa_per_hour=0.005)
    assert not met and point.min_score == 0.6
    # a dear false activation moves the knee up to the guard; the guard still bounds it
    point, _ = choose_operating_point(curve, **kw, knee_recall_per_fa_per_hour=0.1)
    assert point.min_score == 0.8
    # a budget met within the guard is kept whatever the exchange rate
    point, met = choose_operating_point(
        curve, budget_fa_per_hour=1.0, max_recall_loss=0.05, knee_recall_per_fa_per_hour=0.005
    )
    assert met and point.min_score == 0.8
    with pytest.raises(ValueError, match="knee_recall_per_fa_per_hour"):
        choose_operating_point(curve, **kw, knee_recall_per_fa_per_hour=-1.0)


def test_recall_guard_holds_on_each_measured_source_not_only_pooled() -> None:
    """Two simulated streams outvote a measured one: a pooled guard of 0.34 lets the threshold that removes
    the simulated streams' false activations (0.8) drop the measured stream's only gesture (scored 0.75)."""
    from models.rejection import calibrate

    sim = [_stream(path=Path(f"sim/s{k}.h5")) for k in range(2)]  # tap_in 0.9 and false ones at 0.8/0.7/0.6
    real = _stream(path=Path("real/r.h5"))
    measured = (dataclasses.replace(real.rec.labels[0], source="manual"),)  # labelled by hand: not simulated
    real = dataclasses.replace(real, rec=dataclasses.replace(real.rec, labels=measured))
    probs = np.zeros_like(real.probs)  # its tap_in at 0.75; the other candidates decided none
    probs[:, 0], probs[:, CLASSES.index("tap_in")] = [0.25, 0.7, 0.7, 0.7], [0.75, 0.3, 0.3, 0.3]
    streams = [*sim, _scores(real.rec, probs)]

    def run(guard: SourceGuard, min_events: int) -> dict[str, Any]:
        kw: dict[str, Any] = {"budget_fa_per_hour": 0.0, "max_recall_loss": 0.34, "source_min_events": min_events}
        return calibrate(streams, stream_scorer(CLASSES), source_guard=guard, **kw)

    guards: tuple[SourceGuard, ...] = ("pooled", "measured", "every")
    for guard, min_events in zip(guards, (1, 2, 2), strict=True):  # the measured source: pool only
        out = run(guard, min_events)
        assert out["budget_met"] and 0.8 < out["min_score"] <= 0.9 and out["chosen"]["recall"] == 2 / 3
        assert list(out["sources"]) == (["sim"] if guard == "every" else [])
    for guard in guards[1:]:
        out = run(guard, 1)
        assert not out["budget_met"] and 0.7 < out["min_score"] <= 0.75 and out["chosen"]["recall"] == 1.0
        assert out["chosen"]["false_activations"] == 2  # the fewest the guard allows: the two at 0.8
        assert out["sources"]["real"]["chosen"]["recall"] == out["sources"]["real"]["argmax"]["recall"] == 1.0
        assert ("sim" in out["sources"]) == (guard == "every")
        assert out["source_max_recall_loss"] == 0.34  # none given: the pooled loss
        assert out["held_by"] == ["real"]  # rejecting the two at 0.8 would drop the measured stream's gesture
        bound = fa_per_hour_upper(2, out["background_h"])  # the chosen point carries its rate's bound
        assert out["chosen"]["fa_per_hour_upper95"] == bound and bound > out["chosen"]["fa_per_hour"]
    with pytest.raises(ValueError, match="align"):
        choose_operating_point(_curve([(0.0, 2, 1.0)]), budget_fa_per_hour=0.0, max_recall_loss=0.1, guards={"x": []})


def test_a_guarded_source_can_be_held_to_a_tighter_loss_than_the_pool() -> None:
    """The pooled curve allows 5 points; the measured source, held to 2, stops the threshold where it first
    loses more than 2 points of its own recall."""
    pooled = _curve([(0.0, 30, 0.90), (0.5, 10, 0.89), (0.6, 6, 0.88), (0.7, 4, 0.87), (0.8, 2, 0.86)])
    real = _curve([(0.0, 0, 0.95), (0.5, 0, 0.95), (0.6, 0, 0.94), (0.7, 0, 0.92), (0.8, 0, 0.90)])
    kw: dict[str, Any] = {"budget_fa_per_hour": 0.5, "max_recall_loss": 0.05, "guards": {"real": real}}
    assert choose_operating_point(pooled, **kw)[0].min_score == 0.8  # 5 points on both
    assert choose_operating_point(pooled, **kw, guard_max_recall_loss=0.02)[0].min_score == 0.6
    assert choose_operating_point(pooled, **kw, guard_max_recall_loss=0.0)[0].min_score == 0.5
    # the pool keeps its own guard: a loose source loss does not let the threshold past it
    assert choose_operating_point(pooled, **kw, guard_max_recall_loss=1.0)[0].min_score == 0.8
    with pytest.raises(ValueError, match="source_max_recall_loss"):
        RejectionConfig(source_max_recall_loss=1.5)


def test_the_guard_that_holds_the_threshold_is_named() -> None:
    """The same curves: which limit stands between the chosen point and fewer false activations."""
    pooled = _curve([(0.0, 30, 0.90), (0.5, 10, 0.89), (0.6, 6, 0.88), (0.7, 4, 0.87), (0.8, 2, 0.86)])
    real = _curve([(0.0, 0, 0.95), (0.5, 0, 0.95), (0.6, 0, 0.94), (0.7, 0, 0.92), (0.8, 0, 0.90)])
    kw: dict[str, Any] = {"max_recall_loss": 0.05, "guards": {"real": real}}
    assert guards_holding(pooled, 2, **kw, guard_max_recall_loss=0.02) == ["real"]  # 0.7 costs real 3 points
    assert guards_holding(pooled, 1, **kw, guard_max_recall_loss=0.0) == ["real"]
    assert guards_holding(pooled, 4, **kw) == []  # nothing rejects more than the last point
    tight = {"max_recall_loss": 0.01, "guards": {"real": real}, "guard_max_recall_loss": 0.01}
    assert guards_holding(pooled, 1, **tight) == ["pooled"]  # 0.6 costs the pool 2 points, real 1
    assert guards_holding(pooled, 0, **tight) == []  # 0.5 stays within both limits
    both = {"max_recall_loss": 0.0, "guards": {"real": real}, "guard_max_recall_loss": 0.0}
    assert guards_holding(pooled, 1, **both) == ["pooled", "real"]


def test_sub_recording_shifts_labels_candidates_and_negatives() -> None:
    rec = _stream().rec
    sub = sub_recording(rec, 300, 700)
    assert sub.num_frames == 400 and sub.labels == ()
    assert sub.detected.tolist() == [[20, 40], [310, 330], [200, 210]]
    if hasattr(sub, "negatives"):
        assert tuple(sub.negatives) == ((0, 100, "scratch"), (300, 400, "hover"))


def test_cause_labels_travel_from_the_file_to_the_per_cause_table(tmp_path: Path) -> None:
    """An everyday stream on disk → ``Recording.negatives`` → ``evaluate`` → the per-cause table."""
    from sim_helpers import sim_everyday

    from acquisition.sim import EverydayPlan
    from models.data import load_recordings
    from models.evaluate import evaluate_recordings

    path = tmp_path / "everyday.h5"
    sim_everyday(path, EverydayPlan(duration_s=150.0, gesture_rate_per_min=1.0), subject=11, seed=5)
    cfg = DatasetConfig(gestures=GESTURES)
    recs = load_recordings([path], cfg=cfg)
    causes = {c for _, _, c in recs[0].negatives}
    assert len(causes) >= 3

    def always_tap_in(x: np.ndarray) -> np.ndarray:  # accepts every candidate: each off-label one is false
        p = np.zeros((len(x), len(CLASSES)), dtype=np.float32)
        p[:, CLASSES.index("tap_in")] = 1.0
        return p

    m = evaluate_recordings(always_tap_in, recs, [0], cfg=cfg, window_frames=50)
    by = m["false_activations_by_cause"]
    assert causes | {UNLABELLED} == set(by), "a cause labelled in the file is missing from the table"
    counted = sum(v["false_activations"] for v in by.values())
    assert counted == m["per_file"][0]["false_activations"] > 0
    exposure = {c: sum(e - s for s, e, k in recs[0].negatives if k == c) / recs[0].frame_rate_hz for c in causes}
    assert all(by[c]["exposure_s"] == pytest.approx(exposure[c]) for c in causes)
    # every false activation is listed where it happened, with the cause the table counted it under
    listed = m["per_file"][0]["false_activation_events"]
    assert len(listed) == counted
    assert {c: sum(e["cause"] == c for e in listed) for c in by} == {c: v["false_activations"] for c, v in by.items()}
    rate = recs[0].frame_rate_hz
    for e in listed:
        assert e["gesture"] == "tap_in" and e["score"] == pytest.approx(1.0)
        assert 0.0 <= e["start_s"] < e["end_s"] <= recs[0].num_frames / rate and e["decided_s"] >= e["start_s"]
        s, t = round(e["start_s"] * rate), round(e["end_s"] * rate)
        assert not any(la.start_frame < t and la.end_frame > s for la in recs[0].labels), "a listed event is on a label"
    # without the sweep (quantize's scoring): the same figures at the point, no curve
    assert m["operating_curve"] and m["recall_at_fa_per_hour"]
    bare = evaluate_recordings(always_tap_in, recs, [0], cfg=cfg, window_frames=50, sweep=False)
    assert bare["operating_curve"] is None and bare["recall_at_fa_per_hour"] is None
    swept = {"operating_curve", "recall_at_fa_per_hour"}
    assert {k: v for k, v in bare.items() if k not in swept} == {k: v for k, v in m.items() if k not in swept}


def test_det_marks_the_evaluated_operating_point(tmp_path: Path) -> None:
    """The sweep is coarse between its budgets, so the swept point nearest the run's ``min_score`` can be a false
    activation off the evaluated one (a held-out DET once showed 5.0/h for an evaluated 5.55/h); given the
    evaluated point, the marker is exactly it."""
    from models.plots import plot_det

    curve = [
        {"min_score": 0.0, "fa_per_hour": 12.0, "recall": 0.9},
        {"min_score": 0.75, "fa_per_hour": 5.5, "recall": 0.78},
        {"min_score": 0.79, "fa_per_hour": 5.0, "recall": 0.77},
        {"min_score": 1.0, "fa_per_hour": 0.0, "recall": 0.0},
    ]
    nearest = plot_det(curve, tmp_path / "a.png", chosen_min_score=0.776)
    assert nearest == (5.0, pytest.approx(0.23))  # what the plot marked before
    marked = plot_det(curve, tmp_path / "b.png", chosen_min_score=0.776, chosen_point=(5.5, 0.78))
    assert marked == (5.5, pytest.approx(0.22)) and (tmp_path / "b.png").stat().st_size > 0


def _held_by_real(events: int | None = None) -> dict[str, Any]:
    """A calibration whose threshold the guarded source ``data/real`` holds at 0 (with its event count, if given)."""
    point: dict[str, Any] = {"min_score": 0.0, "fa_per_hour": 11.8, "false_activations": 26, "recall": 0.928}
    cal: dict[str, Any] = {
        "min_score": 0.0,
        "budget_met": False,
        "max_recall_loss": 0.05,
        "source_max_recall_loss": 0.02,
        "background_h": 2.2,
        "streams": ["a", "b"],
        "chosen": point,
        "argmax": point,
        "held_by": ["data/real"],
    }
    if events is not None:
        point["events"] = events
        cal["sources"] = {"data/real": {"chosen": point, "argmax": point}}
    return cal


def test_the_calibration_line_counts_one_stream_in_the_singular() -> None:
    """``(1 streams)`` was printed for a run calibrated on one stream (``dsp.text.plural``)."""
    from dsp.text import plural
    from models.train import _calibration_line

    assert "background (1 stream): " in _calibration_line({**_held_by_real(), "streams": ["a"]}, RejectionConfig())
    assert "background (2 streams): " in _calibration_line(_held_by_real(), RejectionConfig())
    assert (plural(0, "run"), plural(1, "run"), plural(2, "index", "indices")) == ("0 runs", "1 run", "2 indices")


def test_the_calibration_line_names_the_guard_and_says_when_nothing_is_rejected() -> None:
    """A run whose guarded source allows no loss keeps min_score 0: the line must say so, and why."""
    from models.train import _calibration_line

    cal = _held_by_real()
    line = _calibration_line(cal, RejectionConfig())
    assert "min_score 0 (no rejection)" in line
    assert line.endswith("allowed on data/real (max recall loss 0.05 pooled, 0.02 per source)")
    plain = _calibration_line({**cal, "min_score": 0.6, "held_by": []}, RejectionConfig())
    assert "no rejection" not in plain and "allowed on" not in plain
    assert "the pooled streams" in _calibration_line({**cal, "held_by": ["pooled"]}, RejectionConfig())
    assert "recognises none" not in plain
    blind = {"min_score": 0.29, "recall": 0.0, "false_activations": 0, "fa_per_hour": 0.0}
    line = _calibration_line(
        {**cal, "held_by": [], "budget_met": True, "chosen": blind, "argmax": blind}, RejectionConfig()
    )
    assert "budget 0.5/h met; the model recognises none of the validation gestures even at arg-max" in line


def test_the_calibration_line_says_when_the_background_is_too_short_to_judge_the_budget() -> None:
    """Gesture sessions alone (a personalisation's) hold minutes of background: "0 false activations, budget
    0.5/h met" on 2.5 min said nothing about 0.5 per hour; minutes of calibration streams (the quickstart's) no
    more, and there the advice is longer streams, not to add them."""
    from models.train import _calibration_line

    cal = _held_by_real()
    short = _calibration_line({**cal, "held_by": [], "background_h": 0.04}, RejectionConfig())
    assert short.endswith(
        "; but 0.04 h of background cannot judge 0.5/h (one false activation on it is already 25/h): add everyday "
        "streams with --calibration-data (radargest simulate --everyday)"
    )
    given = RejectionConfig(calibration_data=("cal/a.h5",))  # streams were given, minutes long: ask for longer
    assert _calibration_line({**cal, "held_by": [], "background_h": 0.8}, given).endswith(
        "; but 0.80 h of background cannot judge 0.5/h (one false activation on it is already 1/h): longer "
        "--calibration-data streams would: at least 2 hours of background in all"
    )
    assert "cannot judge" not in _calibration_line({**cal, "held_by": [], "background_h": 2.0}, RejectionConfig())
    zero = RejectionConfig(budget_fa_per_hour=0.0)  # none on the streams is all a budget of 0 can ask
    assert "cannot judge" not in _calibration_line({**cal, "held_by": [], "background_h": 0.04}, zero)


def test_the_calibration_line_says_when_a_guarded_source_has_too_few_events_to_lose_one() -> None:
    """30 validation events under a 2-point guard: one miss is 3.3 points, so no threshold is allowed; the line
    must give that arithmetic, and stay silent when one miss fits the guard (80 events: 1.25 points)."""
    from models.train import _calibration_line

    few = _calibration_line(_held_by_real(30), RejectionConfig())
    assert "data/real has 30 validation events, so one miss costs 3.3 points of recall, more than the 2 allowed" in few
    # rounded up: 0.033 would still forbid one miss of 30
    assert "--source-max-recall-loss 0.034 would allow one miss there" in few
    assert "validation events" not in _calibration_line(_held_by_real(80), RejectionConfig())
    assert "validation events" not in _calibration_line({**_held_by_real(30), "held_by": ["pooled"]}, RejectionConfig())


def test_the_false_activation_bound_is_the_rate_at_which_the_count_is_a_five_percent_event() -> None:
    """The 95 % bound is the rate r at which seeing at most n false activations in h hours has probability 0.05,
    checked against the Poisson distribution itself (another scipy path than the bound's gamma inverse); none
    in one hour bounds at -ln 0.05 = 3.0/h, and ten times the hours gives a tenth of the bound."""
    from scipy.stats import poisson

    assert fa_per_hour_upper(0, 1.0) == pytest.approx(-np.log(0.05))
    assert fa_per_hour_upper(0, 10.0) == pytest.approx(-np.log(0.05) / 10)
    for n, hours in ((1, 3.2), (5, 11.1), (20, 2.0)):
        bound = fa_per_hour_upper(n, hours)
        assert bound is not None and bound > n / hours
        assert poisson.cdf(n, bound * hours) == pytest.approx(0.05, abs=1e-9)
        assert poisson.cdf(n, fa_per_hour_upper(n, hours, confidence=0.5) * hours) == pytest.approx(0.5, abs=1e-9)
    assert fa_per_hour_upper(1, 3.2) > fa_per_hour_upper(1, 11.1)  # longer streams, tighter bound
    assert fa_per_hour_upper(3, 0.0) is None  # no background: no rate at all
    with pytest.raises(ValueError, match="count"):
        fa_per_hour_upper(-1, 1.0)
    with pytest.raises(ValueError, match="confidence"):
        fa_per_hour_upper(1, 1.0, confidence=1.0)


def test_the_calibration_line_gives_the_rate_and_its_bound() -> None:
    """The rate the budget is judged on, with the highest rate its count allows; a point recorded before the
    bound existed prints as before."""
    from models.train import _calibration_line

    cal = _held_by_real()
    cal["chosen"] = {**cal["chosen"], "fa_per_hour_upper95": fa_per_hour_upper(26, 2.2)}
    assert "26 false activations (11.80/h, at most 16.40/h at 95 % confidence; arg-max 26)" in _calibration_line(
        cal, RejectionConfig()
    )
    assert "26 false activations (arg-max 26)" in _calibration_line(_held_by_real(), RejectionConfig())
