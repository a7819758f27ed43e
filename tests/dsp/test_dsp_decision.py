"""The decision layer (dsp.decision): prefix table, the early rule on constructed ratio streams, the
always-wait mode equal to the segmenter's events, and the weak pass on constructed nested events."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import dsp
from dsp.decision import (
    Decision,
    DecisionConfig,
    DecisionPolicy,
    decide_stream,
    prefix_flags,
    prefix_table,
    renewed_motion_gaps,
)

CLASSES = ("none", "tap_in", "tap_out", "double_tap_in", "wiggle")
RATE = 50.0  # frames per second: 0.02 s a frame
SEG = dsp.SegmentConfig(min_area_db_s=0.05, min_duration_s=0.06, pre_roll_s=0.0)
WINDOW = {"window_frames": 40, "end_pad_frames": 5, "pre_frames": 2}


def levels(parts: list[tuple[int, int, float]], n: int) -> np.ndarray:
    """``(n,)`` ratio [dB]: ``level`` inside each ``(start, end, level)``, 0 dB elsewhere."""
    r = np.zeros(n)
    for start, end, level in parts:
        r[start:end] = level
    return r


def ratio_with_runs(runs: list[tuple[int, int]], n: int) -> np.ndarray:
    """``(n,)`` ratio [dB]: 10 dB inside the runs ``[start, end)``, 0 dB elsewhere."""
    return levels([(s, e, 10.0) for s, e in runs], n)


def run(ratio: np.ndarray, classify, cfg: DecisionConfig | None = None) -> list[Decision]:
    return decide_stream(
        ratio, classify, cfg=cfg or DecisionConfig(), segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **WINDOW
    )


def by_parts(parts: dict[int, str], score: float = 0.9):
    """A classifier answering ``parts[number of runs seen in the event so far]`` (else none)."""

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        p = np.full(len(CLASSES), (1 - score) / (len(CLASSES) - 1))
        p[CLASSES.index(parts.get(classify.calls, "none"))] = score  # type: ignore[attr-defined]
        return p

    classify.calls = 0  # type: ignore[attr-defined]
    return classify


def test_prefix_table_default_and_user_sets() -> None:
    assert prefix_table(CLASSES) == {"tap_in": ("double_tap_in",)}
    assert prefix_table(("none", "tap_out", "wiggle")) == {}
    assert prefix_table(("none", "tap_in", "wiggle")) == {}  # no longer gesture: no wait
    assert prefix_table(("none", "swipe", "double_swipe", "triple_swipe")) == {
        "swipe": ("double_swipe",),
        "double_swipe": ("triple_swipe",),
    }
    assert prefix_table(("none", "push", "push_pull"), [("push", "push_pull")]) == {"push": ("push_pull",)}
    assert prefix_flags(CLASSES).tolist() == [False, True, False, False, False]
    with pytest.raises(dsp.ParameterError, match="prefixes of each other"):
        prefix_table(("none", "a", "b"), [("a", "b"), ("b", "a")])
    with pytest.raises(dsp.ParameterError, match="prefixes of each other"):
        prefix_table(("none", "tap_in", "double_tap_in"), [("double_tap_in", "tap_in")])


def test_config_validation_and_json_round_trip() -> None:
    with pytest.raises(dsp.ParameterError, match="min_score"):
        DecisionConfig(min_score=-0.5)
    with pytest.raises(dsp.ParameterError, match="prefix_wait_s"):
        DecisionConfig(prefix_wait_s=-0.1)
    with pytest.raises(dsp.ParameterError, match="pairs"):
        DecisionConfig(prefixes=(("a", "a"),))
    with pytest.raises(dsp.ParameterError, match="prefix_hold_db"):
        DecisionConfig(prefix_hold_db=float("nan"))
    with pytest.raises(dsp.ParameterError, match="sure_max_runs"):
        DecisionConfig(sure_max_runs=-1)
    with pytest.raises(dsp.ParameterError, match="min_peak_db"):
        DecisionConfig(min_peak_db=float("inf"))
    with pytest.raises(dsp.ParameterError, match="idle_min_peak_db"):
        DecisionConfig(idle_min_peak_db=float("nan"))
    cfg = DecisionConfig(
        min_score=0.6,
        prefix_wait_s=0.25,
        prefix_hold_db=1.5,
        sure_max_runs=3,
        min_peak_db=7.5,
        idle_min_peak_db=8.25,
        early=False,
        prefixes=(("push", "push_pull"),),
    )
    section = cfg.manifest_section(("none", "push", "push_pull"))
    assert section["prefix_table"] == {"push": ["push_pull"]}
    assert DecisionConfig.from_json(section) == cfg
    idle = cfg.for_idle_stream()
    swapped = {
        **section,
        "min_peak_db": 8.25,
        "gate_max_range_m": cfg.idle_gate_max_range_m,
        "weak_on_db": cfg.idle_weak_on_db,
        "weak_min_area_db_s": None,
    }
    assert idle.min_peak_db == 8.25 and idle == DecisionConfig.from_json(swapped)
    ranged = DecisionConfig(gate_max_range_m=0.11, idle_gate_max_range_m=0.17)
    assert DecisionConfig.from_json(ranged.to_json()) == ranged
    assert ranged.for_idle_stream().gate_max_range_m == 0.17
    old = {k: v for k, v in ranged.to_json().items() if "range" not in k}  # a manifest before the condition
    assert DecisionConfig.from_json(old).gate_max_range_m == 0.0 == DecisionConfig.from_json(old).idle_gate_max_range_m
    with pytest.raises(dsp.ParameterError, match="gate_max_range_m"):
        DecisionConfig(gate_max_range_m=-0.1)
    with pytest.raises(dsp.ParameterError, match="idle_gate_max_range_m"):
        DecisionConfig(idle_gate_max_range_m=float("inf"))
    off = DecisionConfig(fallback_superseded=False)
    assert DecisionConfig().fallback_superseded and DecisionConfig.from_json(off.to_json()) == off
    before = {k: v for k, v in DecisionConfig().to_json().items() if k != "fallback_superseded"}
    assert DecisionConfig.from_json(before) == off  # a bundle exported before the fallback decides as it did
    with pytest.raises(dsp.ParameterError, match="fallback_superseded"):
        DecisionConfig(fallback_superseded=1)  # type: ignore[arg-type]
    weak = DecisionConfig(weak_on_db=4.0, idle_weak_on_db=3.25)
    assert DecisionConfig.from_json(weak.to_json()) == weak and weak.for_idle_stream().weak_on_db == 3.25
    unweak = {k: v for k, v in weak.to_json().items() if "weak" not in k}  # a bundle exported before the weak pass
    assert DecisionConfig.from_json(unweak).weak_on_db == 0.0 == DecisionConfig.from_json(unweak).idle_weak_on_db
    with pytest.raises(dsp.ParameterError, match="weak_on_db"):
        DecisionConfig(weak_on_db=-1.0)
    with pytest.raises(dsp.ParameterError, match="weak_on_db"):  # motion would start below where it ends
        run(np.zeros(10), by_parts({}), DecisionConfig(weak_on_db=SEG.off_db - 0.5))
    policy = DecisionPolicy(cfg=DecisionConfig(), segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **WINDOW)
    assert policy.weak is not None  # the default level, under a segmenter's default on_db
    for level in (SEG.on_db, SEG.on_db + 1.0):  # a run whose on_db is this low has no weaker pass to add
        cfg = DecisionConfig(weak_on_db=level)
        assert DecisionPolicy(cfg=cfg, segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **WINDOW).weak is None


def test_non_prefix_decided_at_settle_and_later_runs_absorbed() -> None:
    ratio = ratio_with_runs([(20, 40), (50, 60)], 200)  # second run 10 frames later: same event
    calls: list[int] = []

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        calls.append(window_end)
        return np.array([0.01, 0.01, 0.96, 0.01, 0.01])

    out = run(ratio, classify)
    assert len(out) == 1 and out[0].accepted and CLASSES[out[0].label] == "tap_out"
    assert out[0].frame == 40 + 5 - 1  # settle 0.1 s = 5 frames after the run's end at frame 40
    assert out[0].window_end == 45 and (out[0].start_frame, out[0].end_frame) == (20, 40)
    assert calls == [45]  # the absorbed run is never classified


def test_peak_gate_rejects_an_event_until_its_ratio_peaks_at_min_peak_db() -> None:
    """The physical gate: a sure gesture on an event whose ratio never reached ``min_peak_db`` is a rejected
    candidate; once a later run of the same event peaks high enough, that checkpoint decides; a peak exactly at
    the gate (float32) passes; NaN frames are no peak; 0 turns the gate off."""
    sure = np.array([0.01, 0.01, 0.96, 0.01, 0.01])  # tap_out
    weak = ratio_with_runs([(20, 40)], 200) * 0.55  # 5.5 dB: a run (on_db 5) below the default gate 5.9 dB
    rejected = run(weak, lambda s, e, w: sure)
    assert [(d.accepted, CLASSES[d.label]) for d in rejected] == [(False, "tap_out")]
    assert [(d.accepted, d.frame) for d in run(weak, lambda s, e, w: sure, DecisionConfig(min_peak_db=0.0))] == [
        (True, 44)
    ]
    grown = weak.copy()
    grown[50:60] = 10.0  # a second run 10 frames later, in the same event, peaks at 10 dB
    out = run(grown, lambda s, e, w: sure)
    assert [(d.accepted, d.start_frame, d.end_frame, d.frame) for d in out] == [(True, 20, 60, 64)]
    at_gate = weak.copy()
    at_gate[30] = np.float32(5.9)
    assert [d.accepted for d in run(at_gate, lambda s, e, w: sure)] == [True]
    nan_peak = weak.copy()
    nan_peak[30] = np.nan  # a missing frame inside the run is no evidence of a peak
    nan_peak[31] = 5.89
    assert [d.accepted for d in run(nan_peak, lambda s, e, w: sure)] == [False]


def test_unsure_gesture_waits_for_a_further_part() -> None:
    unsure = np.array([0.1, 0.05, 0.7, 0.1, 0.05])  # tap_out, but below sure_score 0.95
    alone = run(ratio_with_runs([(20, 40)], 200), lambda s, e, w: unsure)
    assert [(CLASSES[d.label], d.frame) for d in alone] == [("tap_out", 40 + 10 - 1)]  # unsure_wait 0.2 s
    # a second part 8 frames later: the first classification is dropped, the whole event decides
    grown = run(
        ratio_with_runs([(20, 40), (48, 60)], 200),
        lambda s, e, w: unsure if e == 40 else np.array([0.01, 0.01, 0.01, 0.96, 0.01]),
    )
    assert [(CLASSES[d.label], d.frame, d.end_frame) for d in grown] == [("double_tap_in", 60 + 5 - 1, 60)]
    # sure_score 0 decides every gesture at its checkpoint
    now = run(ratio_with_runs([(20, 40)], 200), lambda s, e, w: unsure, DecisionConfig(sure_score=0.0))
    assert [d.frame for d in now] == [44]
    # a second part the model calls none (other motion): the event falls back to the superseded tap_out at its
    # close, on the first checkpoint's window; without the fallback it is a rejected candidate
    other = ratio_with_runs([(20, 40), (48, 60)], 200)

    def later_none(s: int, e: int, w: int) -> np.ndarray:
        return unsure if e == 40 else np.array([0.9, 0.02, 0.04, 0.02, 0.02])

    back = run(other, later_none)
    assert [(CLASSES[d.label], d.accepted, d.end_frame, d.window_end) for d in back] == [("tap_out", True, 40, 45)]
    assert back[0].frame >= 60 + 25 - 1  # at the close, the merge gap (0.5 s) after the last run
    lost = run(other, later_none, DecisionConfig(fallback_superseded=False))
    assert [(CLASSES[d.label], d.accepted) for d in lost] == [("none", False)]


def test_prefix_waits_then_decides_or_grows_into_longer_gesture() -> None:
    # one tap: tap_in decided prefix_wait (0.28 s = 14 frames) after its end, sure or not
    single = run(ratio_with_runs([(20, 35)], 200), lambda s, e, w: np.array([0.1, 0.7, 0.1, 0.05, 0.05]))
    assert [(CLASSES[d.label], d.frame) for d in single] == [("tap_in", 35 + 14 - 1)]
    # a second tap 10 frames later (< wait): the event grows; its next checkpoint says double_tap_in
    seen: list[tuple[int, int]] = []

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        seen.append((start, end))
        k = 1 if end == 35 else 3
        p = np.full(5, 0.01)
        p[k] = 0.96
        return p

    double = run(ratio_with_runs([(20, 35), (45, 55)], 200), classify)
    assert [(CLASSES[d.label], d.frame, d.start_frame, d.end_frame) for d in double] == [
        ("double_tap_in", 55 + 5 - 1, 20, 55)
    ]
    assert seen == [(20, 35), (20, 55)]
    # the second tap after the wait but within the merge gap: tap_in, and the second run is absorbed
    late = run(ratio_with_runs([(20, 35), (52, 58)], 200), classify)
    assert [(CLASSES[d.label], d.frame) for d in late] == [("tap_in", 48)]


def test_renewed_motion_holds_a_waiting_prefix() -> None:
    """A prefix gesture due while the ratio is back at prefix_hold_db (renewed motion, the onset of a possible
    next part) waits on: decided when the ratio drops again, or the event grows if the motion becomes a run."""

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        p = np.full(5, 0.01)
        p[1 if end == 35 else 3] = 0.96
        return p

    # due at frame 48 (35 + 14 - 1); the ratio sits between off (3) and on (5) dB over frames 46..51
    r = ratio_with_runs([(20, 35)], 200)
    r[46:52] = 4.0
    assert [(CLASSES[d.label], d.frame) for d in run(r, classify)] == [("tap_in", 52)]
    # the same rise becomes a run at frame 52: the event grows into double_tap_in
    r2 = ratio_with_runs([(20, 35), (52, 60)], 200)
    r2[46:52] = 4.0
    assert [(CLASSES[d.label], d.end_frame) for d in run(r2, classify)] == [("double_tap_in", 60)]
    # without the rise the same second run comes too late (test above); NaN frames are no motion
    r3 = ratio_with_runs([(20, 35), (52, 60)], 200)
    r3[46:52] = np.nan
    assert [(CLASSES[d.label], d.frame) for d in run(r3, classify)] == [("tap_in", 48)]
    # below the level (default 2 dB) is no renewed motion
    r5 = ratio_with_runs([(20, 35)], 200)
    r5[46:52] = 1.9
    assert [d.frame for d in run(r5, classify)] == [48]
    assert [d.frame for d in run(r5, classify, DecisionConfig(prefix_hold_db=1.5))] == [52]
    # a non-prefix gesture is not held: an unsure tap_out is decided at its wait whatever the ratio
    r4 = ratio_with_runs([(20, 35)], 200)
    r4[42:52] = 4.0
    unsure = run(r4, lambda s, e, w: np.array([0.05, 0.05, 0.8, 0.05, 0.05]))
    assert [(CLASSES[d.label], d.frame) for d in unsure] == [("tap_out", 35 + 10 - 1)]


def test_rejection_keeps_the_event_open_and_min_score() -> None:
    ratio = ratio_with_runs([(20, 35), (45, 70)], 200)

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        return np.array([0.6, 0.1, 0.1, 0.1, 0.1]) if end == 35 else np.array([0.01, 0.01, 0.01, 0.01, 0.96])

    out = run(ratio, classify)
    assert [(CLASSES[d.label], d.accepted, d.frame) for d in out] == [("wiggle", True, 74)]
    strict = run(ratio, classify, DecisionConfig(min_score=0.97))
    # nothing reaches 0.97: one rejected candidate when the segmenter closes the event (merge gap 25 frames)
    assert [(CLASSES[d.label], d.accepted, d.frame) for d in strict] == [("wiggle", False, 70 + 25 - 1)]


def test_always_wait_equals_the_segmenter() -> None:
    rng = np.random.default_rng(3)
    ratio = rng.normal(1.0, 1.5, 3000)  # a quiet floor with bursts of motion 1-30 frames long, 1-60 apart
    t = 0
    while t < 3000:
        t += int(rng.integers(1, 60))
        ratio[t : t + int(rng.integers(1, 30))] += rng.uniform(2.0, 9.0)
        t += 30
    ratio[rng.random(3000) < 0.01] = np.nan
    seg = dsp.Segmenter(cfg=SEG, frame_rate_hz=RATE)
    want = []
    for n, r in enumerate(ratio.tolist()):
        want += [(s, e, n) for s, e in seg.process(r).tolist()]
    want += [(s, e, len(ratio) - 1) for s, e in seg.flush().tolist()]
    assert len(want) > 20
    one_pass = DecisionConfig(weak_on_db=0.0)  # the weak pass adds events of its own segmenter
    got = run(ratio, lambda s, e, w: np.array([0.1, 0.2, 0.3, 0.2, 0.2]), replace(one_pass, early=False))
    assert [(d.start_frame, d.end_frame, d.frame) for d in got] == want
    # early: the same events (one record each, decided or rejected), never later than waiting
    early = run(ratio, lambda s, e, w: np.array([0.1, 0.2, 0.3, 0.2, 0.2]), one_pass)
    assert len(early) == len(want)
    assert all(d.start_frame == s and d.frame <= n for d, (s, _, n) in zip(early, want, strict=True))


def test_policy_streaming_equals_decide_stream_and_reset() -> None:
    ratio = ratio_with_runs([(20, 35), (45, 55), (120, 160)], 300)

    def classify(s: int, e: int, w: int) -> np.ndarray:
        return np.array([0.1, 0.5, 0.1, 0.2, 0.1]) if e == 35 else np.array([0.1, 0.1, 0.1, 0.1, 0.6])

    policy = DecisionPolicy(cfg=DecisionConfig(), segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **WINDOW)
    for _ in range(2):
        policy.reset()
        got: list[Decision] = []
        for r in ratio.tolist():
            got += policy.process(r, classify)
        got += policy.flush(classify)
        assert got == run(ratio, classify)


def test_decision_cli_options_override_the_base_config() -> None:
    import argparse

    from radargest.decision_args import add_decision_arguments, decision_from_args

    p = argparse.ArgumentParser()
    add_decision_arguments(p)
    base = DecisionConfig(min_score=0.4)
    assert decision_from_args(p.parse_args([]), base) == base
    got = decision_from_args(p.parse_args(["--prefix-hold-db", "9", "--prefix-wait-s", "0.2"]), base)
    assert (got.min_score, got.prefix_hold_db, got.prefix_wait_s, got.early) == (0.4, 9.0, 0.2, True)
    got = decision_from_args(p.parse_args(["--gate-max-range-m", "0", "--idle-gate-max-range-m", "0.17"]), base)
    assert (got.gate_max_range_m, got.idle_gate_max_range_m, got.min_score) == (0.0, 0.17, 0.4)
    got = decision_from_args(p.parse_args(["--no-fallback"]), base)
    assert not got.fallback_superseded and got.close_look and base.fallback_superseded
    got = decision_from_args(p.parse_args(["--no-weak-pass"]), replace(base, idle_weak_on_db=4.0))
    assert (got.weak_on_db, got.idle_weak_on_db, got.fallback_superseded) == (0.0, 0.0, True) and base.weak_on_db > 0
    with pytest.raises(ValueError, match="--no-close-look, --no-fallback apply only with early decisions"):
        decision_from_args(p.parse_args(["--always-wait", "--no-close-look", "--no-fallback"]), base)


def test_a_long_event_is_classified_within_the_history_a_device_keeps() -> None:
    """A 4 s motion: every window asked for ends at most ``history_s`` before the frame being processed
    (a device keeps ``window + history`` embeddings), and the config's history round-trips through JSON."""
    cfg = DecisionConfig(history_s=0.5)
    assert DecisionConfig.from_json(cfg.to_json()) == cfg
    asked: list[tuple[int, int]] = []
    n = [0]

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        asked.append((window_end, n[0]))
        p = np.full(len(CLASSES), 0.0025)
        p[CLASSES.index("wiggle")] = 0.99  # sure: decided at its checkpoint
        return p

    policy = DecisionPolicy(cfg=cfg, segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **WINDOW)
    out: list[Decision] = []
    for i, r in enumerate(ratio_with_runs([(50, 250)], 400).tolist()):
        n[0] = i
        out += policy.process(r, classify)
    assert [CLASSES[d.label] for d in out if d.accepted] == ["wiggle"]
    history = round(0.5 * RATE)
    assert asked and all(now + 1 - history <= w <= now + 1 for w, now in asked)
    # the window ends at the latest evidence (event end + end pad), not at the start 200 frames back
    assert out[0].window_end == out[0].end_frame + WINDOW["end_pad_frames"]
    assert out[0].window_end - WINDOW["window_frames"] > out[0].start_frame


