"""No data is lost: an interrupted recording keeps every frame and every completed label."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from acconeer.exptool import a121

from acquisition import Label, SessionMeta, get_preset, load_session, record_session
from acquisition.guided import GuidedConfig, GuidedSession
from acquisition.sim import SimClient, Subject, still_scene


def _sim() -> SimClient:
    subject = Subject.from_seed(4)
    return SimClient(still_scene(subject, duration_s=float("inf"), seed=4))


def test_exception_in_frame_loop_keeps_every_frame_and_completed_labels(tmp_path: Path) -> None:
    received: list[np.ndarray] = []

    def on_frame(i: int, result: a121.Result) -> bool:
        received.append(result.frame)
        if i == 700:
            raise RuntimeError("sensor unplugged")
        return True

    def labels(n: int) -> list[Label]:
        return [
            Label(start_frame=100, end_frame=200, gesture="tap_in", source="prompt"),
            Label(start_frame=650, end_frame=760, gesture="wiggle", source="prompt"),  # not completed
        ]

    path = tmp_path / "cut.h5"
    outcome = record_session(
        _sim(),
        path,
        sensor_config=get_preset("gesture_close").sensor_config,
        meta=SessionMeta(),
        on_frame=on_frame,
        labels=labels,
    )
    assert isinstance(outcome.error, RuntimeError)
    record = a121.load_record(path)
    assert record.frames.shape[0] == len(received) == 701
    np.testing.assert_array_equal(record.frames, np.array(received))
    assert [lab.gesture for lab in load_session(path).labels] == ["tap_in"]


def test_guided_sim_labels_contain_the_performed_gestures(tmp_path: Path) -> None:
    client = _sim()
    cfg = GuidedConfig(gestures=("tap_in", "wiggle"), reps=2, countdown_s=1.0, window_s=2.5)
    lines: list[str] = []
    guided = GuidedSession(cfg=cfg, say=lines.append, on_go=client.perform)
    outcome = record_session(
        client,
        tmp_path / "g.h5",
        sensor_config=get_preset("gesture_close").sensor_config,
        meta=SessionMeta(subject="t"),
        on_frame=guided,
        labels=lambda n: guided.labels,
    )
    assert outcome.error is None
    assert [lab.gesture for lab in outcome.labels] == ["tap_in", "tap_in", "wiggle", "wiggle"]
    assert sum("GO" in line for line in lines) == 4
    period = client.frame_period_s
    performed = [e for e in client.scene.events if e.kind == "gesture"]
    for lab, ev in zip(outcome.labels, performed, strict=True):
        assert lab.source == "prompt" and lab.gesture == ev.name
        assert lab.start_frame * period <= ev.start_s and ev.end_s <= lab.end_frame * period


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_during_guided_recording_leaves_a_valid_file(tmp_path: Path) -> None:
    cmd = [
        sys.executable, "-m", "radargest", "record", "--source", "sim", "--gestures", "tap_in",
        "--reps", "50", "--subject", "sig", "--out", str(tmp_path), "--countdown-s", "0.5", "--window-s", "0.8",
        "--pause-s", "0.2",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    seen_go = 0
    assert proc.stdout is not None
    while seen_go < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen_go += "GO" in line
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    files = list(tmp_path.glob("*.h5"))
    assert len(files) == 1
    record = a121.load_record(files[0])
    n = record.frames.shape[0]
    assert f"wrote {n} frames" in out
    labels = load_session(files[0]).labels
    assert len(labels) >= 2
    assert all(lab.end_frame <= n for lab in labels)
