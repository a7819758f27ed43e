"""A tiny training config shared by the model, deploy and demo tests (trains in seconds)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["GESTURES", "tiny_config"]

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