def test_a_gesture_merged_with_the_hands_entry_is_classified_on_its_own_motion() -> None:
    """A hand enters (run 1), hovers, then gestures (run 2) less than the merge gap later: one event longer
    than the window. The checkpoint after run 2 classifies the window ending at the latest evidence, which
    holds the gesture and not the entry, so a model that calls the entry ``none`` still decides the
    gesture (a window anchored at the event's start would show the entry again)."""
    entry, gesture = (50, 80), (100, 125)
    t = WINDOW["window_frames"]

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        p = np.full(len(CLASSES), 0.01)
        sees_gesture = window_end >= gesture[1] and window_end - t <= gesture[0]
        sees_entry = window_end - t < entry[1]
        p[CLASSES.index("wiggle") if sees_gesture and not sees_entry else 0] = 0.96
        return p

    out = decide_stream(
        ratio_with_runs([entry, gesture], 300),
        classify,
        cfg=DecisionConfig(),
        segment=SEG,
        classes=CLASSES,
        frame_rate_hz=RATE,
        **WINDOW,
    )
    assert len(out) == 1 and out[0].accepted and CLASSES[out[0].label] == "wiggle"
    assert out[0].end_frame - out[0].start_frame > t  # one merged event that does not fit the window


def test_range_condition_gates_only_events_whose_strongest_motion_is_near() -> None:
    """``gate_max_range_m``: a weak event (below ``min_peak_db``) whose motion power over its runs peaks at a
    point farther than the boundary is accepted, one at or nearer is rejected; the point is the first maximum
    of the power summed over the event's run frames (frames outside runs and non-finite frames add nothing);
    0 (off), or no power fed, gates every event; the boundary maps to the grid with 1 µm tolerance."""
    from dsp.decision import GATE_ALL_POINTS, gate_max_point

    ranges = np.array([0.05, 0.08, 0.11, 0.14])
    assert gate_max_point(0.11, ranges) == 2 and gate_max_point(0.11 - 1e-9, ranges) == 2
    assert gate_max_point(0.04, ranges) == -1 and gate_max_point(0.0, ranges) == GATE_ALL_POINTS
    assert gate_max_point(0.11, None) == GATE_ALL_POINTS
    sure = np.array([0.01, 0.01, 0.96, 0.01, 0.01])
    weak = ratio_with_runs([(20, 40)], 200) * 0.55  # 5.5 dB: rejected by the default gate 5.9 dB
    far = np.zeros((200, 4), dtype=np.float32)
    far[20:40, 3] = 1.0  # the run's motion at the 0.14 m point
    far[20:40, 0] = 0.5
    far[60:200, 0] = 100.0  # outside the run: not counted

    def accepted(power: np.ndarray | None, max_range_m: float) -> list[bool]:
        cfg = DecisionConfig(gate_max_range_m=max_range_m)
        out = decide_stream(
            weak,
            lambda s, e, w: sure,
            cfg=cfg,
            segment=SEG,
            classes=CLASSES,
            frame_rate_hz=RATE,
            point_power=power,
            point_ranges_m=None if power is None else ranges,
            **WINDOW,
        )
        return [d.accepted for d in out]

    assert accepted(far, 0.11) == [True]  # strongest at 0.14 m: beyond the boundary, not gated
    assert accepted(far, 0.14) == [False]  # at the boundary: gated
    assert accepted(far, 0.0) == [False]  # no range condition
    assert accepted(None, 0.11) == [False]  # no power fed: gated
    near = far.copy()
    near[25, 1] = 30.0  # one frame of strong motion at 0.08 m makes it the strongest point
    assert accepted(near, 0.11) == [False]
    near[25, :] = np.nan  # a non-finite frame adds nothing
    assert accepted(near, 0.11) == [True]
    tie = far.copy()
    tie[20:40, 1] = 1.0  # equal power at 0.08 and 0.14 m: the first maximum (the nearer point) counts
    assert accepted(tie, 0.11) == [False]


