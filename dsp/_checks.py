"""Input validation shared by the stages (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from dsp.errors import ParameterError


def as_frames(frames: Any, *, min_ndim: int, name: str = "frames") -> npt.NDArray[Any]:
    """Return ``frames`` as an array with at least ``min_ndim`` dims, or raise ParameterError."""
    arr = np.asarray(frames)
    if arr.ndim < min_ndim:
        raise ParameterError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ParameterError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr


def check_positive(name: str, value: float) -> None:
    """Raise ParameterError unless ``value`` is a finite number > 0."""
    if not (isinstance(value, int | float | np.floating | np.integer) and np.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")


def check_nonnegative(name: str, value: float) -> None:
    """Raise ParameterError unless ``value`` is a finite number >= 0."""
    if not (isinstance(value, int | float | np.floating | np.integer) and np.isfinite(value) and value >= 0):
        raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}")
