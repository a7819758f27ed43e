"""Fixtures for the dsp tests."""

from __future__ import annotations

import pytest

from dsp import FrameGeometry


@pytest.fixture
def gesture_close() -> FrameGeometry:
    """The ``gesture_close`` preset's geometry (see DESIGN §3), built by hand for synthetic tests."""
    return FrameGeometry(
        sweep_rate_hz=1000.0,
        sweeps_per_frame=16,
        start_point=20,
        num_points=6,
        step_length=12,
        base_step_length_m=0.0025,
        frame_rate_hz=57.0,
    )