def test_renewed_motion_gaps_to_the_first_frame_up_or_to_motion_that_lasts() -> None:
    """The gap a prefix wait must bridge: to the first frame back at ``hold_db``, or (``sustained``) to where the
    ratio stays there until the next run, as the decision layer's hold needs; without ``hold_db``, to the run."""
    cfg = dsp.SegmentConfig(on_db=6, off_db=3)
    r = np.zeros(40, dtype=np.float32)
    r[2:5] = 8  # the first tap's run [2, 5)
    r[7] = 2.5  # up to the hold level, and down again
    r[10:12] = 2.5  # up to stay: the second tap is coming
    r[12:15] = 8  # the second tap's run [12, 15)
    r[30:33] = 8  # a single-run event
    spans = [(2, 15), (30, 33), (20, 25)]
    assert renewed_motion_gaps(r, spans, cfg=cfg, hold_db=2.0) == [[2], [], []]
    assert renewed_motion_gaps(r, spans, cfg=cfg, hold_db=2.0, sustained=True) == [[5], [], []]
    assert renewed_motion_gaps(r, spans, cfg=cfg, hold_db=None) == [[7], [], []]
    r[5:12] = 2.5  # never below the hold between the runs
    assert renewed_motion_gaps(r, spans[:1], cfg=cfg, hold_db=2.0, sustained=True) == [[0]]
    assert renewed_motion_gaps(r, spans[:1], cfg=cfg, hold_db=9.0, sustained=True) == [[7]]  # never up: to the run


