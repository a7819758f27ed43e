"""One factor at a time: a simulated subject, performance or sensor pushed to a given value (DESIGN §6.5).

The robustness map (``radargest robustness``) renders held-out subjects with exactly one of these set and
everything else as drawn. A :class:`Variation` changes the subject (hand, distance, angle, sensor unit),
the drawn performances (tempo, double-tap gap, tap depth) or the frame timing (jitter, dropped frames);
:func:`render_variation` renders a session under it in memory, with its ground-truth labels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from acconeer.exptool import a121

from acquisition.labels import Label
from acquisition.sim.client import BASE_STEP_LENGTH_M
from acquisition.sim.gestures import DOUBLE_TAP_GAP_S, Params
from acquisition.sim.hand import MEDIAN_SPEED_FACTOR, Subject
from acquisition.sim.scene import Renderer, Scene, frame_period_s
from acquisition.sim.session import SessionPlan, labels_for_scene, plan_session

__all__ = ["AS_DRAWN", "MEDIAN_SPEED_FACTOR", "SimStream", "Variation", "render_scene", "render_variation"]

#: A tap toward the sensor stops this far short of it (as :mod:`acquisition.sim.gestures` draws it) [m].
TAP_IN_CLEARANCE_M = 0.03


@dataclass(frozen=True, kw_only=True)
class Variation:
    """The one thing a map point changes; ``None`` (or 0 for the timing fields) leaves it as drawn.

    Fields:
        tempo: every performance played this many times faster than the median subject's (the subject's
            speed is set to the median, then every duration is divided and every rate multiplied; a double
            tap's pause is then clipped to ``DOUBLE_TAP_GAP_S``, as the simulator draws it for a subject of
            any speed: the 0-300 ms double-tap pause does not change with a user's tempo) [ratio].
        gap_s: pause between the two taps of a double tap [s].
        depth_m: how far a tap moves the fingers [m] (its press and return strokes lengthen in proportion, at the drawn
            speed; a tap toward the sensor still stops 3 cm short of it).
        hand_scale: hand size multiplier [ratio].
        moving_fingers: fingers that lead a tap [count].
        distance_m: working distance of the palm [m].
        angle_deg: direction of the hand off boresight [deg].
        gain_db: receive gain of the sensor unit [dB].
        noise_scale: sensor noise multiplier [ratio].
        leakage_scale: direct-leakage multiplier of the sensor unit [ratio].
        frame_jitter_s: standard deviation of each frame's start time around the nominal grid [s].
        drop_fraction: share of frames lost on the way to the host, at random [0..1).
    """

    tempo: float | None = None
    gap_s: float | None = None
    depth_m: float | None = None
    hand_scale: float | None = None
    moving_fingers: int | None = None
    distance_m: float | None = None
    angle_deg: float | None = None
    gain_db: float | None = None
    noise_scale: float | None = None
    leakage_scale: float | None = None
    frame_jitter_s: float = 0.0
    drop_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("tempo", "gap_s", "depth_m", "hand_scale", "distance_m", "noise_scale", "leakage_scale"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise ValueError(f"{name} must be > 0, got {v}")
        if self.frame_jitter_s < 0 or not 0 <= self.drop_fraction < 1:
            raise ValueError("frame_jitter_s must be >= 0 and drop_fraction in [0, 1)")

    def subject(self, subject: Subject) -> Subject:
        """``subject`` with this variation's subject and sensor-unit fields set."""
        fields = ("hand_scale", "moving_fingers", "distance_m", "angle_deg", "gain_db", "noise_scale", "leakage_scale")
        changes: dict[str, Any] = {f: getattr(self, f) for f in fields if getattr(self, f) is not None}
        if self.tempo is not None:
            changes["speed_factor"] = MEDIAN_SPEED_FACTOR
        return dataclasses.replace(subject, **changes) if changes else subject

    def adjust(self, subject: Subject) -> Callable[[str, Params], Params] | None:
        """The change of every drawn performance (``plan_session(adjust=...)``), or None."""
        if self.tempo is None and self.gap_s is None and self.depth_m is None:
            return None

        def adjust(gesture: str, params: Params) -> Params:
            p = dict(params)
            if self.tempo is not None:
                p = {
                    k: v / self.tempo if k.endswith("_s") else v * self.tempo if k.endswith("_hz") else v
                    for k, v in p.items()
                }
                if "gap_s" in p:  # the pause stays a double tap's, as the simulator draws it for any speed
                    gap = float(np.clip(p["gap_s"], *DOUBLE_TAP_GAP_S))
                    p["duration_s"] += gap - p["gap_s"]
                    p["gap_s"] = gap
            if self.gap_s is not None and "gap_s" in p:
                p["duration_s"] += self.gap_s - p["gap_s"]
                p["gap_s"] = self.gap_s
            if self.depth_m is not None and "amplitude_m" in p:
                for amp, strokes in (
                    ("amplitude_m", ("stroke_s", "return_s")),
                    ("amplitude2_m", ("stroke2_s", "return2_s")),
                ):
                    if amp not in p:
                        continue
                    depth = self.depth_m if p[amp] > 0 else min(self.depth_m, subject.distance_m - TAP_IN_CLEARANCE_M)
                    depth = max(depth, 0.005)
                    for stroke in strokes:
                        new_stroke = p[stroke] * depth / abs(p[amp])
                        p["duration_s"] += new_stroke - p[stroke]
                        p[stroke] = new_stroke
                    p[amp] = float(np.copysign(depth, p[amp]))
            return p

        return adjust


