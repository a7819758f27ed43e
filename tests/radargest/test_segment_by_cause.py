"""``bench segment --data``: onset-segmenter events per hour by cause on an everyday stream."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import run
from sim_helpers import sim_everyday

from acquisition import load_session
from acquisition.sim import EverydayPlan
from radargest.segeval import segment_events_by_cause


def test_every_cause_of_the_stream_reaches_the_table(tmp_path: Path) -> None:
    path = tmp_path / "everyday.h5"
    sim_everyday(path, EverydayPlan(duration_s=300.0, gesture_rate_per_min=2.0), subject=31, seed=4)
    session = load_session(path)
    result = segment_events_by_cause([path])
    assert set(result["causes"]) - {"unlabelled"} == {n.cause for n in session.negatives}
    covered = sum(n.num_frames for n in session.negatives) / session.frame_rate_hz / 3600
    assert abs(sum(r["hours"] for r in result["causes"].values()) - covered) < 1e-9
    assert result["causes"]["empty"]["events"] == 0  # noise, leakage and thermal drift never look like motion
    assert result["gestures"]["labelled"] == len(session.labels) > 0
    assert result["non_gesture_events"] == sum(r["events"] for r in result["causes"].values())
    proc = run("bench", "segment", "--data", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "| empty |" in proc.stdout and "events per hour" in proc.stdout


def test_evaluate_prints_the_cause_table_in_columns(tiny_run: Path, tmp_path: Path) -> None:
    """``enter_stop_leave`` is longer than the name column once was (14), and pushed its row's counts right."""
    path = tmp_path / "everyday.h5"
    sim_everyday(path, EverydayPlan(duration_s=120.0, gesture_rate_per_min=1.0), subject=32, seed=5)
    proc = run(
        "evaluate", str(tiny_run), "--data", str(path), "--split", "none", "--continuous", "--out", str(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    head = next(i for i, x in enumerate(lines) if x.startswith("false activations by cause"))
    rows = [x for x in lines[head + 1 :] if x.startswith("  ")]
    assert any("enter_stop_leave" in x for x in rows)
    names_end = {len(x.split()[0]) + x.index(x.split()[0]) for x in rows}
    assert len(names_end) == 1, rows  # right-aligned names: every count starts in the same column
