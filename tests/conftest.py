"""Shared fixtures: the real recordings (skipped when absent) and small simulated sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_models import tiny_config

from radargest.datasets import acconeer_data_dir


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The real recordings; tests using them skip when they are absent (set ``RADARGEST_DATA``)."""
    path = acconeer_data_dir()
    if path is None:
        pytest.skip("real recordings not found (../shared/data or $RADARGEST_DATA)")
    return path


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two subjects, one mixed session each, 2 reps of every gesture: written once per test run."""
    from radargest.simulate_cmd import SimulateJob, run_simulate

    out = tmp_path_factory.mktemp("sim")
    run_simulate(SimulateJob(out_dir=out, subjects=2, reps_per_gesture=2), workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_run(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run directory of a tiny model trained on the simulated fixture sessions."""
    from models.train import train

    out = tmp_path_factory.mktemp("run")
    train(tiny_config(sim_dir), out, progress=False)  # type: ignore[arg-type]
    return out
