"""Where the real Acconeer gesture-control recordings live (``$RADARGEST_DATA`` or ``../shared/data``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["TRAINING_FILES", "acconeer_data_dir", "acconeer_file"]

_REPO = Path(__file__).resolve().parents[1]
#: Training-side files of the real data (the idx_3 day and static_hand_idx_1 are the held-out test set).
TRAINING_FILES = (
    "double_tap_in_idx_1",
    "double_tap_in_idx_2",
    "double_tap_in_idx_5",
    "tap_in_idx_1",
    "tap_in_idx_2",
    "tap_out_idx_1",
    "tap_out_idx_2",
    "wiggle_idx_1",
    "wiggle_idx_2",
    "dynamic_hand_idx_1",
)


def acconeer_data_dir() -> Path | None:
    """``$RADARGEST_DATA``, else ``<repo>/../shared/data/acconeer-a121-gesture-control``; None if missing."""
    env = os.environ.get("RADARGEST_DATA")
    path = Path(env) if env else _REPO.parent / "shared" / "data" / "acconeer-a121-gesture-control"
    return path if path.is_dir() else None


def acconeer_file(name: str) -> Path | None:
    """The recording ``label_<name>.h5`` (e.g. ``tap_in_idx_1``), or None when the data is missing."""
    root = acconeer_data_dir()
    if root is None:
        return None
    sub = "gesture_detection" if "_hand_idx_" in name else "gesture_classification"
    path = root / sub / f"label_{name}.h5"
    return path if path.is_file() else None
