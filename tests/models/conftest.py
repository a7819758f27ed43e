"""Fixtures for the model tests (the tiny trained run ``tiny_run`` is shared, in tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tiny_models import GESTURES


@pytest.fixture(scope="session")
def sim_recordings(sim_dir: Path) -> list:
    from models.data import DatasetConfig, load_recordings

    return load_recordings([sim_dir], cfg=DatasetConfig(gestures=GESTURES))
