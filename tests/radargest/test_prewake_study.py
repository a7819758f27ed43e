"""scripts/prewake_study.py: its held-out refusal and the blocking arithmetic (synthetic records, no data opened)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from cli_helpers import load_script


@pytest.fixture(scope="module")
def ps() -> ModuleType:
    return load_script("prewake_study")


def test_main_refuses_before_opening_anything(ps: ModuleType, tmp_path: Path, capsys: Any) -> None:
    assert ps.main([str(tmp_path / "run"), str(tmp_path / "b"), str(tmp_path / "label_wiggle_idx_3.h5")]) == 2
    assert "refused" in capsys.readouterr().err
    rec = tmp_path / "r.jsonl"
    rec.write_text(json.dumps({"type": "gesture", "file": "sim-s7000_everyday00.h5"}) + "\n")
    assert ps.main(["--from-records", str(rec)]) == 2


def _wake(kind: str, pre: list[float], *, since: float | None = None, frames: int = 30) -> dict[str, Any]:
    # samples 3 frames apart at 57 Hz, newest last
    n = len(pre)
    return {
        "type": "wake",
        "file": "f.h5",
        "rate_hz": 57.0,
        "kind": kind,
        "awake_frames": frames,
        "pre": [[3 * (n - i), v] for i, v in enumerate(pre)],
        "pre_slow": [[3 * (n - i), 0.0] for i in range(n)],
        "since_decision_s": since,
    }


def test_blocking_shares_and_the_skip(ps: ModuleType) -> None:
    records = [
        _wake("gesture", [0.0] * 10 + [1.0]),  # quiet before: a gesture from a still hand
        _wake("gesture", [5.0] * 11, since=1.0),  # the previous gesture's tail, 1 s after a decision
        _wake("hover", [4.0] * 11, frames=60),
        _wake("hover", [0.5] * 11),
        {"type": "gesture", "file": "f.h5", "index": 0, "first_wake": 0, "correct": True},
        {"type": "gesture", "file": "f.h5", "index": 1, "first_wake": 1, "correct": False},
    ]
    s = ps.summarise(records, 0.4, "max", 3.0, 0.0)
    assert s["wakes"] == {"gesture": 2, "hover": 2, "not_gesture": 2}
    assert s["blocked_pct"] == {"gesture": 50.0, "hover": 50.0, "not_gesture": 50.0}
    assert s["blocked_awake_pct"]["hover"] == pytest.approx(100 * 60 / 90, abs=0.1)
    assert s["first_wake_blocked_pct"] == 50.0 and s["correct_first_wake_blocked"] == 0
    skipped = ps.summarise(records, 0.4, "max", 3.0, 1.5)
    assert skipped["blocked_pct"]["gesture"] == 0.0 and skipped["blocked_pct"]["hover"] == 50.0
    # the window: only samples within P count (the quiet gesture's 1 dB is its newest sample, 3 frames back)
    assert ps.pre_stat(records[0], 0.06, "max") == 1.0
    assert ps.pre_stat(records[0], 0.5, "mean") == pytest.approx(1.0 / 9)  # 0.5 s = 28.5 frames: 9 samples
    assert ps.summarise(records, 0.4, "max", 0.9, 0.0)["blocked_pct"]["gesture"] == 100.0


def test_slow_power_sees_motion_the_mean_removal_hides(ps: ModuleType) -> None:
    still = np.ones((10, 16, 8), complex)
    assert not ps.slow_power(still, lag=3, sweeps=5, point_step=2).any()
    moving = still * np.exp(1j * 0.3 * np.arange(10))[:, None, None]  # a phase drift across frames, none within
    p = ps.slow_power(moving, lag=3, sweeps=5, point_step=2)
    assert (p[:3] == 0).all() and (p[3:] > 0).all()
