"""Adaptive throttle: a pure policy that raises sensor rate and compute only when a gesture begins.

The policy is ``step(state, obs, *, cfg) -> (state, actions)`` over four phases (DESIGN §8):

- ``IDLE``: the sensor runs its IDLE configuration: ``idle_sweeps`` sweeps per frame of every
  ``idle_point_step``-th distance point (from point ``idle_point_offset``) at ``full_rate_hz / idle_decimation``
  (:func:`acquisition.presets.state_configs`); only the onset metric is computed. An onset ratio
  ``>= onset_db`` wakes the throttle.
- ``ONSET``: the sensor is at full rate, the encoder runs on every frame and fills the head's ring
  buffer; after ``warmup_s`` it becomes ``ACTIVE``. The trigger frame is an IDLE frame (too few sweeps
  for a range-Doppler map), so the first encoded frame is the first full-rate one.
- ``ACTIVE``: encoder on every frame, head once per ``head_hop_frames``. A classifier decision moves to
  ``COOLDOWN``; ``hold_s`` without motion (ratio ``< release_db``) and without a decision goes back to
  ``IDLE`` (a false wake); ``max_active_s`` forces ``COOLDOWN``.
- ``COOLDOWN``: idle rate, no network and no wake-up for ``cooldown_s``, then ``IDLE``.

**Back-off after everyday motion.** An awake period that ends without a gesture decision (``hold_s`` or
``max_active_s``) was most likely everyday motion (hovering, a grab, scratching), which goes on for seconds, while
a gesture is a short burst from a still hand. For ``backoff_s`` after such a period the wake level is
``onset_db + backoff_db`` instead of ``onset_db``; a gesture decision (also one taken after the hold ended) clears it.

**Timing.** Every step is one *sensed* frame. A frame at idle rate advances the timers by
``idle_decimation`` full-rate frame periods, a full-rate frame by one, so all timers are integers in
full-rate frames (:class:`ThrottleConfig` converts seconds with ``round``).

**How the onset metric is fed (the C build does the same).** One :class:`dsp.OnsetProcessor`, built for the
*idle* frame rate (:func:`idle_geometry`: smoothing and floor window counted in idle frames), gets one sample
every ``idle_decimation`` full-rate periods in every phase (:func:`onset_due` says when). A sample is the mean
onset power of the frames sensed since the previous one (:class:`OnsetBlock`): the one frame of an idle
period, or up to ``idle_decimation`` frames at full rate, where the device computes every frame's power
anyway. The power of every frame is taken on its first ``idle_sweeps`` sweeps and its IDLE points (an IDLE
frame has no more; a full frame's first sweeps are the same measurement at the same sweep rate, its every
``idle_point_step``-th point the same range sample), so the onset stream keeps one
scale and one Doppler axis in every phase (:func:`idle_power`). The onset stream thus keeps one rate and one
floor through the phase changes, while awake it misses no short movement between samples, and active phases
cost no extra onset runs. Across a switch from full to idle rate one spacing can stretch to ``< 2 *
idle_decimation`` periods. Only the onset *power* of a frame is stateless, so an emulation replays per-frame
powers, never a full-rate ratio.

**Order of a step.** The caller adds the incoming frame's power to its :class:`OnsetBlock` and asks
:func:`onset_due`; if due, it runs the onset processor on the block's mean and passes the ratio (else
NaN) with ``decided`` (did the *previous* head run emit a decision), then executes the returned actions:
``run_encoder`` / ``run_head`` on this frame, ``full_rate`` for the frames that follow. Thresholds are
compared in float32, as the C build does, so both agree bit for bit.

On fixed-rate recordings :func:`emulate_throttle` emulates IDLE as the device sees it: the first
``idle_sweeps`` sweeps and every ``idle_point_step``-th point (from ``idle_point_offset``) of the frames the idle
rate keeps.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from dsp import FrameGeometry, OnsetConfig, OnsetProcessor, ParameterError, hann_window

__all__ = [
    "EventCoverage",
    "OnsetBlock",
    "Phase",
    "SweepPoint",
    "ThrottleActions",
    "ThrottleConfig",
    "ThrottleObservation",
    "ThrottleState",
    "ThrottleStream",
    "ThrottleTrace",
    "Utilisation",
    "emulate_throttle",
    "event_coverage",
    "idle_geometry",
    "idle_point_power",
    "idle_points",
    "idle_power",
    "idle_window",
    "onset_due",
    "oracle_decisions",
    "step",
    "sweep_throttle",
]


class Phase(IntEnum):
    """Throttle phases; the values are the C enum's (``RG_PHASE_*``)."""

    IDLE = 0
    ONSET = 1
    ACTIVE = 2
    COOLDOWN = 3


_FULL_RATE = (Phase.ONSET, Phase.ACTIVE)


def _f32(x: float) -> float:
    """``x`` rounded to float32 (exact as a Python float), so comparisons match the C build."""
    return float(np.float32(x))


