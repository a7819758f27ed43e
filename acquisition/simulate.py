"""Writing simulated, ground-truth-labelled sessions through the real recorder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from acconeer.exptool import a121

from acquisition.errors import RecordingError
from acquisition.labels import Label
from acquisition.negatives import NegativeLabel
from acquisition.recorder import record_session
from acquisition.recording import SessionMeta
from acquisition.sim import SessionPlan, SimClient, Subject, labels_for_scene, plan_session
from acquisition.sim.everyday import EverydayPlan, negatives_for_scene, plan_everyday
from acquisition.sim.scene import frame_period_s

__all__ = ["simulate_everyday", "simulate_session", "sweep_span_s"]

#: Frames between two progress reports of a long simulated stream.
PROGRESS_EVERY_FRAMES = 1024


def _no_partial_file(path: Path, error: BaseException | None) -> None:
    """After a simulation that stopped early (Ctrl-C, an exception), remove its file and raise.

    A cut-short simulated file would be a valid recording with labels, indistinguishable from a finished one
    (and a rerun would refuse to replace it); unlike a real recording it costs nothing to write again.

    Raises:
        KeyboardInterrupt: the stop was Ctrl-C.
        RecordingError: any other stop, with its reason.
    """
    if error is None:
        return
    Path(path).unlink(missing_ok=True)
    if isinstance(error, KeyboardInterrupt):
        raise KeyboardInterrupt
    text = str(error).strip().splitlines()
    reason = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
    raise RecordingError(path, f"simulation stopped early ({reason}); the partial file was removed")


def sweep_span_s(sensor_config: a121.SensorConfig) -> float:
    """Time from the first to the last sweep of a frame."""
    return (sensor_config.sweeps_per_frame - 1) / float(sensor_config.sweep_rate or 1.0)


def simulate_session(
    path: Path,
    *,
    plan: SessionPlan,
    subject: Subject,
    seed: int,
    sensor_config: a121.SensorConfig,
    preset: str,
) -> tuple[int, list[Label]]:
    """Simulate one session of ``subject`` and record it to ``path`` with ``source=sim`` labels.

    Returns:
        The number of frames and the labels written.
    """
    scene = plan_session(plan, subject=subject, seed=seed)
    client = SimClient(scene, realtime=False, chunk_frames=512)
    period = frame_period_s(sensor_config)
    num_frames = int(scene.duration_s / period)

    def labels(count: int) -> list[Label]:
        starts = np.arange(count, dtype=np.float64) * period
        return labels_for_scene(client.scene, frame_start_s=starts, sweep_span_s=sweep_span_s(sensor_config))

    meta = SessionMeta(
        subject=subject.subject_id,
        preset=preset,
        notes=f"simulated: {', '.join(plan.gestures)} x{plan.reps_per_gesture}",
        simulator=scene.to_json(),
    )
    outcome = record_session(client, path, sensor_config=sensor_config, meta=meta, max_frames=num_frames, labels=labels)
    _no_partial_file(path, outcome.error)
    return outcome.num_frames, list(outcome.labels)


def simulate_everyday(
    path: Path,
    *,
    plan: EverydayPlan,
    subject: Subject,
    seed: int,
    sensor_config: a121.SensorConfig,
    preset: str,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[int, list[Label], list[NegativeLabel]]:
    """Simulate an everyday stream of ``subject`` and record it to ``path``.

    Frames stream through the recorder to disk as they are rendered (hours never sit in memory). Gestures
    go to ``/radargest/labels`` and every negative, with its cause, to ``/radargest/negatives`` (both
    ``source=sim``); the ``simulator`` attribute holds the whole scene.

    Args:
        on_progress: called with the number of new frames every :data:`PROGRESS_EVERY_FRAMES` frames.

    Returns:
        The number of frames, the gesture labels and the cause labels written.
    """
    scene = plan_everyday(plan, subject=subject, seed=seed)
    client = SimClient(scene, realtime=False, chunk_frames=1024)
    period = frame_period_s(sensor_config)
    num_frames = int(scene.duration_s / period)
    span = sweep_span_s(sensor_config)

    def labels(count: int) -> list[Label]:
        starts = np.arange(count, dtype=np.float64) * period
        return labels_for_scene(scene, frame_start_s=starts, sweep_span_s=span)

    def negatives(count: int, stored: Sequence[Label]) -> list[NegativeLabel]:
        starts = np.arange(count, dtype=np.float64) * period
        return negatives_for_scene(scene, frame_start_s=starts, labels=list(stored), frame_rate_hz=1.0 / period)

    def on_frame(index: int, result: a121.Result) -> bool:
        del result
        if on_progress is not None and (index + 1) % PROGRESS_EVERY_FRAMES == 0:
            on_progress(PROGRESS_EVERY_FRAMES)
        return True

    meta = SessionMeta(
        subject=subject.subject_id,
        preset=preset,
        notes=f"simulated everyday stream: {plan.duration_s / 60:.1f} min, "
        f"{plan.gesture_rate_per_min:g} gesture(s)/min of {', '.join(plan.gestures)}",
        simulator=scene.to_json(),
    )
    outcome = record_session(
        client,
        path,
        sensor_config=sensor_config,
        meta=meta,
        max_frames=num_frames,
        on_frame=on_frame,
        labels=labels,
        negatives=negatives,
        libver=("v108", "latest"),
    )
    _no_partial_file(path, outcome.error)
    if on_progress is not None:
        on_progress(outcome.num_frames % PROGRESS_EVERY_FRAMES)
    return outcome.num_frames, list(outcome.labels), list(outcome.negatives)
