"""Where the real Acconeer gesture-control recordings live (``$RADARGEST_DATA`` or ``../shared/data``), which
files are held out, and the distance bands training-side studies split simulated subjects by."""

from __future__ import annotations

import bisect
import itertools
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "HELD_OUT_MARKS",
    "HELD_OUT_SIM_SUBJECTS",
    "TRAINING_FILES",
    "acconeer_data_dir",
    "acconeer_file",
    "distance_band",
    "distance_band_labels",
    "distance_edges",
    "held_out_names",
    "held_out_paths",
    "held_out_subjects",
    "is_held_out",
    "training_side_files",
]

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
#: Parts of a real recording's file name that put it on the held-out test side (the data's README: every
#: ``idx_3`` file, and the still hand, whose only recording is ``static_hand_idx_1``).
HELD_OUT_MARKS = ("idx_3", "static_hand")


def is_held_out(path: Path | str) -> bool:
    """Whether a real recording is held out, by its file name alone (``label_tap_in_idx_3.h5``, an imported
    copy's), so that a script can refuse a file without opening it; the folders of ``path`` do not count."""
    name = Path(path).name
    return any(mark in name for mark in HELD_OUT_MARKS)


def held_out_names(paths: Iterable[Path | str]) -> list[str]:
    """The file names among ``paths`` that are held out (:func:`is_held_out`), for a script's refusal."""
    return [Path(p).name for p in paths if is_held_out(p)]


#: Simulated subjects on the held-out side (docs/results_*): the recipe's test subjects 12-15, the sparse throttle
#: streams' 5000-5007, the everyday test streams' 7000-7099 and the robustness map's 9000-9199.
HELD_OUT_SIM_SUBJECTS = (range(12, 16), range(5000, 5008), range(7000, 7100), range(9000, 9200))


def held_out_subjects(subjects: Iterable[int]) -> list[int]:
    """The simulated subject seeds among ``subjects`` that are held out (:data:`HELD_OUT_SIM_SUBJECTS`), for
    the refusal of a script that renders subjects itself."""
    return [s for s in subjects if any(s in r for r in HELD_OUT_SIM_SUBJECTS)]


def held_out_paths(paths: Iterable[Path | str]) -> list[str]:
    """The held-out ones among ``paths``, by name alone: real held-out files (:func:`held_out_names`, as file
    names), then simulated recordings of :data:`HELD_OUT_SIM_SUBJECTS` and anything under ``everyday_test``
    (as given), for a study script's refusal."""
    given = [Path(p) for p in paths]
    bad = held_out_names(given)
    for p in given:
        m = re.search(r"sim-s(\d+)", p.name)
        if (m and held_out_subjects([int(m.group(1))])) or "everyday_test" in str(p):
            bad.append(str(p))
    return bad


def training_side_files(paths: Iterable[Path]) -> list[Path]:
    """The recordings under ``paths`` (:func:`models.data.collect_files`), for a study script that reads only the
    training side.

    Raises:
        models.data.DataError: a missing path or no recordings, or any held-out one among them
            (:func:`held_out_paths`; nothing is opened).
    """
    from models.data import DataError, collect_files

    files = collect_files(paths)
    if bad := held_out_paths(files):
        raise DataError(f"held-out file(s) refused: {', '.join(sorted(set(bad)))}")
    return files


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


def distance_edges(text: str) -> list[float]:
    """Band edges [m] from ``"0.10,0.15"``.

    Raises:
        ValueError: not numbers, or not increasing and distinct.
    """
    try:
        edges = [float(x) for x in text.split(",")]
    except ValueError:
        edges = []
    if not edges or edges != sorted(set(edges)):
        raise ValueError(f"band edges must be increasing numbers in metres, comma-separated, got {text!r}")
    return edges


def _edge(x: float) -> str:
    """An edge as given, with at least two decimals (0.1 → ``0.10``, 0.175 → ``0.175``)."""
    return f"{x:.2f}" if round(x, 2) == x else f"{x:g}"


def distance_band_labels(edges_m: Sequence[float]) -> list[str]:
    """Labels of the ``len(edges_m) + 1`` bands the edges [m] cut: ``< e0``, ``e0–e1``, …, ``>= eN``."""
    inner = [f"{_edge(a)}–{_edge(b)} m" for a, b in itertools.pairwise(edges_m)]
    return [f"< {_edge(edges_m[0])} m", *inner, f">= {_edge(edges_m[-1])} m"]


def distance_band(distance_m: float, edges_m: Sequence[float]) -> str:
    """The label of the band holding ``distance_m`` [m]; a distance on an edge belongs to the band above it."""
    return distance_band_labels(edges_m)[bisect.bisect_right(edges_m, distance_m)]
