"""scripts/tap_kinematics.py and scripts/decision_hold_level.py on simulated sessions (no held-out data): both
read the segmenter's motion runs, which once lived in a sibling script and broke them when it moved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import SCRIPTS, load_script


@pytest.fixture(autouse=True)
def _scripts_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SCRIPTS))  # both import their sibling decision_gaps, as when run from scripts/


def test_tap_kinematics_measures_every_simulated_tap(sim_dir: Path) -> None:
    tk = load_script("tap_kinematics")
    files = sorted(sim_dir.glob("sim-s*.h5"))
    taps = [(g, f) for path in files for g, f in tk.measure(path)]
    assert {g for g, _ in taps} == set(tk.GESTURES)
    assert len(taps) == 2 * 2 * len(tk.GESTURES)  # 2 subjects × 2 reps of each tap toward the sensor
    for _, f in taps:
        assert f["one_run"] in (0.0, 1.0) and f["label_s"] > 0
        assert all(np.isfinite(v) for v in f.values())


def test_decision_hold_level_runs_are_the_segmenters(sim_dir: Path) -> None:
    import dsp

    dhl = load_script("decision_hold_level")
    path = sorted(sim_dir.glob("sim-s*.h5"))[0]
    ratio, runs, rate = dhl._ratio_runs(path)
    assert rate > 0 and len(runs)  # a session of gestures has motion
    np.testing.assert_array_equal(runs, dsp.motion_runs(ratio, cfg=dsp.SegmentConfig()))