def sure(gesture: str):
    """A classifier that answers ``gesture`` with probability 1 on every window."""
    return lambda start, end, window_end: np.eye(len(CLASSES))[CLASSES.index(gesture)]


#: The weak pass on, the gate off (the constructed events carry no range, so the gate would apply to all).
WEAK = DecisionConfig(weak_on_db=3.5, min_peak_db=0.0)
NO_WEAK = DecisionConfig(weak_on_db=0.0, min_peak_db=0.0)


def summary(out: list[Decision]) -> list[tuple[int, int, bool]]:
    return [(d.start_frame, d.frame, d.accepted) for d in out]


def test_the_weak_pass_decides_events_in_which_no_default_event_passes() -> None:
    # a faint event (4.5 dB: only the weak segmenter starts motion); a faint one that ends in a 10 dB blip too short
    # for the default segmenter's duration test (2 frames < 0.06 s); a strong one; a faint one the stream ends in
    ratio = levels([(20, 40, 4.5), (120, 138, 4.5), (138, 140, 10.0), (220, 240, 10.0), (330, 345, 4.5)], 345)
    assert summary(run(ratio, sure("wiggle"), NO_WEAK)) == [(220, 244, True)]
    out = run(ratio, sure("wiggle"), WEAK)
    assert summary(out) == [(20, 44, True), (120, 144, True), (220, 244, True), (330, 344, True)]
    assert all(CLASSES[d.label] == "wiggle" for d in out)
    rejected = run(ratio, sure("none"), WEAK)  # the weak pass proposes decisions, never rejected candidates
    assert summary(rejected) == [(220, 264, False)] == summary(run(ratio, sure("none"), NO_WEAK))


