"""Datasets from labelled recordings: windows, splits, class balancing and augmentation (DESIGN §6).

**Windows.** A window is ``T`` consecutive frames, ``T = round(window_s × frame rate)`` (50 frames at the
57 Hz of ``gesture_close``). Its features are :func:`dsp.range_doppler` per frame, ``(T, doppler_bins,
points)`` float32; bad (NaN/inf or saturated) frames are zeros. Three kinds are cut from a recording:

- *event* windows, one per label of a requested gesture, placed by :func:`dsp.event_window_end`: the window
  ends ``end_pad_s`` after the event (an event longer than the window is seen by its end, as the decision
  layer sees a long merged event). Training adds a random shift of up to ``±max_shift_s``.
- *detector* windows, placed the same way on the events the onset segmenter (:func:`dsp.segment`)
  finds outside every label: the hand movements a continuous detector will hand the model, labelled
  ``none`` (hard negatives, e.g. repositioning or the ``dynamic_hand`` file).
- *background* windows, ``none``, every ``background_hop_s`` in the spans at least
  ``background_margin_s`` away from every label. Those at least half inside a labelled negative span
  (``/radargest/negatives``: hovering, earcup grabs, scratching, ...) count as hard negatives.

Labels of gestures that are not requested count as ``none`` (a per-gesture model must reject them).

**Splits** are by recording, never by window (:class:`SplitConfig`). The held-out *test* side is fixed
by the split rule; training never sees it. *Validation* (early stopping) comes from the training side
only: whole recordings when every class has enough of them (``val_mode="recording"``), else the last
``val_fraction`` of every training recording, separated from its training part by a guard of one
window, so no window of one overlaps the other (``val_mode="tail"``).

**Augmentation** (training only): amplitude scale and complex noise on the raw frames, a random time
shift and a speed warp (frames resampled in time by nearest neighbour). Features are recomputed from
the augmented frames, so the chain is exactly the deployed one; then, in feature space, a Doppler
scaling (the velocity axis stretched: faster or slower motion) and a range shift (the hand nearer or
further by a fraction of a point).

No TensorFlow here: importing this module is cheap.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from acconeer.exptool import a121

import dsp
from acquisition import Label, Session, config_mismatch, get_preset, load_session
from acquisition.labels import GESTURE_NAME_RE
from acquisition.recording import check_readable, is_unimported_gesture_control
from dsp import event_window_end

__all__ = [
    "ACCONEER_TEST_DAYS",
    "ACCONEER_TEST_FILES",
    "FRAGMENT_SHARE",
    "NONE",
    "ROBUST_AUGMENT",
    "ROBUST_WINDOW_S",
    "WINDOW_S_RANGE",
    "AugmentConfig",
    "DataError",
    "DatasetConfig",
    "Recording",
    "SplitConfig",
    "SplitResult",
    "WindowConfig",
    "WindowSet",
    "balanced_sample",
    "check_classes",
    "check_frame_rates",
    "check_run_paths",
    "check_split_names",
    "collect_files",
    "cut_windows",
    "detector_events",
    "event_window_end",
    "fragment_windows",
    "held_out_indices",
    "held_out_side",
    "load_recordings",
    "materialise",
    "parse_split",
    "recording_day",
    "recording_from_frames",
    "scored_indices",
    "split_recordings",
    "stretch_axis",
]

#: The background class, always class 0.
NONE = "none"
#: The held-out protocol of the Acconeer gesture-control data (its README): the 2022-07-27 day ...
ACCONEER_TEST_DAYS = ("2022-07-27",)
#: ... plus the still-hand file (recorded on the same day as ``dynamic_hand``, which is training data).
ACCONEER_TEST_FILES = ("label_static_hand_idx_1",)


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message names the file or value at fault."""


# -- configs --------------------------------------------------------------------------------------
#: Default :attr:`WindowConfig.fragment_share`: chosen on fresh training-side simulated subjects 500-507 against
#: no fragments (docs/results_decision.md, "Fragments"): early decisions +4.1 points of event accuracy at arg-max,
#: always-wait +0.7; every early loss left there is a double tap whose second tap came after the prefix wait.
FRAGMENT_SHARE = 0.2
#: A fragment of a longer gesture is its prefix gesture when its length is within these factors of the
#: prefix gesture's median labelled duration (one tap of a double tap; half a tap is still ``none``).
FRAGMENT_PREFIX_RANGE = (0.7, 1.5)


#: Classifier window lengths a model can be trained with [s]: the shortest holds a fast tap (0.2 s) with the window's
#: pads; the longest a slow wiggle (2 s at tempo x0.6, 3.3 s) with room to spare. Outside it a window of a few frames
#: trained, then its own run was refused (its frame rate read back from the clamped frame count), or no window fit
#: a recording at all.
WINDOW_S_RANGE = (0.3, 5.0)


@dataclass(frozen=True, kw_only=True)
class WindowConfig:
    """How windows are cut.

    Fields:
        window_s: window length, in :data:`WINDOW_S_RANGE`; ``T = round(window_s × frame_rate)``, 50 frames at the
            57.3 Hz of ``gesture_close`` [s]. :data:`ROBUST_WINDOW_S` (``train --window-s 1.4``, the experiment
            script's recipe) holds a whole double tap at every tempo.
        end_pad_s: an event window ends this long after the event's end [s].
        pre_s: unused since a window ends at the event's latest evidence (:func:`dsp.event_window_end`);
            kept so that saved configs and bundles load [s].
        max_shift_s: random shift of training event windows, uniform in ``±max_shift_s`` [s].
        background_margin_s: background windows keep this distance from every label [s].
        background_hop_s: stride between background windows [s].
        test_shifts_s: continuous evaluation averages the model's probabilities over the windows placed on
            a candidate event and shifted by each of these offsets (test-time averaging; ``(0.0,)`` is a
            single window). A positive shift ends the window later and adds to the latency. The default,
            three windows ending 0.2, 0.1 and 0 s before the nominal end, was chosen by the training-days
            validation of :mod:`models.select` (docs/results_models.md); it adds no latency [s].
        fragment_share: share of each class's draw per epoch taken from *fragment* windows
            (:func:`fragment_windows`: the windows the decision layer classifies at a checkpoint before a
            gesture's motion is over), where the class has any; 0 trains on whole gestures only [0..1).
        fragment_close_look: cut the fragments at the checkpoints of the decision layer with its close look
            (:attr:`dsp.DecisionConfig.close_look`, the runtime's default): each event's close window becomes
            its last checkpoint, so the checkpoint of a press-only run (a tap whose return stroke stayed below
            ``on_db``) is a fragment too, labelled as the evidence so far supports. False (the default): the
            checkpoints without the look, the recipe; a pre-registered check did not adopt the look here (mean
            recall at 5 false activations/h −0.025 over 3 seeds, one seed −0.035 at 1/h; it adds 7 ``none``
            fragments to the fine-tune's 105; docs/results_rejection.md, "Training fragments with the close
            look").
    """

    window_s: float = 0.875
    end_pad_s: float = 0.1
    pre_s: float = 0.05
    max_shift_s: float = 0.12
    background_margin_s: float = 0.25
    background_hop_s: float = 0.25
    test_shifts_s: tuple[float, ...] = (-0.2, -0.1, 0.0)
    fragment_share: float = FRAGMENT_SHARE
    fragment_close_look: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.fragment_share < 1:
            raise DataError(f"fragment_share must be in [0, 1), got {self.fragment_share}")
        if not isinstance(self.fragment_close_look, bool):
            raise DataError(f"fragment_close_look must be true or false, got {self.fragment_close_look!r}")
        if not self.test_shifts_s or not all(math.isfinite(v) for v in self.test_shifts_s):
            raise DataError(f"test_shifts_s must be one or more finite offsets, got {self.test_shifts_s}")
        lo, hi = WINDOW_S_RANGE
        if not lo <= self.window_s <= hi:
            raise DataError(f"window_s must be in [{lo:g}, {hi:g}] s, got {self.window_s}")
        for name in ("end_pad_s", "pre_s", "max_shift_s", "background_margin_s"):
            if getattr(self, name) < 0:
                raise DataError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.background_hop_s > 0:
            raise DataError(f"background_hop_s must be > 0, got {self.background_hop_s}")

    def frames(self, frame_rate_hz: float) -> int:
        """``T`` at ``frame_rate_hz`` [frames]."""
        return max(2, round(self.window_s * frame_rate_hz))

    def rate_hz(self, window_frames: int) -> float:
        """The frame rate a window of ``window_frames`` frames was sized for [Hz]: a run's training rate
        within half a frame (±1 % at 57 Hz), for :func:`check_frame_rates`."""
        return window_frames / self.window_s


