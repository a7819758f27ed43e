"""Writing simulated, ground-truth-labelled sessions through the real recorder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from acconeer.exptool import a121

from acquisition.errors import RecordingError
from acquisition.labels import Label
from acquisition.recorder import record_session
from acquisition.recording import SessionMeta
from acquisition.sim import SessionPlan, SimClient, Subject, labels_for_scene, plan_session
from acquisition.sim.scene import frame_period_s

__all__ = ["simulate_session", "sweep_span_s"]


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
    if outcome.error is not None:
        raise RecordingError(path, f"simulation stopped early: {outcome.error}")
    return outcome.num_frames, list(outcome.labels)
