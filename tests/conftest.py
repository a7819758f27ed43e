"""Shared fixtures: the real recordings (skipped when absent) and small simulated sessions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path:
    """The Acconeer gesture-control recordings: ``$RADARGEST_DATA`` or ``../shared/data/...``."""
    env = os.environ.get("RADARGEST_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data" / "acconeer-a121-gesture-control"


@pytest.fixture(scope="session")
def real_dir() -> Path:
    path = real_data_dir()
    if not path.is_dir():
        pytest.skip(f"real recordings not found at {path}")
    return path


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two subjects, one mixed session each, 2 reps of every gesture: written once per test run."""
    from radargest.simulate_cmd import SimulateJob, run_simulate

    out = tmp_path_factory.mktemp("sim")
    run_simulate(SimulateJob(out_dir=out, subjects=2, reps_per_gesture=2), workers=1, progress=False)
    return out
