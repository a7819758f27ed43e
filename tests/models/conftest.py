"""Fixtures for the model tests: tiny configs and one tiny trained run on the shared simulated sessions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

GESTURES = ("tap_in", "tap_out", "double_tap_in", "wiggle")


def tiny_config(data: Path, **overrides: object) -> object:
    """A TrainConfig small enough to train in seconds (a few hundred parameters, 2 epochs)."""
    from models.architectures import ArchitectureConfig
    from models.config import TrainConfig
    from models.data import DatasetConfig, parse_split

    gestures = overrides.pop("gestures", GESTURES)
    kwargs: dict[str, object] = dict(
        data=(str(data),),
        dataset=DatasetConfig(gestures=gestures, windows_per_class=8),  # type: ignore[arg-type]
        split=parse_split("subject"),
        architecture=ArchitectureConfig(
            num_classes=len(gestures) + 1,  # type: ignore[arg-type]
            conv_channels=(2, 2),
            embedding=4,
            head_channels=4,
            head_kernel=3,
        ),
        epochs=2,
        patience_epochs=2,
        seed=3,
    )
    kwargs.update(overrides)
    return TrainConfig(**kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sim_recordings(sim_dir: Path) -> list:
    from models.data import DatasetConfig, load_recordings

    return load_recordings([sim_dir], cfg=DatasetConfig(gestures=GESTURES))


@pytest.fixture(scope="session")
def tiny_run(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run directory of a tiny model trained on the simulated fixture sessions."""
    from models.train import train

    out = tmp_path_factory.mktemp("run")
    train(tiny_config(sim_dir), out, progress=False)  # type: ignore[arg-type]
    return out
