"""The radar signal model of DESIGN §4: scatterers to Sparse IQ counts.

For sweep ``s`` at time ``t_s`` and point ``i`` at distance ``d_i``::

    x[s, i] = Σ_k a_k(t_s) · env_p(d_i − r_k(t_s)) · exp(+j·4π·r_k(t_s)/λ) + leak_p(d_i) + n[s, i]

The ``+j`` sign matches the real sensor: a target approaching the sensor (``r`` falling) lands in the
negative Doppler bins after ``fftshift(fft(x, axis=sweeps))``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from acconeer.exptool import a121

__all__ = [
    "CENTER_FREQUENCY_HZ",
    "PROFILE_FWHM_M",
    "SPEED_OF_LIGHT_M_S",
    "RadarPhysics",
    "synthesize",
    "to_int16_counts",
    "wavelength_m",
]

SPEED_OF_LIGHT_M_S = 299_792_458.0
CENTER_FREQUENCY_HZ = 60.5e9

#: Pulse envelope full width at half maximum per profile (DESIGN §4).
PROFILE_FWHM_M: Mapping[a121.Profile, float] = {
    a121.Profile.PROFILE_1: 0.04,
    a121.Profile.PROFILE_2: 0.07,
    a121.Profile.PROFILE_3: 0.14,
    a121.Profile.PROFILE_4: 0.19,
    a121.Profile.PROFILE_5: 0.32,
}
_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))
INT16_MAX = 32767


def wavelength_m(center_frequency_hz: float = CENTER_FREQUENCY_HZ) -> float:
    """Carrier wavelength, about 4.955 mm at 60.5 GHz."""
    return SPEED_OF_LIGHT_M_S / center_frequency_hz


@dataclass(frozen=True, kw_only=True)
class RadarPhysics:
    """Sensor-side constants of the model, calibrated against the real static-hand recording.

    Attributes:
        amplitude_at_ref_counts: amplitude of a unit-RCS scatterer at ``reference_range_m``, in counts.
        reference_range_m: range at which ``amplitude_at_ref_counts`` holds (amplitude falls as 1/r²).
        near_field_m: below about this range the 1/r² growth levels off (the hand fills the beam and
            leaves the antenna pattern), so a hand approaching to a few cm does not grow without bound.
        leakage_peak_counts: direct-leakage amplitude at 0 m for PROFILE_1, in counts.
        leakage_width_m: Gaussian width (sigma) of the leakage for PROFILE_1; scales with the profile FWHM.
        leakage_phase_rad: phase of the direct leakage.
        noise_std_hwaas4_counts: thermal noise std per I/Q component at hwaas 4, in counts; power ∝ 1/hwaas.
        phase_noise_std_rad: multiplicative phase noise per sample (oscillator jitter), in radians.
        center_frequency_hz: carrier frequency.
        antenna_hpbw_deg: one-way half-power beam width of the antenna-in-package, taken as a circular
            Gaussian beam. 60° lies between the narrower (about 40°) and wider (about 80°) plane of the
            half-power widths Acconeer gives for its A1 sensors' antenna-in-package (datasheet figures
            quoted from memory, not re-measured here); only the map's angle factor and subjects drawn off
            boresight depend on it.
    """

    amplitude_at_ref_counts: float = 1300.0
    reference_range_m: float = 0.10
    near_field_m: float = 0.05
    leakage_peak_counts: float = 4570.0
    leakage_width_m: float = 0.0286
    leakage_phase_rad: float = 0.88
    noise_std_hwaas4_counts: float = 68.0
    phase_noise_std_rad: float = 0.10
    center_frequency_hz: float = CENTER_FREQUENCY_HZ
    antenna_hpbw_deg: float = 60.0

    @property
    def wavelength_m(self) -> float:
        return wavelength_m(self.center_frequency_hz)

    def envelope_sigma_m(self, profile: a121.Profile) -> float:
        return PROFILE_FWHM_M[profile] * _FWHM_TO_SIGMA

    def leakage(self, distances_m: npt.NDArray[np.float64], profile: a121.Profile) -> npt.NDArray[np.complex128]:
        """``(points,)`` static direct leakage, strongest at the closest points."""
        width = self.leakage_width_m * PROFILE_FWHM_M[profile] / PROFILE_FWHM_M[a121.Profile.PROFILE_1]
        mag = self.leakage_peak_counts * np.exp(-0.5 * (distances_m / width) ** 2)
        return mag * np.exp(1j * self.leakage_phase_rad)

    def for_unit(self, *, gain_db: float = 0.0, leakage_scale: float = 1.0) -> RadarPhysics:
        """This sensor model for one unit: its receive gain scales the echo and the leakage, and its
        leakage differs by ``leakage_scale`` (unit-to-unit variation; the noise is set per subject)."""
        if gain_db == 0.0 and leakage_scale == 1.0:
            return self
        g = 10.0 ** (gain_db / 20.0)
        return dataclasses.replace(
            self,
            amplitude_at_ref_counts=self.amplitude_at_ref_counts * g,
            leakage_peak_counts=self.leakage_peak_counts * g * leakage_scale,
        )

    def beam_amplitude(self, angle_rad: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Two-way amplitude gain of the antenna off boresight: the one-way power pattern of a Gaussian
        beam (transmit amplitude × receive amplitude), 0.5 at half the beam width."""
        half = np.deg2rad(self.antenna_hpbw_deg) / 2.0
        return np.asarray(np.exp(-np.log(2.0) * (angle_rad / half) ** 2), dtype=np.float64)

    def noise_std_counts(self, hwaas: int) -> float:
        return self.noise_std_hwaas4_counts * float(np.sqrt(4.0 / hwaas))

    def amplitude_counts(
        self, rcs: npt.NDArray[np.float64], ranges_m: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Radar equation for received amplitude: √RCS · gain / r², normalised at the reference range."""
        r2 = ranges_m**2 + self.near_field_m**2
        ref2 = self.reference_range_m**2 + self.near_field_m**2
        return self.amplitude_at_ref_counts * np.sqrt(rcs) * ref2 / r2


def synthesize(
    ranges_m: npt.NDArray[np.float64],
    amplitudes: npt.NDArray[np.float64],
    *,
    distances_m: npt.NDArray[np.float64],
    profile: a121.Profile,
    hwaas: int,
    physics: RadarPhysics,
    rng: np.random.Generator,
    noise_scale: float = 1.0,
    leakage_gain: npt.NDArray[np.complex128] | None = None,
) -> npt.NDArray[np.complex128]:
    """Sparse IQ samples, before int16 quantisation.

    Args:
        ranges_m: ``(..., scatterers)`` range of each scatterer at each sweep time.
        amplitudes: ``(..., scatterers)`` received amplitude in counts (0 for an absent scatterer).
        distances_m: ``(points,)`` distance of each measured point.
        profile: pulse profile, which sets the envelope width.
        hwaas: hardware averaging, which sets the noise power.
        physics: sensor constants.
        rng: noise source.
        noise_scale: per-device multiplier of the noise std.
        leakage_gain: ``(...,)`` complex multiplier of the direct leakage at each sweep time (slow thermal
            drift of the sensor), or None for a constant leakage.

    Returns:
        ``(..., points)`` complex samples in counts.
    """
    sigma = physics.envelope_sigma_m(profile)
    phase = np.exp(1j * (4.0 * np.pi / physics.wavelength_m) * ranges_m) * amplitudes
    env = np.exp(-0.5 * ((distances_m - ranges_m[..., None]) / sigma) ** 2)
    x = np.einsum("...k,...kp->...p", phase, env)
    leak = physics.leakage(distances_m, profile)
    x += leak if leakage_gain is None else leakage_gain[..., None] * leak
    if physics.phase_noise_std_rad > 0:
        x *= np.exp(1j * rng.normal(0.0, physics.phase_noise_std_rad, size=x.shape))
    std = physics.noise_std_counts(hwaas) * noise_scale
    x += rng.normal(0.0, std, size=x.shape) + 1j * rng.normal(0.0, std, size=x.shape)
    return x


def to_int16_counts(
    x: npt.NDArray[np.complex128],
) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.bool_]]:
    """Round to int16 counts like the sensor; returns the samples and a per-frame saturation flag.

    Args:
        x: ``(frames, sweeps, points)`` complex samples.

    Returns:
        The rounded, clipped samples and ``(frames,)`` True where any component clipped.
    """
    re = np.rint(x.real)
    im = np.rint(x.imag)
    saturated = (np.abs(re) > INT16_MAX) | (np.abs(im) > INT16_MAX)
    re = np.clip(re, -INT16_MAX, INT16_MAX)
    im = np.clip(im, -INT16_MAX, INT16_MAX)
    flags = np.asarray(saturated.reshape(x.shape[0], -1).any(axis=1), dtype=bool)
    return re + 1j * im, flags