def test_a_default_event_claims_the_weak_event_it_lies_in() -> None:
    # a strong run, then a faint one within the merge gap: one weak event, claimed by the default one inside it
    ratio = levels([(20, 40, 10.0), (50, 70, 4.5)], 200)
    assert run(ratio, sure("wiggle"), WEAK) == run(ratio, sure("wiggle"), NO_WEAK)
    assert summary(run(ratio, sure("wiggle"), WEAK)) == [(20, 44, True)]
    at_once = replace(WEAK, settle_s=0.0)  # both passes would decide in the frame the run ends
    assert run(ratio, sure("wiggle"), at_once) == run(ratio, sure("wiggle"), replace(at_once, weak_on_db=0.0))
    # the stream ends in a strong run whose event the default pass keeps only then; the weak event it lies in was
    # classified none at its checkpoint, and accepted on the window at its close: one decision, the default pass's
    ending = levels([(20, 40, 4.5), (50, 60, 10.0)], 60)

    def late(start: int, end: int, window_end: int) -> np.ndarray:
        return sure("wiggle" if window_end > 50 else "none")(start, end, window_end)

    assert run(ending, late, WEAK) == run(ending, late, NO_WEAK)
    assert summary(run(ending, late, WEAK)) == [(50, 59, True)]


def test_a_weak_decision_absorbs_the_default_events_inside_its_event() -> None:
    # a faint run the weak pass decides, then a strong run within the merge gap: the same weak event
    ratio = levels([(20, 40, 4.5), (50, 70, 10.0)], 200)
    assert summary(run(ratio, sure("wiggle"), NO_WEAK)) == [(50, 74, True)]
    assert summary(run(ratio, sure("wiggle"), WEAK)) == [(20, 44, True)]  # one decision, not two
    ending = ratio[:60]  # the stream ends in the strong run, before the default segmenter tracks its event
    assert summary(run(ending, sure("wiggle"), WEAK)) == [(20, 44, True)]
    blip = levels([(20, 38, 4.5), (38, 40, 10.0), (50, 70, 10.0)], 200)  # a default event is open when it decides
    assert summary(run(blip, sure("wiggle"), WEAK)) == [(20, 44, True)]
    at_once = replace(WEAK, settle_s=0.0)  # the default pass would decide in the frame its track begins
    assert summary(run(ratio, sure("wiggle"), at_once)) == [(20, 40, True)]