@dataclass(frozen=True, kw_only=True)
class AugmentConfig:
    """Training-time augmentation; each is drawn independently per window.

    Fields:
        amplitude_db: the frames are scaled by a gain uniform in ``±amplitude_db`` [dB].
        noise_rel: complex Gaussian noise with a standard deviation uniform in ``[0, noise_rel]`` times
            the recording's median deviation of a sample from its frame mean [ratio].
        speed_warp: (min, max) time-stretch factor; > 1 plays the gesture faster [ratio].
            :data:`ROBUST_AUGMENT` (``train --augment robust``, the experiment script's recipe) widens the
            gain (±6 dB), noise (0.6), speed warp (0.7–1.4) and adds Doppler scaling (0.8–1.25) and a
            range shift (1 point), where the robustness map showed cliffs (issue 12).
        probability: share of training windows that are augmented at all [0..1].
        wake_probability: share of windows shown as a throttled device sees them after a wake-up [0..1]
            (:func:`throttled_view`): every frame of the window before the first frame the device encodes
            after the wake repeats that frame (what ``deploy.runtime`` fills its ring buffer with at a
            wake-up). A window placed on an event (a gesture, or a detector event labelled ``none``) wakes at
            a frame drawn uniformly in ``[start, start + wake_max_delay_s]`` of the event; a background
            window (hovering, grabbing the earcup, a still hand: the hard negatives of that view) at a frame
            drawn ``wake_after_s`` before its end, as the device decides 8-47 frames after a wake
            (docs/results_final.md, throttle losses). Drawn independently of ``probability``; 0 trains for
            always-on use only. The default 0.5 was chosen on simulated held-out subjects (dense and sparse
            streams): it raised throttled event accuracy by 2-5 points and did not lower always-on accuracy.
        wake_max_delay_s: longest delay of the wake after the event start [s] (about two idle periods).
        wake_idle_period_s: without ``wake_exact``, the idle period before the wake the fill is drawn from [s].
        wake_after_s: (min, max) time from the wake to a background window's end [s].
        wake_exact: the exact view and the background windows (above), as ``deploy.runtime`` fills its ring
            since commit 453d7d2; False keeps the earlier view (one idle frame from before the wake, event and
            detector windows only), which no runtime shows any more. It was off in the plain default only while
            a 1-LSB AOT/LiteRT head difference stood, which was the AOT compiler's MEAN rounding
            (:func:`deploy.aot.mean_multiplier`, fixed).
        wake_history: what the window holds before the wake (with ``wake_exact``): ``fill``, the first frame
            encoded after it repeated (a device that senses nothing it can encode while idle); ``idle``, the
            IDLE frames the device sensed before the wake, each as :func:`dsp.idle_range_doppler` maps it and
            held until the next one (every ``wake_idle_decimation``-th frame, the last one the frame before
            the wake), as ``deploy.runtime`` fills its ring with ``ThrottleConfig.idle_history``. Why: on the
            training side the throttled device's false activations on everyday motion are 2-3 times the
            always-on ones, and a device whose ring held the true history would make as few as always-on
            (docs/results_power.md, fifth pass); the IDLE frames are the history a device has. ``fill`` in the
            plain default; ``idle`` in :data:`ROBUST_AUGMENT`, the recipe's (``train --augment robust``, or
            ``--wake-history``), chosen by the rule written before its last two measurements (fifth pass):
            throttled false activations not above the fill's and throttled correct decisions not below, pooled
            over 3 seeds of the simulated recipe (163 against 244, 262 against 257 on 3 h of training-side
            everyday streams), and the real training days within 1 point (seed 0 fine-tune: 371 against 367
            throttled, 380 against 370 always-on, of 387). The Python runtime and the firmware run it, the
            export's ``example_main.cc`` does not.
        wake_idle_sweeps, wake_idle_point_step, wake_idle_point_offset, wake_idle_decimation: the IDLE frame of
            ``idle`` history: ``deploy.throttle.ThrottleConfig``'s ``idle_sweeps``, ``idle_point_step``,
            ``idle_point_offset`` and ``idle_decimation`` (its defaults; the export refuses a bundle whose throttle
            differs) [count], [count], [count], [frames].
        doppler_scale: (min, max) factor by which the Doppler (velocity) axis of the features is stretched
            about zero velocity, linear interpolation between bins; > 1 shows the motion faster [ratio].
        range_shift_points: the features are shifted along the distance axis by up to this many points
            either way (linear interpolation, edge points repeated): the hand a little nearer or further
            [points].
    """

    amplitude_db: float = 4.0
    noise_rel: float = 0.3
    speed_warp: tuple[float, float] = (0.8, 1.25)
    probability: float = 0.8
    wake_probability: float = 0.5
    wake_max_delay_s: float = 0.2
    wake_idle_period_s: float = 0.105
    wake_after_s: tuple[float, float] = (0.1, 0.9)
    wake_exact: bool = True
    wake_history: Literal["fill", "idle"] = "fill"
    wake_idle_sweeps: int = 5
    wake_idle_point_step: int = 2
    wake_idle_point_offset: int = 0
    wake_idle_decimation: int = 3
    doppler_scale: tuple[float, float] = (1.0, 1.0)
    range_shift_points: float = 0.0

    def __post_init__(self) -> None:
        if self.amplitude_db < 0 or self.noise_rel < 0 or self.range_shift_points < 0:
            raise DataError("amplitude_db, noise_rel and range_shift_points must be >= 0")
        for name in ("speed_warp", "doppler_scale"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise DataError(f"{name} must be 0 < min <= max, got {getattr(self, name)}")
        for name in ("probability", "wake_probability"):
            if not 0 <= getattr(self, name) <= 1:
                raise DataError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not (self.wake_max_delay_s >= 0 and self.wake_idle_period_s > 0):
            raise DataError("wake_max_delay_s must be >= 0 and wake_idle_period_s > 0")
        if not 0 <= self.wake_after_s[0] <= self.wake_after_s[1]:
            raise DataError(f"wake_after_s must be 0 <= min <= max, got {self.wake_after_s}")
        if self.wake_history not in ("fill", "idle"):
            raise DataError(f"wake_history must be 'fill' or 'idle', got {self.wake_history!r}")
        if self.wake_history == "idle" and not self.wake_exact:
            raise DataError("wake_history 'idle' needs wake_exact (the view of deploy.runtime)")
        if not (self.wake_idle_sweeps >= 2 and self.wake_idle_point_step >= 1 and self.wake_idle_decimation >= 1):
            raise DataError("wake_idle_sweeps must be >= 2, wake_idle_point_step and wake_idle_decimation >= 1")
        if not 0 <= self.wake_idle_point_offset < self.wake_idle_point_step:
            last = self.wake_idle_point_step - 1
            raise DataError(f"wake_idle_point_offset must be in 0..{last}, got {self.wake_idle_point_offset}")


#: The window of the robust recipe (issue 12) [s]: what decides a double tap is the pause between its taps,
#: so the window must hold a whole double tap at every tempo. Real ones last 46 frames (median; 56 at the
#: 95th percentile of the training days' events), so a person 0.6 times as fast needs about 80 frames; the
#: robustness map showed slow double taps taken for taps with 0.875 s (50 frames).
ROBUST_WINDOW_S = 1.4
#: The augmentation of the robust recipe (issue 12), chosen with the robustness map and the training-day
#: folds of :mod:`models.select` (docs/results_robustness.md); with the IDLE frames' history before a wake
#: (issue 11, :attr:`AugmentConfig.wake_history`; docs/results_power.md, fifth pass).
ROBUST_AUGMENT = AugmentConfig(
    amplitude_db=6.0,
    noise_rel=0.6,
    speed_warp=(0.7, 1.4),
    doppler_scale=(0.8, 1.25),
    range_shift_points=1.0,
    wake_exact=True,
    wake_history="idle",
)


@dataclass(frozen=True, kw_only=True)
class DatasetConfig:
    """Everything that turns recordings into model inputs (stored with a trained model).

    Fields:
        gestures: the gesture classes; class 0 is ``none`` and class ``i + 1`` is ``gestures[i]``.
        preset: sensor preset every recording must match in its feature fields.
        window: how windows are cut.
        features: the range-Doppler feature; must be per frame (``clutter=None``).
        onset: onset metric of the detector (hard negatives here, continuous evaluation later).
        segment: event segmentation of the detector.
        windows_per_class: gesture windows drawn per class and epoch, at least the largest class [count].
        background_per_class: ``none`` windows drawn per epoch relative to a gesture class [ratio].
    """

    gestures: tuple[str, ...]
    preset: str = "gesture_close"
    window: WindowConfig = field(default_factory=WindowConfig)
    features: dsp.RangeDopplerConfig = field(default_factory=dsp.RangeDopplerConfig)
    onset: dsp.OnsetConfig = field(default_factory=dsp.OnsetConfig)
    segment: dsp.SegmentConfig = field(default_factory=dsp.SegmentConfig)
    windows_per_class: int = 256
    background_per_class: float = 1.5

    def __post_init__(self) -> None:
        check_gesture_names(self.gestures)
        if self.features.clutter is not None:
            raise DataError("model features must be per frame: RangeDopplerConfig.clutter must be None")
        get_preset(self.preset)  # raises PresetError naming the known presets
        if not (math.isfinite(self.background_per_class) and self.background_per_class > 0):
            raise DataError(f"background_per_class must be a finite number > 0, got {self.background_per_class}")

    @property
    def classes(self) -> tuple[str, ...]:
        """``("none", *gestures)``."""
        return (NONE, *self.gestures)


def check_gesture_names(gestures: Sequence[str]) -> None:
    """Raise :class:`DataError` for an empty list, a duplicate, ``none`` or a name that is no identifier."""
    if not gestures:
        raise DataError("give at least one gesture")
    bad = [g for g in gestures if not GESTURE_NAME_RE.match(g)]
    if bad:
        raise DataError(f"unknown gesture name(s) {', '.join(map(repr, bad))}: names match {GESTURE_NAME_RE.pattern}")
    if NONE in gestures:
        raise DataError(f"{NONE!r} is the background class and cannot be a gesture")
    dup = sorted({g for g in gestures if list(gestures).count(g) > 1})
    if dup:
        raise DataError(f"duplicate gesture(s): {', '.join(dup)}")


# -- recordings -----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, eq=False)
class Recording:
    """A recording loaded for training or evaluation.

    Attributes:
        path: the file.
        subject: ``/radargest`` subject (``""`` when absent).
        day: recording day ``YYYY-MM-DD`` from the record's timestamp.
        frames: ``(F, sweeps, points)`` complex64; bad frames are NaN.
        features: ``(F, doppler_bins, points)`` float32 range-Doppler maps; bad frames are 0.
        labels: the events, all gestures.
        negatives: cause-labelled non-gesture spans ``(start_frame, end_frame, cause)`` from
            ``/radargest/negatives`` (``end_frame`` exclusive), sorted; empty when the file has none. Their
            frames are background (``none``); the cause traces a false activation to what the hand did.
        detected: ``(E, 2)`` int64 onset-segmenter events ``[start, end)``.
        detected_emit: ``(E,)`` int64 frame after which the streaming segmenter emits each event.
        ratio_db: ``(F,)`` onset ratio of the detector [dB] (what :mod:`dsp.decision` is fed).
        point_power: ``(F, points)`` float32 onset power per range point [counts²]
            (:func:`dsp.onset_point_power`, the gate's range condition); empty when not computed.
        point_ranges_m: ``(points,)`` range of each point [m]; empty when not known.
        frame_rate_hz: measured frame rate [Hz].
        noise_scale: median |sample − frame mean| over the recording [counts], for the noise augmentation.
    """

    path: Path
    subject: str
    day: str
    frames: npt.NDArray[np.complex64]
    features: npt.NDArray[np.float32]
    labels: tuple[Label, ...]
    detected: npt.NDArray[np.int64]
    detected_emit: npt.NDArray[np.int64]
    frame_rate_hz: float
    ratio_db: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    noise_scale: float
    negatives: tuple[tuple[int, int, str], ...] = ()
    point_power: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    point_ranges_m: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def name(self) -> str:
        """File name without ``.h5``."""
        return self.path.stem

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def gestures(self) -> set[str]:
        return {label.gesture for label in self.labels}


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The ``*.h5`` files of ``paths`` (folders searched recursively), sorted and de-duplicated.

    Raises:
        DataError: a path does not exist, or no recording is found.
    """
    out: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            out.update(q.resolve() for q in p.rglob("*.h5") if q.is_file())
        elif p.is_file():
            out.add(p.resolve())
        else:
            raise DataError(f"{p}: no such file or folder")
    if not out:
        raise DataError(f"no .h5 recordings found in {', '.join(map(str, paths))}")
    return sorted(out)


def recording_day(path: Path) -> str:
    """The day ``YYYY-MM-DD`` the record was made, from its timestamp (public exptool API)."""
    record = a121.open_record(path)
    try:
        stamp = str(record.timestamp)
    finally:
        close = getattr(record, "close", None)
        if close is not None:
            close()
    return stamp[:10]


def _geometry(session: Session) -> dsp.FrameGeometry:
    rate = session.stream_rate_hz
    return dsp.FrameGeometry.from_sensor_config(session.sensor_config, session.metadata, frame_rate_hz=rate)


def detector_events(
    frames: npt.NDArray[Any],
    *,
    cfg: DatasetConfig,
    geometry: dsp.FrameGeometry,
    ratio_db: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Onset-segmenter events of a stream and the frame after which the streaming segmenter emits each.

    Args:
        ratio_db: the stream's onset ratio if already computed (else computed from ``frames``).

    Returns:
        ``(E, 2)`` int64 ``[start, end)`` and ``(E,)`` int64 emit frames (the decision can be made once
        that frame has arrived).
    """
    ratio = dsp.onset_metric(frames, cfg=cfg.onset, geometry=geometry).ratio_db if ratio_db is None else ratio_db
    seg = dsp.Segmenter(cfg=cfg.segment, frame_rate_hz=geometry.frame_rate_hz)
    events: list[tuple[int, int]] = []
    emits: list[int] = []
    for n, r in enumerate(ratio.tolist()):
        for s, e in seg.process(r).tolist():
            events.append((s, e))
            emits.append(n)
    for s, e in seg.flush().tolist():
        events.append((s, e))
        emits.append(len(ratio) - 1)
    return np.asarray(events, dtype=np.int64).reshape(-1, 2), np.asarray(emits, dtype=np.int64)


def load_recording(path: Path, *, cfg: DatasetConfig) -> Recording:
    """Load one recording, check its config against ``cfg.preset`` and compute its features.

    Raises:
        acquisition.RecordingError: unreadable file.
        DataError: the sensor config differs from the preset in a feature field.
    """
    session = load_session(path)
    diff = config_mismatch(session.sensor_config, get_preset(cfg.preset).sensor_config)
    if diff:
        raise DataError(f"{path}: sensor config does not match preset {cfg.preset!r} ({', '.join(diff)})")
    return recording_from_frames(
        session.frames,
        cfg=cfg,
        geometry=_geometry(session),
        saturated=session.data_saturated,
        path=Path(path),
        subject=session.meta.subject if session.meta else "",
        day=recording_day(path),
        labels=tuple(session.labels),
        negatives=tuple(n.as_tuple() for n in session.negatives),
    )


def recording_from_frames(
    frames: npt.NDArray[Any],
    *,
    cfg: DatasetConfig,
    geometry: dsp.FrameGeometry,
    saturated: npt.NDArray[np.bool_] | None,
    path: Path,
    subject: str = "",
    day: str = "",
    labels: tuple[Label, ...] = (),
    negatives: tuple[tuple[int, int, str], ...] = (),
) -> Recording:
    """A :class:`Recording` of ``(F, sweeps, points)`` complex frames held in memory (features, detector
    events and noise scale computed as for a file; ``path`` only names it)."""
    bad = dsp.bad_frames(frames, saturated=saturated)
    frames = dsp.mask_bad_frames(frames, bad) if bad.any() else frames
    with np.errstate(invalid="ignore"):
        feats = dsp.range_doppler(frames, cfg=cfg.features)
    feats = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)
    ratio = dsp.onset_metric(frames, cfg=cfg.onset, geometry=geometry).ratio_db
    point_power = dsp.onset_point_power(frames, cfg=cfg.onset, geometry=geometry).astype(np.float32)
    detected, emit = detector_events(frames, cfg=cfg, geometry=geometry, ratio_db=ratio)
    good = frames[~bad]
    dev = np.abs(good - good.mean(axis=1, keepdims=True)) if good.size else np.ones(1)
    return Recording(
        path=Path(path),
        subject=subject,
        day=day,
        frames=frames.astype(np.complex64),
        features=feats,
        labels=labels,
        detected=detected,
        detected_emit=emit,
        frame_rate_hz=geometry.frame_rate_hz,
        ratio_db=ratio,
        noise_scale=float(np.median(dev)) or 1.0,
        negatives=negatives,
        point_power=point_power,
        point_ranges_m=geometry.distances_m,
    )


