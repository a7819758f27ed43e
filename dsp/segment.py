"""Event segmentation of the onset ratio with hysteresis.

Rule, on ``ratio_db`` per frame:

1. Hysteresis: motion starts at a frame with ``ratio >= on_db`` and lasts while ``ratio >= off_db``; it
   ends at the first frame below ``off_db``. NaN (a missing frame) never changes the state.
2. Merge: a motion run that starts less than ``merge_gap_s`` after the previous one ended joins it, so
   one ``double_tap_in`` or ``wiggle`` is one event.
3. Drop events shorter than ``min_duration_s`` (measured before the rolls), and events whose *area*, the
   sum over their frames of ``max(ratio - off_db, 0) / frame_rate_hz`` [dB·s], is below
   ``min_area_db_s``. The area weighs how long and how far the motion stands above the floor together:
   a long, moderate wiggle and a short, strong tap both pass, while the short, shallow blips of a hand
   held still do not.
4. Roll: ``start -= pre_roll_s``, ``end += post_roll_s``, clipped to the stream and so that an event
   never starts before the previous one ended.

Events are ``[start_frame, end_frame)`` with ``end_frame`` exclusive. The streaming :class:`Segmenter`
emits an event once no later frame can change it, and :meth:`Segmenter.flush` closes the stream; the
events it emits equal :func:`segment` of the whole ratio.

Arithmetic is float32, as in the C twin (``deploy/c/radargest_decision.c``): the ratio and the thresholds
are compared as float32, the area is a float32 running sum compared with ``float32(min_area_db_s ×
frame_rate_hz)`` [dB·frames], so Python and C take identical decisions on identical ratios.

The merge gap defines what is *one event*, not when it is decided: :mod:`dsp.decision` decides an event
as soon as its evidence is in and absorbs later runs that merge into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from dsp._checks import check_nonnegative, check_positive
from dsp.errors import ParameterError

__all__ = [
    "SegmentConfig",
    "Segmenter",
    "decision_window_end",
    "event_window_end",
    "motion_runs",
    "runs_of_span",
    "segment",
]


@dataclass(frozen=True, kw_only=True)
class SegmentConfig:
    """Hysteresis segmentation of the onset ratio.

    The defaults were chosen on the training-day recordings (idx_1, idx_2, idx_5) and simulated sessions
    only (tests/dsp/README.md): ``on_db = 5`` keeps weak simulated wiggles; the rolls make an event span the
    movement itself (the causal smoothing already ends it about 70 ms after the movement), as a label should.

    ``min_duration_s = 0.1`` (was 0.2 s): a tap is a press stroke of 0.06-0.3 s (``acquisition.sim.gestures``),
    a hold and a return stroke; when only one stroke of a fast or faint subject's tap crosses ``on_db``, the
    event is that stroke alone: above ``off_db`` for 0.07-0.14 s (measured).

    ``min_area_db_s = 0.2`` (was 0.6, then 0.5 dB·s): the area test no longer has to keep the still hand
    out, because the model's ``none`` class and the calibrated ``min_score`` reject small motions that the
    test lets through; what it still drops are blips too small to classify. At 0.5 dB·s (1.6× the largest
    blip in the training files' still pauses, 0.31 dB·s) it dropped faint and far subjects' gestures whose
    strokes crossed ``on_db``: 0.2 dB·s was adopted by a rule fixed before its figures (RULE74,
    docs/results_rejection.md), on training-side streams with the same sim model re-calibrated: everyday
    subjects 5916-5931 136 -> 142 of 185 right, 3 -> 4 false activations in 3.96 h; clean sessions 2760-2767
    263 -> 280 of 320, no false activation; the real training days unchanged (356 of 387, 5 false). The
    training days' event counts move by at most one per gesture file, and two blips more are proposed on
    ``dynamic_hand_idx_1`` (tests/dsp/README.md).

    Fields:
        on_db: ratio that starts motion [dB].
        off_db: ratio below which motion ends [dB]; must be <= ``on_db``.
        merge_gap_s: runs closer than this are one event [s].
        min_duration_s: shorter merged events are dropped [s].
        min_area_db_s: merged events with a smaller area ``Σ max(ratio - off_db, 0) / frame_rate`` are
            dropped [dB·s]; 0 disables the test.
        pre_roll_s: frames added before the start [s].
        post_roll_s: frames added after the end [s].
        idle_min_area_db_s: ``min_area_db_s`` of a policy fed a throttled device's idle-rate onset stream
            (:meth:`for_idle_stream`; ``detect``, ``demo`` and the firmware by default) [dB·s]. That stream has its own
            scale (``dsp.DecisionConfig.idle_min_peak_db``), and RULE74 judged the lower area on the full-rate
            stream only. With the int8 sim bundle over three idle phases the lower area gained no gesture on the
            training-side everyday streams 5916-5931 (360 of 555 right, 27 false activations, both) and added false
            activations on the real training days (24 -> 33 in 0.94 h; docs/results_rejection.md), so this stream
            keeps 0.5. A manifest written before the field loads with 0.5, as it ran.
    """

    on_db: float = 5.0
    off_db: float = 3.0
    merge_gap_s: float = 0.5
    min_duration_s: float = 0.1
    min_area_db_s: float = 0.2
    pre_roll_s: float = 0.05
    post_roll_s: float = 0.0
    idle_min_area_db_s: float = 0.5

    def __post_init__(self) -> None:
        for name in ("on_db", "off_db"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise ParameterError(f"{name} must be a finite number, got {value!r}")
        if self.off_db > self.on_db:
            raise ParameterError(f"off_db ({self.off_db}) must be <= on_db ({self.on_db})")
        for name in (
            "merge_gap_s",
            "min_duration_s",
            "min_area_db_s",
            "pre_roll_s",
            "post_roll_s",
            "idle_min_area_db_s",
        ):
            check_nonnegative(name, getattr(self, name))

    def for_idle_stream(self) -> SegmentConfig:
        """The config of a segmenter fed a throttled device's idle-rate onset stream: ``min_area_db_s`` becomes
        ``idle_min_area_db_s`` (the twin of :meth:`dsp.DecisionConfig.for_idle_stream`)."""
        return replace(self, min_area_db_s=self.idle_min_area_db_s)

    def min_area_db_frames(self, frame_rate_hz: float) -> np.float32:
        """``min_area_db_s`` in dB·frames at ``frame_rate_hz``, as the float32 both segmenters compare with."""
        check_positive("frame_rate_hz", frame_rate_hz)
        return np.float32(self.min_area_db_s * frame_rate_hz)

    def frames(self, frame_rate_hz: float) -> tuple[int, int, int, int]:
        """``(merge_gap, min_duration, pre_roll, post_roll)`` in frames at ``frame_rate_hz``."""
        check_positive("frame_rate_hz", frame_rate_hz)
        return (
            round(self.merge_gap_s * frame_rate_hz),
            round(self.min_duration_s * frame_rate_hz),
            round(self.pre_roll_s * frame_rate_hz),
            round(self.post_roll_s * frame_rate_hz),
        )


def _check_ratio(ratio: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r = np.asarray(ratio, dtype=np.float64)
    if r.ndim != 1:
        raise ParameterError(f"ratio must have shape (frames,), got shape {r.shape}")
    return r


def motion_runs(ratio: npt.ArrayLike, *, cfg: SegmentConfig) -> npt.NDArray[np.int64]:
    """The hysteresis motion runs of step 1, before merging, dropping and rolls.

    Args:
        ratio: ``(frames,)`` onset ratio [dB].
        cfg: ``on_db`` and ``off_db`` are used.

    Returns:
        ``(runs, 2)`` int64 ``[start_frame, end_frame)``: from a frame ``>= on_db`` to the first frame below
        ``off_db`` (a run of frames at or above ``off_db`` that never reaches ``on_db`` is no motion).
    """
    r = _check_ratio(ratio).astype(np.float32)
    above_off = ~(r < np.float32(cfg.off_db))  # NaN counts as "no change", i.e. continues a run
    edges = np.diff(np.concatenate(([0], above_off.astype(np.int8), [0])))
    on_idx = np.flatnonzero(r >= np.float32(cfg.on_db))
    out: list[tuple[int, int]] = []
    for s, e in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
        j = int(np.searchsorted(on_idx, s))
        if j < on_idx.size and int(on_idx[j]) < e:
            out.append((int(on_idx[j]), int(e)))
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def runs_of_span(runs: npt.NDArray[np.int64], start: int, end: int, *, slack_frames: int = 3) -> npt.NDArray[np.int64]:
    """The rows of ``runs`` (:func:`motion_runs`) that overlap the span ``[start, end)`` (a labelled event)
    widened by ``slack_frames`` on each side, in order: the motion of that event."""
    return runs[(runs[:, 1] > start - slack_frames) & (runs[:, 0] < end + slack_frames)]


def segment(ratio: npt.ArrayLike, *, cfg: SegmentConfig, frame_rate_hz: float) -> npt.NDArray[np.int64]:
    """Segment a whole stream.

    Args:
        ratio: ``(frames,)`` onset ratio [dB], e.g. :attr:`dsp.onset.OnsetResult.ratio_db`.
        cfg: the segmentation config.
        frame_rate_hz: frame rate [Hz], converts the config's seconds to frames.

    Returns:
        ``(events, 2)`` int64 of ``[start_frame, end_frame)``.
    """
    r = _check_ratio(ratio).astype(np.float32)
    off = np.float32(cfg.off_db)
    gap, min_len, pre, post = cfg.frames(frame_rate_hz)
    min_area = cfg.min_area_db_frames(frame_rate_hz)
    n = r.size
    raw = [(int(s), int(e)) for s, e in motion_runs(r, cfg=cfg)]
    merged: list[list[int]] = []
    for s, e in raw:
        if merged and s - merged[-1][1] < gap:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    # per-frame area contribution [dB·frames], inside motion runs only (a sub-threshold run that never
    # reached on_db adds nothing); summed sequentially per event, as the Segmenter does
    in_run = np.zeros(n, dtype=bool)
    for s, e in raw:
        in_run[s:e] = True
    with np.errstate(invalid="ignore"):
        contrib = np.where(in_run & (r > off), r - off, np.float32(0.0)).astype(np.float32)
    out: list[tuple[int, int]] = []
    prev_end = 0
    for s, e in merged:
        # np.cumsum adds sequentially in float32, as the streaming running sum does
        if e - s < min_len or not np.cumsum(contrib[s:e], dtype=np.float32)[-1] >= min_area:
            continue
        start = max(s - pre, prev_end, 0)
        prev_end = e + post
        end = min(prev_end, n)
        if start < end:
            out.append((start, end))
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


class Segmenter:
    """Streaming :func:`segment`. ``process(ratio_db)`` per frame returns the events that became final
    at that frame as an ``(events, 2)`` int64 array (usually empty); ``flush()`` ends the stream.

    An event is final once no later frame can merge into it and its post-roll has been seen, i.e. about
    ``max(merge_gap_s, post_roll_s)`` after the motion ends. The event still growing is readable
    (:attr:`pending`, :attr:`pending_start`, :attr:`pending_passes`, :attr:`group`) for
    :class:`dsp.decision.DecisionPolicy`, which decides before the event is final.
    """

    def __init__(self, *, cfg: SegmentConfig, frame_rate_hz: float) -> None:
        self.cfg = cfg
        self.frame_rate_hz = frame_rate_hz
        self._gap, self._min_len, self._pre, self._post = cfg.frames(frame_rate_hz)
        self._on, self._off = np.float32(cfg.on_db), np.float32(cfg.off_db)
        self._min_area = cfg.min_area_db_frames(frame_rate_hz)
        self.reset()

    def reset(self) -> None:
        """Start a new stream at frame 0."""
        self._n = 0
        self._active = False
        self._run_start = 0
        self._pending: list[int] | None = None  # merged event [start, end) awaiting later runs
        self._area = np.float32(0.0)  # running area of the pending/active event [dB·frames]
        self._ready: list[tuple[int, int]] = []  # rolled events awaiting their post-roll frames
        self._prev_end = 0
        self._group = 0  # number of merged events begun so far
        self._kept = 0  # number of merged events closed and kept so far

    @property
    def active(self) -> bool:
        """True while the hysteresis is in the motion state."""
        return self._active

    @property
    def frames_seen(self) -> int:
        """Frames processed so far."""
        return self._n

    @property
    def pending(self) -> tuple[int, int] | None:
        """The merged event still open, ``(start, end)`` of its runs so far (no rolls), else None. While
        :attr:`active` with an event pending, the running motion belongs to that event."""
        return None if self._pending is None else (self._pending[0], self._pending[1])

    @property
    def pending_start(self) -> int:
        """The pre-rolled start the pending event will get (the same rule as at its close)."""
        assert self._pending is not None
        return max(self._pending[0] - self._pre, self._prev_end, 0)

    @property
    def pending_passes(self) -> bool:
        """The pending event, as it stands, passes the duration and area tests (both only grow)."""
        assert self._pending is not None
        s, e = self._pending
        return bool(e - s >= self._min_len and self._area >= self._min_area)

    @property
    def group(self) -> int:
        """Serial number of the latest merged event (1 for the first); a merged run keeps it."""
        return self._group

    @property
    def kept(self) -> int:
        """Number of events closed so far that passed the tests (emitted now or after their post-roll)."""
        return self._kept

    def _close_pending(self) -> None:
        assert self._pending is not None
        passes = self.pending_passes
        s, e = self._pending
        self._pending = None
        self._area = np.float32(0.0)
        if not passes:
            return
        self._kept += 1
        start = max(s - self._pre, self._prev_end, 0)
        end = e + self._post
        self._ready.append((start, end))
        self._prev_end = end

    def _emit(self, upto: int | None) -> npt.NDArray[np.int64]:
        out = []
        while self._ready and (upto is None or self._ready[0][1] <= upto):
            out.append(self._ready.pop(0))
        return np.asarray(out, dtype=np.int64).reshape(-1, 2)

    def process(self, ratio_db: float) -> npt.NDArray[np.int64]:
        """Consume one frame's ratio [dB]; return the events finalised now, ``(events, 2)`` int64."""
        n = self._n
        r = np.float32(ratio_db)
        if not np.isnan(r):
            if not self._active and r >= self._on:
                self._active = True
                self._run_start = n
                if self._pending is not None and n - self._pending[1] >= self._gap:
                    self._close_pending()
                if self._pending is None:
                    self._area = np.float32(0.0)  # a new event; otherwise this run merges and adds to its area
                    self._group += 1
            elif self._active and r < self._off:
                self._end_run(n)
            if self._active and r > self._off:
                self._area = np.float32(self._area + np.float32(r - self._off))
        self._n = n + 1
        if self._pending is not None and not self._active and self._n - self._pending[1] >= self._gap:
            self._close_pending()
        return self._emit(self._n)

    def _end_run(self, n: int) -> None:
        """Motion stops at frame ``n``: extend the pending event if the run merged into it, else the
        pending event is final and the run becomes the new pending one."""
        self._active = False
        if self._pending is not None and self._run_start - self._pending[1] < self._gap:
            self._pending[1] = n
        else:
            if self._pending is not None:
                self._close_pending()
            self._pending = [self._run_start, n]

    def flush(self) -> npt.NDArray[np.int64]:
        """End the stream: close any open motion at the current frame and return the remaining events,
        with ends clipped to the stream length."""
        n = self._n
        if self._active:
            self._end_run(n)
        if self._pending is not None:
            self._close_pending()
        self._ready = [(s, min(e, n)) for s, e in self._ready if s < min(e, n)]
        return self._emit(None)


def event_window_end(start: int, end: int, *, window_frames: int, end_pad: int, pre: int) -> int:
    """The exclusive end frame of the classifier window placed on the event ``[start, end)``: ``end + end_pad``.

    The window ends ``end_pad`` frames after the event's latest evidence. An event that fits
    (``end - start + pre + end_pad <= window_frames``) is seen whole, with at least ``pre`` frames before
    it; one that does not fit is seen by its last ``window_frames`` frames. ``start`` and ``pre`` state the
    event and say when it fits; they do not move the window.

    Why the latest evidence and not the start of a long event (the rule before): events longer than the
    window (1.4 s by default) are almost always merged ones: a hand enters, hovers and then gestures, less
    than ``merge_gap_s`` apart, so the segmenter makes one event of 1.5-2 s. The decision layer classifies
    such an event at each checkpoint as it grows; a window anchored at its start shows every checkpoint the
    hand's entry, which the model has already called ``none``, so the gesture that follows is never seen
    (recall 0.75 on everyday streams, docs/results_rejection.md). Anchored at the latest evidence, each
    checkpoint shows the motion that has just ended, which is what the user expects an answer to; the
    earlier part was already judged at the earlier checkpoints. The cost: a single motion longer than the
    window is seen by its end instead of its start; training windows (``models``) use this same rule, so
    the model learns what it will be shown, and with the default 1.4 s window few labelled gestures are
    that long. Training windows, the decision layer, the runtime (``deploy``) and the C twin
    (``rg_event_window_end``) place windows with this one rule.
    """
    del start, pre, window_frames  # the rule needs only the latest evidence (docstring)
    return end + end_pad


def decision_window_end(
    start: int, end: int, now: int, *, window_frames: int, end_pad: int, pre: int, history: int
) -> int:
    """The exclusive end of the window classified for the event ``[start, end)`` while processing frame ``now``.

    :func:`event_window_end`, clipped to ``[now + 1 - history, now + 1]``: the window never ends after the
    current frame, nor more than ``history`` frames before it (``DecisionConfig.history_s``). The bound
    keeps what a long event is classified on inside the last ``window_frames + history`` frames, the ring
    buffer a device keeps, so the evaluation (which holds the whole recording) and a device classify the
    same window. The decision layer, the runtime and the C twin place windows with this one rule. With
    :func:`event_window_end` anchored at the latest evidence the lower bound binds only when a decision
    comes more than ``history`` frames after its event's end (never with the default merge gap).
    """
    w = min(event_window_end(start, end, window_frames=window_frames, end_pad=end_pad, pre=pre), now + 1)
    return max(w, now + 1 - history)