def test_the_weak_pass_has_an_area_test_of_its_own() -> None:
    """``weak_min_area_db_s``: a faint event whose area passes it but not the segmenter's is the weak pass's to
    decide; None is the segmenter's test (a manifest from before the field); the default pass does not change."""
    seg = replace(SEG, min_area_db_s=0.2)
    # 6 frames at 4.5 dB: 1.5 dB over off_db for 0.12 s, an area of 0.18 dB·s; then a strong event
    ratio = levels([(20, 26, 4.5), (120, 140, 10.0)], 250)

    def decided(area: float | None) -> list[tuple[int, int, bool]]:
        cfg = replace(WEAK, weak_min_area_db_s=area)
        out = decide_stream(ratio, sure("wiggle"), cfg=cfg, segment=seg, classes=CLASSES, frame_rate_hz=RATE, **WINDOW)
        return summary(out)

    strong = (120, 144, True)
    assert decided(None) == decided(0.2) == [strong]
    assert decided(0.1) == decided(0.18) == [(20, 30, True), strong]
    cfg = DecisionConfig(weak_min_area_db_s=0.05)
    assert DecisionConfig.from_json(cfg.to_json()) == cfg and cfg.for_idle_stream().weak_min_area_db_s is None
    before = {k: v for k, v in cfg.to_json().items() if k != "weak_min_area_db_s"}
    assert DecisionConfig.from_json(before).weak_min_area_db_s is None
    for bad in (-0.1, float("nan")):
        with pytest.raises(dsp.ParameterError, match="weak_min_area_db_s"):
            DecisionConfig(weak_min_area_db_s=bad)


