"""``radargest simulate``: labelled simulated sessions, in parallel over subjects.

``--everyday`` writes long everyday streams instead (:class:`EverydayJob`): mostly non-gesture activity
labelled by cause, with sparse gestures.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acconeer.exptool import a121
from tqdm import tqdm

from acquisition.presets import get_preset, sensor_config_with
from acquisition.sim import EverydayPlan, SessionPlan, Subject
from acquisition.sim.everyday import max_gesture_rate_per_min
from acquisition.sim.scene import frame_period_s
from acquisition.simulate import simulate_everyday, simulate_session
from radargest.cli_args import check_out_dir, make_out_dir

__all__ = [
    "EverydayJob",
    "SimulateJob",
    "check_job",
    "everyday_path",
    "gesture_rate_note",
    "run_everyday",
    "run_simulate",
    "session_path",
]


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
        hwaas: hardware averages per point, or None for the preset's; more averaging lowers the noise (its power
            ∝ 1/hwaas) and raises the sensor current. It is not a feature field, so models and bundles take these
            recordings as the preset's.
        seed: seed of the session timelines.
        shuffle: interleave gestures (False: blocks).
        enter_leave: start without a hand and let it enter and leave.
        pause_s: (min, max) still-hand pause between repetitions [s]; long pauses give sparse streams,
            like a headphone wearer who gestures now and then.
        overwrite: replace existing files.
        core_subjects: draw subjects from the narrower calibrated distribution
            (:meth:`acquisition.sim.Subject.core_from_seed`: on axis at 0.08–0.15 m, three fingers), e.g. for
            small test fixtures that check code paths rather than robustness.
    """

    out_dir: Path
    subjects: int
    first_subject: int = 0
    sessions_per_subject: int = 1
    gestures: tuple[str, ...] = ("tap_in", "tap_out", "double_tap_in", "wiggle")
    reps_per_gesture: int = 10
    preset: str = "gesture_close"
    frame_rate_hz: float | None = None
    hwaas: int | None = None
    seed: int = 0
    shuffle: bool = True
    enter_leave: bool = False
    pause_s: tuple[float, float] = SessionPlan.pause_s
    overwrite: bool = False
    core_subjects: bool = False

    def __post_init__(self) -> None:
        check_job(self)

    def sensor_config(self) -> a121.SensorConfig:
        """The preset's sensor config, at ``frame_rate_hz`` and ``hwaas`` when set."""
        return _sensor_config(self.preset, self.frame_rate_hz, self.hwaas)

    @property
    def plan(self) -> SessionPlan:
        return SessionPlan(
            gestures=self.gestures,
            reps_per_gesture=self.reps_per_gesture,
            pause_s=self.pause_s,
            shuffle=self.shuffle,
            enter_leave=self.enter_leave,
        )


def check_job(job: SimulateJob | EverydayJob) -> None:
    """The checks both jobs share, so a bad count fails before any file is written.

    Raises:
        ValueError: naming the field and the value.
        PresetError: an unknown preset, or a frame rate (or hwaas) that its sweeps do not allow (naming the value and
            exptool's reason).
    """
    check_out_dir(job.out_dir, overwrite=True, what="output folder")  # existing sessions: refused one by one
    for name in ("subjects", "sessions_per_subject"):
        if getattr(job, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(job, name)}")
    if job.first_subject < 0:
        raise ValueError(f"first_subject must be >= 0 (it seeds the subjects), got {job.first_subject}")
    if job.frame_rate_hz is not None and not (math.isfinite(job.frame_rate_hz) and job.frame_rate_hz > 0):
        raise ValueError(f"frame_rate_hz must be a finite number > 0 or unset, got {job.frame_rate_hz}")
    # an unknown preset, a frame rate above what its sweeps allow or an hwaas outside 1..511 or too long for the sweep
    # period (acquisition.presets checks each): refused before any work
    job.sensor_config()


def session_path(out_dir: Path, subject_id: str, session: int) -> Path:
    return Path(out_dir) / f"{subject_id}_sess{session:02d}.h5"


def _sensor_config(preset_name: str, frame_rate_hz: float | None, hwaas: int | None) -> a121.SensorConfig:
    preset = get_preset(preset_name)
    overrides: dict[str, object] = {}
    if frame_rate_hz is not None:
        overrides["frame_rate"] = frame_rate_hz
    if hwaas is not None:
        overrides["hwaas"] = hwaas
    return sensor_config_with(preset, **overrides) if overrides else preset.sensor_config