@dataclass(frozen=True, kw_only=True, eq=False)
class SimStream:
    """A rendered session.

    Attributes:
        frames: ``(F, sweeps, points)`` complex int16-valued samples.
        saturated: ``(F,)`` saturation flags.
        times_s: ``(F,)`` start time of each delivered frame [s].
        labels: ground-truth gesture labels in delivered-frame indices.
        frame_rate_hz: nominal frame rate [Hz].
        scene: what was rendered.
    """

    frames: npt.NDArray[np.complex128]
    saturated: npt.NDArray[np.bool_]
    times_s: npt.NDArray[np.float64]
    labels: tuple[Label, ...]
    frame_rate_hz: float
    scene: Scene


#: The variation that changes nothing: every subject, performance and frame as drawn.
AS_DRAWN = Variation()


class _TimedRenderer(Renderer):
    """A renderer whose frames start at given times (jittered, some dropped)."""

    def __init__(self, scene: Scene, sensor_config: a121.SensorConfig, *, times_s: npt.NDArray[np.float64]) -> None:
        super().__init__(scene, sensor_config, base_step_length_m=BASE_STEP_LENGTH_M)
        self._times_s = times_s

    def frame_time_s(self, index: npt.NDArray[np.int64] | int) -> npt.NDArray[np.float64]:
        return np.asarray(self._times_s[np.asarray(index)], dtype=np.float64)


def render_variation(
    plan: SessionPlan,
    *,
    subject: Subject,
    seed: int,
    sensor_config: a121.SensorConfig,
    variation: Variation = AS_DRAWN,
) -> SimStream:
    """Render one session of ``subject`` under ``variation``, in memory (no file)."""
    subject = variation.subject(subject)
    scene = plan_session(plan, subject=subject, seed=seed, adjust=variation.adjust(subject))
    return render_scene(
        scene,
        sensor_config=sensor_config,
        frame_jitter_s=variation.frame_jitter_s,
        drop_fraction=variation.drop_fraction,
    )


def render_scene(
    scene: Scene,
    *,
    sensor_config: a121.SensorConfig,
    frame_jitter_s: float = 0.0,
    drop_fraction: float = 0.0,
) -> SimStream:
    """Render a whole scene in memory, its frames jittered by ``frame_jitter_s`` (std) around the nominal
    grid and a random ``drop_fraction`` of them lost; the labels index the delivered frames."""
    period = frame_period_s(sensor_config)
    n = int(scene.duration_s / period)
    times = np.arange(n, dtype=np.float64) * period
    rng = np.random.default_rng([scene.seed, scene.subject.seed, 0x717])
    if frame_jitter_s > 0:
        times = np.sort(np.clip(times + rng.normal(0.0, frame_jitter_s, n), 0.0, None))
    if drop_fraction > 0:
        times = times[rng.random(n) >= drop_fraction]
    renderer = _TimedRenderer(scene, sensor_config, times_s=times)
    frames, _ticks, saturated = renderer.render(times.size)
    span = (sensor_config.sweeps_per_frame - 1) / float(sensor_config.sweep_rate or 1.0)
    labels = labels_for_scene(scene, frame_start_s=times, sweep_span_s=span)
    return SimStream(
        frames=frames,
        saturated=saturated,
        times_s=times,
        labels=tuple(labels),
        frame_rate_hz=1.0 / period,
        scene=scene,
    )