def check_frame_rates(recs: Sequence[Recording], expected_hz: float | None = None, *, expected: str = "") -> None:
    """Refuse recordings whose frame rate is more than :data:`dsp.FRAME_RATE_TOLERANCE` from ``expected_hz``
    (``expected`` names its owner, e.g. ``"the run's"``), or without it from the recordings' median (training
    on a mix): a model's window is a fixed number of frames, so another rate stretches every gesture.

    Raises:
        DataError: naming the file farthest off, its rate and the expected one.
    """
    if not recs:
        return
    rates = np.array([r.frame_rate_hz for r in recs], dtype=np.float64)
    ref = float(np.median(rates)) if expected_hz is None else float(expected_hz)
    worst = int(np.argmax(np.abs(rates - ref)))
    words = expected or "the recordings' median"
    mismatch = dsp.frame_rate_mismatch(float(rates[worst]), ref, expected=words)
    if mismatch:
        raise DataError(f"{recs[worst].path}: {mismatch}")


def check_run_paths(paths: Iterable[str | Path], *, run: str | Path, what: str = "training data") -> None:
    """Refuse a path a finished run recorded (its ``config.toml``) that is gone, in a line that says whose it is
    (a bare "no such file or folder" does not say it came from the run, not from the command line).

    Raises:
        DataError: the first missing path.
    """
    for p in paths:
        if not Path(p).exists():
            raise DataError(
                f"{p}: the {what} of the run {run} (its config.toml) is not there; moved or deleted since the run "
                "was trained?"
            )


