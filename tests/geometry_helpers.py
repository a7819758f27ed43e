"""The ``gesture_close`` preset's frame geometry (DESIGN §3), built by hand for synthetic tests in every folder."""

from __future__ import annotations

from dsp import FrameGeometry

__all__ = ["gesture_close_geometry"]


def gesture_close_geometry(frame_rate_hz: float = 57.0) -> FrameGeometry:
    """16 sweeps at 1000 Hz, 6 points from point 20 in steps of 12 (2.5 mm base step), at ``frame_rate_hz``."""
    return FrameGeometry(
        sweep_rate_hz=1000.0,
        sweeps_per_frame=16,
        start_point=20,
        num_points=6,
        step_length=12,
        base_step_length_m=0.0025,
        frame_rate_hz=frame_rate_hz,
    )
