"""``radargest simulate``: labelled simulated sessions, in parallel over subjects."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from acquisition.presets import get_preset, sensor_config_with
from acquisition.sim import SessionPlan, Subject
from acquisition.simulate import simulate_session

__all__ = ["SimulateJob", "run_simulate", "session_path"]


@dataclass(frozen=True, kw_only=True)
class SimulateJob:
    """Everything ``radargest simulate`` writes.

    Attributes:
        out_dir: output folder.
        subjects: number of subjects; subject ``i`` has seed ``first_subject + i``.
        first_subject: seed of the first subject (held-out subjects use a different range).
        sessions_per_subject: sessions per subject.
        gestures: gesture names.
        reps_per_gesture: repetitions of each gesture per session.
        preset: sensor preset name.
        frame_rate_hz: fixed frame rate, or None for free-running.
        seed: seed of the session timelines.
        shuffle: interleave gestures (False: blocks).
        enter_leave: start without a hand and let it enter and leave.
        pause_s: (min, max) still-hand pause between repetitions [s]; long pauses give sparse streams,
            like a headphone wearer who gestures now and then.
        overwrite: replace existing files.
    """

    out_dir: Path
    subjects: int
    first_subject: int = 0
    sessions_per_subject: int = 1
    gestures: tuple[str, ...] = ("tap_in", "tap_out", "double_tap_in", "wiggle")
    reps_per_gesture: int = 10
    preset: str = "gesture_close"
    frame_rate_hz: float | None = None
    seed: int = 0
    shuffle: bool = True
    enter_leave: bool = False
    pause_s: tuple[float, float] = SessionPlan.pause_s
    overwrite: bool = False

    @property
    def plan(self) -> SessionPlan:
        return SessionPlan(
            gestures=self.gestures,
            reps_per_gesture=self.reps_per_gesture,
            pause_s=self.pause_s,
            shuffle=self.shuffle,
            enter_leave=self.enter_leave,
        )


def session_path(out_dir: Path, subject_id: str, session: int) -> Path:
    return Path(out_dir) / f"{subject_id}_sess{session:02d}.h5"


def _one(job: SimulateJob, subject_seed: int, session: int) -> Path:
    preset = get_preset(job.preset)
    config = (
        preset.sensor_config if job.frame_rate_hz is None else sensor_config_with(preset, frame_rate=job.frame_rate_hz)
    )
    subject = Subject.from_seed(subject_seed)
    path = session_path(job.out_dir, subject.subject_id, session)
    if path.exists() and job.overwrite:
        path.unlink()
    simulate_session(
        path,
        plan=job.plan,
        subject=subject,
        seed=job.seed * 1000 + session,
        sensor_config=config,
        preset=job.preset,
    )
    return path


def run_simulate(job: SimulateJob, *, workers: int | None = None, progress: bool = True) -> list[Path]:
    """Write every session of ``job``; returns the paths. Existing files are an error unless overwriting.

    Raises:
        ValueError: bad gestures or plan values (before anything is written).
        RecordingError: a file that exists or cannot be written.
    """
    _ = job.plan  # building the plan validates gestures and values before any work starts
    get_preset(job.preset)
    tasks = [(job.first_subject + i, k) for i in range(job.subjects) for k in range(job.sessions_per_subject)]
    if not job.overwrite:
        existing = [
            p for s, k in tasks if (p := session_path(job.out_dir, Subject.from_seed(s).subject_id, k)).exists()
        ]
        if existing:
            raise FileExistsError(f"{existing[0]} exists ({len(existing)} file(s) in all); use --overwrite")
    Path(job.out_dir).mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    bar = tqdm(total=len(tasks), unit="session", desc="simulate", disable=not progress)
    paths: list[Path] = []
    try:
        if workers == 1:
            for s, k in tasks:
                paths.append(_one(job, s, k))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(_one, job, s, k) for s, k in tasks]
                for fut in as_completed(futures):
                    paths.append(fut.result())
                    bar.update()
    finally:
        bar.close()
    return sorted(paths)
