"""Event-level scoring of detected events against ground-truth spans (continuous streams, DESIGN §6).

Definitions, for events and truth as ``[start_frame, end_frame)`` spans of one stream:

- A truth event is *found* when at least one detected event overlaps it (shares a frame).
- A detected event is *false* when it overlaps no truth event.
- Timing compares a found truth event with the detected event that overlaps it most: ``start_error`` is
  detected start minus true start and ``end_error`` detected end minus true end [s]. The detected span
  is taken as emitted, rolls included: the segmenter's rolls are chosen so that its events span the
  movement, the way a label does, so no correction is applied here.
- Background time is the stream time outside every truth span [s].

Scores of several streams add up with ``+``. Pure numpy: no files and no labels objects, so model
evaluation reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dsp._checks import check_positive
from dsp.errors import ParameterError

__all__ = ["EventScore", "score_events"]


def _spans(x: npt.ArrayLike, name: str) -> npt.NDArray[np.int64]:
    a = np.asarray(x, dtype=np.int64).reshape(-1, 2) if np.size(x) else np.zeros((0, 2), dtype=np.int64)
    if np.any(a[:, 1] <= a[:, 0]) or np.any(a < 0):
        raise ParameterError(f"{name} must be non-empty [start, end) spans with start >= 0")
    return a


@dataclass(frozen=True, kw_only=True)
class EventScore:
    """Counts and timing errors of one or more streams.

    Fields:
        truth: true events [count].
        found: true events overlapped by a detection [count].
        detected: detected events [count].
        false: detected events overlapping no true event [count].
        background_s: stream time outside the true events [s].
        start_errors_s: ``(found,)`` detected minus true start of each found event [s].
        end_errors_s: ``(found,)`` detected minus true end of each found event [s].
    """

    truth: int = 0
    found: int = 0
    detected: int = 0
    false: int = 0
    background_s: float = 0.0
    start_errors_s: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    end_errors_s: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __add__(self, other: EventScore) -> EventScore:
        return EventScore(
            truth=self.truth + other.truth,
            found=self.found + other.found,
            detected=self.detected + other.detected,
            false=self.false + other.false,
            background_s=self.background_s + other.background_s,
            start_errors_s=np.concatenate((self.start_errors_s, other.start_errors_s)),
            end_errors_s=np.concatenate((self.end_errors_s, other.end_errors_s)),
        )

    @property
    def recall(self) -> float:
        """Share of true events found (1.0 when there are none)."""
        return self.found / self.truth if self.truth else 1.0

    @property
    def false_per_10_min(self) -> float:
        """False events per 10 minutes of background (0.0 without background)."""
        return self.false / self.background_s * 600.0 if self.background_s > 0 else 0.0

    def within(self, tolerance_s: float = 0.1) -> tuple[float, float, float]:
        """Shares of found events whose start, end, and both, are within ``±tolerance_s`` of the truth."""
        if self.found == 0:
            return 1.0, 1.0, 1.0
        s = np.abs(self.start_errors_s) <= tolerance_s + 1e-9
        e = np.abs(self.end_errors_s) <= tolerance_s + 1e-9
        return float(s.mean()), float(e.mean()), float((s & e).mean())

    def summary(self, tolerance_s: float = 0.1) -> dict[str, float]:
        """The headline figures as a flat dict (for printing and JSON)."""
        s, e, both = self.within(tolerance_s)
        return {
            "truth": float(self.truth),
            "found": float(self.found),
            "recall": self.recall,
            "detected": float(self.detected),
            "false": float(self.false),
            "background_min": self.background_s / 60.0,
            "false_per_10_min": self.false_per_10_min,
            "tolerance_s": tolerance_s,
            "start_within": s,
            "end_within": e,
            "both_within": both,
            "start_error_median_s": float(np.median(self.start_errors_s)) if self.found else 0.0,
            "end_error_median_s": float(np.median(self.end_errors_s)) if self.found else 0.0,
        }


def score_events(events: npt.ArrayLike, truth: npt.ArrayLike, *, num_frames: int, frame_rate_hz: float) -> EventScore:
    """Score one stream (see the module docstring for the definitions).

    Args:
        events: ``(events, 2)`` detected ``[start_frame, end_frame)``.
        truth: ``(truth, 2)`` true ``[start_frame, end_frame)``.
        num_frames: frames in the stream (for the background time).
        frame_rate_hz: converts frames to seconds [Hz].

    Returns:
        An :class:`EventScore`.
    """
    check_positive("frame_rate_hz", frame_rate_hz)
    ev = _spans(events, "events")
    tr = _spans(truth, "truth")
    if num_frames < 0:
        raise ParameterError(f"num_frames must be >= 0, got {num_frames}")
    # overlap[i, j]: frames shared by truth i and event j
    lo = np.maximum(tr[:, None, 0], ev[None, :, 0])
    hi = np.minimum(tr[:, None, 1], ev[None, :, 1])
    overlap = np.clip(hi - lo, 0, None)
    hit = overlap > 0
    found = hit.any(axis=1)
    best = np.argmax(overlap, axis=1) if ev.size else np.zeros(len(tr), dtype=np.int64)
    start_err = (ev[best[found], 0] - tr[found, 0]) / frame_rate_hz if ev.size else np.zeros(0)
    end_err = (ev[best[found], 1] - tr[found, 1]) / frame_rate_hz if ev.size else np.zeros(0)
    covered = np.zeros(max(num_frames, int(tr[:, 1].max(initial=0))), dtype=bool)
    for s, e in tr:
        covered[s:e] = True
    background = (num_frames - int(covered[:num_frames].sum())) / frame_rate_hz
    return EventScore(
        truth=len(tr),
        found=int(found.sum()),
        detected=len(ev),
        false=int((~hit.any(axis=0)).sum()) if len(ev) else 0,
        background_s=float(background),
        start_errors_s=np.asarray(start_err, dtype=np.float64),
        end_errors_s=np.asarray(end_err, dtype=np.float64),
    )
