"""scripts/gesture_strength.py: its refusals, its summary, and one simulated subject end to end (no held-out data)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from cli_helpers import load_script


@pytest.fixture(scope="module")
def gs() -> ModuleType:
    return load_script("gesture_strength")


def test_summary_is_relative_to_tap_out(gs: ModuleType) -> None:
    rows = gs.summary({"tap_out": [10.0, 12.0, 14.0], "wiggle": [15.0, 16.0, 17.0]})
    assert rows["tap_out"]["p50_db"] == 12.0 and rows["tap_out"]["vs_tap_out_db"] == 0.0
    assert rows["wiggle"]["vs_tap_out_db"] == pytest.approx(4.0)
    assert rows["wiggle"]["n"] == 3
    assert "vs_tap_out_db" not in gs.summary({"wiggle": [1.0]})["wiggle"]


def test_refuses_held_out_subjects_files_and_bad_variations(
    gs: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = tmp_path / "label_tap_in_idx_3.h5"
    held.write_bytes(b"")  # never opened: refused by its name
    for argv, says in (
        ([str(held)], "held-out file"),
        (["--sim-subjects", "10-13"], "held-out simulated subjects refused: [12, 13]"),
        (["--sim-subjects", "0", "--vary", "speed=2"], "--vary wants FIELD=V"),
        (["--sim-subjects", "0", "--vary", "distance_m=-1"], "distance_m must be > 0"),
        ([], "give DATA, --sim-subjects, or both"),
        ([str(tmp_path / "a.h5"), "--vary", "distance_m=0.1"], "give --sim-subjects too"),
    ):
        with pytest.raises(SystemExit) as e:
            gs.main(argv)
        assert e.value.code == 2
        assert says in capsys.readouterr().err


def test_one_simulated_subject_gives_every_class(gs: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    argv = ["--sim-subjects", "0", "--reps", "1", "--vary", "moving_fingers=1,3", "--echo", "--json", str(out)]
    assert gs.main(argv) == 0
    result = json.loads(out.read_text())
    one, three = result["simulated 0, moving_fingers=1"], result["simulated 0, moving_fingers=3"]
    assert set(one) == set(gs.GESTURES)
    assert all(np.isfinite(r["p50_db"]) and r["n"] == 1 for r in one.values())
    # more fingers leading a tap reflect more: the taps get stronger, the wiggle (a palm rock) hardly changes
    assert three["tap_in"]["p50_db"] > one["tap_in"]["p50_db"]
    assert three["wiggle"]["p50_db"] == pytest.approx(one["wiggle"]["p50_db"], abs=0.1)
    # the moving echo: a tap toward the sensor moves its energy closer than a tap away from it, and every
    # gesture's change stands above the sensor noise
    echo = result["moving echo"]["simulated 0, moving_fingers=3"]
    assert set(echo) == set(gs.GESTURES) and all(r["n"] == 1 for r in echo.values())
    assert echo["tap_in"]["centroid_m"] < echo["tap_out"]["centroid_m"]
    assert all(r["echo_over_noise_db"] > 0 for r in echo.values())
    assert echo["tap_out"]["echo_over_noise_vs_tap_out_db"] == 0.0
