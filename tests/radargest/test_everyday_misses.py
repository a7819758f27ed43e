"""scripts/everyday_misses.py: its held-out refusal, its matching against the evaluation's, and the gate log
(synthetic streams, no data opened, no model)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest
from cli_helpers import load_script

from acquisition.labels import Label
from dsp import SegmentConfig
from dsp.decision import Decision, DecisionConfig, decide_stream
from models.evaluate import continuous_metrics

CLASSES = ("none", "tap_in", "tap_out")


@pytest.fixture(scope="module")
def em() -> ModuleType:
    return load_script("everyday_misses")


def test_main_refuses_held_out_before_loading(em: ModuleType, tmp_path: Path, capsys: Any) -> None:
    for name in ("sim-s7003_everyday00.h5", "sim-s600_everyday00.h5"):
        (tmp_path / name).write_bytes(b"")
    assert em.main([str(tmp_path / "run"), str(tmp_path)]) == 2
    assert "sim-s7003" in capsys.readouterr().err


def _decision(s: int, e: int, label: int, accepted: bool) -> Decision:
    return Decision(start_frame=s, end_frame=e, label=label, score=0.9, accepted=accepted, frame=e, window_end=e)


def test_matching_equals_the_evaluation(em: ModuleType) -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        labels = []
        t = 0
        for _ in range(6):
            t += int(rng.integers(5, 40))
            d = int(rng.integers(5, 30))
            labels.append(Label(start_frame=t, end_frame=t + d, gesture=CLASSES[int(rng.integers(1, 3))], source="sim"))
            t += d
        decisions = []
        for _ in range(8):
            s = int(rng.integers(0, t))
            decisions.append(
                _decision(s, s + int(rng.integers(3, 60)), int(rng.integers(0, 3)), bool(rng.random() < 0.8))
            )
        rec = SimpleNamespace(labels=tuple(labels), frame_rate_hz=50.0, num_frames=t + 100)
        m = continuous_metrics(rec, decisions, classes=CLASSES)  # type: ignore[arg-type]
        cand = np.array([(d.start_frame, d.end_frame) for d in decisions], dtype=np.int64)
        dec = np.array([d.label if d.accepted else 0 for d in decisions], dtype=np.int64)
        truth = [(la.start_frame, la.end_frame, CLASSES.index(la.gesture)) for la in labels]
        matched = em.match_truth(truth, cand, dec)
        assert sum(ok for _, ok, _ in matched) == m["correct"]
        assert sum(j >= 0 for j, _, _ in matched) == m["candidates_on_truth"]


def test_gate_log_records_the_gate(em: ModuleType) -> None:
    rate = 50.0
    ratio = np.zeros(300)
    ratio[50:62] = 5.5  # an event peaking below the 5.9 dB gate
    ratio[150:160] = 12.0  # one above it

    def classify(s: int, e: int, w: int) -> np.ndarray:
        return np.array([0.0, 1.0, 0.0])

    kw: dict[str, Any] = {
        "segment": SegmentConfig(),
        "classes": CLASSES,
        "frame_rate_hz": rate,
        "window_frames": 40,
        "end_pad_frames": 5,
        "pre_frames": 2,
    }
    with em.gate_log() as log:
        out = decide_stream(ratio, classify, cfg=DecisionConfig(), **kw)
    gated = {k[0]: v for k, v in log.items()}
    assert len(out) == 2 and not out[0].accepted and out[1].accepted
    assert gated[out[0].start_frame][2] and gated[out[0].start_frame][0] == pytest.approx(5.5)
    assert not gated[out[1].start_frame][2]
    # the policy is restored after the block
    assert decide_stream(ratio, classify, cfg=DecisionConfig(), **kw) == out
