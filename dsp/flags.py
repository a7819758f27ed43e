"""Bad-frame flags and the missing-frame rule.

Rule used by every stage: a frame holding any NaN or inf sample is *missing*. Per-frame outputs for it
are NaN, and stateful stages (clutter, onset floor, segmenter) hold their state as if the frame never
arrived; nothing raises. Saturated frames (exptool's ``Result.data_saturated``) carry finite but
clipped samples, so the caller passes them in as a mask and :func:`mask_bad_frames` turns them into
missing frames before processing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dsp._checks import as_frames
from dsp.errors import ParameterError

__all__ = ["bad_frames", "mask_bad_frames"]


def bad_frames(frames: npt.ArrayLike, *, saturated: npt.ArrayLike | None = None) -> npt.NDArray[np.bool_]:
    """Flag frames that are non-finite or saturated.

    Args:
        frames: ``(..., frames, sweeps, points)`` complex.
        saturated: optional ``(..., frames)`` bool, e.g. ``[r.data_saturated for r in results]``.

    Returns:
        ``(..., frames)`` bool, True for a bad frame.
    """
    x = as_frames(frames, min_ndim=3)
    bad = ~np.all(np.isfinite(x), axis=(-2, -1))
    if saturated is not None:
        sat = np.asarray(saturated, dtype=bool)
        if sat.shape != bad.shape:
            raise ParameterError(f"saturated must have shape {bad.shape}, got shape {sat.shape}")
        bad = bad | sat
    return bad


def mask_bad_frames(frames: npt.ArrayLike, bad: npt.ArrayLike) -> npt.NDArray[np.complex128]:
    """Return a complex copy of ``frames`` with the ``bad`` frames set to NaN (missing).

    Args:
        frames: ``(..., frames, sweeps, points)`` complex.
        bad: ``(..., frames)`` bool, e.g. from :func:`bad_frames`.

    Returns:
        ``(..., frames, sweeps, points)`` complex128, a new array.
    """
    x = as_frames(frames, min_ndim=3)
    b = np.asarray(bad, dtype=bool)
    if b.shape != x.shape[:-2]:
        raise ParameterError(f"bad must have shape {x.shape[:-2]}, got shape {b.shape}")
    out = x.astype(np.complex128, copy=True)
    out[b] = np.nan
    return out
