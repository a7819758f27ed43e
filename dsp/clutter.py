"""Slow clutter (background) removal over frames with an exponential moving average.

The background ``b`` of every (sweep, point) cell follows ``b[n] = α b[n-1] + (1-α) x[n]`` with
``b[0] = x[0]``, and the output is ``x[n] - b[n]``. Bad (NaN/inf) frames are treated as missing: their
output is NaN and the background is held, so one dropped frame does not poison the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dsp._checks import as_frames, check_positive
from dsp.errors import ParameterError

__all__ = ["ClutterConfig", "ClutterProcessor", "remove_clutter"]


@dataclass(frozen=True, kw_only=True)
class ClutterConfig:
    """Exponential background filter.

    Fields:
        time_constant_s: time constant of the background average [s]; longer keeps more slow motion.
        frame_rate_hz: frame rate of the stream [Hz].
    """

    time_constant_s: float = 2.0
    frame_rate_hz: float = 57.0

    def __post_init__(self) -> None:
        check_positive("time_constant_s", self.time_constant_s)
        check_positive("frame_rate_hz", self.frame_rate_hz)

    @property
    def alpha(self) -> float:
        """Per-frame forgetting factor ``exp(-1 / (τ f))`` [unitless]."""
        return float(np.exp(-1.0 / (self.time_constant_s * self.frame_rate_hz)))


def _frame_ok(frame: npt.NDArray[Any]) -> bool:
    return bool(np.all(np.isfinite(frame)))


def remove_clutter(frames: npt.ArrayLike, *, cfg: ClutterConfig) -> npt.NDArray[np.complex128]:
    """Subtract the exponential background from each frame.

    Args:
        frames: ``(..., frames, sweeps, points)`` complex.
        cfg: the filter config.

    Returns:
        ``(..., frames, sweeps, points)`` complex128, a new array. A frame that holds any NaN/inf
        (per leading batch index) is NaN in the output and leaves the background unchanged.
    """
    x = as_frames(frames, min_ndim=3).astype(np.complex128, copy=False)
    a = cfg.alpha
    out = np.empty_like(x)
    xt = np.moveaxis(x, -3, 0)
    ot = np.moveaxis(out, -3, 0)
    ok = np.all(np.isfinite(xt), axis=(-2, -1))  # (frames, ...)
    bg = np.zeros(xt.shape[1:], dtype=np.complex128)
    have = np.zeros(xt.shape[1:-2], dtype=bool)
    for n in range(xt.shape[0]):
        good = ok[n]
        g = good[..., None, None]
        first = g & ~have[..., None, None]
        xn = np.where(g, xt[n], 0.0)  # keep NaN out of the arithmetic
        upd = a * bg + (1.0 - a) * xn
        bg = np.where(first, xn, np.where(g, upd, bg))
        have = have | good
        ot[n] = np.where(g, xn - bg, np.nan)
    return out


class ClutterProcessor:
    """Frame-by-frame :func:`remove_clutter`; ``process`` takes ``(sweeps, points)``."""

    def __init__(self, *, cfg: ClutterConfig) -> None:
        self.cfg = cfg
        self._alpha = cfg.alpha
        self._bg: npt.NDArray[np.complex128] | None = None

    def reset(self) -> None:
        """Forget the background."""
        self._bg = None

    def process(self, frame: npt.ArrayLike) -> npt.NDArray[np.complex128]:
        """Return ``frame - background`` of shape ``(sweeps, points)``; NaN for a bad frame."""
        x = np.asarray(frame)
        if x.ndim != 2:
            raise ParameterError(f"frame must have shape (sweeps, points), got shape {x.shape}")
        x = x.astype(np.complex128, copy=False)
        if self._bg is not None and x.shape != self._bg.shape:
            raise ParameterError(f"frame shape {x.shape} differs from the stream's {self._bg.shape}")
        if not _frame_ok(x):
            return np.full(x.shape, np.nan, dtype=np.complex128)
        if self._bg is None:
            self._bg = x.copy()
        else:
            self._bg = self._alpha * self._bg + (1.0 - self._alpha) * x
        return x - self._bg
