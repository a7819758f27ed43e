"""Shared fixtures: the real recordings (skipped when absent) and small simulated sessions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from geometry_helpers import gesture_close_geometry
from hypothesis import HealthCheck, settings
from tiny_models import GESTURES, tiny_config

from dsp import FrameGeometry
from radargest.datasets import acconeer_data_dir

# Fuzz tests (hypothesis): a bounded, repeatable run in `make test`, 10,000 examples each in `make fuzz`.
_FUZZ_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=_FUZZ_CHECKS
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=60_000, database=None, suppress_health_check=_FUZZ_CHECKS
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The real recordings; tests using them skip when they are absent (set ``RADARGEST_DATA``)."""
    path = acconeer_data_dir()
    if path is None:
        pytest.skip("real recordings not found (../shared/data or $RADARGEST_DATA)")
    return path


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two subjects, one mixed session each, 2 reps of every gesture: written once per test run (from the
    calibrated core distribution: the tiny models trained on them must detect something)."""
    from radargest.simulate_cmd import SimulateJob, run_simulate

    out = tmp_path_factory.mktemp("sim")
    run_simulate(
        SimulateJob(out_dir=out, subjects=2, reps_per_gesture=2, core_subjects=True), workers=1, progress=False
    )
    return out


@pytest.fixture(scope="session")
def tiny_run(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run directory of a tiny model trained on the simulated fixture sessions."""
    from models.train import train

    out = tmp_path_factory.mktemp("run")
    train(tiny_config(sim_dir), out, progress=False)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def demo_bundle(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model (default layout, few channels) trained briefly and exported without the arena search."""
    from deploy.export import ExportConfig, export_bundle
    from models.architectures import ArchitectureConfig
    from models.config import TrainConfig
    from models.data import DatasetConfig, WindowConfig, parse_split
    from models.train import train

    cfg = TrainConfig(
        data=(str(sim_dir),),
        # whole gestures only: this 12-epoch model of 4 channels on 2 subjects x 2 repetitions, trained with
        # fragment windows (the default share), learns "not yet" and detects nothing on the fixture stream,
        # and the parity tests built on this bundle need decisions to compare
        dataset=DatasetConfig(gestures=GESTURES, windows_per_class=32, window=WindowConfig(fragment_share=0.0)),
        split=parse_split("none"),
        architecture=ArchitectureConfig(
            num_classes=len(GESTURES) + 1, conv_channels=(4, 4), embedding=8, head_channels=8, head_kernel=3
        ),
        epochs=12,
        patience_epochs=12,
        # A smoke model (2 subjects x 2 reps): its only job is to give detect/demo some events to compare.
        # Seed 1 stopped giving any once windows ended at the latest evidence (dsp.event_window_end).
        seed=2,
    )
    run = tmp_path_factory.mktemp("demo_run")
    train(cfg, run, progress=False)
    out = tmp_path_factory.mktemp("demo_bundle")
    export_bundle(run, out, cfg=ExportConfig(arena_search=False, latency_runs=5, tflm_rows=16, check_recordings=1))
    return out


@pytest.fixture
def gesture_close() -> FrameGeometry:
    """The ``gesture_close`` preset's geometry (see DESIGN §3), built by hand for synthetic tests."""
    return gesture_close_geometry()
