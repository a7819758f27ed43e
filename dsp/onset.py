"""Onset metric: motion energy in the moving Doppler bins against an adaptive still-hand floor.

Per frame ``n``:

1. ``power[n]``: energy of the fftshifted Doppler spectrum (same window and mean removal as
   :func:`dsp.features.doppler_magnitude`) summed over all points and over the bins with
   ``|v| >= min_speed_m_s`` [counts²]. The slow bins hold the still hand's tremor and are left out.
2. ``metric[n]``: causal mean of ``power`` over the last ``smoothing_s`` of valid frames [counts²].
3. ``floor[n]``: the ``floor_percentile`` of ``10 log10(metric + metric_eps)`` over the last
   ``floor_window_s`` of valid frames, current frame included [dB re 1 count²]. A low percentile of a
   trailing window tracks the still-hand level of *this* stream: it follows a quieter or noisier hand
   within a few seconds, while a gesture (shorter than the window's upper share) cannot lift it. This
   is why the ratio transfers between sessions where a fixed level does not. At the start of a stream
   the window holds fewer frames and the percentile is taken over those, the same way in batch and
   streaming.
4. ``ratio_db[n] = 10 log10(metric + metric_eps) - floor[n]`` [dB].

Bad frames (any NaN/inf sample) are missing: they give NaN ``metric`` and ``ratio_db``, hold the
previous ``floor`` and do not enter either window, so the state is as if the frame never came.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from dsp._checks import as_frames, check_positive
from dsp.errors import ParameterError
from dsp.features import doppler_matrix
from dsp.geometry import FrameGeometry

__all__ = [
    "OnsetConfig",
    "OnsetProcessor",
    "OnsetResult",
    "onset_from_power",
    "onset_metric",
    "onset_point_power",
    "onset_power",
]


@dataclass(frozen=True, kw_only=True)
class OnsetConfig:
    """Onset metric and adaptive floor.

    Fields:
        min_speed_m_s: bins slower than this are excluded from the motion energy [m/s].
        smoothing_s: length of the causal moving mean of the motion energy [s].
        floor_window_s: length of the trailing window the floor is taken over [s].
        floor_percentile: percentile of the window taken as the floor [%].
        metric_eps: added to the metric before the log, so a silent frame is finite [counts²].
    """

    min_speed_m_s: float = 0.25
    smoothing_s: float = 0.1
    floor_window_s: float = 4.0
    floor_percentile: float = 20.0
    metric_eps: float = 1.0

    def __post_init__(self) -> None:
        for name in ("min_speed_m_s", "smoothing_s", "floor_window_s", "metric_eps"):
            check_positive(name, getattr(self, name))
        if not 0.0 <= self.floor_percentile <= 100.0:
            raise ParameterError(f"floor_percentile must be in [0, 100], got {self.floor_percentile!r}")

    def smoothing_frames(self, frame_rate_hz: float) -> int:
        """Moving-mean length [frames], at least 1."""
        return max(1, round(self.smoothing_s * frame_rate_hz))

    def floor_frames(self, frame_rate_hz: float) -> int:
        """Floor window length [frames], at least 1."""
        return max(1, round(self.floor_window_s * frame_rate_hz))

    def bin_mask(self, geometry: FrameGeometry) -> npt.NDArray[np.float64]:
        """1.0 for the Doppler bins counted as motion, else 0.0, shape ``(doppler_bins,)``."""
        mask = (np.abs(geometry.velocities_m_s) >= self.min_speed_m_s).astype(np.float64)
        if not mask.any():
            raise ParameterError(
                f"min_speed_m_s={self.min_speed_m_s} excludes every Doppler bin "
                f"(max speed {geometry.max_velocity_m_s:.3f} m/s)"
            )
        return mask


class OnsetResult(NamedTuple):
    """Per-frame onset outputs, each ``(..., frames)`` float64.

    metric: smoothed motion energy [counts²]; floor: adaptive floor [dB re 1 count²];
    ratio_db: metric over floor [dB].
    """

    metric: npt.NDArray[np.float64]
    floor: npt.NDArray[np.float64]
    ratio_db: npt.NDArray[np.float64]


def _check_geometry(frames: npt.NDArray[Any], geometry: FrameGeometry) -> None:
    if frames.shape[-2:] != (geometry.sweeps_per_frame, geometry.num_points):
        raise ParameterError(
            f"frames of shape {frames.shape} do not match the geometry "
            f"(sweeps, points) = ({geometry.sweeps_per_frame}, {geometry.num_points})"
        )


def onset_power(frames: npt.ArrayLike, *, cfg: OnsetConfig, geometry: FrameGeometry) -> npt.NDArray[np.float64]:
    """Unsmoothed motion energy per frame.

    Args:
        frames: ``(..., frames, sweeps, points)`` complex (a single ``(sweeps, points)`` frame works too).

    Returns:
        ``(..., frames)`` float64 [counts²]; NaN for frames holding NaN/inf.
    """
    x = as_frames(frames, min_ndim=2)
    _check_geometry(x, geometry)
    rows = doppler_matrix(geometry.sweeps_per_frame)[cfg.bin_mask(geometry) > 0]
    spec = rows @ x
    return np.asarray((spec.real**2 + spec.imag**2).sum(axis=(-2, -1)), dtype=np.float64)


def onset_point_power(frames: npt.ArrayLike, *, cfg: OnsetConfig, geometry: FrameGeometry) -> npt.NDArray[np.float64]:
    """Unsmoothed motion energy per frame and range point: :func:`onset_power` before the sum over points
    (what :class:`dsp.DecisionPolicy` accumulates over an event to find the range point of its strongest motion).

    Args:
        frames: ``(..., frames, sweeps, points)`` complex (a single ``(sweeps, points)`` frame works too).

    Returns:
        ``(..., frames, points)`` float64 [counts²]; NaN for points holding NaN/inf.
    """
    x = as_frames(frames, min_ndim=2)
    _check_geometry(x, geometry)
    rows = doppler_matrix(geometry.sweeps_per_frame)[cfg.bin_mask(geometry) > 0]
    spec = rows @ x
    return np.asarray((spec.real**2 + spec.imag**2).sum(axis=-2), dtype=np.float64)


def _quantile_sorted(values: Any, n: int, q: float) -> float:
    """Linear-interpolated ``q``-quantile (0..1) of the first ``n`` sorted values."""
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    t = pos - lo
    a = float(values[lo])
    b = float(values[hi])
    return a + (b - a) * t


def _onset_1d(power: npt.NDArray[np.float64], cfg: OnsetConfig, geometry: FrameGeometry) -> OnsetResult:
    n = power.shape[0]
    k = cfg.smoothing_frames(geometry.frame_rate_hz)
    w = cfg.floor_frames(geometry.frame_rate_hz)
    q = cfg.floor_percentile / 100.0
    metric = np.full(n, np.nan)
    floor = np.full(n, np.nan)
    ratio = np.full(n, np.nan)
    valid = np.flatnonzero(np.isfinite(power))
    m = valid.size
    if m == 0:
        return OnsetResult(metric, floor, ratio)
    pv = power[valid]
    # causal moving mean over the last k valid frames (fewer at the start)
    csum = np.concatenate(([0.0], np.cumsum(pv)))
    idx = np.arange(m)
    start = np.maximum(idx + 1 - k, 0)
    mv = (csum[idx + 1] - csum[start]) / (idx + 1 - start)
    # recompute each mean exactly as the streaming sum does, to avoid cumsum drift
    if k > 1:
        padded = np.concatenate((np.full(k - 1, np.nan), pv))
        win = np.lib.stride_tricks.sliding_window_view(padded, k)
        full = idx >= k - 1
        mv[full] = np.sum(win[full], axis=-1) / k
    lv = 10.0 * np.log10(mv + cfg.metric_eps)
    fl = np.empty(m)
    head = min(w - 1, m)
    for i in range(head):
        fl[i] = _quantile_sorted(np.sort(lv[: i + 1]), i + 1, q)
    if m >= w:
        srt = np.sort(np.lib.stride_tricks.sliding_window_view(lv, w), axis=-1)
        pos = q * (w - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, w - 1)
        t = pos - lo
        a = srt[:, lo]
        fl[w - 1 :] = a + (srt[:, hi] - a) * t
    metric[valid] = mv
    floor[valid] = fl
    ratio[valid] = lv - fl
    # hold the floor over missing frames
    if m < n:
        last = np.maximum.accumulate(np.where(np.isfinite(power), np.arange(n), -1))
        held = last >= 0
        floor[held] = floor[last[held]]
    return OnsetResult(metric, floor, ratio)


def onset_metric(frames: npt.ArrayLike, *, cfg: OnsetConfig, geometry: FrameGeometry) -> OnsetResult:
    """Onset metric, adaptive floor and ratio of a stream of frames.

    Args:
        frames: ``(..., frames, sweeps, points)`` complex; leading dims are independent streams.
        cfg: the onset config.
        geometry: axes of the frames (velocity axis and frame rate).

    Returns:
        :class:`OnsetResult` of ``(..., frames)`` float64 arrays.
    """
    x = as_frames(frames, min_ndim=3)
    return onset_from_power(onset_power(x, cfg=cfg, geometry=geometry), cfg=cfg, geometry=geometry)


def onset_from_power(power: npt.ArrayLike, *, cfg: OnsetConfig, geometry: FrameGeometry) -> OnsetResult:
    """Steps 2-4 of the module docstring on a motion-energy series already computed: what
    :func:`onset_metric` does after :func:`onset_power`. Lets a study feed other energies (one range point
    of :func:`onset_point_power`, a group of points) through the same smoothing and floor.

    Args:
        power: ``(..., frames)`` motion energy [counts²]; NaN marks a missing frame. Leading dims are
            independent streams.
        cfg: the onset config (its smoothing, floor window and percentile are used).
        geometry: gives the frame rate.

    Returns:
        :class:`OnsetResult` of ``(..., frames)`` float64 arrays.
    """
    p = np.asarray(power, dtype=np.float64)
    if p.ndim < 1:
        raise ParameterError(f"power must have a frames axis, got shape {p.shape}")
    flat = p.reshape(-1, p.shape[-1])
    parts = [_onset_1d(row, cfg, geometry) for row in flat]
    shape = p.shape
    return OnsetResult(
        *(np.stack([q[i] for q in parts]).reshape(shape) if parts else np.empty(shape) for i in range(3))
    )


class OnsetProcessor:
    """Frame-by-frame :func:`onset_metric`; ``process`` takes one ``(sweeps, points)`` frame and returns
    ``(metric, floor, ratio_db)`` as floats, equal to the batch values of that frame."""

    def __init__(self, *, cfg: OnsetConfig, geometry: FrameGeometry) -> None:
        self.cfg = cfg
        self.geometry = geometry
        self._mask = cfg.bin_mask(geometry)
        self._mask_col = self._mask[:, None]
        # only the motion rows of the Doppler matrix: power = ||rows @ frame||² in two calls
        self._rows = np.ascontiguousarray(doppler_matrix(geometry.sweeps_per_frame)[self._mask > 0])
        self._k = cfg.smoothing_frames(geometry.frame_rate_hz)
        self._w = cfg.floor_frames(geometry.frame_rate_hz)
        self._q = cfg.floor_percentile / 100.0
        self._shape = (geometry.sweeps_per_frame, geometry.num_points)
        self.reset()

    def reset(self) -> None:
        """Start a new stream: empty both windows, no floor."""
        self._powers: deque[float] = deque()
        self._csum_n = 0
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []
        self._floor = math.nan

    def power(self, frame: npt.ArrayLike) -> float:
        """The unsmoothed motion energy of one ``(sweeps, points)`` frame [counts²] (stateless, as
        :func:`onset_power`)."""
        x = np.asarray(frame)
        if x.shape != self._shape:
            raise ParameterError(f"frame must have shape {self._shape}, got shape {x.shape}")
        spec = self._rows @ x
        return float(np.vdot(spec, spec).real)

    def powers(self, frame: npt.ArrayLike) -> tuple[float, npt.NDArray[np.float64]]:
        """:meth:`power` of one ``(sweeps, points)`` frame and its ``(points,)`` share per range point
        (:func:`onset_point_power`), from one Doppler product."""
        x = np.asarray(frame)
        if x.shape != self._shape:
            raise ParameterError(f"frame must have shape {self._shape}, got shape {x.shape}")
        spec = self._rows @ x
        return float(np.vdot(spec, spec).real), np.asarray((spec.real**2 + spec.imag**2).sum(axis=0), dtype=np.float64)

    def process(self, frame: npt.ArrayLike) -> tuple[float, float, float]:
        """Return ``(metric [counts²], floor [dB], ratio_db [dB])`` for one ``(sweeps, points)`` frame."""
        return self.process_power(self.power(frame))

    def process_magnitude(self, magnitude: npt.NDArray[np.float64]) -> tuple[float, float, float]:
        """Like :meth:`process`, from a ``(doppler_bins, points)`` magnitude already computed by
        :func:`dsp.features.doppler_magnitude` (equal up to float rounding)."""
        m = magnitude * self._mask_col
        return self.process_power(float(np.vdot(m, m)))

    def process_power(self, power: float) -> tuple[float, float, float]:
        """Advance by one frame given its unsmoothed motion energy [counts²]."""
        if not math.isfinite(power):
            return math.nan, self._floor, math.nan
        pw = self._powers
        pw.append(power)
        if len(pw) > self._k:
            pw.popleft()
        metric = sum(pw) / len(pw)
        level = 10.0 * math.log10(metric + self.cfg.metric_eps)
        fifo = self._fifo
        srt = self._sorted
        fifo.append(level)
        bisect.insort(srt, level)
        if len(fifo) > self._w:
            old = fifo.popleft()
            del srt[bisect.bisect_left(srt, old)]
        self._floor = _quantile_sorted(srt, len(srt), self._q)
        return metric, self._floor, level - self._floor
