"""DecisionConfig.close_look (the default): one more look at an undecided event at its close."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dsp import ParameterError, SegmentConfig
from dsp.decision import DecisionConfig, DecisionPolicy, checkpoints, decide_stream

RATE = 50.0
CLASSES = ("none", "tap_in", "tap_out")
KW: dict[str, Any] = {
    "segment": SegmentConfig(),
    "frame_rate_hz": RATE,
    "window_frames": 40,
    "end_pad_frames": 5,
    "pre_frames": 2,
}


def _press_only() -> tuple[np.ndarray, int]:
    """A tap whose press stroke crosses on_db and whose return (frames 75-85) stays between off_db and on_db."""
    ratio = np.zeros(300)
    ratio[50:62] = 9.0  # the press: one motion run, frames 50-61
    ratio[75:85] = 4.0  # the slower return: below on_db, no run
    return ratio, 62


def _classify() -> Any:
    """``none`` on a window that ends before the return stroke is over, ``tap_out`` on one holding it."""

    def classify(s: int, e: int, w: int) -> np.ndarray:
        return np.array([0.1, 0.0, 0.9]) if w >= 85 else np.array([0.8, 0.1, 0.1])

    return classify


def test_without_the_look_the_checkpoint_answer_stands() -> None:
    ratio, end = _press_only()
    out = decide_stream(ratio, _classify(), cfg=DecisionConfig(close_look=False), classes=CLASSES, **KW)
    assert len(out) == 1 and not out[0].accepted and out[0].label == 0
    assert out[0].window_end == end + KW["end_pad_frames"]


def test_close_look_reads_the_return_stroke() -> None:
    ratio, end = _press_only()
    cfg = DecisionConfig()
    assert cfg.close_look  # the default
    out = decide_stream(ratio, _classify(), cfg=cfg, classes=CLASSES, **KW)
    close = end + round(SegmentConfig().merge_gap_s * RATE)  # the segmenter emits the event here
    assert len(out) == 1 and out[0].accepted and CLASSES[out[0].label] == "tap_out"
    assert out[0].window_end == out[0].frame + 1 and out[0].frame in (close - 1, close)
    # the close window is among the windows the evaluation batches up front
    rows = checkpoints(ratio, cfg=cfg, **KW)
    assert out[0].window_end in rows[:, 2].tolist()
    # an event decided at a checkpoint is not looked at again
    sure = decide_stream(ratio, lambda s, e, w: np.array([0.0, 0.0, 1.0]), cfg=cfg, classes=CLASSES, **KW)
    assert len(sure) == 1 and sure[0].window_end == end + KW["end_pad_frames"]


def test_json_and_c_config() -> None:
    on, off = DecisionConfig(), DecisionConfig(close_look=False)
    assert DecisionConfig.from_json(on.to_json()) == on and DecisionConfig.from_json(off.to_json()) == off
    # a manifest written before the look was the default has no key: that bundle decides as it was exported
    old = {k: v for k, v in on.to_json().items() if k != "close_look"}
    assert DecisionConfig.from_json(old) == off
    with pytest.raises(ParameterError):
        DecisionConfig(close_look=1)  # type: ignore[arg-type]
    from deploy.c_config import decision_config_values

    def early(cfg: DecisionConfig) -> float | int:  # the C config's early mode (RG_DECISION_CLOSE_LOOK = 2)
        return dict(decision_config_values(DecisionPolicy(cfg=cfg, classes=CLASSES, **KW)))["early"]

    assert (early(off), early(on), early(DecisionConfig(early=False))) == (1, 2, 0)
