"""Segmentation on simulated streams with ground truth: recall, false events and timing (issue 3).

Writes simulated sessions through the real recorder (:func:`acquisition.simulate_session`), reads them
back like any recording, runs the segmenter through :mod:`radargest.pipeline` and scores the events
against the ``source=sim`` labels with :func:`dsp.score_events`. Each subject performs one session of
mixed gestures (with slow repositioning in the pauses) and one still-hand session with slow
repositioning and no gesture. Hands entering or leaving the field are left out: they are real motion
that the segmenter is meant to report, and a model rejects them later.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import dsp
from acquisition import get_preset, load_session, simulate_session
from acquisition.sim import SessionPlan, Subject
from radargest.pipeline import PipelineConfig, geometry_of, session_events

__all__ = ["SimSegmentationConfig", "evaluate_segmentation_sim", "format_events_by_cause", "segment_events_by_cause"]


@dataclass(frozen=True, kw_only=True)
class SimSegmentationConfig:
    """The simulated test set.

    Fields:
        subjects: number of simulated subjects [count].
        first_subject: seed of the first subject; subjects are consecutive seeds.
        gestures: gestures performed in the gesture sessions.
        reps_per_gesture: repetitions of each gesture per subject [count].
        gesture_repositions_per_min: slow repositionings in the gesture sessions' pauses [1/min].
        still_s: length of each subject's still-hand session [s].
        still_repositions_per_min: slow repositionings in the still-hand sessions [1/min].
        preset: sensor preset simulated.
        core_subjects: draw the subjects from the narrower distribution the segmenter was accepted on
            (:meth:`acquisition.sim.Subject.core_from_seed`: on axis at 0.08–0.15 m) instead of the full one
            (0.05–0.20 m, up to 20° off axis), where faint far subjects are missed more often.
    """

    subjects: int = 8
    first_subject: int = 500
    gestures: tuple[str, ...] = ("tap_in", "tap_out", "double_tap_in", "wiggle")
    reps_per_gesture: int = 5
    gesture_repositions_per_min: float = 1.0
    still_s: float = 40.0
    still_repositions_per_min: float = 3.0
    preset: str = "gesture_close"
    core_subjects: bool = False

    def plans(self) -> list[tuple[str, SessionPlan]]:
        """``(kind, plan)`` of the sessions every subject records."""
        return [
            (
                "gestures",
                SessionPlan(
                    gestures=self.gestures,
                    reps_per_gesture=self.reps_per_gesture,
                    repositions_per_min=self.gesture_repositions_per_min,
                ),
            ),
            (
                "still",
                SessionPlan(
                    gestures=(),
                    reps_per_gesture=0,
                    lead_s=self.still_s / 2,
                    repositions_per_min=self.still_repositions_per_min,
                ),
            ),
        ]


def evaluate_segmentation_sim(
    *,
    cfg: SimSegmentationConfig | None = None,
    pipeline: PipelineConfig | None = None,
    work_dir: Path | None = None,
) -> tuple[dsp.EventScore, list[dict[str, Any]]]:
    """Simulate the test set, segment every session and score it.

    Args:
        cfg: the simulated sessions.
        pipeline: the feature and segmentation chain (defaults when omitted).
        work_dir: folder for the session files (a temporary folder, removed afterwards, when omitted).

    Returns:
        The total :class:`dsp.EventScore` and one row per session (file, subject, kind, minutes, score).
    """
    cfg = cfg or SimSegmentationConfig()
    sensor_config = get_preset(cfg.preset).sensor_config
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(work_dir) if work_dir is not None else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        total = dsp.EventScore()
        rows: list[dict[str, Any]] = []
        for k in range(cfg.subjects):
            seed = cfg.first_subject + k
            subject = Subject.core_from_seed(seed) if cfg.core_subjects else Subject.from_seed(seed)
            for j, (kind, plan) in enumerate(cfg.plans()):
                path = out / f"{subject.subject_id}_{kind}.h5"
                simulate_session(
                    path, plan=plan, subject=subject, seed=2 * k + j, sensor_config=sensor_config, preset=cfg.preset
                )
                session = load_session(path)
                events = session_events(session, cfg=pipeline)
                truth = np.array([(lb.start_frame, lb.end_frame) for lb in session.labels], dtype=np.int64)
                score = dsp.score_events(
                    events, truth, num_frames=session.num_frames, frame_rate_hz=geometry_of(session).frame_rate_hz
                )
                total = total + score
                rows.append(
                    {
                        "file": path.name,
                        "subject": subject.subject_id,
                        "kind": kind,
                        "minutes": session.duration_s / 60.0,
                        **score.summary(),
                    }
                )
    return total, rows


def segment_events_by_cause(paths: Iterable[Path], *, pipeline: PipelineConfig | None = None) -> dict[str, Any]:
    """Onset-segmenter events per hour of each non-gesture cause, on streams labelled by cause.

    Every recording is read like any other and segmented by :func:`radargest.pipeline.session_events`. An
    event that overlaps a gesture label counts for that gesture; any other event is charged to the cause
    (``/radargest/negatives``) holding most of its frames, or to ``unlabelled`` (e.g. the guard around a
    gesture) when no cause holds any. Hours per cause are the frames each cause covers.

    Returns:
        ``causes``: ``{cause: {"hours", "events", "events_per_hour"}}``; ``gestures``: labelled gestures
        and how many an event overlaps; ``hours``: total stream length; ``files``: paths read.
    """
    hours: dict[str, float] = {}
    events_by: dict[str, int] = {}
    gestures = gestures_hit = 0
    total_h = 0.0
    files = []
    for path in paths:
        session = load_session(path)
        files.append(str(path))
        rate = geometry_of(session).frame_rate_hz
        events = session_events(session, cfg=pipeline)
        cause_of = np.full(session.num_frames, -1, dtype=np.int64)
        names = sorted({n.cause for n in session.negatives})
        for neg in session.negatives:
            cause_of[neg.start_frame : neg.end_frame] = names.index(neg.cause)
        for k, name in enumerate(names):
            hours[name] = hours.get(name, 0.0) + float(np.count_nonzero(cause_of == k)) / rate / 3600
        gesture = np.zeros(session.num_frames, dtype=bool)
        for lab in session.labels:
            gesture[lab.start_frame : lab.end_frame] = True
            gestures += 1
            gestures_hit += bool(np.any((events[:, 0] < lab.end_frame) & (events[:, 1] > lab.start_frame)))
        for start, end in events.tolist():
            if gesture[start:end].any():
                continue
            held = cause_of[start:end]
            held = held[held >= 0]
            name = names[int(np.bincount(held).argmax())] if held.size else "unlabelled"
            events_by[name] = events_by.get(name, 0) + 1
        total_h += session.num_frames / rate / 3600
    causes = {
        name: {
            "hours": hours.get(name, 0.0),
            "events": events_by.get(name, 0),
            "events_per_hour": events_by.get(name, 0) / hours[name] if hours.get(name) else float("nan"),
        }
        for name in sorted(set(hours) | set(events_by))
    }
    return {
        "causes": causes,
        "gestures": {"labelled": gestures, "overlapped_by_an_event": gestures_hit},
        "hours": total_h,
        "non_gesture_events": sum(events_by.values()),
        "files": files,
    }


def format_events_by_cause(result: dict[str, Any]) -> str:
    """:func:`segment_events_by_cause` as a Markdown table."""
    lines = ["| cause | hours | segmenter events | events per hour |", "|---|---:|---:|---:|"]
    for name, row in result["causes"].items():
        hours = f"{row['hours']:.3f}" if row["hours"] else "—"
        rate = f"{row['events_per_hour']:.0f}" if row["hours"] else "—"
        lines.append(f"| {name} | {hours} | {row['events']} | {rate} |")
    lines.append(
        f"| **all non-gesture events** | {result['hours']:.3f} (whole streams) | {result['non_gesture_events']} | "
        f"{result['non_gesture_events'] / result['hours']:.0f} |"
    )
    g = result["gestures"]
    lines.append("")
    lines.append(f"gestures: {g['labelled']} labelled, {g['overlapped_by_an_event']} overlapped by a segmenter event")
    return "\n".join(lines)
