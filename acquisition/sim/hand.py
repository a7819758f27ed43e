"""The hand as a few point scatterers, and the seeded simulated subjects that vary it."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "ANGLE_RANGE_DEG",
    "DISTANCE_RANGE_M",
    "HAND_PARTS",
    "MEDIAN_SPEED_FACTOR",
    "SPEED_FACTOR_RANGE",
    "TAP_FINGERS",
    "Hand",
    "Subject",
]

#: Scatterers of a hand held palm-down over the sensor: name, lateral offset (m, + = little-finger side),
#: radial offset from the palm (m, + = further from the sensor), relative RCS, and how strongly the part
#: follows a tap (fingers fully, the wrist a little).
HAND_PARTS: tuple[tuple[str, float, float, float, float], ...] = (
    ("palm_thumb_side", -0.025, 0.000, 0.50, 0.60),
    ("palm_little_side", 0.025, 0.000, 0.50, 0.60),
    ("index", -0.018, -0.006, 0.30, 1.00),
    ("middle", 0.000, -0.009, 0.30, 1.00),
    ("ring", 0.018, -0.006, 0.25, 1.00),
    ("thumb", -0.045, 0.008, 0.45, 0.60),
    ("edge", 0.045, 0.004, 0.50, 0.60),
    ("wrist", 0.000, 0.035, 0.45, 0.35),
    ("forearm", 0.000, 0.070, 0.40, 0.10),
)
#: Range of ``Subject.speed_factor``; the map's tempo factor is relative to its middle (the median subject).
SPEED_FACTOR_RANGE = (0.6, 1.6)
#: ``speed_factor`` of the median subject: tempo ×1 of the robustness map, and the performer the tap
#: durations' bounds (:data:`acquisition.sim.gestures.PRESS_STROKE_S`) are set for.
MEDIAN_SPEED_FACTOR = float(np.mean(SPEED_FACTOR_RANGE))
#: Working distance of the palm [m]: the whole range the ``gesture_close`` preset measures (points
#: 0.05–0.20 m), so a hand anywhere the sensor sees it is a possible user. (It was 0.08–0.15 m, and the
#: robustness map showed event accuracy collapsing below 0.075 m and beyond 0.15 m.)
DISTANCE_RANGE_M = (0.05, 0.20)
#: Direction of the hand off boresight [deg]: up to a third of the antenna's 60° half-power beam width
#: (``RadarPhysics.antenna_hpbw_deg``), where the two-way echo has fallen by about 3 dB; a hand held beside
#: an earcup is rarely on the sensor's axis. (0–30° was tried: at the far end of the preset a hand 20–30°
#: off axis falls below the onset segmenter's threshold, so its gestures are never proposed at all.)
ANGLE_RANGE_DEG = (0.0, 20.0)
#: The fingers that can lead a tap, in the order they join in (one-finger taps use the index finger).
TAP_FINGERS: tuple[str, ...] = ("index", "middle", "ring")


@dataclass(frozen=True, kw_only=True)
class Hand:
    """Scatterer geometry of one hand, arrays of shape ``(scatterers,)``.

    Attributes:
        names: part names.
        lateral_m: lateral offsets, which make a rocking palm move its two sides in antiphase.
        radial_m: radial offsets from the palm centre.
        rcs: relative radar cross sections.
        tap_weight: share of a tap's displacement each part follows.
    """

    names: tuple[str, ...]
    lateral_m: npt.NDArray[np.float64]
    radial_m: npt.NDArray[np.float64]
    rcs: npt.NDArray[np.float64]
    tap_weight: npt.NDArray[np.float64]

    @classmethod
    def of(cls, *, size_scale: float, rcs_scale: float, moving_fingers: int = len(TAP_FINGERS)) -> Hand:
        """The hand of :data:`HAND_PARTS` scaled in size and reflectivity.

        ``moving_fingers`` of :data:`TAP_FINGERS` (in that order) follow a tap fully; the others stay with
        the palm (its tap weight), as in a one- or two-finger tap.
        """
        if not 0 <= moving_fingers <= len(TAP_FINGERS):
            raise ValueError(f"moving_fingers must be in 0..{len(TAP_FINGERS)}, got {moving_fingers}")
        names, lat, rad, rcs, tap = zip(*HAND_PARTS, strict=True)
        palm = tap[names.index("palm_thumb_side")]
        still = set(TAP_FINGERS[moving_fingers:])
        return cls(
            names=tuple(names),
            lateral_m=np.array(lat) * size_scale,
            radial_m=np.array(rad) * size_scale,
            rcs=np.array(rcs) * rcs_scale,
            tap_weight=np.array([palm if n in still else w for n, w in zip(names, tap, strict=True)]),
        )

    @property
    def num_scatterers(self) -> int:
        return len(self.names)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


@dataclass(frozen=True, kw_only=True)
class Subject:
    """A simulated person: a seeded draw of everything that differs between users (DESIGN §4).

    Attributes:
        subject_id: ``sim-sNNN``.
        seed: the seed it was drawn from.
        hand_scale: hand size multiplier.
        rcs_scale: reflectivity multiplier.
        distance_m: working distance of the palm from the sensor.
        speed_factor: gesture speed multiplier (:data:`SPEED_FACTOR_RANGE`).
        amplitude_factor: gesture amplitude multiplier.
        tremor_mm: physiological tremor amplitude (8–12 Hz).
        drift_mm: slow still-hand drift amplitude (below 0.5 Hz).
        reaction_s: delay from a prompt to the start of the movement.
        timing_jitter: relative spread of pauses and durations.
        noise_scale: sensor noise multiplier (device to device).
        angle_deg: direction of the hand off the sensor's boresight [deg].
        moving_fingers: fingers that lead a tap (1–3, see :data:`TAP_FINGERS`).
        gain_db: receive gain of this sensor unit relative to the calibrated one, on the hand's echo and
            the direct leakage alike (unit-to-unit variation) [dB].
        leakage_scale: direct-leakage amplitude of this unit relative to the calibrated one [ratio].
    """

    subject_id: str
    seed: int
    hand_scale: float
    rcs_scale: float
    distance_m: float
    speed_factor: float
    amplitude_factor: float
    tremor_mm: float
    drift_mm: float
    reaction_s: float
    timing_jitter: float
    noise_scale: float
    angle_deg: float = 0.0
    moving_fingers: int = len(TAP_FINGERS)
    gain_db: float = 0.0
    leakage_scale: float = 1.0

    @classmethod
    def from_seed(cls, seed: int) -> Subject:
        """The subject drawn from ``seed``; the same seed always gives the same person."""
        rng = np.random.default_rng([seed, 0x5B1EC7])
        return cls(
            subject_id=f"sim-s{seed:03d}",
            seed=seed,
            hand_scale=_u(rng, 0.85, 1.15),
            rcs_scale=float(np.exp(rng.uniform(np.log(0.6), np.log(1.6)))),
            distance_m=_u(rng, *DISTANCE_RANGE_M),
            speed_factor=_u(rng, *SPEED_FACTOR_RANGE),
            amplitude_factor=_u(rng, 0.75, 1.25),
            tremor_mm=_u(rng, 0.05, 0.25),
            drift_mm=_u(rng, 0.5, 2.0),
            reaction_s=_u(rng, 0.15, 0.45),
            timing_jitter=_u(rng, 0.05, 0.25),
            noise_scale=_u(rng, 0.8, 1.25),
            angle_deg=_u(rng, *ANGLE_RANGE_DEG),
            moving_fingers=int(rng.integers(1, len(TAP_FINGERS) + 1)),
        )

    @classmethod
    def core_from_seed(cls, seed: int) -> Subject:
        """Subject ``seed`` mapped into the narrower distribution the simulator was calibrated and the
        segmenter accepted on (before issue 12 widened it): on boresight, three fingers leading a tap, the
        palm at 0.08–0.15 m (the same draw, rescaled from :data:`DISTANCE_RANGE_M`)."""
        s = cls.from_seed(seed)
        lo, hi = DISTANCE_RANGE_M
        return dataclasses.replace(
            s,
            distance_m=0.08 + (s.distance_m - lo) / (hi - lo) * 0.07,
            angle_deg=0.0,
            moving_fingers=len(TAP_FINGERS),
        )

    @property
    def hand(self) -> Hand:
        return Hand.of(size_scale=self.hand_scale, rcs_scale=self.rcs_scale, moving_fingers=self.moving_fingers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
