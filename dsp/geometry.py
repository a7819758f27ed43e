"""Frame geometry: the distance and velocity axes of a Sparse IQ frame.

All sensor-dependent numbers used by :mod:`dsp` come from a :class:`FrameGeometry`, which is built from
an exptool ``a121.SensorConfig`` and ``a121.Metadata`` (duck-typed, so ``dsp`` does not import exptool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dsp.errors import ParameterError

__all__ = ["FRAME_RATE_TOLERANCE", "SPEED_OF_LIGHT_M_S", "FrameGeometry", "frame_rate_mismatch"]

SPEED_OF_LIGHT_M_S = 299_792_458.0

#: Largest relative difference of two frame rates treated as the same [fraction]. A model's window is a
#: fixed number of frames, so at another rate every gesture is stretched or squeezed. Real A121 recordings
#: free-run at 55.2-57.4 Hz (the Acconeer training days, 4 % apart), simulated sessions at 57.1 Hz.
FRAME_RATE_TOLERANCE = 0.1


def frame_rate_mismatch(rate_hz: float, expected_hz: float, *, expected: str) -> str | None:
    """``None`` when ``rate_hz`` is within :data:`FRAME_RATE_TOLERANCE` of ``expected_hz``, else the words
    for an error, e.g. ``frame rate 30.0 Hz against the bundle's 57.1 Hz (more than 10% apart; ...)`` for
    ``expected="the bundle's"``."""
    if abs(rate_hz - expected_hz) <= FRAME_RATE_TOLERANCE * expected_hz:
        return None
    return (
        f"frame rate {rate_hz:.1f} Hz against {expected} {expected_hz:.1f} Hz (more than "
        f"{FRAME_RATE_TOLERANCE:.0%} apart; a model's window is a fixed number of frames)"
    )


@dataclass(frozen=True, kw_only=True)
class FrameGeometry:
    """Axes of a frame of shape ``(sweeps_per_frame, num_points)``.

    Fields:
        sweep_rate_hz: sweeps per second inside a frame [Hz].
        sweeps_per_frame: sweeps in one frame [count].
        start_point: first distance point [base steps].
        num_points: distance points per sweep [count].
        step_length: distance between points [base steps].
        base_step_length_m: length of one base step [m], from ``a121.Metadata``.
        frame_rate_hz: frames per second [Hz]; measured from ticks if the sensor rate is unset.
        center_frequency_hz: radar carrier frequency [Hz].
    """

    sweep_rate_hz: float
    sweeps_per_frame: int
    start_point: int
    num_points: int
    step_length: int
    base_step_length_m: float
    frame_rate_hz: float
    center_frequency_hz: float = 60.5e9

    def __post_init__(self) -> None:
        for name in ("sweep_rate_hz", "base_step_length_m", "frame_rate_hz", "center_frequency_hz"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")
        for name in ("sweeps_per_frame", "num_points", "step_length"):
            value = getattr(self, name)
            if not (isinstance(value, int | np.integer) and value >= 1):
                raise ParameterError(f"{name} must be an integer >= 1, got {value!r}")
        if self.sweeps_per_frame < 2:
            raise ParameterError(f"sweeps_per_frame must be >= 2 for a Doppler FFT, got {self.sweeps_per_frame}")
        if not isinstance(self.start_point, int | np.integer):
            raise ParameterError(f"start_point must be an integer, got {self.start_point!r}")

    @classmethod
    def from_sensor_config(cls, sensor_config: Any, metadata: Any, *, frame_rate_hz: float) -> FrameGeometry:
        """Build from an ``a121.SensorConfig`` (one subsweep) and its ``a121.Metadata``.

        ``frame_rate_hz`` is passed explicitly because the sensor's ``frame_rate`` is often unset; pass
        ``sensor_config.frame_rate`` when it is set, or the rate measured from result ticks.
        """
        subsweeps = getattr(sensor_config, "subsweeps", None)
        if subsweeps is not None and len(subsweeps) != 1:
            raise ParameterError(f"only single-subsweep sensor configs are supported, got {len(subsweeps)}")
        sweep_rate = getattr(sensor_config, "sweep_rate", None)
        if sweep_rate is None:
            raise ParameterError("sensor_config.sweep_rate is None; the Doppler axis needs a set sweep rate")
        base_step = getattr(metadata, "base_step_length_m", None)
        if base_step is None:
            raise ParameterError(f"metadata has no base_step_length_m: {metadata!r}")
        return cls(
            sweep_rate_hz=float(sweep_rate),
            sweeps_per_frame=int(sensor_config.sweeps_per_frame),
            start_point=int(sensor_config.start_point),
            num_points=int(sensor_config.num_points),
            step_length=int(sensor_config.step_length),
            base_step_length_m=float(base_step),
            frame_rate_hz=float(frame_rate_hz),
        )

    @property
    def wavelength_m(self) -> float:
        """Carrier wavelength [m]."""
        return SPEED_OF_LIGHT_M_S / self.center_frequency_hz

    @property
    def distances_m(self) -> npt.NDArray[np.float64]:
        """Distance of each point, shape ``(num_points,)`` [m]."""
        idx = np.arange(self.num_points)
        steps = self.start_point + idx * self.step_length
        return np.asarray(steps * self.base_step_length_m, dtype=np.float64)

    @property
    def velocities_m_s(self) -> npt.NDArray[np.float64]:
        """Radial velocity of each Doppler bin after fftshift, shape ``(sweeps_per_frame,)`` [m/s].

        Negative means approaching: with the sensor's ``exp(+j 4π r / λ)`` phase, a shrinking distance
        rotates the phase backwards, which lands in the negative-frequency bins.
        """
        freqs = np.fft.fftshift(np.fft.fftfreq(self.sweeps_per_frame, d=1.0 / self.sweep_rate_hz))
        return np.asarray(freqs * self.wavelength_m / 2.0, dtype=np.float64)

    @property
    def velocity_resolution_m_s(self) -> float:
        """Width of one Doppler bin [m/s]."""
        return self.sweep_rate_hz / self.sweeps_per_frame * self.wavelength_m / 2.0

    @property
    def max_velocity_m_s(self) -> float:
        """Largest unaliased speed, ``sweep_rate * λ / 4`` [m/s]."""
        return self.sweep_rate_hz * self.wavelength_m / 4.0