def test_refractory_time_rejects_the_same_gesture_on_an_event_soon_after_the_last_one_reported() -> None:
    """``refractory_s``: a gesture equal to the last one reported, on an event starting less than that after the end
    of its event, is a rejected candidate (measured from the last gesture *reported*, so a rejected one does not
    extend it); another gesture, or the same one later, is decided; 0 turns it off."""
    runs = [(20, 40), (70, 85), (150, 165), (195, 210), (240, 255)]  # 30 frames apart at least: five events
    answers = {20: "tap_out", 70: "tap_out", 150: "tap_out", 195: "wiggle", 240: "wiggle"}

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        p = np.full(len(CLASSES), 0.01)
        p[CLASSES.index(answers[start])] = 0.96
        return p

    ratio = ratio_with_runs(runs, 300)
    cfg = DecisionConfig(min_peak_db=0.0, refractory_s=1.0, refractory_window=False)  # 50 frames; any window
    out = run(ratio, classify, cfg)
    assert [(d.start_frame, CLASSES[d.label], d.accepted) for d in out] == [
        (20, "tap_out", True),
        (70, "tap_out", False),  # 30 frames after the end of the tap_out reported
        (150, "tap_out", True),  # 110 frames after it
        (195, "wiggle", True),  # another gesture
        (240, "wiggle", False),
    ]
    off = run(ratio, classify, replace(cfg, refractory_s=0.0))
    assert [d.accepted for d in off] == [True] * 5
    assert [replace(d, accepted=True) for d in out] == off  # the same records otherwise, at the same frames
    assert [d.accepted for d in run(ratio, classify, replace(cfg, refractory_s=0.6))] == [True] * 5  # 30 frames


