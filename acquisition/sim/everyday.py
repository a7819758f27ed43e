"""Everyday streams: long stretches of non-gesture activity with sparse gestures, labelled by cause.

The timeline is a chain of *activities* separated by short empty-field gaps. Activities come in shuffled
*rounds*: each round holds every registered negative ``per_round`` times, so a stream a few rounds long
contains every cause (no blind spots). Gestures arrive as a Poisson process (``gesture_rate_per_min``);
each is performed from a hover (the hand comes in, holds, gestures, holds, leaves), and the hover around
it keeps its ``hover`` cause except for a guard of :data:`GESTURE_GUARD_S` on either side of the gesture.

Every frame of the stream is then either a gesture label, a negative (cause) label, or inside a guard.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from acquisition.labels import Label
from acquisition.negatives import NegativeLabel
from acquisition.sim.gestures import check_gestures
from acquisition.sim.hand import Subject
from acquisition.sim.negatives import NEGATIVES, sample_empty, sample_hover
from acquisition.sim.scene import MotionEvent, Scene, StillMotion, ThermalDrift
from acquisition.sim.session import perform

__all__ = ["GESTURE_GUARD_S", "EverydayPlan", "max_gesture_rate_per_min", "negatives_for_scene", "plan_everyday"]

#: Unlabelled time kept on either side of a gesture inside its hover [s]: a detection of the gesture a
#: little early or late is not charged to ``hover``.
GESTURE_GUARD_S = 0.25


@dataclass(frozen=True, kw_only=True)
class EverydayPlan:
    """What an everyday stream contains.

    Attributes:
        duration_s: length of the stream [s].
        gestures: gestures performed now and then (each must be registered).
        gesture_rate_per_min: mean rate of gestures [1/min]; 0 gives a stream of negatives only.
        negatives: causes to draw as activities (default: every registered negative).
        gap_s: (min, max) empty field between activities, log-uniform [s]; the gaps are labelled
            ``empty`` whether or not ``empty`` is among ``negatives``.
        hold_before_s: (min, max) hover before a gesture [s].
        hold_after_s: (min, max) hover after a gesture [s].
    """

    duration_s: float
    gestures: tuple[str, ...] = ("tap_in", "tap_out", "double_tap_in", "wiggle")
    gesture_rate_per_min: float = 1.0
    negatives: tuple[str, ...] | None = None
    gap_s: tuple[float, float] = (0.5, 6.0)
    hold_before_s: tuple[float, float] = (0.6, 2.5)
    hold_after_s: tuple[float, float] = (0.5, 2.5)

    def __post_init__(self) -> None:
        if not self.duration_s > 0:
            raise ValueError(f"duration_s must be > 0, got {self.duration_s}")
        check_gestures(self.gestures)
        bad = [n for n in self.causes if n not in NEGATIVES]
        if bad or not self.causes:
            raise ValueError(f"unknown negative(s) {', '.join(bad) or '(none given)'}; known: {', '.join(NEGATIVES)}")
        if self.gesture_rate_per_min < 0 or (self.gesture_rate_per_min > 0 and not self.gestures):
            raise ValueError("gesture_rate_per_min must be >= 0, and > 0 needs gestures")
        for name in ("gap_s", "hold_before_s", "hold_after_s"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must be 0 < min <= max, got {(lo, hi)}")

    @property
    def causes(self) -> tuple[str, ...]:
        return tuple(NEGATIVES) if self.negatives is None else self.negatives


def _gesture_visit(
    gesture: str, *, start_s: float, plan: EverydayPlan, subject: Subject, rng: np.random.Generator
) -> list[MotionEvent]:
    """A hover with ``gesture`` performed in the middle of it."""
    before = float(rng.uniform(*plan.hold_before_s))
    after = float(rng.uniform(*plan.hold_after_s))
    ev_g = perform(gesture, start_s=0.0, subject=subject, rng=rng)
    hold = before + ev_g.params["duration_s"] + after
    params = sample_hover(rng, subject, hold_s=hold)
    # A gesture is made where the subject gestures: near their working distance, facing the sensor.
    params["z_m"] = float(np.clip(subject.distance_m * rng.uniform(0.9, 1.1), 0.06, 0.20))
    params["x_m"] = float(rng.uniform(-0.03, 0.03))
    params["tilt_deg"] = float(rng.uniform(0.0, 15.0))
    hover = MotionEvent(kind="negative", name="hover", start_s=start_s, params=params)
    g_start = start_s + params["in_s"] + before
    gesture_ev = MotionEvent(kind="gesture", name=gesture, start_s=g_start, params=ev_g.params)
    return [hover, gesture_ev]


def plan_everyday(plan: EverydayPlan, *, subject: Subject, seed: int) -> Scene:
    """Lay out an everyday stream. The same plan, subject and seed always give the same scene."""
    rng = np.random.default_rng([seed, subject.seed, 0xE7E7])
    events: list[MotionEvent] = []
    pool = [name for name in plan.causes for _ in range(NEGATIVES[name].per_round)]
    rate_per_s = plan.gesture_rate_per_min / 60.0
    next_gesture = float(rng.exponential(1.0 / rate_per_s)) if rate_per_s > 0 else np.inf
    queue: list[str] = []
    t = 0.0
    while t < plan.duration_s:
        gap = float(np.exp(rng.uniform(*np.log(plan.gap_s))))
        events.append(
            MotionEvent(kind="negative", name="empty", start_s=t, params=sample_empty(rng, subject, duration_s=gap))
        )
        t += gap
        if t >= next_gesture:
            gesture = str(rng.choice(plan.gestures))
            visit = _gesture_visit(gesture, start_s=t, plan=plan, subject=subject, rng=rng)
            events.extend(visit)
            t = visit[0].end_s
            next_gesture = t + float(rng.exponential(1.0 / rate_per_s))
            continue
        if not queue:
            queue = list(rng.permutation(pool))
        name = str(queue.pop())
        params = NEGATIVES[name].sample(rng, subject)
        events.append(MotionEvent(kind="negative", name=name, start_s=t, params=params))
        t += params["duration_s"]
    still_rng = np.random.default_rng([seed, 0x571])
    still = StillMotion.draw(subject, subject.hand.num_scatterers, still_rng)
    return Scene(
        subject=subject,
        events=tuple(sorted(events, key=lambda e: e.start_s)),
        still=still,
        duration_s=float(plan.duration_s),
        seed=seed,
        thermal=ThermalDrift.draw(np.random.default_rng([seed, subject.seed, 0x7E40])),
    )


def max_gesture_rate_per_min(plan: EverydayPlan, *, subject: Subject, seed: int = 0) -> float:
    """The most gestures per minute a stream of ``plan`` holds, whatever its ``gesture_rate_per_min``.

    A gesture starts only after an empty gap, inside a hover of its own (:func:`plan_everyday`), so a stream of
    gestures back to back, no other activity between them, is the densest there is (about 7/min with the default
    gaps and holds). Counted on an hour of that stream for ``subject``: planning renders no frames, so this takes
    a fraction of a second.
    """
    dense = dataclasses.replace(plan, duration_s=3600.0, gesture_rate_per_min=math.inf)
    scene = plan_everyday(dense, subject=subject, seed=seed)
    return sum(ev.kind == "gesture" for ev in scene.events) / 60.0


def _subtract(spans: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    lo, hi = cut
    out = []
    for s, e in spans:
        if e <= lo or s >= hi:
            out.append((s, e))
            continue
        if s < lo:
            out.append((s, lo))
        if e > hi:
            out.append((hi, e))
    return out


def negatives_for_scene(
    scene: Scene,
    *,
    frame_start_s: npt.NDArray[np.float64],
    labels: list[Label],
    frame_rate_hz: float,
    source: str = "sim",
) -> list[NegativeLabel]:
    """Cause labels of a scene's negatives inside the given frames, never overlapping a gesture label.

    A negative covers the frames that start inside it, so back-to-back negatives tile the stream without
    overlap (one still running when the recording stops covers the frames recorded). Gesture labels,
    widened by :data:`GESTURE_GUARD_S`, are cut out of it.
    """
    guard = int(np.ceil(GESTURE_GUARD_S * frame_rate_hz))
    cuts = [(max(0, lab.start_frame - guard), lab.end_frame + guard) for lab in labels]
    out: list[NegativeLabel] = []
    for ev in scene.events:
        if ev.kind != "negative":
            continue
        start = int(np.searchsorted(frame_start_s, ev.start_s, side="left"))
        end = int(np.searchsorted(frame_start_s, ev.end_s, side="left"))  # clipped to the frames recorded
        spans = [(start, end)] if end > start else []
        for cut in cuts:
            spans = _subtract(spans, cut)
        out.extend(NegativeLabel(start_frame=s, end_frame=e, cause=ev.name, source=source) for s, e in spans)  # type: ignore[arg-type]
    return sorted(out)
