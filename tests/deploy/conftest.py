"""Fixtures for the deploy tests: real and simulated streams, and the compiled C library."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from sim_helpers import sim_session

import dsp
from acquisition import Session, load_session
from acquisition.sim import SessionPlan
from deploy import ThrottleConfig, build_shared_library, find_compiler, write_config_h
from deploy.c_binding import CLibrary


def geometry_of(session: Session) -> dsp.FrameGeometry:
    """Geometry with the configured frame rate, else the mean rate from the ticks."""
    return dsp.FrameGeometry.from_sensor_config(
        session.sensor_config, session.metadata, frame_rate_hz=session.stream_rate_hz
    )


@functools.lru_cache(maxsize=8)
def _real(path: Path) -> tuple[np.ndarray, dsp.FrameGeometry]:
    s = load_session(path)
    return s.frames, geometry_of(s)


@pytest.fixture(scope="session")
def real_stream(real_dir: Path):
    """``real_stream(name)`` → (frames, geometry) of ``label_<name>.h5``; parity only, never tuning."""

    def get(name: str) -> tuple[np.ndarray, dsp.FrameGeometry]:
        sub = "gesture_detection" if "hand" in name else "gesture_classification"
        path = real_dir / sub / f"label_{name}.h5"
        if not path.is_file():
            pytest.skip(f"real recording not found: {path}")
        return _real(path)

    return get


@pytest.fixture(scope="session")
def sim_stream(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, dsp.FrameGeometry]:
    """One short simulated session (every gesture twice, one subject), through the real recorder."""
    path = tmp_path_factory.mktemp("deploy_sim") / "sim.h5"
    sim_session(
        path,
        SessionPlan(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"), reps_per_gesture=2),
        subject=11,
        # a session that exercises the tests' branches: the C parity tests' stand-in classifier decides tap_in and
        # two other classes, and the firmware's early stream has a window beginning before it
        seed=6,
    )
    s = load_session(path)
    return s.frames, geometry_of(s)


@pytest.fixture(scope="session")
def c_library(tmp_path_factory: pytest.TempPathFactory):
    """``c_library(geometry, rd_cfg=None, throttle=None)`` → :class:`CLibrary` built with that geometry and
    throttle (default: the default throttle at the geometry's rate) (cached)."""
    if find_compiler() is None:
        pytest.skip("no C compiler")
    cache: dict[tuple[object, ...], CLibrary] = {}

    def get(
        geometry: dsp.FrameGeometry,
        rd_cfg: dsp.RangeDopplerConfig | None = None,
        throttle: ThrottleConfig | None = None,
    ) -> CLibrary:
        rd = rd_cfg or dsp.RangeDopplerConfig()
        thr = throttle or ThrottleConfig(full_rate_hz=geometry.frame_rate_hz)
        key = (geometry, rd, thr)
        if key not in cache:
            out = tmp_path_factory.mktemp("clib")
            write_config_h(
                out / "config.h",
                geometry=geometry,
                rd_cfg=rd,
                onset_cfg=dsp.OnsetConfig(),
                throttle_cfg=thr,
            )
            lib = build_shared_library(out)
            cache[key] = CLibrary(lib, sweeps=geometry.sweeps_per_frame, points=geometry.num_points)
        return cache[key]

    return get


# -- export bundle fixtures (tests/deploy/test_deploy_export_*.py) ----------------------------------


@pytest.fixture(scope="session")
def tiny_export_run(tiny_run: Path) -> Path:
    """The tiny trained run shared with the model tests (tests/conftest.py)."""
    return tiny_run


@pytest.fixture(scope="session")
def tiny_bundle(tiny_export_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle of :func:`tiny_export_run` (arena searched at 64-byte resolution when TFLM is installed)."""
    from deploy.export import ExportConfig, export_bundle

    out = tmp_path_factory.mktemp("bundle")
    export_bundle(tiny_export_run, out, cfg=ExportConfig(arena_granularity=64, latency_runs=20, tflm_rows=64))
    return out