def test_the_refractory_time_holds_back_only_a_repeat_whose_window_holds_part_of_the_reported_gesture() -> None:
    """``refractory_window``: inside the refractory time, the same gesture is held back only if the window it was
    decided on begins before the end of the reported gesture's event: a short motion just after a gesture (its window
    reaches back over it) is held back, a full repeat whose window begins at that end or later is decided. False holds
    back every repeat inside the time; the field round-trips through JSON, a manifest written before it loads with
    False, and it must be a bool."""

    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        p = np.full(len(CLASSES), 0.01)
        p[CLASSES.index("tap_out")] = 0.96
        return p

    def decided(repeat_end: int, window: bool) -> list[tuple[int, int, int, bool]]:
        runs = [(20, 40), (70, 74), (150, 170), (200, repeat_end)]  # gesture, short motion, gesture, repeat
        cfg = DecisionConfig(min_peak_db=0.0, refractory_s=1.0, refractory_window=window)  # 50 frames
        placement = {**WINDOW, "window_frames": 70}  # 1.4 s, the recipe's window
        out = decide_stream(
            ratio_with_runs(runs, 300), classify, cfg=cfg, segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **placement
        )
        return [(d.start_frame, d.end_frame, d.window_end, d.accepted) for d in out]

    # the short motion's window [9, 79) holds all of [20, 40); the repeat's [170, 240) begins at the end of [150, 170),
    # and one frame earlier, [169, 239), it holds the last frame
    with_test, without = decided(235, True), decided(235, False)
    assert with_test == [(20, 40, 45, True), (70, 74, 79, False), (150, 170, 175, True), (200, 235, 240, True)]
    assert [r[3] for r in decided(234, True)] == [True, False, True, False]
    assert [r[3] for r in without] == [True, False, True, False]
    assert [r[:3] for r in without] == [r[:3] for r in with_test]
    cfg = DecisionConfig(refractory_window=False)
    assert DecisionConfig.from_json(cfg.to_json()) == cfg
    before = {k: v for k, v in DecisionConfig().to_json().items() if k != "refractory_window"}
    assert DecisionConfig.from_json(before).refractory_window is False
    with pytest.raises(dsp.ParameterError, match="refractory_window"):
        DecisionConfig(refractory_window=1)  # type: ignore[arg-type]
