"""Planning simulated sessions: repetitions of gestures separated by still-hand pauses (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from acquisition.labels import Label
from acquisition.sim.gestures import GESTURES, Params, check_gestures
from acquisition.sim.hand import Subject
from acquisition.sim.scene import MotionEvent, Scene, StillMotion

__all__ = ["Adjust", "SessionPlan", "event_frames", "labels_for_scene", "perform", "plan_session", "still_scene"]


@dataclass(frozen=True, kw_only=True)
class SessionPlan:
    """What a simulated session contains.

    Attributes:
        gestures: gesture names to perform (each must be registered).
        reps_per_gesture: repetitions of each gesture.
        pause_s: (min, max) still-hand pause between repetitions, in seconds.
        lead_s: still time before the first and after the last repetition, in seconds.
        shuffle: interleave gestures randomly; False performs them in blocks, like the real files.
        repositions_per_min: rate of slow, unlabelled repositionings of the hand.
        enter_leave: start with no hand, let it enter, and let it leave at the end.
    """

    gestures: tuple[str, ...]
    reps_per_gesture: int
    pause_s: tuple[float, float] = (1.0, 3.0)
    lead_s: float = 1.5
    shuffle: bool = True
    repositions_per_min: float = 0.5
    enter_leave: bool = False

    def __post_init__(self) -> None:
        check_gestures(self.gestures)
        if self.reps_per_gesture < 0:
            raise ValueError(f"reps_per_gesture must be >= 0, got {self.reps_per_gesture}")
        if not 0 < self.pause_s[0] <= self.pause_s[1]:
            raise ValueError(f"pause_s must be 0 < min <= max, got {self.pause_s}")


#: ``(gesture, params) -> params``: changes a drawn performance (e.g. the robustness map forcing a tempo or
#: a double-tap gap); must keep ``duration_s`` consistent with the other fields.
Adjust = Callable[[str, Params], Params]


def perform(
    gesture: str, *, start_s: float, subject: Subject, rng: np.random.Generator, adjust: Adjust | None = None
) -> MotionEvent:
    """One performance of ``gesture`` by ``subject`` starting at ``start_s`` (changed by ``adjust``)."""
    params = GESTURES[gesture].sample(rng, subject)
    if adjust is not None:
        params = adjust(gesture, params)
    return MotionEvent(kind="gesture", name=gesture, start_s=float(start_s), params=params)


def still_scene(subject: Subject, *, duration_s: float, seed: int) -> Scene:
    """A scene with the subject's hand held still (tremor and drift only)."""
    rng = np.random.default_rng([seed, 0x571])
    still = StillMotion.draw(subject, subject.hand.num_scatterers, rng)
    return Scene(subject=subject, events=(), still=still, duration_s=duration_s, seed=seed)


def plan_session(plan: SessionPlan, *, subject: Subject, seed: int, adjust: Adjust | None = None) -> Scene:
    """Lay out a session's timeline. The same plan, subject and seed always give the same scene.

    ``adjust`` changes every drawn performance before it is placed (see :data:`Adjust`).
    """
    rng = np.random.default_rng([seed, subject.seed, 0x5E55])
    order = [g for g in plan.gestures for _ in range(plan.reps_per_gesture)]
    if plan.shuffle:
        rng.shuffle(order)
    events: list[MotionEvent] = []
    t = plan.lead_s
    if plan.enter_leave:
        events.append(MotionEvent(kind="enter", name="enter", start_s=0.3, params={"duration_s": 0.8}))
        t += 1.1
    lo, hi = plan.pause_s
    for gesture in order:
        ev = perform(gesture, start_s=t, subject=subject, rng=rng, adjust=adjust)
        events.append(ev)
        pause = rng.uniform(lo, hi) * (1.0 + subject.timing_jitter * rng.standard_normal())
        t = ev.end_s + float(np.clip(pause, lo, hi))
    duration = t - rng.uniform(lo, hi) / 2 + plan.lead_s if order else plan.lead_s * 2
    if plan.enter_leave:
        events.append(MotionEvent(kind="leave", name="leave", start_s=duration, params={"duration_s": 0.8}))
        duration += 1.5
    # Slow repositionings go into pauses, well away from gestures, so they stay unlabelled background.
    n_repos = rng.poisson(plan.repositions_per_min * duration / 60.0)
    gesture_spans = [(e.start_s, e.end_s) for e in events]
    for _ in range(int(n_repos)):
        dur = float(rng.uniform(0.8, 2.0))
        start = float(rng.uniform(0.5, max(0.5, duration - dur - 0.5)))
        if all(start + dur + 0.4 < s or start - 0.4 > e for s, e in gesture_spans):
            offset = float(rng.uniform(-0.02, 0.02))
            events.append(
                MotionEvent(
                    kind="reposition",
                    name="reposition",
                    start_s=start,
                    params={"duration_s": dur, "offset_m": offset},
                )
            )
    base = still_scene(subject, duration_s=duration, seed=seed)
    return base.with_events(events)


def event_frames(
    start_s: float, end_s: float, *, frame_start_s: npt.NDArray[np.float64], sweep_span_s: float
) -> tuple[int, int]:
    """Frame span ``[start, end)`` of a movement: the first frame any of whose sweeps sees it, and the
    first frame that starts after it."""
    start = int(np.searchsorted(frame_start_s + sweep_span_s, start_s, side="left"))
    end = int(np.searchsorted(frame_start_s, end_s, side="left"))
    return start, max(end, start + 1)


def labels_for_scene(
    scene: Scene, *, frame_start_s: npt.NDArray[np.float64], sweep_span_s: float, source: str = "sim"
) -> list[Label]:
    """Ground-truth labels of a scene's gestures that finish inside the given frames."""
    labels = []
    n = frame_start_s.size
    for ev in scene.events:
        if ev.kind != "gesture" or n == 0 or ev.end_s > frame_start_s[-1] + sweep_span_s:
            continue
        start, end = event_frames(ev.start_s, ev.end_s, frame_start_s=frame_start_s, sweep_span_s=sweep_span_s)
        if end <= n:
            labels.append(Label(start_frame=start, end_frame=end, gesture=ev.name, source=source))  # type: ignore[arg-type]
    return labels
