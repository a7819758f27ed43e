"""The throttle sweep: event matching, and ``evaluate --throttle-sweep`` end to end without TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.runtime import Detection
from deploy.sweep import match_events, plain_log_x


def _det(start: int, end: int, gesture: str) -> Detection:
    return Detection(start_frame=start, end_frame=end, t_s=0.0, gesture=gesture, score=1.0)


def test_match_events_counts_missed_wrong_false_and_reuse() -> None:
    truth = [(100, 150, "tap_in"), (300, 350, "wiggle"), (500, 520, "tap_out"), (530, 560, "tap_out")]
    events = [
        _det(95, 140, "tap_in"),  # correct
        _det(310, 360, "tap_in"),  # found, wrong gesture
        _det(505, 555, "tap_out"),  # overlaps two true events: counts for one only
        _det(800, 830, "wiggle"),  # false
    ]
    m = match_events(events, truth)
    assert (m.truth, m.found, m.correct, m.false) == (4, 3, 2, 1)
    assert m.correct_detection[0] == 0 and m.correct_detection[1] == -1
    assert sorted(m.correct_detection[2:]) == [-1, 2]


def test_match_events_empty() -> None:
    assert match_events([], []).truth == 0
    m = match_events([_det(0, 10, "tap_in")], [])
    assert (m.found, m.correct, m.false) == (0, 0, 1)


def test_plain_log_x_labels_major_ticks_in_plain_numbers_only() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (wide, narrow) = plt.subplots(1, 2)
    wide.plot([1.3, 70.0], [0, 1])  # matplotlib's default labels every minor tick here: 2×10⁰ 3×10⁰ ...
    narrow.plot([1.43, 1.50], [0, 1])  # no 1-2-5 tick inside
    plain_log_x(wide)
    plain_log_x(narrow)
    fig.canvas.draw()

    def labels(ax, *, minor: bool) -> list[str]:  # the non-empty labels inside the view
        lo, hi = ax.get_xlim()
        ticks = zip(ax.xaxis.get_ticklocs(minor=minor), ax.xaxis.get_ticklabels(minor=minor), strict=True)
        return [t.get_text() for x, t in ticks if lo <= x <= hi and t.get_text()]

    assert labels(wide, minor=False) == ["2", "5", "10", "20", "50"]
    few = labels(narrow, minor=False)
    assert 2 <= len(few) <= 6 and len(set(few)) == len(few)
    assert all(1.4 <= float(t) <= 1.55 for t in few)  # plain numbers, no "×10"
    assert labels(wide, minor=True) == labels(narrow, minor=True) == []
    assert wide.get_xscale() == narrow.get_xscale() == "log"
    plt.close(fig)


def test_evaluate_throttle_sweep_cli(tiny_run: Path, tiny_bundle: Path, sim_dir: Path, tmp_path: Path) -> None:
    args = [
        "evaluate", str(tiny_run), "--data", str(sim_dir), "--split", "none", "--throttle-sweep", str(tiny_bundle),
        "--out", str(tmp_path), "--json", "--quiet",
    ]  # fmt: skip
    code = (
        "import json, sys\n"
        "from radargest.cli import main\n"
        f"rc = main({args!r})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "sys.exit(rc or (1 if bad else 0))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result == json.loads((tmp_path / "throttle.json").read_text())
    # --split none scores the run's own training files: named, and said on stderr (as evaluate does); the bundle
    # is the run's own, so no warning about it
    assert result["training_side_files"] and "not held out" in proc.stderr
    assert Path(result["bundle_run"]).resolve() == tiny_run.resolve() and "was exported from" not in proc.stderr
    assert (tmp_path / "throttle_curve.png").stat().st_size > 10_000
    table = (tmp_path / "throttle.md").read_text()
    assert "| always-on (as recorded) |" in table and "today" not in table
    assert "Recall: the labelled gestures with any decision on them, whatever its class." in table  # not evaluate's
    base = result["always_on"]
    assert base["sensor_share"] == 1.0 and base["truth"] > 0
    assert len(result["points"]) == 2 + 4 * 2  # the bundle's and the pre-issue-11 throttles + decimation x IDLE sweeps
    for p in result["points"]:
        assert p["truth"] == base["truth"]
        assert 0 < p["sensor_share"] < 1 and 0 < p["mac_share"] < base["mac_share"]
        assert p["compute_vs_always_on"] == pytest.approx(p["mac_share"] / base["mac_share"], rel=0.02)
        assert 0 <= p["event_accuracy"] <= 1
        assert 0 < p["sensor_ma"] < base["sensor_ma"] and p["battery_h"] > base["battery_h"]
    # the bundle's own throttle (what detect runs) is a row, marked, and the only one marked
    thr = json.loads((tiny_bundle / "manifest.json").read_text())["throttle"]
    own = [p for p in result["points"] if p["bundle_default"]]
    assert len(own) == 1 and own[0]["name"].startswith("bundle default (") and own[0]["states"] == "preset"
    assert [own[0][k] for k in ("idle_sweeps", "idle_point_step", "hold_s")] == [
        thr["idle_sweeps"], thr["idle_point_step"], thr["hold_s"]
    ]  # fmt: skip
    assert f"| {own[0]['name']} |" in table
    before = result["points"][1]  # the throttle before issue 11, no longer called "today"
    assert before["name"] == "before issue 11: 16 IDLE sweeps" and before["idle_sweeps"] == 16
    assert before["states"] == "as_recorded" and not before["bundle_default"]
    new = [p for p in result["points"] if p["states"] == "preset"]
    # the low-power configurations draw far less than the recorded one at the same setting
    assert all(p["sensor_ma"] < before["sensor_ma"] / 3 for p in new)
    by_d = {p["idle_decimation"]: p for p in new if p["idle_sweeps"] == 4}
    assert by_d[8]["sensor_share"] < by_d[3]["sensor_share"]
    assert by_d[8]["sensor_ma"] < by_d[3]["sensor_ma"]
    assert result["configs"]["D3 S4 H0.3"]["idle"]["sensor_config"]["sweeps_per_frame"] == 4
    assert result["configs"]["D3 S4 H0.3"]["idle"]["hibernate"] is True
