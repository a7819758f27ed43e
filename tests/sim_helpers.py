"""Simulated recordings at a preset, set up in one place for the tests of every folder.

The simulator needs the preset twice (its sensor config and its name) and a :class:`Subject`; these helpers
take the preset's name once and a subject seed or a ready subject, and pass the rest through unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from acconeer.exptool import a121

from acquisition import Label, NegativeLabel, get_preset, simulate_everyday, simulate_session
from acquisition.sim import EverydayPlan, SessionPlan, Subject

__all__ = ["sim_everyday", "sim_session"]


class _Setup(TypedDict):
    """The keyword arguments both simulators take besides the path and the plan."""

    subject: Subject
    seed: int
    sensor_config: a121.SensorConfig
    preset: str


def _setup(subject: int | Subject, seed: int, preset: str) -> _Setup:
    """``subject`` (drawn by :meth:`Subject.from_seed` when it is a seed), ``seed`` and ``preset``'s config and name."""
    return _Setup(
        subject=subject if isinstance(subject, Subject) else Subject.from_seed(subject),
        seed=seed,
        sensor_config=get_preset(preset).sensor_config,
        preset=preset,
    )


def sim_session(
    path: Path, plan: SessionPlan, *, subject: int | Subject, seed: int, preset: str = "gesture_close"
) -> tuple[int, list[Label]]:
    """:func:`acquisition.simulate_session` of ``plan`` to ``path`` at ``preset``: its frames and labels."""
    return simulate_session(path, plan=plan, **_setup(subject, seed, preset))


def sim_everyday(
    path: Path,
    plan: EverydayPlan,
    *,
    subject: int | Subject,
    seed: int,
    preset: str = "gesture_close",
    **kwargs: Any,
) -> tuple[int, list[Label], list[NegativeLabel]]:
    """:func:`acquisition.simulate_everyday` of ``plan`` to ``path`` at ``preset`` (``kwargs``, such as
    ``on_progress``, passed on): its frames, gesture labels and cause labels."""
    return simulate_everyday(path, plan=plan, **_setup(subject, seed, preset), **kwargs)
