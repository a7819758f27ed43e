"""dsp.decision.checkpoints: the windows the decision layer hands the classifier before it decides."""

from __future__ import annotations

import numpy as np

import dsp
from dsp.decision import DecisionConfig, checkpoints, decide_stream

CLASSES = ("none", "tap_in", "tap_out", "double_tap_in", "wiggle")
RATE = 50.0
SEG = dsp.SegmentConfig(min_area_db_s=0.05, min_duration_s=0.06, pre_roll_s=0.0)
WINDOW = {"window_frames": 40, "end_pad_frames": 5, "pre_frames": 2}


def ratio_with_runs(runs: list[tuple[int, int]], n: int) -> np.ndarray:
    r = np.zeros(n)
    for s, e in runs:
        r[s:e] = 10.0
    return r


def test_one_checkpoint_per_run_placed_as_the_runtime_places_it() -> None:
    # event 1: two runs 10 frames apart (one event, a checkpoint after each); event 2: one run
    ratio = ratio_with_runs([(20, 40), (50, 60), (150, 170)], 260)
    cfg = DecisionConfig(close_look=False)
    rows = checkpoints(ratio, cfg=cfg, segment=SEG, frame_rate_hz=RATE, **WINDOW)
    settle = cfg.frames(RATE)[1]
    assert rows[:, :2].tolist() == [[20, 40], [20, 60], [150, 170]]
    # the close look (the default) adds each event's look at its close, at the frame merge_gap after its last
    # run frame, on the window ending there
    look = checkpoints(ratio, cfg=DecisionConfig(), segment=SEG, frame_rate_hz=RATE, **WINDOW)
    gap = round(SEG.merge_gap_s * RATE)
    closes = [[20, 60, 60 + gap, 59 + gap], [150, 170, 170 + gap, 169 + gap]]
    assert look.tolist() == [*rows[:2].tolist(), closes[0], rows[2].tolist(), closes[1]]
    assert rows[:, 3].tolist() == [40 + settle - 1, 60 + settle - 1, 170 + settle - 1]
    for s, e, w, n in rows.tolist():
        assert w == dsp.decision_window_end(
            s, e, n, window_frames=40, end_pad=5, pre=2, history=round(cfg.history_s * RATE)
        )

    # a model that says tap_out at the first checkpoint is decided there, on that very window
    def classify(start: int, end: int, window_end: int) -> np.ndarray:
        p = np.full(len(CLASSES), 0.01)
        p[2] = 0.96
        return p

    first = decide_stream(ratio, classify, cfg=cfg, segment=SEG, classes=CLASSES, frame_rate_hz=RATE, **WINDOW)[0]
    assert (first.start_frame, first.end_frame, first.window_end, first.frame) == tuple(rows[0])


def test_a_run_too_short_to_pass_has_no_checkpoint_of_its_own() -> None:
    seg = dsp.SegmentConfig(min_area_db_s=0.05, min_duration_s=0.3, pre_roll_s=0.0)  # 15 frames
    ratio = ratio_with_runs([(20, 25), (32, 45)], 150)
    rows = checkpoints(ratio, cfg=DecisionConfig(close_look=False), segment=seg, frame_rate_hz=RATE, **WINDOW)
    assert rows[:, :2].tolist() == [[20, 45]]
    assert checkpoints(np.zeros(100), cfg=DecisionConfig(), segment=SEG, frame_rate_hz=RATE, **WINDOW).shape == (0, 4)
