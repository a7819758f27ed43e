"""Sessions through the DSP: one place that turns an :class:`acquisition.Session` into features and events.

Every command that needs features (``features``, ``label``, ``import``, ``bench dsp``, the notebooks)
goes through here, so the geometry, the preset check and the bad-frame rule are written once:

1. :func:`geometry_of` builds the :class:`dsp.FrameGeometry` from the session's sensor config and
   metadata; the frame rate is the configured one, or the median rate measured from the ticks.
2. :func:`check_preset` refuses a session whose config differs from the preset in a field that changes
   the features (:data:`acquisition.presets.FEATURE_FIELDS`), naming the file and the fields.
3. :func:`session_features` flags NaN/inf and saturated frames (:func:`dsp.bad_frames` with exptool's
   ``data_saturated``), masks them as missing (:func:`dsp.mask_bad_frames`) and runs the range-Doppler
   map, the onset metric and the segmenter. Missing frames give NaN maps and never crash the stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

import dsp
from acquisition import Label, Session, get_preset
from acquisition.presets import config_mismatch

__all__ = [
    "LABELLING_SEGMENT",
    "ConfigMismatchError",
    "PipelineConfig",
    "SessionFeatures",
    "check_preset",
    "geometry_of",
    "refine_prompt_labels",
    "session_events",
    "session_features",
    "velocity_time_of",
]


#: The segmentation that labels events from motion: the Acconeer files' events on import (held-out files
#: included) and the GO prompts' refinement of a guided recording. Fixed at the segmenter's settings of those
#: labels (``min_area_db_s`` 0.5 dB·s) so that ground truth does not move when the decision layer's segmenter
#: default does (RULE74 lowered :class:`dsp.SegmentConfig`'s area test to 0.2 dB·s for proposing candidates;
#: on the real training days that finds one more event in each of ``label_double_tap_in_idx_1`` and
#: ``label_wiggle_idx_1``, which would otherwise have become labelled gestures).
LABELLING_SEGMENT = dsp.SegmentConfig(min_area_db_s=0.5)


class ConfigMismatchError(ValueError):
    """A recording whose sensor config does not match the preset the features are defined for."""


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """The feature and segmentation chain applied to a session.

    Fields:
        preset: name of the preset the session must match (``None`` skips the check).
        range_doppler: the range-Doppler feature (:class:`dsp.RangeDopplerConfig`).
        onset: the onset metric and adaptive floor (:class:`dsp.OnsetConfig`).
        segment: the event segmentation (:class:`dsp.SegmentConfig`).
    """

    preset: str | None = "gesture_close"
    range_doppler: dsp.RangeDopplerConfig = field(default_factory=dsp.RangeDopplerConfig)
    onset: dsp.OnsetConfig = field(default_factory=dsp.OnsetConfig)
    segment: dsp.SegmentConfig = field(default_factory=dsp.SegmentConfig)


@dataclass(frozen=True, kw_only=True, eq=False)
class SessionFeatures:
    """Features of a whole session (frames ``n``, Doppler bins ``d``, points ``p``).

    Attributes:
        geometry: axes of the frames.
        bad: ``(n,)`` bool, True for a NaN/inf or saturated frame (treated as missing).
        rd: ``(n, d, p)`` float32 range-Doppler maps; NaN for bad frames.
        onset: metric [counts²], floor [dB] and ratio [dB], each ``(n,)`` float64.
        events: ``(events, 2)`` int64 ``[start_frame, end_frame)`` from the segmenter.
    """

    geometry: dsp.FrameGeometry
    bad: npt.NDArray[np.bool_]
    rd: npt.NDArray[np.float32]
    onset: dsp.OnsetResult
    events: npt.NDArray[np.int64]

    @property
    def vt(self) -> npt.NDArray[np.float32]:
        """``(n, d)`` velocity-time map: the maximum over range of :attr:`rd`."""
        return dsp.velocity_time(self.rd)


def geometry_of(session: Session) -> dsp.FrameGeometry:
    """The frame geometry of a session (frame rate: configured, else the mean measured from the ticks)."""
    rate = session.stream_rate_hz
    if not rate or not np.isfinite(rate) or rate <= 0:
        raise dsp.ParameterError(f"{session.path}: cannot measure the frame rate (frames: {session.num_frames})")
    return dsp.FrameGeometry.from_sensor_config(session.sensor_config, session.metadata, frame_rate_hz=float(rate))


def check_preset(session: Session, preset: str) -> None:
    """Raise :class:`ConfigMismatchError` (one line, naming the file and fields) unless the session's
    sensor config matches ``preset`` in every feature-relevant field."""
    diff = config_mismatch(session.sensor_config, get_preset(preset).sensor_config)
    if diff:
        raise ConfigMismatchError(
            f"{session.path}: sensor config does not match preset {preset!r} (recording!=preset: {', '.join(diff)})"
        )


def masked_frames(session: Session) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.bool_]]:
    """The session's ``(F, sweeps, points)`` frames with its bad frames (non-finite or saturated) set to NaN, and
    the ``(F,)`` bad-frame mask: what every batch path (features, onset, events) starts from."""
    bad = dsp.bad_frames(session.frames, saturated=session.data_saturated)
    frames = dsp.mask_bad_frames(session.frames, bad) if bad.any() else session.frames
    return frames, bad


def session_features(session: Session, *, cfg: PipelineConfig | None = None) -> SessionFeatures:
    """Range-Doppler maps, onset metric and events of a session (see the module docstring).

    Raises:
        ConfigMismatchError: the session's config differs from ``cfg.preset``.
    """
    cfg = cfg or PipelineConfig()
    if cfg.preset is not None:
        check_preset(session, cfg.preset)
    geometry = geometry_of(session)
    frames, bad = masked_frames(session)
    with np.errstate(invalid="ignore"):
        rd = dsp.range_doppler(frames, cfg=cfg.range_doppler)
    onset = dsp.onset_metric(frames, cfg=cfg.onset, geometry=geometry)
    events = dsp.segment(onset.ratio_db, cfg=cfg.segment, frame_rate_hz=geometry.frame_rate_hz)
    return SessionFeatures(geometry=geometry, bad=bad, rd=rd, onset=onset, events=events)


def session_events(session: Session, *, cfg: PipelineConfig | None = None) -> npt.NDArray[np.int64]:
    """Only the segmenter's events of a session, ``(events, 2)`` int64 (skips the range-Doppler maps)."""
    cfg = cfg or PipelineConfig()
    if cfg.preset is not None:
        check_preset(session, cfg.preset)
    geometry = geometry_of(session)
    frames, _ = masked_frames(session)
    onset = dsp.onset_metric(frames, cfg=cfg.onset, geometry=geometry)
    return dsp.segment(onset.ratio_db, cfg=cfg.segment, frame_rate_hz=geometry.frame_rate_hz)