def load_recordings(
    paths: Iterable[Path],
    *,
    cfg: DatasetConfig,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> list[Recording]:
    """Load every recording under ``paths`` (see :func:`collect_files`), in file order.

    Raises:
        DataError: a missing path, no recordings, a config mismatch or an Acconeer gesture-control file not
            imported (checked for every file before any features are computed, so the error comes first).
        acquisition.RecordingError: a file that is missing, not HDF5 or not an A121 record, or unreadable.
    """
    files = collect_files(paths)
    reference = get_preset(cfg.preset).sensor_config
    for path in files:  # cheap header check of all files before the expensive part
        check_readable(path)  # one line naming the file, not exptool's traceback, for a file that is no record
        if is_unimported_gesture_control(path):  # it would train and score as gesture-free background
            raise DataError(
                f"{path}: an Acconeer gesture-control recording that was not imported; its labels are in its file "
                "name, which only the importer reads. Run `radargest import acconeer-gesture-control FOLDER --out "
                "data/real` and use the files it writes"
            )
        record = a121.open_record(path)
        try:
            sensor_config = record.session_config.sensor_config
        finally:
            close = getattr(record, "close", None)
            if close is not None:
                close()
        diff = config_mismatch(sensor_config, reference)
        if diff:
            raise DataError(f"{path}: sensor config does not match preset {cfg.preset!r} ({', '.join(diff)})")
    it = progress(files) if progress else files
    return [load_recording(p, cfg=cfg) for p in it]


# -- splits ---------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """Which recordings are held out for testing, and how validation is taken from the rest.

    Fields:
        kind: ``day`` (group by recording day), ``subject`` (by ``/radargest`` subject), ``files`` (file
            name patterns) or ``none`` (nothing held out; e.g. fine-tuning on all of a user's files).
        test: the held-out days, subjects or ``fnmatch`` patterns of file names (without ``.h5``). For
            ``day`` without values: :data:`ACCONEER_TEST_DAYS`; for ``subject`` without values: the last
            quarter of the sorted subjects (at least one).
        test_files: file name patterns held out in addition (for ``day``: :data:`ACCONEER_TEST_FILES`).
        val_mode: ``recording``, ``tail`` or ``auto`` (``recording`` when every class has at least
            ``min_val_recordings + 1`` training recordings, else ``tail``).
        val_fraction: share of training recordings (``recording``) or of each recording's frames (``tail``).
        min_val_recordings: see ``val_mode`` [count].
    """

    kind: Literal["day", "subject", "files", "none"] = "day"
    test: tuple[str, ...] = ()
    test_files: tuple[str, ...] = ()
    val_mode: Literal["recording", "tail", "auto"] = "auto"
    val_fraction: float = 0.2
    min_val_recordings: int = 2

    def __post_init__(self) -> None:
        if self.kind not in ("day", "subject", "files", "none"):
            raise DataError(f"split kind must be day, subject, files or none, got {self.kind!r}")
        if self.kind == "files" and not self.test:
            raise DataError("split files: give the held-out file patterns, e.g. files:label_*_idx_3")
        if self.val_mode not in ("recording", "tail", "auto"):
            raise DataError(f"val_mode must be recording, tail or auto, got {self.val_mode!r}")
        if not 0 < self.val_fraction < 1:
            raise DataError(f"val_fraction must be in (0, 1), got {self.val_fraction}")

    @property
    def spec(self) -> str:
        """The command-line form, e.g. ``day:2022-07-27``."""
        return self.kind + (":" + ",".join(self.test) if self.test else "")


def parse_split(text: str) -> SplitConfig:
    """Parse ``day[:DAY,...]``, ``subject[:ID,...]``, ``files:PATTERN,...`` or ``none``.

    ``day`` alone is the Acconeer protocol: the ``2022-07-27`` day and ``label_static_hand_idx_1`` held out.
    """
    kind, _, rest = text.partition(":")
    values = tuple(v.strip() for v in rest.split(",") if v.strip())
    if kind not in ("day", "subject", "files", "none"):
        raise DataError(f"unknown split {text!r}; use day[:DAYS], subject[:IDS], files:PATTERNS or none")
    if kind == "day":
        if any(not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values):
            raise DataError(f"split {text!r}: days are written YYYY-MM-DD")
        return SplitConfig(kind="day", test=values, test_files=() if values else ACCONEER_TEST_FILES)
    return SplitConfig(kind=kind, test=values)  # type: ignore[arg-type]  # checked above


@dataclass(frozen=True, kw_only=True)
class SplitResult:
    """Recordings by role, and for ``tail`` validation the frame ranges each role may use.

    Attributes:
        train, val, test: recording indices.
        ranges: ``{recording index: {"train"|"val": (start, end)}}`` frame ranges; a recording absent
            here may be used whole by its role.
        val_mode: the validation mode used (``recording`` or ``tail``).
        test_groups: the held-out days, subjects or patterns actually applied.
    """

    train: tuple[int, ...]
    val: tuple[int, ...]
    test: tuple[int, ...]
    ranges: dict[int, dict[str, tuple[int, int]]]
    val_mode: str
    test_groups: tuple[str, ...]

    def frame_range(self, index: int, role: str, num_frames: int) -> tuple[int, int]:
        """The frames ``[start, end)`` of recording ``index`` available to ``role``."""
        return self.ranges.get(index, {}).get(role, (0, num_frames))


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(name + ".h5", p) for p in patterns)


def held_out_indices(recs: Sequence[Recording], split: SplitConfig) -> tuple[list[int], tuple[str, ...]]:
    """The held-out recordings under ``split`` and the days, subjects or patterns that chose them."""
    if split.kind == "none":
        return [], ()
    if split.kind == "day":
        groups = split.test or ACCONEER_TEST_DAYS
        extra = split.test_files if split.test else (split.test_files or ACCONEER_TEST_FILES)
        idx = [i for i, r in enumerate(recs) if r.day in groups or _matches(r.name, extra)]
        return idx, tuple(groups) + tuple(extra)
    if split.kind == "subject":
        subjects = sorted({r.subject for r in recs})
        groups = split.test or tuple(subjects[-max(1, len(subjects) // 4) :])
        idx = [i for i, r in enumerate(recs) if r.subject in groups or _matches(r.name, split.test_files)]
        return idx, tuple(groups)
    idx = [i for i, r in enumerate(recs) if _matches(r.name, split.test + split.test_files)]
    return idx, split.test


def held_out_side(others: Sequence[Recording], recs: Sequence[Recording], split: SplitConfig) -> list[int]:
    """The indices of ``others`` (e.g. calibration streams) on the held-out side that ``split`` draws in ``recs``:
    one of its held-out files, or of a held-out day, subject (the default subject split's subjects as drawn in
    ``recs``) or file pattern."""
    if split.kind == "none":
        return []
    test, groups = held_out_indices(recs, split)
    if split.kind == "subject" and not split.test:
        split = replace(split, test=groups)
    files = {recs[i].path.resolve() for i in test}
    same_file = {j for j, r in enumerate(others) if r.path.resolve() in files}
    return sorted(same_file | set(held_out_indices(others, split)[0]))


def scored_indices(recs: Sequence[Recording], split: SplitConfig) -> list[int]:
    """The recordings a run is scored on under ``split``: the held-out ones, or every one for ``none``.

    Raises:
        DataError: a split other than ``none`` holds out none of ``recs`` (the advice: ``--split``).
    """
    test = list(range(len(recs))) if split.kind == "none" else held_out_indices(recs, split)[0]
    if not test:
        raise DataError(f"split {split.spec!r} holds out none of the {len(recs)} recording(s) given; use --split")
    return test


def check_split_names(recs: Sequence[Recording], split: SplitConfig) -> None:
    """Refuse a split that names a day, subject or file pattern no recording has: a typo would hold out
    nothing and train on the recordings meant to be held out.

    Raises:
        DataError: naming what matched nothing and what the recordings have.
    """
    if split.kind == "none" or not split.test:
        return
    if split.kind == "files":
        missing = [p for p in split.test if not any(_matches(r.name, (p,)) for r in recs)]
        have = sorted(r.name for r in recs)
    else:
        have = sorted({r.day if split.kind == "day" else r.subject for r in recs})
        missing = [g for g in split.test if g not in have]
    if missing:
        shown = ", ".join(have[:8]) + (f" and {len(have) - 8} more" if len(have) > 8 else "")
        raise DataError(f"split {split.spec!r}: no recording matches {', '.join(missing)} (the data has {shown})")


def split_recordings(
    recs: Sequence[Recording], split: SplitConfig, *, gestures: Sequence[str], window_frames: int, seed: int
) -> SplitResult:
    """Assign every recording to train, val or test (never a window to two roles).

    Raises:
        DataError: nothing is left for training.
    """
    test, groups = held_out_indices(recs, split)
    rest = [i for i in range(len(recs)) if i not in set(test)]
    if not rest:
        raise DataError(f"split {split.spec!r} leaves no recording for training ({len(recs)} given)")
    by_class = {g: [i for i in rest if g in recs[i].gestures] for g in gestures}
    mode = split.val_mode
    if mode == "auto":
        enough = all(len(v) >= split.min_val_recordings + 1 for v in by_class.values())
        mode = "recording" if enough else "tail"
    rng = np.random.default_rng([seed, 0x5A11])
    if mode == "recording":
        # whole recordings: a seeded pick per gesture class, so each class is validated
        val: set[int] = set()
        for g in gestures:
            cands = [i for i in by_class[g] if i not in val]
            want = max(1, round(split.val_fraction * len(by_class[g]))) - len(set(by_class[g]) & val)
            if want > 0 and len(cands) > want:
                val.update(rng.choice(cands, size=want, replace=False).tolist())
        plain = [i for i in rest if not recs[i].gestures & set(gestures) and i not in val]
        if len(plain) >= 2:
            val.update(rng.choice(plain, size=max(1, round(split.val_fraction * len(plain))), replace=False).tolist())
        train = [i for i in rest if i not in val]
        return SplitResult(
            train=tuple(train), val=tuple(sorted(val)), test=tuple(test), ranges={}, val_mode=mode, test_groups=groups
        )
    ranges: dict[int, dict[str, tuple[int, int]]] = {}
    for i in rest:
        n = recs[i].num_frames
        cut = int(n * (1 - split.val_fraction))
        ranges[i] = {"train": (0, max(0, cut - window_frames)), "val": (cut, n)}
    return SplitResult(
        train=tuple(rest), val=tuple(rest), test=tuple(test), ranges=ranges, val_mode=mode, test_groups=groups
    )


# -- windows --------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class WindowSet:
    """Windows as references into recordings (nothing copied).

    Attributes:
        recording: ``(N,)`` index into the recordings list.
        end: ``(N,)`` exclusive end frame of each window (before augmentation).
        label: ``(N,)`` class index (0 = ``none``).
        kind: ``(N,)`` 0 = event, 1 = detector hard negative, 2 = background, 3 = background inside a
            labelled negative span (``Recording.negatives``: hovering, scratching, ...; a hard negative),
            4 = fragment (:func:`fragment_windows`).
        start: ``(N,)`` first frame of the event the window is placed on; -1 for background windows (and
            when unknown).
    """

    recording: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    label: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64] | None = None

    def starts(self) -> npt.NDArray[np.int64]:
        """``start``, or all -1 when the windows carry no event starts."""
        return self.start if self.start is not None else np.full(self.end.size, -1, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.end.size)

    def subset(self, mask: npt.NDArray[Any]) -> WindowSet:
        return WindowSet(
            recording=self.recording[mask],
            end=self.end[mask],
            label=self.label[mask],
            kind=self.kind[mask],
            start=self.starts()[mask],
        )

    def counts(self, num_classes: int) -> npt.NDArray[np.int64]:
        """Windows per class, ``(num_classes,)``."""
        return np.bincount(self.label, minlength=num_classes).astype(np.int64)

    @staticmethod
    def concat(sets: Sequence[WindowSet]) -> WindowSet:
        if not sets:
            z = np.zeros(0, dtype=np.int64)
            return WindowSet(recording=z, end=z, label=z, kind=z)
        return WindowSet(
            recording=np.concatenate([s.recording for s in sets]),
            end=np.concatenate([s.end for s in sets]),
            label=np.concatenate([s.label for s in sets]),
            kind=np.concatenate([s.kind for s in sets]),
            start=np.concatenate([s.starts() for s in sets]),
        )


def _windows_within(
    recording: int,
    ends: Sequence[int],
    labels: Sequence[int],
    kinds: Sequence[int],
    starts: Sequence[int],
    *,
    t: int,
    lo: int,
    hi: int,
    num_frames: int,
) -> WindowSet:
    """The windows of one recording (parallel lists, window length ``t``) that lie inside ``[lo, hi)``
    and inside the recording's ``num_frames``."""
    e_arr = np.asarray(ends, dtype=np.int64)
    keep = (e_arr - t >= lo) & (e_arr <= hi) & (e_arr - t >= 0) & (e_arr <= num_frames)
    return WindowSet(
        recording=np.full(int(keep.sum()), recording, dtype=np.int64),
        end=e_arr[keep],
        label=np.asarray(labels, dtype=np.int64)[keep],
        kind=np.asarray(kinds, dtype=np.int64)[keep],
        start=np.asarray(starts, dtype=np.int64)[keep],
    )


def cut_windows(
    recs: Sequence[Recording],
    indices: Iterable[int],
    *,
    cfg: DatasetConfig,
    window_frames: int,
    split: SplitResult | None = None,
    role: str = "train",
) -> WindowSet:
    """Event, detector and background windows of the recordings ``indices`` (see the module docstring).

    With ``split``, only windows lying wholly inside the frame range of ``role`` are kept.
    """
    classes = {g: i for i, g in enumerate(cfg.classes)}
    parts: list[WindowSet] = []
    t = window_frames
    for i in indices:
        rec = recs[i]
        rate = rec.frame_rate_hz
        pad, pre = round(cfg.window.end_pad_s * rate), round(cfg.window.pre_s * rate)
        lo, hi = split.frame_range(i, role, rec.num_frames) if split else (0, rec.num_frames)
        ends, labels, kinds, starts = [], [], [], []

        def place(s: int, e: int, pad: int = pad, pre: int = pre) -> int:
            return event_window_end(s, e, window_frames=t, end_pad=pad, pre=pre)

        for label in rec.labels:
            ends.append(place(label.start_frame, label.end_frame))
            labels.append(classes.get(label.gesture, 0))
            kinds.append(0)
            starts.append(label.start_frame)
        spans = np.array([(la.start_frame, la.end_frame) for la in rec.labels], dtype=np.int64).reshape(-1, 2)
        for s, e in rec.detected.tolist():
            if not np.any((spans[:, 0] < e) & (spans[:, 1] > s)):
                ends.append(place(s, e))
                labels.append(0)
                kinds.append(1)
                starts.append(s)
        margin = round(cfg.window.background_margin_s * rate)
        busy = np.zeros(rec.num_frames + 1, dtype=np.int64)
        for s, e in spans.tolist():
            busy[max(0, s - margin)] += 1
            busy[min(rec.num_frames, e + margin)] -= 1
        free = np.cumsum(busy)[: rec.num_frames] == 0
        bad_prefix = np.concatenate(([0], np.cumsum(~free)))
        hop = max(1, round(cfg.window.background_hop_s * rate))
        negative = np.zeros(rec.num_frames + 1, dtype=np.int64)
        for s, e, _cause in getattr(rec, "negatives", ()) or ():
            negative[max(0, int(s))] += 1
            negative[min(rec.num_frames, int(e))] -= 1
        neg_prefix = np.concatenate(([0], np.cumsum(np.cumsum(negative)[: rec.num_frames] > 0)))
        for end in range(t, rec.num_frames + 1, hop):
            if bad_prefix[end] - bad_prefix[end - t] == 0:
                ends.append(end)
                labels.append(0)
                # a window at least half inside a labelled negative is a hard negative
                kinds.append(3 if 2 * (neg_prefix[end] - neg_prefix[end - t]) >= t else 2)
                starts.append(-1)
        parts.append(_windows_within(i, ends, labels, kinds, starts, t=t, lo=lo, hi=hi, num_frames=rec.num_frames))
    return WindowSet.concat(parts)


def fragment_windows(
    recs: Sequence[Recording],
    indices: Iterable[int],
    *,
    cfg: DatasetConfig,
    window_frames: int,
    prefixes: Sequence[tuple[str, str]] = (),
    split: SplitResult | None = None,
    role: str = "train",
) -> WindowSet:
    """Fragment windows (kind 4): what the decision layer classifies before a gesture's motion is over.

    The checkpoints come from :func:`dsp.decision.checkpoints` on the recording's onset ratio with the
    default :class:`dsp.DecisionConfig`, its close look as ``cfg.window.fragment_close_look`` says (the
    runtime's windows, placed by :func:`dsp.decision_window_end`).
    A checkpoint is a *fragment* of the label ``L`` when its event overlaps ``L`` and no other label, and
    ``L``'s motion goes on at least ``settle_s`` after the checkpoint's run ended, and its window ends at
    least ``settle_s`` before the event's final window (the first stroke of a
    tap that holds still at its turning point, the first tap of a double tap, the first half of a wiggle
    with a dip, a hand entering before it gestures). Its label is what the evidence so far supports:

    - ``L`` is a longer gesture of :func:`dsp.prefix_table` (``double_tap_in``) and the fragment, from
      ``L``'s start to the run's end, lasts :data:`FRAGMENT_PREFIX_RANGE` times the median labelled
      duration of a prefix gesture (``tap_in``; the subject's own labels, else all of ``indices``): that
      prefix gesture (the nearest in duration when several qualify);
    - else ``none``: not yet, the decision layer waits for the next checkpoint.

    The final checkpoint of a gesture is not repeated here: the event windows of :func:`cut_windows` are
    its window. With ``split``, only windows wholly inside the frame range of ``role`` are kept.
    """
    classes = {g: i for i, g in enumerate(cfg.classes)}
    table = dsp.prefix_table(cfg.classes, prefixes)
    shorter: dict[str, list[str]] = {}
    for p, longs in table.items():
        for g in longs:
            shorter.setdefault(g, []).append(p)
    indices = list(indices)
    durations: dict[tuple[str, str], list[int]] = {}
    for i in indices:
        for la in recs[i].labels:
            if la.gesture in table:
                for key in ((recs[i].subject, la.gesture), ("", la.gesture)):
                    durations.setdefault(key, []).append(la.num_frames)
    # With the look (WindowConfig.fragment_close_look) each event's close window is its last row, so the checkpoint
    # of a press-only run is no longer the final window and becomes a fragment, as the look's runtime sees it. Off by
    # default: a pre-registered check (recall at 0.5/1/5 FA/h on fresh everyday streams, fold B, the map) did not
    # adopt it (docs/results_rejection.md, "Training fragments with the close look"). The weak pass's checkpoints are
    # not cut: RULE75 adopted it for decisions with models trained without them (same document, "The weak pass").
    decision = dsp.DecisionConfig(prefixes=tuple(prefixes), close_look=cfg.window.fragment_close_look, weak_on_db=0.0)
    lo_f, hi_f = FRAGMENT_PREFIX_RANGE
    t = window_frames
    parts: list[WindowSet] = []
    for i in indices:
        rec = recs[i]
        rate = rec.frame_rate_hz
        if not rec.labels or rec.ratio_db.size != rec.num_frames:
            continue
        settle = decision.frames(rate)[1]
        cps = dsp.decision.checkpoints(
            rec.ratio_db,
            cfg=decision,
            segment=cfg.segment,
            frame_rate_hz=rate,
            window_frames=t,
            end_pad_frames=round(cfg.window.end_pad_s * rate),
            pre_frames=round(cfg.window.pre_s * rate),
        )
        lo, hi = split.frame_range(i, role, rec.num_frames) if split else (0, rec.num_frames)
        ends, labels, starts = [], [], []
        for s in np.unique(cps[:, 0]).tolist():  # one event: its checkpoints share the (pre-rolled) start
            group = cps[cps[:, 0] == s]
            last = int(group[:, 1].max())
            hits = [la for la in rec.labels if la.start_frame < last and la.end_frame > s]
            if len(hits) != 1 or hits[0].gesture not in classes:
                continue
            la = hits[0]
            final = int(group[-1, 2])
            for _s, e, w, _n in group.tolist():
                if e + settle > la.end_frame or w + settle > final:
                    continue  # the motion is over (the final window, an event window already), or the
                    # window (bounded by the device's history) already shows what the final one shows
                label = 0
                length = e - la.start_frame
                fits = []
                for p in shorter.get(la.gesture, ()):
                    d = durations.get((rec.subject, p)) or durations.get(("", p))
                    if d:
                        med = float(np.median(d))
                        if lo_f * med <= length <= hi_f * med:
                            fits.append((abs(length - med), p))
                if fits:
                    label = classes[min(fits)[1]]
                ends.append(w)
                labels.append(label)
                starts.append(s)
        kinds = [4] * len(ends)
        parts.append(_windows_within(i, ends, labels, kinds, starts, t=t, lo=lo, hi=hi, num_frames=rec.num_frames))
    return WindowSet.concat(parts)


def check_classes(windows: WindowSet, cfg: DatasetConfig, *, what: str = "training") -> None:
    """Raise :class:`DataError` naming every class with no event window (checked before training)."""
    counts = windows.counts(len(cfg.classes))
    empty = [c for c, n in zip(cfg.classes, counts.tolist(), strict=True) if n == 0]
    if empty:
        raise DataError(f"no {what} examples of class(es) {', '.join(empty)}; check --gestures and --data")


def balanced_sample(
    windows: WindowSet,
    cfg: DatasetConfig,
    rng: np.random.Generator,
    *,
    none_scores: npt.NDArray[np.float64] | None = None,
    mined_share: float = 0.25,
    rehearsal: npt.NDArray[np.bool_] | None = None,
    rehearsal_share: float = 0.5,
) -> WindowSet:
    """One epoch of windows with balanced classes.

    Every gesture class gets ``cfg.windows_per_class`` windows, or as many as the largest class (drawn with
    replacement beyond its size); ``none`` gets ``background_per_class`` times that, up to half of it
    hard negatives when there are any, split evenly between segmenter candidates off the labels and
    windows inside labelled negative spans.

    Hard-negative mining: with ``none_scores`` (``(N,)``, the current model's gesture probability
    ``1 - p(none)`` of each window, read for the ``none`` ones), ``mined_share`` of the ``none`` sample is
    drawn from all ``none`` windows with probability proportional to that score, so the negatives the
    model still mistakes for gestures are shown again and again.

    Fragments (kind 4, :func:`fragment_windows`): ``cfg.window.fragment_share`` of each class's draw
    (``none`` and a prefix gesture have them) comes from its fragment windows, each shown at most 3 times
    an epoch; with a share of 0 they are never drawn.

    Rehearsal: with ``rehearsal`` (``(N,)``, True for windows of rehearsed recordings, e.g. the simulated
    subjects a fine-tuned model was pretrained on), ``rehearsal_share`` of every gesture class's whole
    windows are drawn from them and the rest from the other windows (whenever the class has both), so the
    mix does not depend on how many of each there are; ``none`` windows are drawn from all as above.
    """
    fragment = windows.kind == 4
    share = cfg.window.fragment_share
    counts = windows.subset(~fragment).counts(len(cfg.classes))
    per_class = max(int(counts[1:].max()), cfg.windows_per_class)
    picks = []

    def fragments_of(c: int, n: int) -> int:
        """Draw class ``c``'s share of ``n`` from its fragment windows (at most 3 times each); how many."""
        idx = np.flatnonzero(fragment & (windows.label == c))
        k = min(round(share * n), 3 * idx.size) if share > 0 else 0
        picks.append(_draw(idx, k, rng))
        return k

    for c in range(1, len(cfg.classes)):
        idx = np.flatnonzero(~fragment & (windows.label == c))
        n = per_class - fragments_of(c, per_class)
        if rehearsal is not None:
            old, new = idx[rehearsal[idx]], idx[~rehearsal[idx]]
            if old.size and new.size:
                n_old = round(n * rehearsal_share)
                picks += [_draw(old, n_old, rng), _draw(new, n - n_old, rng)]
                continue
        picks.append(_draw(idx, n, rng))
    n_none = round(per_class * cfg.background_per_class)
    n_none -= fragments_of(0, n_none)
    none_idx = np.flatnonzero(~fragment & (windows.label == 0))
    if none_scores is not None and none_idx.size and mined_share > 0:
        w = np.clip(np.asarray(none_scores, dtype=np.float64)[none_idx], 0.0, None)
        n_mined = round(n_none * mined_share)
        if w.sum() > 0 and n_mined > 0:
            picks.append(rng.choice(none_idx, size=n_mined, replace=True, p=w / w.sum()))
            n_none -= n_mined
    kinds = windows.kind[none_idx]
    # hard negatives: segmenter candidates off the labels (what the decision layer is handed) and windows
    # in labelled negative spans each get their own share, so hours of negative spans cannot crowd out the
    # few hundred candidates
    groups = [g for g in (none_idx[kinds == 1], none_idx[kinds == 3]) if g.size]
    easy = none_idx[kinds == 2]
    if groups and (easy.size or len(groups) == 2):
        n_hard = n_none // 2 if easy.size else n_none
        for k, g in enumerate(groups):
            share = n_hard // len(groups) + (1 if k < n_hard % len(groups) else 0)
            picks.append(_draw(g, min(share, 3 * g.size), rng))
        picks.append(_draw(easy if easy.size else none_idx, n_none - sum(p.size for p in picks[-len(groups) :]), rng))
    else:
        picks.append(_draw(none_idx, n_none, rng))
    order = np.concatenate(picks)
    rng.shuffle(order)
    return windows.subset(order)


def _draw(idx: npt.NDArray[np.int64], n: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    if idx.size == 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    reps = [rng.permutation(idx) for _ in range(math.ceil(n / idx.size))]
    return np.concatenate(reps)[:n]


def _draw_wake(
    idx: npt.NDArray[np.int64], start: int, *, cfg: AugmentConfig, frame_rate_hz: float, rng: np.random.Generator
) -> int:
    """The frame a throttled device wakes at for a window ``idx`` (see :func:`throttled_view`)."""
    if start >= 0:
        return start + int(rng.integers(0, round(cfg.wake_max_delay_s * frame_rate_hz) + 1))
    lo, hi = (round(s * frame_rate_hz) for s in cfg.wake_after_s)
    return int(idx[-1]) + 1 - int(rng.integers(lo, hi + 1))


def idle_history_view(
    idx: npt.NDArray[np.int64],
    start: int,
    *,
    cfg: AugmentConfig,
    frame_rate_hz: float,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The window's frame indices ``idx`` (oldest first) as a throttled device with ``idle`` history sees them.

    The wake is drawn as in :func:`throttled_view`. Returns ``(frames, idle)``: ``frames[i]`` is the frame whose
    map window position ``i`` shows, ``idle[i]`` whether that is an IDLE frame's map (:func:`dsp.idle_range_doppler`)
    rather than a full one. Before the wake the device sensed an IDLE frame every ``wake_idle_decimation`` frames,
    the last one the frame before the wake (the frame whose onset ratio woke it), and each map is held until the
    next; a position before the stream shows its first frame.
    """
    wake = _draw_wake(idx, start, cfg=cfg, frame_rate_hz=frame_rate_hz, rng=rng)
    wake = min(max(wake, 1), int(idx[-1]))
    d = cfg.wake_idle_decimation
    idle = idx < wake
    held = wake - 1 - d * ((wake - 1 - idx) // d)
    return np.where(idle, np.maximum(held, 0), idx).astype(np.int64), idle


def throttled_view(
    idx: npt.NDArray[np.int64],
    start: int,
    *,
    cfg: AugmentConfig,
    frame_rate_hz: float,
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """The window's frame indices ``idx`` (oldest first) as a throttled device sees them after a wake-up.

    The device wakes at a frame drawn in ``[start, start + wake_max_delay_s]`` of the event starting at
    ``start``, or, for a window on no event (``start < 0``, with ``cfg.wake_exact``), ``wake_after_s`` before
    the window's end. With ``cfg.wake_exact`` every index before the wake repeats the wake frame, the first
    frame the device encodes (``deploy.runtime`` fills its ring buffer with that frame's embedding at a
    wake-up: the IDLE frames have too few sweeps for a map); without, one frame drawn in the
    ``wake_idle_period_s`` before the wake.
    """
    wake = _draw_wake(idx, start, cfg=cfg, frame_rate_hz=frame_rate_hz, rng=rng)
    last = int(idx[-1])
    if not cfg.wake_exact:
        fill = max(0, wake - int(rng.integers(1, max(1, round(cfg.wake_idle_period_s * frame_rate_hz)) + 1)))
        return np.where(idx < wake, fill, idx)
    wake = min(max(wake, 0), last)
    return np.where(idx < wake, wake, idx)


def materialise(
    recs: Sequence[Recording],
    windows: WindowSet,
    *,
    cfg: DatasetConfig,
    window_frames: int,
    augment: AugmentConfig | None = None,
    rng: np.random.Generator | None = None,
    shift: bool = False,
    pad_start: bool = False,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The feature tensors of ``windows``.

    Args:
        augment: augmentation (training only); None gives the stored features unchanged.
        shift: apply the random time shift of ``cfg.window.max_shift_s`` (training only).
        rng: random source, required with ``augment`` or ``shift``.
        pad_start: a window ending before frame ``T`` keeps its end and reads the frames before the
            stream's first as an all-zero feature map (what the runtime's ring buffer holds there),
            instead of being moved to the stream's first ``T`` frames, which would show frames after
            its end. For the decision layer's windows (``models.evaluate``), which must never see
            frames after the one being decided; not with ``augment`` or ``shift``.

    Returns:
        ``x``: ``(N, T, doppler_bins, points)`` float32; ``y``: ``(N,)`` int64 class indices.
    """
    t = window_frames
    n = len(windows)
    if n == 0:
        first = recs[0].features.shape[1:] if recs else (0, 0)
        return np.zeros((0, t, *first), dtype=np.float32), np.zeros(0, dtype=np.int64)
    if (augment is not None or shift) and rng is None:
        raise DataError("materialise: augmentation and shift need an rng")
    if pad_start and (augment is not None or shift):
        raise DataError("materialise: pad_start is for un-augmented, unshifted windows")
    d, p = recs[int(windows.recording[0])].features.shape[1:]
    x = np.empty((n, t, d, p), dtype=np.float32)
    steps = np.arange(t - 1, -1, -1, dtype=np.float64)  # frames before the window's last frame
    starts = windows.starts()
    for k in range(n):
        rec = recs[int(windows.recording[k])]
        end = int(windows.end[k])
        if shift and rng is not None:
            max_shift = round(cfg.window.max_shift_s * rec.frame_rate_hz)
            end += int(rng.integers(-max_shift, max_shift + 1))
        do_aug = augment is not None and rng is not None and rng.random() < augment.probability
        if do_aug:
            assert augment is not None and rng is not None
            warp = rng.uniform(*augment.speed_warp)
            # speed warp: the last frame stays anchored, earlier frames are taken warp times further apart
            idx = np.clip(np.round(end - 1 - steps * warp).astype(np.int64), 0, rec.num_frames - 1)
        else:
            end = min(end, rec.num_frames) if pad_start else int(np.clip(end, t, rec.num_frames))
            idx = np.arange(end - t, end)
        idle: npt.NDArray[np.bool_] | None = None  # positions showing an IDLE frame's map (idle history)
        if (
            augment is not None
            and rng is not None
            and augment.wake_probability > 0  # no draw at 0, so runs without it repeat exactly
            and (starts[k] >= 0 or augment.wake_exact)
            and rng.random() < augment.wake_probability
        ):
            if augment.wake_history == "idle":
                idx, idle = idle_history_view(
                    idx, int(starts[k]), cfg=augment, frame_rate_hz=rec.frame_rate_hz, rng=rng
                )
            else:
                idx = throttled_view(idx, int(starts[k]), cfg=augment, frame_rate_hz=rec.frame_rate_hz, rng=rng)
        if not do_aug:
            if idx[0] < 0:  # pad_start: frames before the stream are an all-zero map
                x[k] = 0.0
                x[k][idx >= 0] = rec.features[idx[idx >= 0]]
            else:
                x[k] = rec.features[idx]
            if idle is not None and idle.any():
                assert augment is not None
                x[k][idle] = _idle_maps(rec.frames[idx[idle]], augment, cfg.features)
            continue
        assert augment is not None and rng is not None
        raw = rec.frames[idx].astype(np.complex128)
        gain = 10.0 ** (rng.uniform(-augment.amplitude_db, augment.amplitude_db) / 20.0)
        raw = raw * gain
        sigma = rng.uniform(0.0, augment.noise_rel) * rec.noise_scale / math.sqrt(2.0)
        if sigma > 0:
            raw = raw + sigma * (rng.standard_normal(raw.shape) + 1j * rng.standard_normal(raw.shape))
        with np.errstate(invalid="ignore"):
            feats = np.nan_to_num(dsp.range_doppler(raw, cfg=cfg.features), nan=0.0, posinf=0.0, neginf=0.0)
        if idle is not None and idle.any():
            feats[idle] = _idle_maps(raw[idle], augment, cfg.features)
        if augment.doppler_scale != (1.0, 1.0):
            feats = stretch_axis(feats, float(rng.uniform(*augment.doppler_scale)), axis=1, centre=feats.shape[1] // 2)
        if augment.range_shift_points > 0:
            move = float(rng.uniform(-augment.range_shift_points, augment.range_shift_points))
            feats = stretch_axis(feats, 1.0, axis=2, centre=0, shift=move)
        x[k] = feats
    return x, windows.label.copy()


def _idle_maps(
    frames: npt.NDArray[Any], augment: AugmentConfig, features: dsp.RangeDopplerConfig
) -> npt.NDArray[np.float32]:
    """``(n, doppler_bins, points)`` maps of full ``(n, sweeps, points)`` frames as their IDLE frames give them."""
    with np.errstate(invalid="ignore"):
        maps = dsp.idle_range_doppler(
            frames,
            cfg=features,
            idle_sweeps=augment.wake_idle_sweeps,
            point_step=augment.wake_idle_point_step,
            point_offset=augment.wake_idle_point_offset,
        )
    return np.nan_to_num(maps, nan=0.0, posinf=0.0, neginf=0.0)


def stretch_axis(
    x: npt.NDArray[np.float32], factor: float, *, axis: int, centre: int, shift: float = 0.0
) -> npt.NDArray[np.float32]:
    """``x`` resampled along ``axis`` so that index ``centre + (i - centre) / factor - shift`` lands on ``i``
    (a stretch by ``factor`` about ``centre``, then a move by ``shift`` indices); linear interpolation,
    the edge values repeated beyond the ends. Used for the Doppler-scale and range-shift augmentation of
    ``(T, doppler_bins, points)`` features."""
    n = x.shape[axis]
    src = np.clip(centre + (np.arange(n) - centre) / factor - shift, 0.0, n - 1.0)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    w = (src - lo).astype(np.float32)
    shape = [1] * x.ndim
    shape[axis] = n
    w = w.reshape(shape)
    out = np.take(x, lo, axis=axis) * (1.0 - w) + np.take(x, hi, axis=axis) * w
    return np.asarray(out, dtype=np.float32)
