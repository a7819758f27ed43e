"""scripts/onset_range_study.py: its held-out refusal, the overlap counts, and that a range-resolved ratio sees a
faint target at one range point that the summed ratio misses (synthetic frames, no data opened)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from cli_helpers import load_script

import dsp


@pytest.fixture(scope="module")
def st() -> ModuleType:
    return load_script("onset_range_study")


def test_main_refuses_held_out(st: ModuleType, tmp_path: Path, capsys: Any) -> None:
    held = tmp_path / "label_tap_in_idx_3.h5"
    held.write_bytes(b"")
    assert st.main([f"X={held}"]) == 2
    assert "refused" in capsys.readouterr().err


def test_overlaps(st: ModuleType) -> None:
    events = np.array([[0, 10], [20, 30], [50, 60]], dtype=np.int64)
    hit, event_hit = st.overlaps(events, [(5, 8), (30, 40), (25, 26)])
    assert hit.tolist() == [True, False, True]  # [20, 30) ends where (30, 40) starts: no overlap
    assert event_hit.tolist() == [True, True, False]  # [50, 60) overlaps no span
    hit, event_hit = st.overlaps(np.zeros((0, 2), dtype=np.int64), [(1, 2)])
    assert hit.tolist() == [False] and event_hit.shape == (0,)


def test_max1_sees_a_faint_target_at_one_point(st: ModuleType, gesture_close: dsp.FrameGeometry) -> None:
    g = gesture_close
    rng = np.random.default_rng(0)
    frames = 400
    x = 30.0 * (rng.standard_normal((frames, 16, 6)) + 1j * rng.standard_normal((frames, 16, 6))) / np.sqrt(2)
    t = np.arange(frames)[:, None] / g.frame_rate_hz + np.arange(16)[None, :] / g.sweep_rate_hz
    moving = (t >= 4.0) & (t < 4.4)  # 0.5 m/s radial motion for 0.4 s, echo only at the farthest point
    r = 0.2 + np.where(moving, 0.5 * (t - 4.0), 0.0)
    x[:, :, 5] += np.where(moving, 40.0, 0.0) * np.exp(1j * 4 * np.pi * r / g.wavelength_m)
    ratios = st.variant_ratios(x, onset=dsp.OnsetConfig(), geometry=g)
    assert set(ratios) == set(st.VARIANTS)
    burst = slice(int(4.05 * 57), int(4.45 * 57))
    assert all(r.shape == (frames,) for r in ratios.values())
    # the summed ratio carries five points of noise; the point's own ratio does not
    assert np.nanmax(ratios["max1"][burst]) > np.nanmax(ratios["sum"][burst]) + 3.0
    assert np.nanmax(ratios["max1"][burst]) > 5.0 > np.nanmax(ratios["sum"][burst])


def test_subject_group_from_the_session_meta(st: ModuleType) -> None:
    import json

    from acquisition.recording import SessionMeta

    def sim(speed: float, distance: float) -> SessionMeta:
        return SessionMeta(simulator=json.dumps({"subject": {"speed_factor": speed, "distance_m": distance}}))

    assert st.subject_group(None) == st.subject_group(SessionMeta()) == "real"
    assert st.subject_group(sim(0.7, 0.19)) == "slow"  # slow first, whatever the distance
    assert st.subject_group(sim(1.0, 0.19)) == "far"
    assert st.subject_group(sim(1.0, 0.10)) == "other"