def _one(job: SimulateJob, subject_seed: int, session: int) -> Path:
    config = job.sensor_config()
    subject = Subject.core_from_seed(subject_seed) if job.core_subjects else Subject.from_seed(subject_seed)
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
        ValueError: bad gestures or plan values (before anything is written); ``out_dir`` cannot be created.
        RecordingError: a file that exists or cannot be written.
    """
    _ = job.plan  # building the plan validates gestures and values before any work starts
    tasks = [(job.first_subject + i, k) for i in range(job.subjects) for k in range(job.sessions_per_subject)]
    if not job.overwrite:
        existing = [
            p for s, k in tasks if (p := session_path(job.out_dir, Subject.from_seed(s).subject_id, k)).exists()
        ]
        if existing:
            raise FileExistsError(f"{existing[0]} exists ({len(existing)} file(s) in all); use --overwrite")
    make_out_dir(job.out_dir)
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


# -- everyday streams ---------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class EverydayJob:
    """Everything ``radargest simulate --everyday`` writes.

    Attributes:
        out_dir: output folder.
        subjects: number of subjects; subject ``i`` has seed ``first_subject + i``.
        first_subject: seed of the first subject (held-out subjects use a different range).
        sessions_per_subject: streams per subject.
        minutes: length of each stream [min].
        gesture_rate_per_min: mean rate of the sparse gestures [1/min]; 0 for negatives only.
        gestures: gesture names.
        negatives: causes to draw (None: every registered negative).
        preset: sensor preset name.
        frame_rate_hz: fixed frame rate, or None for free-running.
        hwaas: hardware averages per point, or None for the preset's; more averaging lowers the noise (its power
            ∝ 1/hwaas) and raises the sensor current. It is not a feature field, so models and bundles take these
            recordings as the preset's.
        seed: seed of the stream timelines.
        overwrite: replace existing files.
        hold_before_s: (min, max) hover before each gesture [s], or None for the plan's default
            (:class:`acquisition.sim.everyday.EverydayPlan`): a short one renders users who gesture as the hand
            arrives.
    """

    out_dir: Path
    subjects: int
    first_subject: int = 0
    sessions_per_subject: int = 1
    minutes: float = 10.0
    gesture_rate_per_min: float = 1.0
    hold_before_s: tuple[float, float] | None = None
    gestures: tuple[str, ...] = ("tap_in", "tap_out", "double_tap_in", "wiggle")
    negatives: tuple[str, ...] | None = None
    preset: str = "gesture_close"
    frame_rate_hz: float | None = None
    hwaas: int | None = None
    seed: int = 0
    overwrite: bool = False

    def __post_init__(self) -> None:
        check_job(self)

    @property
    def plan(self) -> EverydayPlan:
        return EverydayPlan(
            duration_s=self.minutes * 60.0,
            gestures=self.gestures,
            gesture_rate_per_min=self.gesture_rate_per_min,
            negatives=self.negatives,
            **({} if self.hold_before_s is None else {"hold_before_s": self.hold_before_s}),
        )

    def sensor_config(self) -> a121.SensorConfig:
        """The preset's sensor config, at ``frame_rate_hz`` and ``hwaas`` when set."""
        return _sensor_config(self.preset, self.frame_rate_hz, self.hwaas)


def gesture_rate_note(job: EverydayJob) -> str | None:
    """Why ``job``'s streams will hold fewer gestures than ``gesture_rate_per_min`` asks, when it is above the most
    a stream holds (:func:`acquisition.sim.everyday.max_gesture_rate_per_min`, for the first subject); else None."""
    if job.gesture_rate_per_min == 0:
        return None
    most = max_gesture_rate_per_min(job.plan, subject=Subject.from_seed(job.first_subject), seed=job.seed * 1000)
    if job.gesture_rate_per_min <= most:
        return None
    return (
        f"--gesture-rate-per-min {job.gesture_rate_per_min:g} is more than a stream holds: each gesture comes after "
        f"an empty gap, inside a hover of a few seconds, so at most about {most:.1f}/min"
    )


def everyday_path(out_dir: Path, subject_id: str, session: int) -> Path:
    return Path(out_dir) / f"{subject_id}_everyday{session:02d}.h5"


def _one_everyday(job: EverydayJob, subject_seed: int, session: int, progress: Any = None) -> Path:
    subject = Subject.from_seed(subject_seed)
    path = everyday_path(job.out_dir, subject.subject_id, session)
    if path.exists() and job.overwrite:
        path.unlink()
    simulate_everyday(
        path,
        plan=job.plan,
        subject=subject,
        seed=job.seed * 1000 + session,
        sensor_config=job.sensor_config(),
        preset=job.preset,
        on_progress=None if progress is None else progress.put,
    )
    return path


def run_everyday(job: EverydayJob, *, workers: int | None = None, progress: bool = True) -> list[Path]:
    """Write every everyday stream of ``job``; returns the paths. Existing files are an error unless
    overwriting. The progress bar counts simulated minutes across all workers.

    Raises:
        ValueError: bad gestures, negatives or plan values (before anything is written).
        RecordingError: a file that exists or cannot be written.
    """
    _ = job.plan  # validates gestures, negatives and values before any work starts
    config = job.sensor_config()
    tasks = [(job.first_subject + i, k) for i in range(job.subjects) for k in range(job.sessions_per_subject)]
    if not job.overwrite:
        existing = [
            p for s, k in tasks if (p := everyday_path(job.out_dir, Subject.from_seed(s).subject_id, k)).exists()
        ]
        if existing:
            raise FileExistsError(f"{existing[0]} exists ({len(existing)} file(s) in all); use --overwrite")
    make_out_dir(job.out_dir)
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    minutes_per_frame = frame_period_s(config) / 60.0
    bar = tqdm(
        total=round(len(tasks) * job.minutes, 1),
        unit="min",
        desc="simulate --everyday",
        disable=not progress,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} simulated min [{elapsed}<{remaining}]",
    )
    manager = multiprocessing.Manager() if progress else None
    frames_q: Any = manager.Queue() if manager is not None else None
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set() or (frames_q is not None and not frames_q.empty()):
            try:
                n = frames_q.get(timeout=0.2)
            except queue.Empty:
                continue
            bar.update(n * minutes_per_frame)

    drainer = threading.Thread(target=drain, daemon=True) if frames_q is not None else None
    if drainer is not None:
        drainer.start()
    paths: list[Path] = []
    try:
        if workers == 1:
            for s, k in tasks:
                paths.append(_one_everyday(job, s, k, frames_q))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(_one_everyday, job, s, k, frames_q) for s, k in tasks]
                for fut in as_completed(futures):
                    paths.append(fut.result())
    finally:
        stop.set()
        if drainer is not None:
            drainer.join()
        if manager is not None:
            manager.shutdown()
        bar.close()
    return sorted(paths)
