"""``radargest quickstart`` end to end at its smallest sizes: the everyday streams reach training as hard negatives
and calibration as the operating point's background, the bundle carries that operating point, the held-out
everyday streams are scored, and an earlier run's recordings left in the folder are not trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_helpers import sim_session

from acquisition.sim import SessionPlan
from models.config import read_run_config
from models.data import ROBUST_AUGMENT, ROBUST_WINDOW_S
from radargest.quickstart import CALIBRATION_SUBJECTS, NONE_PER_GESTURE, run_quickstart


def test_quickstart_trains_on_everyday_streams_and_ships_their_operating_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "qs"
    # an earlier quickstart with --held-out 2 left subject 1001's session; this one holds out 1000 alone
    stale = out / "sim" / "held_out" / "sim-s1001_sess00.h5"
    stale.parent.mkdir(parents=True)
    sim_session(stale, SessionPlan(gestures=("tap_in",), reps_per_gesture=1), subject=1001, seed=1)
    art = run_quickstart(
        out, subjects=3, held_out=1, reps=2, epochs=1, everyday_minutes=0.5, demo=False, progress=False
    )
    printed = capsys.readouterr().out

    streams = {k: sorted(p.glob("*.h5")) for k, p in art.items() if k.startswith("everyday streams")}
    counts = {"everyday streams, train": 3, "everyday streams, calibration": CALIBRATION_SUBJECTS}
    assert {k: len(v) for k, v in streams.items()} == {**counts, "everyday streams, held-out": 1}

    cfg = read_run_config(art["training run"])
    trained = [
        *art["simulated training sessions"].glob("*.h5"),  # 3 subjects
        art["simulated held-out sessions"] / "sim-s1000_sess00.h5",  # the test side of the run's split
        *streams["everyday streams, train"],  # hard negatives
    ]
    assert sorted(cfg.data) == sorted(str(p.resolve()) for p in trained)
    assert str(stale.resolve()) not in cfg.data
    # the recipe's robust window, augmentation and none share (STUDY188), stored with the run the bundle ships
    assert cfg.dataset.window.window_s == ROBUST_WINDOW_S and cfg.augment == ROBUST_AUGMENT
    assert cfg.dataset.background_per_class == NONE_PER_GESTURE
    assert sorted(cfg.rejection.calibration_data) == [
        str(p.resolve()) for p in streams["everyday streams, calibration"]
    ]
    manifest = json.loads((art["bundle"] / "manifest.json").read_text())
    assert manifest["decision"]["min_score"] == pytest.approx(cfg.min_score)  # the calibrated point ships

    line = next(x for x in printed.splitlines() if "held-out everyday streams (" in x)
    assert "false activations (" in line and "per hour)" in line
    assert "operating point min_score" in printed  # the calibration line of train's log
    # 2 min of calibration streams cannot judge 0.5/h: the advice is longer streams, and what gives them here
    assert "longer --calibration-data streams would" in printed
    assert "the calibration subjects' streams are 2 x --everyday-minutes long each" in printed


def test_quickstart_refuses_negative_everyday_minutes_before_simulating(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="everyday_minutes"):
        run_quickstart(tmp_path / "qs", everyday_minutes=-1.0, demo=False, progress=False)
    assert not (tmp_path / "qs").exists()


def test_quickstart_refuses_training_subjects_that_reach_the_calibration_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training subjects are seeds 0..N-1: from 101 on they were also calibration (and from 1001 held-out)
    subjects."""
    import radargest.simulate_cmd
    from radargest.quickstart import CALIBRATION_FIRST

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before refusing")

    monkeypatch.setattr(radargest.simulate_cmd, "run_simulate", never)

    with pytest.raises(ValueError, match=f"subjects must be <= {CALIBRATION_FIRST}, got 1001: .* start at 100 "):
        run_quickstart(tmp_path / "qs", subjects=1001, demo=False, progress=False)
    with pytest.raises(ValueError, match="got 101"):
        run_quickstart(tmp_path / "qs", subjects=CALIBRATION_FIRST + 1, demo=False, progress=False)
    assert not (tmp_path / "qs").exists()
