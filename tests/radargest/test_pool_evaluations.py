"""scripts/pool_evaluations.py: the pooled sweep worked by hand on two sets, the background hours, and its
refusals."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cli_helpers import load_script

from models.rejection import fa_per_hour_upper


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("pool_evaluations")


def _eval(
    truth: int, correct: int, curve: list[tuple[float, int, float, float]], duration_s: float, name: str = "a.h5"
) -> dict[str, Any]:
    """An evaluation of one file ``name`` with ``curve`` as ``(min_score, false activations, per hour, recall)``."""
    points = [{"min_score": s, "false_activations": n, "fa_per_hour": r, "recall": rc} for s, n, r, rc in curve]
    return {
        "truth": truth,
        "correct": correct,
        "operating_curve": points,
        "per_file": [{"file": name, "false_activations": 1, "duration_s": duration_s}],
    }


# set A: 10 gestures, 2 h of background; set B: 20 gestures, 1 h
SET_A = _eval(10, 8, [(0.0, 4, 2.0, 0.9), (0.5, 2, 1.0, 0.8), (0.9, 0, 0.0, 0.5)], 7300.0)
SET_B = _eval(20, 18, [(0.0, 2, 2.0, 0.95), (0.7, 1, 1.0, 0.9), (1.0, 0, 0.0, 0.0)], 3700.0, "b.h5")


def test_the_pooled_sweep_steps_each_set_to_its_own_swept_point(script: ModuleType) -> None:
    curve = script.pooled_curve([SET_A, SET_B])
    assert [(p.min_score, p.right, p.false_activations) for p in curve] == [
        (0.0, 28, 6),
        (0.5, 27, 4),  # A at 0.5, B still at its 0.0
        (0.7, 26, 3),
        (0.9, 23, 1),
        (1.0, 5, 0),
    ]
    assert all(p.truth == 30 for p in curve)
    s = script.summary([SET_A, SET_B], [0.0, 0.5, 1.0, 2.0])
    assert s["background_h"] == pytest.approx(3.0)
    bound = s["operating_point"].pop("false_activations_per_hour_upper95")
    assert s["operating_point"] == {"right": 26, "false_activations": 2, "outcomes": None}
    assert bound == pytest.approx(fa_per_hour_upper(2, 3.0))  # two false activations in the pooled 3 h
    assert s["argmax"] == {"right": 28, "false_activations": 6}
    at = {b: (p["right"], p["false_activations"], p["min_score"]) for b, p in s["recall_at_fa_per_hour"].items()}
    # budgets allow floor(b × 3 h) false activations: 0, 1, 3, 6
    assert at == {"0": (5, 0, 1.0), "0.5": (23, 1, 0.9), "1": (26, 3, 0.7), "2": (28, 6, 0.0)}
    assert s["recall_at_fa_per_hour"]["1"]["recall"] == pytest.approx(26 / 30)


def test_the_operating_point_sums_the_outcomes_when_every_set_has_them(script: ModuleType) -> None:
    a = {**SET_A, "outcomes": {"right": 8, "rejected": 1, "no_candidate": 1}}
    b = {**SET_B, "outcomes": {"right": 18, "wrong_class": 2}}
    op = script.summary([a, b], [1.0])["operating_point"]
    assert op["outcomes"] == {"right": 26, "rejected": 1, "no_candidate": 1, "wrong_class": 2}
    assert script.summary([a, SET_B], [1.0])["operating_point"]["outcomes"] is None  # B's are unknown: no partial sum


def test_background_hours_of_a_set_without_false_activations_is_its_duration(script: ModuleType) -> None:
    clean = _eval(5, 5, [(0.0, 0, 0.0, 1.0), (0.8, 0, 0.0, 0.6)], 5400.0)
    assert script.background_hours(clean) == pytest.approx(1.5)
    assert script.background_hours(SET_A) == pytest.approx(2.0)


def test_main_writes_the_figures_and_refuses_bad_input(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(SET_A))
    b.write_text(json.dumps(SET_B))
    out = tmp_path / "pooled.json"
    assert script.main([str(a), str(b), "--budgets-per-hour", "1", "--json", str(out)]) == 0
    assert "at 1/h: recall 0.867 (26 right, 3 false" in capsys.readouterr().out
    assert json.loads(out.read_text())["recall_at_fa_per_hour"]["1"]["right"] == 26
    window_only = tmp_path / "w.json"
    window_only.write_text(json.dumps({"truth": 3, "operating_curve": None}))
    with pytest.raises(SystemExit, match="no operating_curve"):
        script.main([str(window_only)])
    with pytest.raises(SystemExit, match="unreadable"):
        script.main([str(tmp_path / "missing.json")])
    with pytest.raises(SystemExit):
        script.main([str(a), "--budgets-per-hour", "1,x"])
    assert "--budgets-per-hour" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the same set twice would count its gestures and false activations twice
        script.main([str(a), str(b), str(a)])
    assert "a.h5 is in both" in capsys.readouterr().err
