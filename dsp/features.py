"""Range-Doppler features: the default per-frame input of the models.

Per frame: subtract the mean over sweeps (the static part), optionally a slow clutter estimate over frames
(:mod:`dsp.clutter`), apply a Hann window over sweeps normalised to sum 1 (as exptool's ``sparse_iq``),
FFT over sweeps, fftshift, take the magnitude, then compress and normalise. Every step except the optional
clutter filter is per frame, so streaming equals batch by construction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from dsp._checks import as_frames, check_positive
from dsp.clutter import ClutterConfig, ClutterProcessor, remove_clutter
from dsp.errors import ParameterError

__all__ = [
    "RangeDopplerConfig",
    "RangeDopplerProcessor",
    "doppler_magnitude",
    "doppler_matrix",
    "hann_window",
    "idle_doppler_matrix",
    "idle_range_doppler",
    "range_doppler",
    "velocity_time",
]

Compression = Literal["log1p", "db", "none"]
Normalisation = Literal["fixed", "frame_max", "none"]


@dataclass(frozen=True, kw_only=True)
class RangeDopplerConfig:
    """Range-Doppler magnitude feature.

    Fields:
        compression: ``"log1p"`` → ``log1p(|X| / reference_amplitude)``; ``"db"`` →
            ``20 log10(|X| / reference_amplitude + db_floor)``; ``"none"`` → ``|X|`` [counts].
        reference_amplitude: amplitude that maps to 1 before compression [counts]; ignored for "none".
        db_floor: additive floor inside the dB log, avoids ``-inf`` [unitless, relative to reference].
        normalisation: ``"fixed"`` divides by ``output_scale`` (stateless, so streaming == batch);
            ``"frame_max"`` divides each frame by its own maximum (a silent frame stays 0);
            ``"none"`` leaves the compressed values.
        output_scale: divisor for ``"fixed"`` [units of the compressed value].
        clutter: optional slow background filter over frames, applied before the mean removal.
    """

    compression: Compression = "log1p"
    reference_amplitude: float = 10.0
    db_floor: float = 1e-3
    normalisation: Normalisation = "fixed"
    output_scale: float = 5.0
    clutter: ClutterConfig | None = None

    def __post_init__(self) -> None:
        if self.compression not in ("log1p", "db", "none"):
            raise ParameterError(f"compression must be 'log1p', 'db' or 'none', got {self.compression!r}")
        if self.normalisation not in ("fixed", "frame_max", "none"):
            raise ParameterError(f"normalisation must be 'fixed', 'frame_max' or 'none', got {self.normalisation!r}")
        check_positive("reference_amplitude", self.reference_amplitude)
        check_positive("db_floor", self.db_floor)
        check_positive("output_scale", self.output_scale)


def hann_window(sweeps: int) -> npt.NDArray[np.float64]:
    """Hann window over sweeps normalised to sum 1, shape ``(sweeps,)``."""
    w = np.hanning(sweeps)
    return np.asarray(w / w.sum(), dtype=np.float64)


@functools.lru_cache(maxsize=16)
def doppler_matrix(sweeps: int) -> npt.NDArray[np.complex128]:
    """The linear map from a frame to its fftshifted Doppler spectrum, shape ``(sweeps, sweeps)``.

    ``doppler_matrix(S) @ x == fftshift(fft((x - x.mean(0)) * hann_window(S)[:, None], axis=0), axes=0)``
    for ``x`` of shape ``(S, points)``. Mean removal, window, FFT and shift are all linear over sweeps,
    so one small matrix product does all four; batch and streaming share it, which makes them equal
    to the last bit and keeps the per-frame cost low. The array is read-only.
    """
    if sweeps < 2:
        raise ParameterError(f"a Doppler FFT needs at least 2 sweeps, got {sweeps}")
    eye = np.eye(sweeps)
    centred = eye - 1.0 / sweeps
    windowed = centred * hann_window(sweeps)[:, None]
    m = np.fft.fftshift(np.fft.fft(windowed, axis=0), axes=0)
    m.setflags(write=False)
    return m


@functools.lru_cache(maxsize=16)
def idle_doppler_matrix(sweeps: int, bins: int) -> npt.NDArray[np.complex128]:
    """The linear map from the ``sweeps`` sweeps of an IDLE frame to a ``bins``-bin fftshifted Doppler spectrum,
    shape ``(bins, sweeps)``: mean removal, a rectangular window normalised to sum 1, a DFT zero-padded to ``bins``
    (the full frame's Doppler axis: same sweep rate, same bins), the shift. Read-only."""
    if not 2 <= sweeps <= bins:
        raise ParameterError(f"an IDLE Doppler map needs 2 <= sweeps <= bins, got {sweeps} sweeps, {bins} bins")
    padded = np.zeros((bins, sweeps))
    padded[:sweeps] = (np.eye(sweeps) - 1.0 / sweeps) / sweeps
    m = np.fft.fftshift(np.fft.fft(padded, axis=0), axes=0)
    m.setflags(write=False)
    return m


def idle_range_doppler(
    frames: npt.ArrayLike, *, cfg: RangeDopplerConfig, idle_sweeps: int, point_step: int, point_offset: int = 0
) -> npt.NDArray[np.float32]:
    """The range-Doppler map a throttled device's IDLE frame gives, on the full frame's axes.

    An IDLE frame is the first ``idle_sweeps`` sweeps of every ``point_step``-th point of a full frame, from its point
    ``point_offset`` (``deploy.throttle``). Its map: :func:`idle_doppler_matrix` over its sweeps (every sweep the
    sensor paid for weighs the same; a Hann window would zero two of five), the points in between linearly
    interpolated and the first and last measured ones repeated beyond them, then
    :attr:`RangeDopplerConfig.compression` and normalisation as :func:`range_doppler` (no clutter filter). Coarser
    than the full map (about a third of its Doppler resolution), but it shows where and how fast the scene moved
    while the device was idle.

    Args:
        frames: ``(..., sweeps, points)`` complex full frames.

    Returns:
        ``(..., sweeps, points)`` float32, the axes of :func:`range_doppler`; NaN frames give NaN maps.
    """
    x = as_frames(frames, min_ndim=2)
    sweeps, points = x.shape[-2:]
    if point_step < 1:
        raise ParameterError(f"point_step must be >= 1, got {point_step}")
    if not 0 <= point_offset < min(point_step, points):
        raise ParameterError(f"point_offset must be in 0..{min(point_step, points) - 1}, got {point_offset}")
    mag = np.abs(idle_doppler_matrix(idle_sweeps, sweeps) @ x[..., :idle_sweeps, point_offset::point_step])
    have = np.arange(point_offset, points, point_step)
    ahead = np.maximum(np.arange(points) - point_offset, 0)  # full points before the first IDLE one take its value
    lo = np.minimum(ahead // point_step, have.size - 1)
    hi = np.minimum(lo + 1, have.size - 1)
    w = np.where(hi > lo, (ahead - (have[lo] - point_offset)) / point_step, 0.0)
    return _compress_normalise(mag[..., lo] * (1.0 - w) + mag[..., hi] * w, cfg)


def doppler_magnitude(frames: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """|FFT over sweeps| of the mean-removed, Hann-windowed frames, fftshifted.

    Args:
        frames: ``(..., sweeps, points)`` complex; NaN frames give NaN maps.

    Returns:
        ``(..., doppler_bins, points)`` float64 [counts], ``doppler_bins == sweeps``.
    """
    x = as_frames(frames, min_ndim=2)
    sweeps = x.shape[-2]
    if sweeps < 2:
        raise ParameterError(f"frames need at least 2 sweeps for a Doppler FFT, got shape {x.shape}")
    return np.abs(doppler_matrix(sweeps) @ x)


def _compress_normalise(mag: npt.NDArray[np.float64], cfg: RangeDopplerConfig) -> npt.NDArray[np.float32]:
    """Compress and normalise ``mag`` IN PLACE (callers pass a fresh array) and return float32."""
    if cfg.compression == "log1p":
        np.multiply(mag, 1.0 / cfg.reference_amplitude, out=mag)
        np.log1p(mag, out=mag)
    elif cfg.compression == "db":
        np.multiply(mag, 1.0 / cfg.reference_amplitude, out=mag)
        np.add(mag, cfg.db_floor, out=mag)
        np.log10(mag, out=mag)
        np.multiply(mag, 20.0, out=mag)
    if cfg.normalisation == "fixed":
        np.multiply(mag, 1.0 / cfg.output_scale, out=mag)
    elif cfg.normalisation == "frame_max":
        peak = np.max(np.abs(mag), axis=(-2, -1), keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mag = np.where(peak > 0, mag / np.where(peak > 0, peak, 1.0), 0.0)
    return mag.astype(np.float32)


def range_doppler(frames: npt.ArrayLike, *, cfg: RangeDopplerConfig) -> npt.NDArray[np.float32]:
    """Range-Doppler maps of a stream of frames.

    Args:
        frames: ``(..., frames, sweeps, points)`` complex. Without ``cfg.clutter`` a single
            ``(sweeps, points)`` frame is also accepted.
        cfg: the feature config.

    Returns:
        ``(..., frames, doppler_bins, points)`` float32; the Doppler axis is
        :attr:`dsp.geometry.FrameGeometry.velocities_m_s`. NaN/inf frames give NaN maps.
    """
    x = as_frames(frames, min_ndim=3 if cfg.clutter is not None else 2)
    if cfg.clutter is not None:
        x = remove_clutter(x, cfg=cfg.clutter)
    return _compress_normalise(doppler_magnitude(x), cfg)


def velocity_time(rd_map: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Velocity-time map: the maximum over range of each range-Doppler map.

    Args:
        rd_map: ``(..., frames, doppler_bins, points)``.

    Returns:
        ``(..., frames, doppler_bins)`` float32.
    """
    m = as_frames(rd_map, min_ndim=2, name="rd_map")
    return np.max(m, axis=-1).astype(np.float32)


class RangeDopplerProcessor:
    """Frame-by-frame :func:`range_doppler`; ``process`` maps ``(sweeps, points)`` to
    ``(doppler_bins, points)`` float32. Holds state only when ``cfg.clutter`` is set."""

    def __init__(self, *, cfg: RangeDopplerConfig) -> None:
        self.cfg = cfg
        self._clutter = ClutterProcessor(cfg=cfg.clutter) if cfg.clutter is not None else None
        self._matrix: npt.NDArray[np.complex128] | None = None

    def reset(self) -> None:
        """Forget the clutter background (if any)."""
        if self._clutter is not None:
            self._clutter.reset()

    def process(self, frame: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Map one ``(sweeps, points)`` frame to its ``(doppler_bins, points)`` float32 map."""
        x: npt.NDArray[Any] = np.asarray(frame)
        if x.ndim != 2:
            raise ParameterError(f"frame must have shape (sweeps, points), got shape {x.shape}")
        if self._clutter is not None:
            x = self._clutter.process(x)
        if self._matrix is None or self._matrix.shape[0] != x.shape[0]:
            self._matrix = doppler_matrix(x.shape[0])
        return _compress_normalise(np.abs(self._matrix @ x), self.cfg)

    def process_magnitude(self, magnitude: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        """Compress and normalise a ``(doppler_bins, points)`` magnitude from :func:`doppler_magnitude`.

        Lets a pipeline that also runs the onset metric compute the spectrum once per frame.
        """
        return _compress_normalise(np.array(magnitude, dtype=np.float64), self.cfg)
