"""A physical scene over time: one subject's hand, its still-hand motion, and a timeline of events.

The scene is a pure description (JSON-serialisable, seeded); :class:`Renderer` turns it into Sparse IQ
frames for any valid sensor config.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from acconeer.exptool import a121

from acquisition.sim.gestures import GESTURES, min_jerk
from acquisition.sim.hand import Subject
from acquisition.sim.negatives import NEGATIVES
from acquisition.sim.physics import RadarPhysics, synthesize, to_int16_counts

__all__ = ["MotionEvent", "Renderer", "Scene", "StillMotion", "ThermalDrift", "frame_period_s"]

EventKind = Literal["gesture", "negative", "reposition", "enter", "leave"]
#: Kinds whose motion is confined to the event's span (the others shift the hand for good).
LOCAL_KINDS = ("gesture", "negative")
#: How far a hand that is "away" sits beyond its working distance.
AWAY_OFFSET_M = 0.30
#: Inter-frame overhead of a free-running A121 frame (frame_rate unset): 16 sweeps at 1000 Hz give
#: 16 ms, and the real recordings run at about 57 Hz, i.e. about 1.5 ms more per frame.
FREE_RUNNING_OVERHEAD_S = 0.0015
TICKS_PER_SECOND = 1_000_000


@dataclass(frozen=True, kw_only=True)
class MotionEvent:
    """Something the hand does, starting at ``start_s`` for ``params['duration_s']``.

    ``gesture`` events carry a vocabulary name; ``negative`` events the name of a registered everyday
    non-gesture (:mod:`acquisition.sim.negatives`), labelled by cause; ``reposition`` (a slow shift of the
    whole hand by ``params['offset_m']``), ``enter`` and ``leave`` are unlabelled background.
    """

    kind: EventKind
    name: str
    start_s: float
    params: dict[str, float]

    @property
    def end_s(self) -> float:
        return self.start_s + self.params["duration_s"]


@dataclass(frozen=True, kw_only=True)
class StillMotion:
    """Still-hand motion as sums of sinusoids, so it can be evaluated at any time in any order.

    Arrays are ``(components, 3)`` rows of (amplitude_m, frequency_hz, phase_rad); ``per_part`` is
    ``(scatterers, components, 3)``.
    """

    drift: list[list[float]]
    tremor: list[list[float]]
    per_part: list[list[list[float]]]

    @classmethod
    def draw(cls, subject: Subject, num_parts: int, rng: np.random.Generator) -> StillMotion:
        def comps(n: int, amp_m: float, f_lo: float, f_hi: float) -> list[list[float]]:
            amps = amp_m * rng.uniform(0.5, 1.0, n) / np.sqrt(n)
            return np.column_stack([amps, rng.uniform(f_lo, f_hi, n), rng.uniform(0, 2 * np.pi, n)]).tolist()

        return cls(
            drift=comps(4, subject.drift_mm * 1e-3, 0.03, 0.4),
            tremor=comps(3, subject.tremor_mm * 1e-3, 8.0, 12.0),
            per_part=[comps(2, 0.4 * subject.tremor_mm * 1e-3, 5.0, 14.0) for _ in range(num_parts)],
        )

    def common_m(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``(N,)`` radial displacement shared by the whole hand."""
        c = np.array(self.drift + self.tremor)
        return np.sin(2 * np.pi * c[:, 1] * t[:, None] + c[:, 2]) @ c[:, 0]

    def parts_m(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``(N, scatterers)`` independent small motion of each part."""
        p = np.array(self.per_part)  # (K, C, 3)
        arg = 2 * np.pi * p[None, :, :, 1] * t[:, None, None] + p[None, :, :, 2]
        return (np.sin(arg) * p[None, :, :, 0]).sum(axis=2)


@dataclass(frozen=True, kw_only=True)
class ThermalDrift:
    """Slow temperature drift of the sensor's direct leakage, as a complex gain on it.

    An earcup warms from room to skin temperature over minutes, and the A121's gain and phase follow the
    die temperature; the drift is a sum of two slow sinusoids (periods of minutes), far below any Doppler
    bin, so it moves only the static part of a frame.

    Attributes:
        amplitude_rel: peak relative change of the leakage amplitude [ratio].
        amplitude_period_s: period of the amplitude change [s].
        phase_rad: peak change of the leakage phase [rad].
        phase_period_s: period of the phase change [s].
        offset_rad: phases of the two sinusoids at t = 0 [rad].
    """

    amplitude_rel: float
    amplitude_period_s: float
    phase_rad: float
    phase_period_s: float
    offset_rad: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def draw(cls, rng: np.random.Generator) -> ThermalDrift:
        """A drift of 0.5–3 % in amplitude and 0.01–0.08 rad in phase over periods of 3–30 min."""
        return cls(
            amplitude_rel=float(rng.uniform(0.005, 0.03)),
            amplitude_period_s=float(rng.uniform(180.0, 1800.0)),
            phase_rad=float(rng.uniform(0.01, 0.08)),
            phase_period_s=float(rng.uniform(180.0, 1800.0)),
            offset_rad=(float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(0, 2 * np.pi))),
        )

    def gain(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.complex128]:
        """``(N,)`` complex multiplier of the leakage at times ``t`` [s]."""
        a = 1.0 + self.amplitude_rel * np.sin(2 * np.pi * t / self.amplitude_period_s + self.offset_rad[0])
        phi = self.phase_rad * np.sin(2 * np.pi * t / self.phase_period_s + self.offset_rad[1])
        return np.asarray(a * np.exp(1j * phi), dtype=np.complex128)


@dataclass(frozen=True, kw_only=True)
class Scene:
    """One subject in front of the sensor for ``duration_s``.

    Attributes:
        subject: who is moving.
        events: the timeline, sorted by start.
        still: still-hand tremor and drift.
        hand_initially_present: False when the session starts with no hand (an ``enter`` follows).
        duration_s: length of the session.
        physics: the sensor model.
        seed: seed of the sensor noise.
        thermal: slow drift of the sensor's leakage, or None (constant leakage).
    """

    subject: Subject
    events: tuple[MotionEvent, ...]
    still: StillMotion
    duration_s: float
    seed: int
    hand_initially_present: bool = True
    physics: RadarPhysics = field(default_factory=RadarPhysics)
    thermal: ThermalDrift | None = None

    def to_json(self) -> str:
        """Every scene parameter, ground truth included, for the ``/radargest`` ``simulator`` attribute."""
        data: dict[str, Any] = {
            "subject": self.subject.to_dict(),
            "events": [asdict(e) for e in self.events],
            "still": asdict(self.still),
            "duration_s": self.duration_s,
            "seed": self.seed,
            "hand_initially_present": self.hand_initially_present,
            "physics": asdict(self.physics),
        }
        if self.thermal is not None:
            data["thermal"] = asdict(self.thermal)
        return json.dumps(data, sort_keys=True)

    def with_events(self, events: Sequence[MotionEvent], *, duration_s: float | None = None) -> Scene:
        return Scene(
            subject=self.subject,
            events=tuple(sorted(events, key=lambda e: e.start_s)),
            still=self.still,
            duration_s=self.duration_s if duration_s is None else duration_s,
            seed=self.seed,
            hand_initially_present=self.hand_initially_present,
            physics=self.physics,
            thermal=self.thermal,
        )

    @cached_property
    def _local_spans(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], tuple[MotionEvent, ...]]:
        """Starts, ends and the events whose motion stays inside their span (found by a vector test, so
        rendering a chunk of an hours-long scene does not walk every event in Python)."""
        local = tuple(e for e in self.events if e.kind in LOCAL_KINDS)
        starts = np.array([e.start_s for e in local], dtype=np.float64)
        ends = np.array([e.end_s for e in local], dtype=np.float64)
        return starts, ends, local

    @cached_property
    def _shifts(self) -> tuple[MotionEvent, ...]:
        return tuple(e for e in self.events if e.kind not in LOCAL_KINDS)

    def leakage_gain(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.complex128] | None:
        """``(N,)`` thermal drift of the leakage at times ``t``, or None when the scene has none."""
        return None if self.thermal is None else self.thermal.gain(t)

    def hand_state(self, t: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Range and amplitude of every scatterer.

        Args:
            t: ``(N,)`` times in seconds since the session start.

        Returns:
            ``(N, scatterers)`` ranges in metres and ``(N, scatterers)`` amplitudes in counts.
        """
        hand = self.subject.hand
        base = np.full(t.shape, 0.0 if self.hand_initially_present else AWAY_OFFSET_M)
        disp = np.zeros((t.size, hand.num_scatterers))
        gain = np.ones((t.size, hand.num_scatterers))
        t_lo, t_hi = (float(t.min()), float(t.max())) if t.size else (0.0, 0.0)
        starts, ends, local = self._local_spans
        for i in np.flatnonzero((ends >= t_lo) & (starts <= t_hi)):
            ev = local[i]
            inside = (t >= ev.start_s) & (t < ev.end_s)
            if not inside.any():
                continue
            model = GESTURES[ev.name] if ev.kind == "gesture" else NEGATIVES[ev.name]
            d, g = model.trajectory(t[inside] - ev.start_s, ev.params, hand)
            disp[inside] += d
            gain[inside] *= g
        for ev in self._shifts:  # persistent shifts of the whole hand
            if ev.start_s <= t_hi:
                offset = {"enter": -AWAY_OFFSET_M, "leave": AWAY_OFFSET_M}.get(ev.kind, ev.params.get("offset_m", 0.0))
                base += offset * min_jerk((t - ev.start_s) / ev.params["duration_s"])
        ranges = (
            self.subject.distance_m
            + hand.radial_m[None, :]
            + (base + self.still.common_m(t))[:, None]
            + self.still.parts_m(t)
            + disp
        )
        ranges = np.maximum(ranges, 0.01)
        physics = self.unit_physics
        if self.subject.angle_deg:
            # the hand sits off boresight: the computed ranges are its distance along the boresight, the
            # offset across it is fixed, and the antenna pattern dims the echo
            across = self.subject.distance_m * np.tan(np.deg2rad(self.subject.angle_deg))
            gain = gain * physics.beam_amplitude(np.arctan2(across, ranges))
            ranges = np.hypot(ranges, across)
        amps = physics.amplitude_counts(hand.rcs[None, :], ranges) * gain
        return ranges, amps

    @cached_property
    def unit_physics(self) -> RadarPhysics:
        """``physics`` for the subject's sensor unit (its gain and leakage, :meth:`RadarPhysics.for_unit`)."""
        return self.physics.for_unit(gain_db=self.subject.gain_db, leakage_scale=self.subject.leakage_scale)


def frame_period_s(sensor_config: a121.SensorConfig) -> float:
    """Nominal frame period: ``1/frame_rate`` if set, else the free-running sweep time plus overhead."""
    if sensor_config.frame_rate:
        return 1.0 / float(sensor_config.frame_rate)
    assert sensor_config.sweep_rate, "presets validate that sweep_rate is set"
    return sensor_config.sweeps_per_frame / float(sensor_config.sweep_rate) + FREE_RUNNING_OVERHEAD_S


class Renderer:
    """Turns a scene into consecutive Sparse IQ frames for one sensor config.

    Frames are rendered in order; the noise stream is seeded by the scene, so the same scene and config
    always give the same frames.
    """

    def __init__(self, scene: Scene, sensor_config: a121.SensorConfig, *, base_step_length_m: float) -> None:
        self.scene = scene
        self.sensor_config = sensor_config
        sub = sensor_config.subsweeps[0]
        points = sub.start_point + np.arange(sub.num_points) * sub.step_length
        self.distances_m: npt.NDArray[np.float64] = np.asarray(points * base_step_length_m, dtype=np.float64)
        self.period_s = frame_period_s(sensor_config)
        self.sweep_offsets_s = np.arange(sensor_config.sweeps_per_frame) / float(sensor_config.sweep_rate or 1.0)
        self._rng = np.random.default_rng([scene.seed, 0xF4A3E])
        self.next_frame = 0

    @property
    def num_frames_total_or_inf(self) -> float:
        """Frames in the scene (``inf`` for an open-ended live scene)."""
        if not np.isfinite(self.scene.duration_s):
            return float("inf")
        return float(np.floor(self.scene.duration_s / self.period_s))

    def frame_time_s(self, index: npt.NDArray[np.int64] | int) -> npt.NDArray[np.float64]:
        """Start time of frame(s) ``index`` (no jitter: ticks add it)."""
        return np.asarray(index, dtype=np.float64) * self.period_s

    def render(
        self, num_frames: int
    ) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """The next ``num_frames`` frames.

        Returns:
            ``(frames, sweeps, points)`` int16-valued complex samples, ``(frames,)`` int64 ticks at 1 MHz,
            and ``(frames,)`` saturation flags.
        """
        idx = np.arange(self.next_frame, self.next_frame + num_frames)
        self.next_frame += num_frames
        t_frames = self.frame_time_s(idx)
        t = (t_frames[:, None] + self.sweep_offsets_s[None, :]).ravel()
        ranges, amps = self.scene.hand_state(t)
        sub = self.sensor_config.subsweeps[0]
        x = synthesize(
            ranges,
            amps,
            distances_m=self.distances_m,
            profile=sub.profile,
            hwaas=sub.hwaas,
            physics=self.scene.unit_physics,
            rng=self._rng,
            noise_scale=self.scene.subject.noise_scale,
            leakage_gain=self.scene.leakage_gain(t),
        ).reshape(num_frames, self.sensor_config.sweeps_per_frame, -1)
        frames, saturated = to_int16_counts(x)
        jitter_s = self._rng.normal(0.0, 60e-6, size=num_frames)
        ticks = np.rint((t_frames + jitter_s) * TICKS_PER_SECOND).astype(np.int64)
        return frames, ticks, saturated