def velocity_time_of(
    session: Session, *, cfg: dsp.RangeDopplerConfig | None = None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    """The velocity-time map of a session, ``(frames, doppler_bins)`` float32 (NaN for bad frames), and
    its ``(doppler_bins,)`` velocity axis [m/s]. No preset check: any single-subsweep record can be viewed."""
    geometry = geometry_of(session)
    frames, _ = masked_frames(session)
    with np.errstate(invalid="ignore"):
        rd = dsp.range_doppler(frames, cfg=cfg or dsp.RangeDopplerConfig())
    return dsp.velocity_time(rd), geometry.velocities_m_s


def refine_prompt_labels(labels: Sequence[Label], events: npt.NDArray[np.int64], *, lead_frames: int) -> list[Label]:
    """Snap prompt labels to the segmented motion they contain (DESIGN §9: prompt times refined by onset).

    A prompt label ``[go, go + window)`` becomes the span of the segmenter event with the largest overlap
    with ``[go - lead_frames, go + window)`` (people sometimes start a little before GO). Labels with no
    overlapping event keep their prompt span, so nothing is lost when the user did not move. An event that is
    the best match of several prompts has merged their performances (prompts with no pause between them):
    each of those labels gets the event's part inside its own prompt span, so no two labels share a span. The
    source stays ``prompt``.
    """
    best: list[int | None] = []
    for label in labels:
        lo, hi = label.start_frame - lead_frames, label.end_frame
        overlap = np.minimum(events[:, 1], hi) - np.maximum(events[:, 0], lo) if len(events) else np.zeros(0)
        best.append(int(np.argmax(overlap)) if overlap.size and overlap.max() > 0 else None)
    refined = []
    for label, k in zip(labels, best, strict=True):
        if k is not None:
            start, end = (int(v) for v in events[k])
            if best.count(k) > 1:
                start, end = max(start, label.start_frame), min(end, label.end_frame)
            if end > start:
                label = Label(start_frame=start, end_frame=end, gesture=label.gesture, source=label.source)
        refined.append(label)
    return refined
