"""Acceptance on the real Acconeer recordings (skipped when the data is missing).

Parameters were tuned on the training-day files only (idx_1, idx_2, idx_5). The eye counts come from
velocity-time plots of each training file, counted by hand before the segmenter was tuned; see
tests/dsp/README.md.
"""

import numpy as np
import pytest
from dsp_helpers import load

from dsp import OnsetConfig, SegmentConfig, doppler_magnitude, onset_metric, segment

EYE_COUNTS = {
    "double_tap_in_idx_1": 48,
    "double_tap_in_idx_2": 47,
    "double_tap_in_idx_5": 63,
    "tap_in_idx_1": 52,
    "tap_in_idx_2": 22,
    "tap_out_idx_1": 53,
    "tap_out_idx_2": 32,
    "wiggle_idx_1": 40,
    "wiggle_idx_2": 29,
}


def events_of(name: str) -> tuple[np.ndarray, np.ndarray, object]:
    x, g, _ = load(name)
    r = onset_metric(x, cfg=OnsetConfig(), geometry=g)
    return x, segment(r.ratio_db, cfg=SegmentConfig(), frame_rate_hz=g.frame_rate_hz), g


@pytest.mark.parametrize("name", sorted(EYE_COUNTS))
def test_event_count_matches_eye_count(name: str) -> None:
    _, ev, _ = events_of(name)
    eye = EYE_COUNTS[name]
    assert abs(len(ev) - eye) <= 0.15 * eye, f"{name}: {len(ev)} events, {eye} by eye"


@pytest.mark.parametrize(
    ("name", "sign"),
    [("tap_in_idx_1", -1), ("tap_in_idx_2", -1), ("tap_out_idx_1", 1), ("tap_out_idx_2", 1)],
)
def test_onset_velocity_sign(name: str, sign: int) -> None:
    """The first 0.15 s of each event: approaching (tap_in) is negative, receding (tap_out) positive."""
    x, ev, g = events_of(name)
    v = g.velocities_m_s  # type: ignore[attr-defined]
    moving = np.abs(v) >= OnsetConfig().min_speed_m_s
    n = round(0.15 * g.frame_rate_hz)  # type: ignore[attr-defined]
    power = doppler_magnitude(x) ** 2
    centroids = []
    for start, _ in ev:
        p = power[start : start + n].sum(axis=(0, 2)) * moving
        centroids.append(float((p * v).sum() / p.sum()))
    share = np.mean(np.sign(centroids) == sign)
    assert len(centroids) >= 20 and share >= 0.85, f"{name}: {share:.2f} with sign {sign}"