@dataclass(frozen=True, kw_only=True)
class ThrottleConfig:
    """Throttle policy.

    ``idle_decimation`` and ``hold_s`` were chosen with ``radargest evaluate --throttle-sweep`` on
    simulated sparse streams (subjects 3000–3007, a gesture every 5–15 s) with a model trained with the
    throttled-wake augmentation, and looked at on dense simulated streams; never on the idx_3 day
    (``docs/results_throttle.md``): the setting closest to always-on accuracy that keeps sensor frames at
    or under 40 %. ``idle_sweeps``, ``idle_point_step``, ``idle_window``, ``onset_db`` and ``release_db`` (with
    decimation 3 and hold 0.3 s kept) were chosen on training-side streams only, with models trained with
    everyday negatives and a calibrated ``min_score``: 4 h of simulated everyday streams of fresh subjects
    3000–3023 (185 gestures) and the real training days (387 events), by ``scripts/throttle_selection.py``:
    the lowest everyday A121 current (exptool's power model) whose everyday recall is not below the previous
    default's and whose real training-side accuracy is within 1 point of it (``docs/results_power.md``).
    The other fields keep the values chosen earlier on the training days. A third pass on training-side streams
    (everyday subjects 100–103 and 650–657, the real training days) kept every default: each setting under
    1 mA lost everyday recall or 3–5 points of real training-day accuracy (``docs/results_power.md``).
    ``backoff_s`` and ``backoff_db`` (2 s at +1 dB: a wake level of 6 dB) were chosen by
    ``scripts/throttle_selection.py`` on training-side streams only (everyday subjects 3100–3107, 650–657 and
    100–103, 5 h; the real training days):
    the lowest everyday current whose everyday recall is not below the setting without back-off, whose false
    activations are not above it, and whose real training-day accuracy is within 1 point of it
    (``docs/results_power.md``, fourth pass).

    Fields:
        full_rate_hz: sensor frame rate at full rate [Hz]; the timers count frames of this rate.
        idle_decimation: full-rate frame periods per idle frame [frames]; idle rate = full / this.
        idle_sweeps: sweeps per IDLE frame, the first ones of a full frame at the same sweep rate [count].
        idle_point_step: an IDLE sweep measures every ``idle_point_step``-th distance point of a full sweep,
            from point ``idle_point_offset`` (the sensor's ``step_length`` times this; 1 = every point) [count].
            The IDLE points are a subset of the full frame's, so the emulation on recorded data stays exact.
        idle_point_offset: the first IDLE point is the full sweep's point this many points in, in
            ``0 .. idle_point_step - 1`` (the sensor's ``start_point`` moved by this many full steps) [count].
            With ``gesture_close`` and a step of 2, offset 0 measures 0.05 / 0.11 / 0.17 m and 1 measures
            0.08 / 0.14 / 0.20 m: with a 40 mm pulse (PROFILE_1), points 60 mm apart leave gaps, and offset 0
            sees a hand moving away beyond 0.17 m about 8 dB weaker than the full frame's 0.20 m point does
            (``docs/results_power.md``, twelfth pass). 0 by default: with the recipe's sim model, 1 gained 27 of
            768 gestures on dense training-side sessions and lost 5 of 172 on everyday streams, near hands' (RULE65).
        idle_window: window over the IDLE sweeps of the onset power: ``rect`` weighs every sweep the sensor
            paid for (with the mean removed, the motion power is then the sweeps' variance outside the slow
            bins), ``hann`` is the feature's window (its end weights are 0, so 4 sweeps count as 2).
        onset_db: idle onset ratio that wakes the throttle [dB] (on :class:`dsp.OnsetResult.ratio_db`
            of the idle-rate onset processor). The default equals the segmenter's ``on_db``: every motion
            the decision layer opens an event on wakes the throttle (at 6 dB, an event peaking between 5 and 6 dB
            was classified on frames never encoded).
        release_db: while awake, a ratio at or above this counts as ongoing motion [dB].
        warmup_s: time at full rate before the head first runs (encoder only) [s].
        hold_s: awake with no motion and no decision for this long → back to idle [s].
        max_active_s: longest time awake without a decision before a forced cooldown [s].
        cooldown_s: time after a decision with no wake-up, at idle rate [s].
        head_hop_frames: full-rate frames between head runs [frames].
        backoff_s: after an awake period that ended without a gesture decision (by ``hold_s`` or
            ``max_active_s``), the wake level is ``onset_db + backoff_db`` for this long (IDLE and COOLDOWN
            time counted), restarted by every such period and cleared by a decision [s]; 0 = off.
        backoff_db: how much higher the wake level is during the back-off [dB], >= 0.
        idle_history: the encoder also runs on every frame sensed at idle rate (IDLE and COOLDOWN), on the map its
            IDLE sweeps and points give (:func:`dsp.idle_range_doppler`), held in the ring until the next sensed
            frame, and a wake keeps that history instead of filling it with the first full-rate frame
            (``deploy.runtime``). For a model trained with ``AugmentConfig.wake_history = "idle"`` (the export sets
            it from the run); costs the encoder's MACs at the idle rate. Off by default here; on in the bundles of
            the recipe's runs (``train --augment robust``). The firmware runs it too (``RG_IDLE_HISTORY`` in
            ``config.h``, the IDLE map ``rg_features_idle_map*``), with the same records as ``deploy.runtime``; the
            export's ``example_main.cc`` does not (an ``#error``) (docs/results_power.md, fifth pass).
    """

    full_rate_hz: float = 57.0
    idle_decimation: int = 3
    idle_sweeps: int = 5
    idle_point_step: int = 2
    idle_point_offset: int = 0
    idle_window: Literal["rect", "hann"] = "rect"
    onset_db: float = 5.0
    release_db: float = 4.0
    warmup_s: float = 0.0
    hold_s: float = 0.3
    max_active_s: float = 3.0
    cooldown_s: float = 0.5
    head_hop_frames: int = 4
    backoff_s: float = 2.0
    backoff_db: float = 1.0
    idle_history: bool = False

    def __post_init__(self) -> None:
        for name in ("full_rate_hz", "max_active_s", "hold_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")
        for name in ("warmup_s", "cooldown_s", "backoff_s", "backoff_db"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in ("onset_db", "release_db"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise ParameterError(f"{name} must be a finite number, got {value!r}")
        for name in ("idle_decimation", "head_hop_frames", "idle_point_step"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ParameterError(f"{name} must be an integer >= 1, got {value!r}")
        offset = self.idle_point_offset
        if not (isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset < self.idle_point_step):
            raise ParameterError(
                f"idle_point_offset must be an integer in 0..{self.idle_point_step - 1} (below idle_point_step), "
                f"got {offset!r}"
            )
        if not (isinstance(self.idle_sweeps, int) and not isinstance(self.idle_sweeps, bool) and self.idle_sweeps >= 2):
            raise ParameterError(f"idle_sweeps must be an integer >= 2, got {self.idle_sweeps!r}")
        if not isinstance(self.idle_history, bool):
            raise ParameterError(f"idle_history must be True or False, got {self.idle_history!r}")
        if self.idle_window not in ("rect", "hann"):
            raise ParameterError(f"idle_window must be 'rect' or 'hann', got {self.idle_window!r}")
        if self.idle_window == "hann" and self.idle_sweeps < 3:
            raise ParameterError(
                f"idle_window 'hann' needs idle_sweeps >= 3 (its end weights are 0), got {self.idle_sweeps}; "
                "use idle_window='rect'"
            )

    def _frames(self, seconds: float) -> int:
        return round(seconds * self.full_rate_hz)

    @property
    def idle_rate_hz(self) -> float:
        """Sensor frame rate in idle and cooldown [Hz]."""
        return self.full_rate_hz / self.idle_decimation

    @property
    def warmup_frames(self) -> int:
        """``warmup_s`` in full-rate frames."""
        return self._frames(self.warmup_s)

    @property
    def hold_frames(self) -> int:
        """``hold_s`` in full-rate frames, at least 1."""
        return max(1, self._frames(self.hold_s))

    @property
    def max_active_frames(self) -> int:
        """``max_active_s`` in full-rate frames, at least 1."""
        return max(1, self._frames(self.max_active_s))

    @property
    def cooldown_frames(self) -> int:
        """``cooldown_s`` in full-rate frames."""
        return self._frames(self.cooldown_s)

    @property
    def backoff_frames(self) -> int:
        """``backoff_s`` in full-rate frames."""
        return self._frames(self.backoff_s)

    @property
    def backoff_onset_db(self) -> float:
        """The wake level during the back-off, ``onset_db + backoff_db`` [dB] (compared in float32)."""
        return self.onset_db + self.backoff_db


@dataclass(frozen=True, kw_only=True)
class ThrottleState:
    """Policy state after a step; every counter is in full-rate frame periods.

    Fields:
        phase: the current phase; it also fixes the rate of the next frame (full in ONSET/ACTIVE).
        phase_frames: periods spent in COOLDOWN so far (0 in the other phases).
        active_frames: full-rate frames since the wake-up (ONSET/ACTIVE).
        since_motion_frames: full-rate frames since the last ratio >= ``release_db`` (ONSET/ACTIVE).
        since_onset_frames: periods since the onset metric was last computed.
        hop_frames: frames since the head last ran (ACTIVE).
        backoff_frames: periods left of the back-off (wake at ``onset_db + backoff_db``; IDLE/COOLDOWN).
    """

    phase: Phase = Phase.IDLE
    phase_frames: int = 0
    active_frames: int = 0
    since_motion_frames: int = 0
    since_onset_frames: int = 0
    hop_frames: int = 0
    backoff_frames: int = 0


@dataclass(frozen=True, kw_only=True)
class ThrottleObservation:
    """What the policy sees for one sensed frame.

    Fields:
        ratio_db: onset ratio of this frame [dB] if :func:`onset_due`, else NaN (also NaN for a missing
            frame); ignored when not due.
        decided: the head's previous run emitted a gesture decision (in any phase: the decision layer may
            decide an event after the awake period ended).
    """

    ratio_db: float = math.nan
    decided: bool = False


@dataclass(frozen=True, kw_only=True)
class ThrottleActions:
    """What the device does.

    Fields:
        full_rate: run the sensor at full rate for the frames that follow (else idle rate).
        run_encoder: encode this frame into the head's ring buffer.
        run_head: run the temporal head on this frame.
        reset_head: clear the ring buffer (at a wake-up); its history is filled with the embedding of the
            last frame encoded before (``deploy.runtime``).
    """

    full_rate: bool
    run_encoder: bool = False
    run_head: bool = False
    reset_head: bool = False


_IDLE_ACTIONS = ThrottleActions(full_rate=False)


def _advance(phase: Phase, cfg: ThrottleConfig) -> int:
    return 1 if phase in _FULL_RATE else cfg.idle_decimation


def onset_due(state: ThrottleState, *, cfg: ThrottleConfig) -> bool:
    """True if the onset metric must be computed for the next sensed frame (see the module docstring)."""
    return state.since_onset_frames + _advance(state.phase, cfg) >= cfg.idle_decimation


def step(
    state: ThrottleState, obs: ThrottleObservation, *, cfg: ThrottleConfig
) -> tuple[ThrottleState, ThrottleActions]:
    """Advance the policy by one sensed frame; pure (inputs are frozen and never changed).

    Returns:
        The new state and the actions for this frame (``full_rate`` for the following frames).
    """
    adv = _advance(state.phase, cfg)
    due = state.since_onset_frames + adv >= cfg.idle_decimation
    since_onset = 0 if due else state.since_onset_frames + adv
    ratio = _f32(obs.ratio_db) if due else math.nan
    phase = state.phase

    # the back-off's periods left after this frame (it runs in IDLE and COOLDOWN; a decision clears it)
    backoff = 0 if obs.decided else max(0, state.backoff_frames - adv)
    if phase == Phase.IDLE:
        level = cfg.backoff_onset_db if state.backoff_frames > 0 and not obs.decided else cfg.onset_db
        if ratio >= _f32(level):
            new = ThrottleState(phase=Phase.ONSET, since_onset_frames=since_onset)
            return new, ThrottleActions(full_rate=True, reset_head=True)
        return ThrottleState(since_onset_frames=since_onset, backoff_frames=backoff), _IDLE_ACTIONS

    if phase == Phase.COOLDOWN:
        waited = state.phase_frames + adv
        if waited >= cfg.cooldown_frames:
            return ThrottleState(since_onset_frames=since_onset, backoff_frames=backoff), _IDLE_ACTIONS
        new = ThrottleState(
            phase=Phase.COOLDOWN, phase_frames=waited, since_onset_frames=since_onset, backoff_frames=backoff
        )
        return new, _IDLE_ACTIONS

    # ONSET or ACTIVE: a full-rate frame
    active = state.active_frames + 1
    since_motion = 0 if ratio >= _f32(cfg.release_db) else state.since_motion_frames + 1
    if phase == Phase.ACTIVE and obs.decided:
        return ThrottleState(phase=Phase.COOLDOWN, since_onset_frames=since_onset), _IDLE_ACTIONS
    if active >= cfg.max_active_frames:  # no decision: everyday motion, back off
        new = ThrottleState(phase=Phase.COOLDOWN, since_onset_frames=since_onset, backoff_frames=cfg.backoff_frames)
        return new, _IDLE_ACTIONS
    if since_motion >= cfg.hold_frames:
        return ThrottleState(since_onset_frames=since_onset, backoff_frames=cfg.backoff_frames), _IDLE_ACTIONS
    hop = state.hop_frames
    if phase == Phase.ONSET and active >= cfg.warmup_frames:
        phase = Phase.ACTIVE
        hop = 0
    run_head = False
    if phase == Phase.ACTIVE:
        hop += 1
        if hop >= cfg.head_hop_frames:
            run_head = True
            hop = 0
    new = ThrottleState(
        phase=phase,
        active_frames=active,
        since_motion_frames=since_motion,
        since_onset_frames=since_onset,
        hop_frames=hop,
    )
    return new, ThrottleActions(full_rate=True, run_encoder=True, run_head=run_head)


class OnsetBlock:
    """The onset sample of a block: the mean power of the frames sensed since the last sample.

    Non-finite powers (bad frames) are left out; a block with none finite gives NaN.
    """

    def __init__(self) -> None:
        self._sum = 0.0
        self._count = 0

    def add(self, power: float) -> None:
        """Count one sensed frame's onset power [counts²]."""
        if math.isfinite(power):
            self._sum += power
            self._count += 1

    def take(self) -> float:
        """The block's mean power [counts²] (NaN if empty); starts the next block."""
        mean = self._sum / self._count if self._count else math.nan
        self._sum = 0.0
        self._count = 0
        return mean


def idle_points(num_points: int, *, cfg: ThrottleConfig) -> int:
    """Distance points of an IDLE sweep: every ``cfg.idle_point_step``-th of ``num_points`` from point
    ``cfg.idle_point_offset``."""
    return len(range(cfg.idle_point_offset, num_points, cfg.idle_point_step))


def idle_geometry(geometry: FrameGeometry, *, cfg: ThrottleConfig) -> FrameGeometry:
    """The geometry of the onset stream: an IDLE frame of ``geometry``, ``cfg.idle_sweeps`` sweeps of every
    ``cfg.idle_point_step``-th point from point ``cfg.idle_point_offset``, at the idle frame rate (see the
    module docstring).

    Raises:
        ParameterError: ``cfg.idle_sweeps`` exceeds the full frame's sweeps, or the offset its points.
    """
    if cfg.idle_sweeps > geometry.sweeps_per_frame:
        raise ParameterError(
            f"idle_sweeps={cfg.idle_sweeps} exceeds the {geometry.sweeps_per_frame} sweeps of a full frame"
        )
    if cfg.idle_point_offset >= geometry.num_points:
        raise ParameterError(
            f"idle_point_offset={cfg.idle_point_offset} leaves none of the {geometry.num_points} points of a full frame"
        )
    return dataclasses.replace(
        geometry,
        frame_rate_hz=geometry.frame_rate_hz / cfg.idle_decimation,
        sweeps_per_frame=cfg.idle_sweeps,
        start_point=geometry.start_point + cfg.idle_point_offset * geometry.step_length,
        num_points=idle_points(geometry.num_points, cfg=cfg),
        step_length=geometry.step_length * cfg.idle_point_step,
    )


def idle_window(cfg: ThrottleConfig) -> npt.NDArray[np.float64]:
    """The window over the IDLE sweeps, normalised to sum 1 like :func:`dsp.hann_window`, ``(idle_sweeps,)``."""
    if cfg.idle_window == "hann":
        return hann_window(cfg.idle_sweeps)
    return np.full(cfg.idle_sweeps, 1.0 / cfg.idle_sweeps)


@functools.lru_cache(maxsize=64)
def _idle_rows(cfg: ThrottleConfig, onset_cfg: OnsetConfig, geometry: FrameGeometry) -> npt.NDArray[np.complex128]:
    """The motion rows of the IDLE Doppler map: mean removal, window, FFT, fftshift (as
    :func:`dsp.features.doppler_matrix`), rows with ``|v| >= min_speed``; ``(motion_bins, idle_sweeps)``."""
    n = cfg.idle_sweeps
    centred = np.eye(n) - 1.0 / n
    m = np.fft.fftshift(np.fft.fft(centred * idle_window(cfg)[:, None], axis=0), axes=0)
    rows = np.ascontiguousarray(m[onset_cfg.bin_mask(idle_geometry(geometry, cfg=cfg)) > 0])
    rows.setflags(write=False)
    return rows


def idle_power(
    frames: npt.ArrayLike, *, cfg: ThrottleConfig, onset_cfg: OnsetConfig, geometry: FrameGeometry
) -> npt.NDArray[np.float64]:
    """Onset power of frames as an IDLE frame gives it: on their first ``cfg.idle_sweeps`` sweeps and every
    ``cfg.idle_point_step``-th point, with ``cfg.idle_window`` (:func:`dsp.onset_power`'s definition, on
    the idle geometry, with that window).

    Args:
        frames: ``(..., frames, sweeps, points)`` complex full frames of ``geometry`` (or IDLE frames of
            ``idle_sweeps`` sweeps and the IDLE points, taken as they are); one ``(sweeps, points)`` frame
            works too.

    Returns:
        ``(..., frames)`` float64 [counts²]; NaN for frames holding NaN/inf.
    """
    return idle_point_power(frames, cfg=cfg, onset_cfg=onset_cfg, geometry=geometry).sum(axis=-1)


def idle_point_power(
    frames: npt.ArrayLike, *, cfg: ThrottleConfig, onset_cfg: OnsetConfig, geometry: FrameGeometry
) -> npt.NDArray[np.float64]:
    """:func:`idle_power` before the sum over points: ``(..., frames, idle_points)`` [counts²] of frames as
    :func:`idle_power` takes them (the decision gate's range condition on a throttled device)."""
    x = np.asarray(frames)[..., : cfg.idle_sweeps, :]
    if x.shape[-1] == geometry.num_points:
        x = x[..., cfg.idle_point_offset :: cfg.idle_point_step]
    elif x.shape[-1] != idle_points(geometry.num_points, cfg=cfg):
        raise ParameterError(f"frames of shape {x.shape} do not have {geometry.num_points} points")
    spec = _idle_rows(cfg, onset_cfg, geometry) @ x
    return np.asarray((spec.real**2 + spec.imag**2).sum(axis=-2), dtype=np.float64)


@dataclass(frozen=True, kw_only=True)
class Utilisation:
    """Work done against running always-on; adds up over streams with ``+``.

    Fields:
        frames: frames of the fixed-rate stream (= always-on sensor frames and encoder runs).
        sensor_frames: frames the throttled sensor delivered.
        onset_runs: onset-metric computations (always-on computes it on every frame).
        encoder_runs: encoder runs.
        head_runs: head runs.
        head_hop_frames: the hop; always-on runs the head ``frames / head_hop_frames`` times.
        full_rate_frames: of ``sensor_frames``, those sensed in the full configuration (the rest are IDLE
            frames, each spanning ``idle_decimation`` full-rate periods).
        switches: sensor configuration changes (IDLE ↔ full), each a new session setup on the device.
    """

    frames: int
    sensor_frames: int
    onset_runs: int
    encoder_runs: int
    head_runs: int
    head_hop_frames: int
    full_rate_frames: int = 0
    switches: int = 0

    def __add__(self, other: Utilisation) -> Utilisation:
        if other.head_hop_frames != self.head_hop_frames:
            raise ParameterError(f"cannot add utilisations of hops {self.head_hop_frames} and {other.head_hop_frames}")
        return Utilisation(
            frames=self.frames + other.frames,
            sensor_frames=self.sensor_frames + other.sensor_frames,
            onset_runs=self.onset_runs + other.onset_runs,
            encoder_runs=self.encoder_runs + other.encoder_runs,
            head_runs=self.head_runs + other.head_runs,
            head_hop_frames=self.head_hop_frames,
            full_rate_frames=self.full_rate_frames + other.full_rate_frames,
            switches=self.switches + other.switches,
        )

    @property
    def sensor_share(self) -> float:
        """Sensor frames used over always-on [0..1]."""
        return self.sensor_frames / self.frames if self.frames else math.nan

    @property
    def encoder_share(self) -> float:
        """Encoder runs over always-on [0..1]."""
        return self.encoder_runs / self.frames if self.frames else math.nan

    @property
    def head_share(self) -> float:
        """Head runs over always-on [0..1]."""
        return self.head_runs * self.head_hop_frames / self.frames if self.frames else math.nan

    def network_share(self, *, head_cost: float) -> float:
        """Network cost over always-on, with 1 unit per encoder run and ``head_cost`` units per head
        run (e.g. the MAC ratio head/encoder once a model exists) [0..1]."""
        always = self.frames * (1.0 + head_cost / self.head_hop_frames)
        return (self.encoder_runs + head_cost * self.head_runs) / always if always else math.nan


@dataclass(frozen=True, kw_only=True, eq=False)
class ThrottleTrace:
    """Per-frame record of an emulated stream, every field ``(frames,)``.

    Fields:
        phase: int8 phase after the last step at or before the frame (what a display would show).
        sensed: the throttled sensor delivered this frame.
        full_rate: sensed at full rate (its step started in ONSET/ACTIVE).
        onset_computed: the onset metric ran on this frame.
        ratio_db: idle-rate onset ratio [dB]; NaN where not computed.
        encoder: the encoder ran on this frame.
        head: the head ran on this frame.
        decisions: the head ran and emitted a decision on this frame.
        utilisation: the totals.
    """

    phase: npt.NDArray[np.int8]
    sensed: npt.NDArray[np.bool_]
    full_rate: npt.NDArray[np.bool_]
    onset_computed: npt.NDArray[np.bool_]
    ratio_db: npt.NDArray[np.float64]
    encoder: npt.NDArray[np.bool_]
    head: npt.NDArray[np.bool_]
    decisions: npt.NDArray[np.bool_]
    utilisation: Utilisation

    @classmethod
    def of(
        cls,
        *,
        phase: npt.NDArray[np.int8],
        sensed: npt.NDArray[np.bool_],
        full_rate: npt.NDArray[np.bool_],
        onset_computed: npt.NDArray[np.bool_],
        ratio_db: npt.NDArray[np.float64],
        encoder: npt.NDArray[np.bool_],
        head: npt.NDArray[np.bool_],
        decisions: npt.NDArray[np.bool_],
        head_hop_frames: int,
    ) -> ThrottleTrace:
        """A trace with its utilisation totals counted from the per-frame arrays."""
        rates = full_rate[sensed]
        utilisation = Utilisation(
            frames=int(phase.shape[0]),
            sensor_frames=int(sensed.sum()),
            onset_runs=int(onset_computed.sum()),
            encoder_runs=int(encoder.sum()),
            head_runs=int(head.sum()),
            head_hop_frames=head_hop_frames,
            full_rate_frames=int(rates.sum()),
            switches=int(np.count_nonzero(rates[1:] != rates[:-1])),
        )
        return cls(
            phase=phase,
            sensed=sensed,
            full_rate=full_rate,
            onset_computed=onset_computed,
            ratio_db=ratio_db,
            encoder=encoder,
            head=head,
            decisions=decisions,
            utilisation=utilisation,
        )


Decide = Callable[[int], bool]


def _as_power(
    stream: npt.ArrayLike, cfg: ThrottleConfig, onset_cfg: OnsetConfig, geometry: FrameGeometry
) -> npt.NDArray[np.float64]:
    x = np.asarray(stream)
    if x.ndim == 3:
        return idle_power(x, cfg=cfg, onset_cfg=onset_cfg, geometry=geometry)
    if x.ndim == 1 and not np.iscomplexobj(x):
        return np.asarray(x, dtype=np.float64)
    raise ParameterError(f"stream must be frames (frames, sweeps, points) or powers (frames,), got shape {x.shape}")


def _decider(decide: Decide | npt.ArrayLike | None, n: int) -> Decide:
    if decide is None:
        return lambda _t: False
    if callable(decide):
        return decide
    mask = np.asarray(decide, dtype=bool)
    if mask.shape != (n,):
        raise ParameterError(f"decide mask must have shape ({n},), got shape {mask.shape}")
    return lambda t: bool(mask[t])


def emulate_throttle(
    stream: npt.ArrayLike,
    *,
    cfg: ThrottleConfig,
    onset_cfg: OnsetConfig,
    geometry: FrameGeometry,
    decide: Decide | npt.ArrayLike | None = None,
) -> ThrottleTrace:
    """Replay a fixed-rate stream through the throttle, emulating IDLE frames as the device sees them:
    the frames the idle rate keeps, cut to their first ``cfg.idle_sweeps`` sweeps and the IDLE points.

    Args:
        stream: ``(frames, sweeps, points)`` complex frames, or their ``(frames,)`` onset powers from
            :func:`idle_power` (the onset *ratio* of a full-rate stream cannot be used: the idle
            onset processor runs at the idle rate on the frames the policy chooses).
        cfg: the policy; ``cfg.full_rate_hz`` must be within 5 % of ``geometry.frame_rate_hz``.
        onset_cfg: onset metric config (run at the idle rate, :func:`idle_geometry`).
        geometry: geometry of the full-rate stream.
        decide: whether a head run at frame ``t`` emits a decision: a callable ``t -> bool`` (e.g. a
            model), a ``(frames,)`` bool mask (e.g. :func:`oracle_decisions`), or None (never).

    Returns:
        The per-frame :class:`ThrottleTrace`.
    """
    if abs(cfg.full_rate_hz - geometry.frame_rate_hz) > 0.05 * geometry.frame_rate_hz:
        raise ParameterError(
            f"cfg.full_rate_hz={cfg.full_rate_hz} does not match the stream's frame rate "
            f"{geometry.frame_rate_hz:.3f} Hz"
        )
    power = _as_power(stream, cfg, onset_cfg, geometry)
    n = power.shape[0]
    decider = _decider(decide, n)
    proc = OnsetProcessor(cfg=onset_cfg, geometry=idle_geometry(geometry, cfg=cfg))
    phase = np.zeros(n, dtype=np.int8)
    sensed = np.zeros(n, dtype=bool)
    full = np.zeros(n, dtype=bool)
    computed = np.zeros(n, dtype=bool)
    ratio = np.full(n, np.nan)
    enc = np.zeros(n, dtype=bool)
    head = np.zeros(n, dtype=bool)
    dec = np.zeros(n, dtype=bool)
    state = ThrottleState()
    block = OnsetBlock()
    decided = False
    t = 0
    while t < n:
        sensed[t] = True
        full[t] = state.phase in _FULL_RATE
        block.add(float(power[t]))
        r = math.nan
        if onset_due(state, cfg=cfg):
            computed[t] = True
            r = proc.process_power(block.take())[2]
            ratio[t] = r
        state, act = step(state, ThrottleObservation(ratio_db=r, decided=decided), cfg=cfg)
        enc[t] = act.run_encoder
        head[t] = act.run_head
        decided = act.run_head and decider(t)
        dec[t] = decided
        nxt = t + (1 if act.full_rate else cfg.idle_decimation)
        phase[t:nxt] = int(state.phase)
        t = nxt
    return ThrottleTrace.of(
        phase=phase,
        sensed=sensed,
        full_rate=full,
        onset_computed=computed,
        ratio_db=ratio,
        encoder=enc,
        head=head,
        decisions=dec,
        head_hop_frames=cfg.head_hop_frames,
    )


def oracle_decisions(events: npt.ArrayLike, num_frames: int, *, delay_frames: int = 0) -> npt.NDArray[np.bool_]:
    """Placeholder classifier until a model exists: a head run decides on any frame from an event's end
    plus ``delay_frames`` up to the next event's start (or the stream's end).

    Args:
        events: ``(events, 2)`` ``[start_frame, end_frame)``, e.g. :func:`dsp.segment` of the always-on
            stream, sorted.
        num_frames: stream length [frames].
        delay_frames: frames a real head needs after the movement ends [frames].

    Returns:
        ``(num_frames,)`` bool mask for :func:`emulate_throttle`'s ``decide``.
    """
    ev = np.asarray(events, dtype=np.int64).reshape(-1, 2)
    mask = np.zeros(num_frames, dtype=bool)
    for i, (_s, e) in enumerate(ev.tolist()):
        stop = int(ev[i + 1, 0]) if i + 1 < len(ev) else num_frames
        mask[min(e + delay_frames, num_frames) : stop] = True
    return mask


@dataclass(frozen=True, kw_only=True)
class EventCoverage:
    """How the throttle treated reference events; adds up over streams with ``+``.

    Fields:
        events: reference events.
        covered: events with at least one frame sensed at full rate inside ``[start, end)``.
        decided: events with a head decision between their start and the next event's start.
        event_frames: frames inside the events.
        full_rate_frames: of those, frames sensed at full rate (what the encoder saw of the gestures).
        latency_frames: per covered event, frames from its start to its first full-rate frame.
    """

    events: int
    covered: int
    decided: int
    event_frames: int = 0
    full_rate_frames: int = 0
    latency_frames: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __add__(self, other: EventCoverage) -> EventCoverage:
        return EventCoverage(
            events=self.events + other.events,
            covered=self.covered + other.covered,
            decided=self.decided + other.decided,
            event_frames=self.event_frames + other.event_frames,
            full_rate_frames=self.full_rate_frames + other.full_rate_frames,
            latency_frames=np.concatenate((self.latency_frames, other.latency_frames)),
        )

    @property
    def covered_share(self) -> float:
        """Covered over all events [0..1]."""
        return self.covered / self.events if self.events else math.nan

    @property
    def decided_share(self) -> float:
        """Decided over all events [0..1]."""
        return self.decided / self.events if self.events else math.nan

    @property
    def full_rate_share(self) -> float:
        """Event frames sensed at full rate over all event frames [0..1]."""
        return self.full_rate_frames / self.event_frames if self.event_frames else math.nan


def event_coverage(trace: ThrottleTrace, events: npt.ArrayLike) -> EventCoverage:
    """Score a trace against reference events ``(events, 2)`` ``[start_frame, end_frame)``, sorted."""
    ev = np.asarray(events, dtype=np.int64).reshape(-1, 2)
    n = trace.full_rate.shape[0]
    covered = 0
    decided = 0
    frames = 0
    full = 0
    lat: list[int] = []
    for i, (s, e) in enumerate(ev.tolist()):
        hits = np.flatnonzero(trace.full_rate[s:e])
        frames += e - s
        full += hits.size
        if hits.size:
            covered += 1
            lat.append(int(hits[0]))
        stop = int(ev[i + 1, 0]) if i + 1 < len(ev) else n
        if trace.decisions[s:stop].any():
            decided += 1
    return EventCoverage(
        events=len(ev),
        covered=covered,
        decided=decided,
        event_frames=frames,
        full_rate_frames=full,
        latency_frames=np.asarray(lat, np.int64),
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class ThrottleStream:
    """One fixed-rate stream prepared for sweeps.

    Fields:
        power: ``(frames,)`` onset power per frame as IDLE frames give it (:func:`idle_power` for the
            ``idle_sweeps`` of the settings swept) [counts²].
        geometry: geometry of the stream.
        events: ``(events, 2)`` reference events (e.g. :func:`dsp.segment` of the always-on stream).
        decide: ``(frames,)`` bool decision mask, or None (:func:`oracle_decisions` of ``events``).
        name: label for reports.
    """

    power: npt.NDArray[np.float64]
    geometry: FrameGeometry
    events: npt.NDArray[np.int64]
    decide: npt.NDArray[np.bool_] | None = None
    name: str = ""


@dataclass(frozen=True, kw_only=True, eq=False)
class SweepPoint:
    """One throttle setting evaluated over several streams."""

    cfg: ThrottleConfig
    utilisation: Utilisation
    coverage: EventCoverage


def sweep_throttle(
    streams: Sequence[ThrottleStream], *, cfgs: Iterable[ThrottleConfig], onset_cfg: OnsetConfig
) -> list[SweepPoint]:
    """Evaluate each throttle setting on every stream and add the results up.

    ``cfg.full_rate_hz`` is replaced by each stream's frame rate, so one setting serves streams of
    slightly different measured rates. Returns one :class:`SweepPoint` per setting, in order.
    """
    out: list[SweepPoint] = []
    for cfg in cfgs:
        util: Utilisation | None = None
        cov: EventCoverage | None = None
        for st in streams:
            c = dataclasses.replace(cfg, full_rate_hz=st.geometry.frame_rate_hz)
            mask = st.decide if st.decide is not None else oracle_decisions(st.events, st.power.shape[0])
            tr = emulate_throttle(st.power, cfg=c, onset_cfg=onset_cfg, geometry=st.geometry, decide=mask)
            u, e = tr.utilisation, event_coverage(tr, st.events)
            util = u if util is None else util + u
            cov = e if cov is None else cov + e
        if util is None or cov is None:
            raise ParameterError("sweep_throttle needs at least one stream")
        out.append(SweepPoint(cfg=cfg, utilisation=util, coverage=cov))
    return out
