"""Guided recording: prompt each gesture with a countdown and label it from the prompt time.

The schedule runs on sensor time (frame ticks), not wall time, so the same code drives a real sensor
in real time and the simulator as fast as it renders. With the simulator, each prompt makes the
simulated subject perform the gesture, so the whole flow is testable without hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from acconeer.exptool import a121

from acquisition.labels import GESTURE_NAME_RE, Label

__all__ = ["GuidedConfig", "GuidedSession", "Prompt", "prompt_schedule"]


@dataclass(frozen=True, kw_only=True)
class GuidedConfig:
    """A guided recording.

    Attributes:
        gestures: gestures to prompt.
        reps: repetitions of each gesture.
        countdown_s: countdown before each GO, in seconds.
        window_s: labelled span after each GO, in seconds (the gesture must fit in it).
        pause_s: still time after each window, in seconds.
        lead_s: still time before the first countdown and after the last window, in seconds.
        shuffle: interleave gestures in a seeded random order instead of blocks.
        seed: seed of the shuffle.
    """

    gestures: tuple[str, ...]
    reps: int
    countdown_s: float = 3.0
    window_s: float = 1.5
    pause_s: float = 1.0
    lead_s: float = 2.0
    shuffle: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.gestures:
            raise ValueError("at least one gesture is needed")
        bad = [g for g in self.gestures if not GESTURE_NAME_RE.match(g)]
        if bad:
            raise ValueError(f"invalid gesture name(s) {', '.join(map(repr, bad))}: use lower-case identifiers")
        if self.reps < 1:
            raise ValueError(f"reps must be >= 1, got {self.reps}")
        for name in ("countdown_s", "window_s", "pause_s", "lead_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {self.window_s}")

    @property
    def total_s(self) -> float:
        """Length of the whole recording."""
        n = len(self.gestures) * self.reps
        return self.lead_s + n * (self.countdown_s + self.window_s + self.pause_s) + self.lead_s


@dataclass(frozen=True, kw_only=True)
class Prompt:
    """One prompted repetition; ``go_s`` is the sensor time of GO."""

    gesture: str
    rep: int
    go_s: float


def prompt_schedule(cfg: GuidedConfig) -> list[Prompt]:
    """The prompts of a guided recording in order, with their GO times."""
    order = [(g, r) for g in cfg.gestures for r in range(cfg.reps)]
    if cfg.shuffle:
        rng = np.random.default_rng(cfg.seed)
        order = [order[i] for i in rng.permutation(len(order))]
    step = cfg.countdown_s + cfg.window_s + cfg.pause_s
    return [Prompt(gesture=g, rep=r, go_s=cfg.lead_s + cfg.countdown_s + i * step) for i, (g, r) in enumerate(order)]


@dataclass
class GuidedSession:
    """Frame callback for :func:`acquisition.record_session` that runs the prompts.

    Args:
        cfg: the recording plan.
        say: prints a prompt line to the user.
        on_go: called at each GO with the gesture (the simulator performs it here).
    """

    cfg: GuidedConfig
    say: Callable[[str], None]
    on_go: Callable[[str], object] | None = None
    labels: list[Label] = field(default_factory=list)
    stop_requested: bool = False
    _prompts: list[Prompt] = field(default_factory=list)
    _next: int = 0
    _announced: float = float("inf")
    _open: tuple[Prompt, int] | None = None
    _t0: float | None = None

    def __post_init__(self) -> None:
        self._prompts = prompt_schedule(self.cfg)

    @property
    def done(self) -> bool:
        return self._next >= len(self._prompts) and self._open is None

    def __call__(self, index: int, result: a121.Result) -> bool:
        """Advance the prompts to this frame; returns False when the recording should stop."""
        if self._t0 is None:
            self._t0 = result.tick_time
        t = result.tick_time - self._t0
        if self._open is not None:
            prompt, go_frame = self._open
            if t >= prompt.go_s + self.cfg.window_s:
                self.labels.append(
                    Label(start_frame=go_frame, end_frame=index, gesture=prompt.gesture, source="prompt")
                )
                self._open = None
        if self._next < len(self._prompts):
            prompt = self._prompts[self._next]
            remaining = prompt.go_s - t
            if remaining <= 0:
                self.say(f"  GO  {prompt.gesture}")
                if self.on_go is not None:
                    self.on_go(prompt.gesture)
                self._open = (prompt, index)
                self._next += 1
                self._announced = float("inf")
            elif remaining <= self.cfg.countdown_s and np.ceil(remaining) < self._announced:
                self._announced = float(np.ceil(remaining))
                if self._announced == np.ceil(self.cfg.countdown_s):
                    total = len(self._prompts)
                    self.say(f"[{self._next + 1}/{total}] {prompt.gesture} (rep {prompt.rep + 1}/{self.cfg.reps})")
                self.say(f"  {int(self._announced)}...")
        if self.done and t >= self._prompts[-1].go_s + self.cfg.window_s + self.cfg.lead_s:
            return False
        return not self.stop_requested
