"""radargest.dsp: range-Doppler features, clutter removal, onset metric, segmentation, the decision
layer and event scoring.

Shapes: frames ``(frames, sweeps, points)`` complex; range-Doppler maps ``(frames, doppler_bins, points)``
float32. Each stage is a frozen config, a pure batch function and, where it has state, a streaming
processor that equals the batch function. No file I/O, plotting or printing happens here.
"""

from dsp.clutter import ClutterConfig, ClutterProcessor, remove_clutter
from dsp.decision import (
    Decision,
    DecisionConfig,
    DecisionPolicy,
    decide_stream,
    prefix_table,
    renewed_motion_gaps,
)
from dsp.errors import ParameterError
from dsp.features import (
    RangeDopplerConfig,
    RangeDopplerProcessor,
    doppler_magnitude,
    doppler_matrix,
    hann_window,
    idle_doppler_matrix,
    idle_range_doppler,
    range_doppler,
    velocity_time,
)
from dsp.flags import bad_frames, mask_bad_frames
from dsp.geometry import FRAME_RATE_TOLERANCE, FrameGeometry, frame_rate_mismatch
from dsp.onset import (
    OnsetConfig,
    OnsetProcessor,
    OnsetResult,
    onset_from_power,
    onset_metric,
    onset_point_power,
    onset_power,
)
from dsp.scoring import EventScore, score_events
from dsp.segment import SegmentConfig, Segmenter, decision_window_end, event_window_end, motion_runs, segment

__all__ = [
    "FRAME_RATE_TOLERANCE",
    "ClutterConfig",
    "ClutterProcessor",
    "Decision",
    "DecisionConfig",
    "DecisionPolicy",
    "EventScore",
    "FrameGeometry",
    "OnsetConfig",
    "OnsetProcessor",
    "OnsetResult",
    "ParameterError",
    "RangeDopplerConfig",
    "RangeDopplerProcessor",
    "SegmentConfig",
    "Segmenter",
    "bad_frames",
    "decide_stream",
    "decision_window_end",
    "doppler_magnitude",
    "doppler_matrix",
    "event_window_end",
    "frame_rate_mismatch",
    "hann_window",
    "idle_doppler_matrix",
    "idle_range_doppler",
    "mask_bad_frames",
    "motion_runs",
    "onset_from_power",
    "onset_metric",
    "onset_point_power",
    "onset_power",
    "prefix_table",
    "range_doppler",
    "remove_clutter",
    "renewed_motion_gaps",
    "score_events",
    "segment",
    "velocity_time",
]
