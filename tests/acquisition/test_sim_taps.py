"""The simulated tap moves like the real training days' taps (idx_1/2/5; acquisition/sim/gestures.py)."""

from __future__ import annotations

import numpy as np

from acquisition.sim import GESTURES, Subject

FINGER = 2  # the index finger, which follows a tap fully (acquisition.sim.hand.HAND_PARTS)
DT_S = 0.001
SLOW_M_S = 0.12  # the speed below which the real days' measurement counts a frame as still
#: training-side simulated subjects (seeds 0-59 took in the held-out 12-15)
TRAINING_SIDE = range(2700, 2760)


def _finger_velocity(gesture: str, seed: int) -> tuple[np.ndarray, dict[str, float]]:
    subject = Subject.from_seed(seed)
    p = GESTURES[gesture].sample(np.random.default_rng(seed), subject)
    t = np.arange(0.0, p["duration_s"], DT_S)
    disp, _ = GESTURES[gesture].trajectory(t, p, subject.hand)
    return np.gradient(disp[:, FINGER], DT_S), p


def _still_between(v: np.ndarray, a: int, b: int) -> float:
    """Time the finger spends slower than SLOW_M_S between samples a and b [s]."""
    return float((np.abs(v[a:b]) < SLOW_M_S).sum() * DT_S)


def test_a_double_tap_reverses_at_once_and_returns_slower_than_it_presses() -> None:
    """On the real days the velocity turns from press to return within a median of one frame (17 ms; p90
    50 ms), from the first return into the second press likewise (median 17 ms, p90 90 ms), and the return
    is the slower stroke. The earlier model held 50-200 ms at the turning point and paused 40-300 ms
    between the taps, both between rest-to-rest minimum-jerk strokes of equal speed."""
    dwell, pause, speed_ratio = [], [], []
    for seed in TRAINING_SIDE[:60]:
        v, p = _finger_velocity("double_tap_in", seed)
        second = int((p["stroke_s"] + p["hold_s"] + p.get("return_s", p["stroke_s"]) + p["gap_s"]) / DT_S)
        press1, ret1 = int(np.argmin(v[:second])), int(np.argmax(v[:second]))
        press2 = second + int(np.argmin(v[second:]))
        dwell.append(_still_between(v, press1, ret1))
        pause.append(_still_between(v, ret1, press2))
        speed_ratio.append(v[ret1] / -v[press1])
    assert np.median(dwell) < 0.06
    assert np.median(pause) < 0.15
    assert np.median(speed_ratio) < 0.85


def test_a_single_tap_reverses_at_once() -> None:
    dwell = []
    for seed in TRAINING_SIDE[:40]:
        v, _ = _finger_velocity("tap_in", seed)
        dwell.append(_still_between(v, int(np.argmin(v)), int(np.argmax(v))))
    assert np.median(dwell) < 0.06


def test_stroke_bounds_scale_with_the_subjects_tempo() -> None:
    """A subject's tempo scales the bounds of a tap's strokes like the strokes themselves: the median performer
    keeps PRESS_STROKE_S and MAX_RETURN_STROKE_S, a subject at 0.6 of the median tempo presses for up to 0.5 s
    (the robustness map's tempo x0.6)."""
    import dataclasses

    from acquisition.sim.gestures import MAX_RETURN_STROKE_S, PRESS_STROKE_S
    from acquisition.sim.hand import MEDIAN_SPEED_FACTOR

    base = Subject.from_seed(3)
    for tempo in (0.6, 1.0, 1.45):
        subject = dataclasses.replace(base, speed_factor=MEDIAN_SPEED_FACTOR * tempo)
        strokes, returns = [], []
        for seed in range(400):
            p = GESTURES["tap_in"].sample(np.random.default_rng(seed), subject)
            strokes.append(p["stroke_s"])
            returns.append(p["return_s"])
        lo, hi = PRESS_STROKE_S
        assert min(strokes) >= lo / tempo - 1e-12 and max(strokes) <= hi / tempo + 1e-12
        assert max(returns) <= MAX_RETURN_STROKE_S / tempo + 1e-12
    slow = dataclasses.replace(base, speed_factor=MEDIAN_SPEED_FACTOR * 0.6)
    longest = max(GESTURES["tap_in"].sample(np.random.default_rng(s), slow)["stroke_s"] for s in range(400))
    assert longest > PRESS_STROKE_S[1]  # with fixed bounds it could never exceed the median performer's 0.3 s
