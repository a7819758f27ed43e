"""Helpers for the dsp tests: the real Acconeer recordings and a synthetic stream."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dsp import FrameGeometry
from radargest.datasets import TRAINING_FILES as DATASET_TRAINING_FILES
from radargest.datasets import acconeer_data_dir


def data_dir() -> Path:
    """The real-recording folder (see :func:`radargest.datasets.acconeer_data_dir`)."""
    root = acconeer_data_dir()
    if root is None:
        pytest.skip("real recordings not found (../shared/data or $RADARGEST_DATA)")
    return root


#: Training-side gesture files (the background file dynamic_hand is not a gesture stream).
TRAINING_FILES = tuple(name for name in DATASET_TRAINING_FILES if "_hand_" not in name)


@functools.lru_cache(maxsize=16)
def load(name: str) -> tuple[np.ndarray, FrameGeometry, Any]:
    """Load ``label_<name>.h5`` → (frames, geometry, record); skips the test when the data is missing."""
    root = data_dir()
    sub = "gesture_detection" if "hand" in name else "gesture_classification"
    path = root / sub / f"label_{name}.h5"
    if not path.is_file():
        pytest.skip(f"real recording not found: {path} (set RADARGEST_DATA)")
    from acconeer.exptool import a121

    rec = a121.load_record(path)
    tick_s = np.array([r.tick_time for r in rec.results], dtype=np.float64)
    frame_rate = (tick_s.size - 1) / float(tick_s[-1] - tick_s[0])  # mean rate, delayed frames included
    sensor_config = rec.session_config.sensor_config
    rate = sensor_config.frame_rate or frame_rate
    geometry = FrameGeometry.from_sensor_config(sensor_config, rec.metadata, frame_rate_hz=rate)
    frames = np.asarray(rec.frames)
    frames.setflags(write=False)
    return frames, geometry, rec


def synthetic_stream(
    geometry: FrameGeometry,
    *,
    frames: int,
    seed: int = 0,
    bursts: tuple[tuple[float, float, float], ...] = ((1.0, 0.4, -0.8), (3.0, 0.4, 0.8)),
    noise: float = 30.0,
) -> np.ndarray:
    """Still hand plus noise, with motion bursts ``(t_start_s, duration_s, velocity_m_s)``.

    Returns ``(frames, sweeps, points)`` complex128.
    """
    rng = np.random.default_rng(seed)
    s = geometry.sweeps_per_frame
    t = np.arange(frames)[:, None] / geometry.frame_rate_hz + np.arange(s)[None, :] / geometry.sweep_rate_hz
    r = np.full(t.shape, 0.11)
    for t0, dur, v in bursts:
        inside = (t >= t0) & (t < t0 + dur)
        r = r + np.where(inside, v * (t - t0) * np.sin(np.pi * (t - t0) / dur) ** 2, 0.0)
    lam = geometry.wavelength_m
    d = geometry.distances_m
    env = np.exp(-0.5 * ((d[None, None, :] - r[..., None]) / 0.017) ** 2)
    x = 800.0 * env * np.exp(1j * 4 * np.pi * r[..., None] / lam)
    x = x + noise * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)) / np.sqrt(2)
    return x
