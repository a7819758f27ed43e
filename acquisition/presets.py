"""Named, validated sensor presets (DESIGN §3).

A preset is an ``a121.SensorConfig`` plus notes. Models record the preset they were trained on, and
data recorded with another configuration is refused by comparing configs with :func:`preset_for_config`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acconeer.exptool import a121

from acquisition.errors import PresetError

__all__ = [
    "AS_RECORDED",
    "FEATURE_FIELDS",
    "PRESETS",
    "Preset",
    "SensorStates",
    "StateConfig",
    "config_mismatch",
    "deepest_inter_sweep_idle_state",
    "get_preset",
    "hibernate_fits",
    "preset_for_config",
    "sensor_config_with",
    "state_configs",
    "sweep_active_s",
]


@dataclass(frozen=True, kw_only=True)
class SensorStates:
    """The idle states of the sensor in each throttle state (what decimation cannot emulate).

    The throttle's full state (ONSET/ACTIVE) runs the preset's config at the full frame rate with
    ``full_*`` idle states; its IDLE state runs the first ``idle_sweeps`` sweeps of that config at
    ``full rate / idle_decimation`` (both from the throttle config) with ``idle_*`` idle states. A state whose
    ``*_hibernate`` is set hibernates between frames (exptool's power model calls this the session's
    ``lower_idle_state``; on a device it is ``acc_hal`` hibernate on/off around each frame) wherever its frame
    period leaves time to leave and re-enter hibernation (:func:`hibernate_fits`), so the frame rate, hence the
    data, never changes; where it does not, the state keeps its inter-frame idle state.

    Fields:
        full_inter_sweep_idle_state / full_inter_frame_idle_state: ``a121.IdleState`` names, full state.
        idle_inter_sweep_idle_state / idle_inter_frame_idle_state: the same in IDLE.
        full_hibernate / idle_hibernate: hibernate between full / IDLE frames where the period allows.

    The IDLE frame's sweeps and rate are the throttle's (``deploy.throttle.ThrottleConfig``: ``idle_sweeps``
    and ``idle_decimation``), since the emulation on recorded data varies them.
    """

    full_inter_sweep_idle_state: str = "READY"
    full_inter_frame_idle_state: str = "DEEP_SLEEP"
    idle_inter_sweep_idle_state: str = "READY"
    idle_inter_frame_idle_state: str = "DEEP_SLEEP"
    full_hibernate: bool = False
    idle_hibernate: bool = False

    def __post_init__(self) -> None:
        for name in (
            "full_inter_sweep_idle_state",
            "full_inter_frame_idle_state",
            "idle_inter_sweep_idle_state",
            "idle_inter_frame_idle_state",
        ):
            value = getattr(self, name)
            if value not in a121.IdleState.__members__:
                raise PresetError(f"{name} must be one of {', '.join(a121.IdleState.__members__)}, got {value!r}")


#: The idle states the gesture recordings were made with (exptool's defaults): READY between sweeps,
#: DEEP_SLEEP between frames, no hibernation.
AS_RECORDED = SensorStates()


@dataclass(frozen=True, kw_only=True)
class StateConfig:
    """One throttle state's sensor configuration, as exptool and its power model take it.

    Fields:
        sensor_config: a validated ``a121.SensorConfig`` (frame rate set).
        hibernate: HIBERNATE between frames (the power model's ``lower_idle_state``).
    """

    sensor_config: a121.SensorConfig
    hibernate: bool = False

    @property
    def session_config(self) -> a121.SessionConfig:
        """A validated ``a121.SessionConfig`` of this state (a fresh copy each time)."""
        session = a121.SessionConfig(a121.SensorConfig.from_dict(self.sensor_config.to_dict()))
        session.validate()
        return session

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: exptool's own dict of the sensor config (enums by name) and ``hibernate``."""
        import json

        return {"sensor_config": json.loads(self.sensor_config.to_json()), "hibernate": self.hibernate}


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A named sensor configuration.

    Attributes:
        name: identifier used on the command line and stored in recordings.
        sensor_config_kwargs: keyword arguments of ``a121.SensorConfig`` (a single subsweep); the idle
            states are those of the recordings (READY).
        notes: what the preset is for.
        states: the idle states per throttle state (:class:`SensorStates`, :func:`state_configs`).
    """

    name: str
    sensor_config_kwargs: Mapping[str, Any]
    notes: str
    states: SensorStates = AS_RECORDED

    @property
    def sensor_config(self) -> a121.SensorConfig:
        """A fresh, validated ``a121.SensorConfig`` (exptool configs are mutable, so never share one)."""
        return _validated(a121.SensorConfig(**self.sensor_config_kwargs), self.name)


#: Fields that change the meaning of the features; two configs that agree on these are compatible.
FEATURE_FIELDS = ("start_point", "num_points", "step_length", "profile", "sweeps_per_frame", "sweep_rate")


def _validated(config: a121.SensorConfig, what: str) -> a121.SensorConfig:
    try:
        config.validate()
    except (a121.ValidationError, ValueError) as exc:
        raise PresetError(f"preset {what!r} is invalid: {exc}") from None
    # exptool leaves these to the sensor; we need them to build Doppler and range axes.
    if config.sweep_rate is None or config.sweep_rate <= 0:
        raise PresetError(f"preset {what!r}: sweep_rate must be set (Hz), got {config.sweep_rate!r}")
    if not 1 <= config.hwaas <= 511:
        raise PresetError(f"preset {what!r}: hwaas must be in 1..511, got {config.hwaas!r}")
    if config.num_subsweeps != 1:
        raise PresetError(f"preset {what!r}: exactly one subsweep is supported, got {config.num_subsweeps}")
    active_s, period_s = sweep_active_s(config), 1.0 / float(config.sweep_rate)
    if active_s > period_s:  # e.g. hwaas raised past what the sweep rate leaves time for
        raise PresetError(
            f"preset {what!r}: a sweep takes {active_s * 1e3:.2f} ms (hwaas {config.hwaas}, "
            f"{config.num_points} points), longer than the {period_s * 1e3:.2f} ms period of sweep_rate "
            f"{config.sweep_rate:g} Hz; lower hwaas or the sweep rate"
        )
    return config


def sweep_active_s(config: a121.SensorConfig) -> float:
    """How long the sensor measures one sweep of ``config`` [s], from exptool's power model timing tables
    (``acconeer.exptool.a121.model.power``); exptool's ``SensorConfig.validate`` does not compare it with the sweep
    period."""
    from acconeer.exptool.a121.model import power

    return float(power.api.sweep_active(config, sensor=power.Sensor.default(), module=power.Module.none()).duration)


def config_mismatch(config: a121.SensorConfig, reference: a121.SensorConfig) -> list[str]:
    """The feature-relevant fields where ``config`` differs from ``reference``, as ``name=a!=b`` (an enum by its
    name, as a bundle's manifest and ``detect`` show it)."""

    def show(value: object) -> str:
        return repr(value.name) if isinstance(value, enum.Enum) else repr(value)

    return [
        f"{name}={show(getattr(config, name))}!={show(getattr(reference, name))}"
        for name in FEATURE_FIELDS
        if getattr(config, name) != getattr(reference, name)
    ]


PRESETS: Mapping[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="gesture_close",
            sensor_config_kwargs=dict(
                start_point=20,
                num_points=6,
                step_length=12,
                profile=a121.Profile.PROFILE_1,
                hwaas=4,
                sweeps_per_frame=16,
                sweep_rate=1000.0,
                frame_rate=None,
                receiver_gain=15,
                prf=a121.PRF.PRF_19_5_MHz,
            ),
            notes=(
                "Default. Sparse IQ at 0.05-0.20 m, 16 sweeps at 1000 Hz, free-running frames (about 57 Hz); "
                "matches the Acconeer gesture-control recordings. Throttled: DEEP_SLEEP between sweeps and "
                "frames at full rate (HIBERNATE between frames only at a rate that leaves time for it, up to "
                "about 49 Hz); IDLE frames (by default 5 sweeps of every second point at 19 Hz) with "
                "DEEP_SLEEP between sweeps and HIBERNATE between frames (docs/results_power.md)."
            ),
            states=SensorStates(
                full_inter_sweep_idle_state="DEEP_SLEEP",
                full_inter_frame_idle_state="DEEP_SLEEP",
                idle_inter_sweep_idle_state="DEEP_SLEEP",
                idle_inter_frame_idle_state="DEEP_SLEEP",
                full_hibernate=True,
                idle_hibernate=True,
            ),
        ),
        Preset(
            name="gesture_far",
            sensor_config_kwargs=dict(
                start_point=40,
                num_points=8,
                step_length=24,
                profile=a121.Profile.PROFILE_2,
                hwaas=8,
                sweeps_per_frame=16,
                sweep_rate=1000.0,
                frame_rate=None,
            ),
            notes="Longer range, 0.10-0.52 m, PROFILE_2: for hands further from the sensor.",
        ),
    )
}


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``; the error lists the known names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise PresetError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


def sensor_config_with(preset: Preset, **overrides: object) -> a121.SensorConfig:
    """The preset's config with some fields replaced, validated.

    Raises:
        PresetError: an unknown field or a value exptool rejects; the message names it (an overridden value that
            exptool's ``validate`` refuses is blamed, with exptool's reason and limit, not the preset).
    """
    kwargs: dict[str, Any] = dict(preset.sensor_config_kwargs)
    for key, value in overrides.items():
        if key not in kwargs and key not in {"receiver_gain", "prf", "phase_enhancement", "frame_rate"}:
            raise PresetError(f"preset {preset.name!r} has no field {key!r}")
        kwargs[key] = value
    try:
        config = a121.SensorConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        given = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        raise PresetError(f"invalid value for preset {preset.name!r} ({given}): {exc}") from None
    try:
        config.validate()
    except a121.ValidationError as exc:
        if exc.aspect in overrides:  # e.g. a frame rate above what the preset's sweeps allow
            value = overrides[exc.aspect]
            shown = f"{value:g}" if isinstance(value, float) else repr(value)
            reason = "; ".join(line.strip().rstrip(".") for line in exc.message.splitlines() if line.strip())
            raise PresetError(f"{exc.aspect}={shown} does not fit preset {preset.name!r}: {reason}") from None
    return _validated(config, preset.name)


def preset_for_config(config: a121.SensorConfig) -> str | None:
    """The name of the preset whose config equals ``config``, or None for a custom config."""
    for preset in PRESETS.values():
        if not config_mismatch(config, preset.sensor_config):
            return preset.name
    return None


def deepest_inter_sweep_idle_state(config: a121.SensorConfig) -> a121.IdleState:
    """The lowest-current inter-sweep idle state that keeps ``config``'s sweep rate.

    Uses the timing tables of exptool's power model (``acconeer.exptool.a121.model.power``): a state is
    allowed when ``1 / sweep_rate - sweep_active >= time_for_measure_transition[state]``, i.e. the sensor
    can enter and leave it between two sweeps without stretching the sweep period (which is what the
    Doppler axis depends on). exptool's ``SensorConfig.validate`` does not check this itself.
    """
    from acconeer.exptool.a121.model import power

    if not config.sweep_rate:
        return a121.IdleState.READY
    sensor = power.Sensor.default()
    gap = 1.0 / float(config.sweep_rate) - sweep_active_s(config)
    best = a121.IdleState.READY
    for state in (a121.IdleState.SLEEP, a121.IdleState.DEEP_SLEEP):
        if gap >= sensor.time_for_measure_transition[state]:
            best = state
    return best


def hibernate_fits(config: a121.SensorConfig) -> bool:
    """Whether the sensor can hibernate between the frames of ``config`` and keep its frame rate.

    Uses exptool's power model (``acconeer.exptool.a121.model.power``): the active part of a frame with HIBERNATE
    as the lower idle state (waking up, the frame, going down again: about 4.5 ms more than the frame) must fit in
    the frame period. A free-running config (``frame_rate`` unset) leaves no time between frames. exptool's own
    ``converged_average_current`` does not check this: it returns a current for a rate the sensor cannot keep.
    The session is :attr:`StateConfig.session_config`'s, so an invalid config raises exptool's validation error.
    """
    from acconeer.exptool.a121.model import power

    if not config.frame_rate:
        return False
    session = StateConfig(sensor_config=config).session_config
    active = power.api.group_active(session, power.Sensor.IdleState.HIBERNATE)
    return bool(active.duration <= 1.0 / float(config.frame_rate))


def _idle(name: str) -> a121.IdleState:
    return a121.IdleState[name]


def state_configs(
    preset: Preset,
    *,
    full_rate_hz: float,
    idle_rate_hz: float,
    idle_sweeps: int,
    idle_point_step: int = 1,
    idle_point_offset: int = 0,
    states: SensorStates | None = None,
) -> dict[str, StateConfig]:
    """The sensor configuration of each throttle state: ``{"full": ..., "idle": ...}``.

    ``full`` (ONSET and ACTIVE) is the preset's config at ``full_rate_hz`` with the full idle states; ``idle`` keeps the
    first ``idle_sweeps`` sweeps at the same sweep rate and every ``idle_point_step``-th distance point from the
    full config's point ``idle_point_offset`` (``start_point`` moved by that many full steps, ``step_length`` times
    ``idle_point_step``: a subset of the full points), at ``idle_rate_hz``, with the idle states (``states``
    defaults to the preset's). Every config passes exptool's field validators, ``SensorConfig.validate()`` and
    ``SessionConfig.validate()``, and an inter-sweep idle state deeper than :func:`deepest_inter_sweep_idle_state`
    allows is refused. A state hibernates between frames when its ``*_hibernate`` asks for it and
    :func:`hibernate_fits` allows it.

    Raises:
        PresetError: an invalid configuration; the message names the state and the reason.
    """
    st = states or preset.states
    out: dict[str, StateConfig] = {}
    for name, rate, sweeps, sweep_idle, frame_idle, hib in (
        ("full", full_rate_hz, None, st.full_inter_sweep_idle_state, st.full_inter_frame_idle_state, st.full_hibernate),
        (
            "idle",
            idle_rate_hz,
            idle_sweeps,
            st.idle_inter_sweep_idle_state,
            st.idle_inter_frame_idle_state,
            st.idle_hibernate,
        ),
    ):
        kwargs: dict[str, Any] = dict(preset.sensor_config_kwargs)
        kwargs["frame_rate"] = float(rate)
        kwargs["inter_sweep_idle_state"] = _idle(sweep_idle)
        kwargs["inter_frame_idle_state"] = _idle(frame_idle)
        if sweeps is not None:
            if not 2 <= sweeps <= int(kwargs["sweeps_per_frame"]):
                raise PresetError(
                    f"{preset.name}: idle sweeps must be in 2..{kwargs['sweeps_per_frame']}, got {sweeps}"
                )
            kwargs["sweeps_per_frame"] = int(sweeps)
            if not (isinstance(idle_point_step, int) and idle_point_step >= 1):
                raise PresetError(f"{preset.name}: idle point step must be an integer >= 1, got {idle_point_step}")
            if not (isinstance(idle_point_offset, int) and 0 <= idle_point_offset < idle_point_step):
                raise PresetError(
                    f"{preset.name}: idle point offset must be an integer in 0..{idle_point_step - 1}, "
                    f"got {idle_point_offset}"
                )
            full_points, full_step = int(kwargs["num_points"]), int(kwargs["step_length"])
            kwargs["start_point"] = int(kwargs["start_point"]) + idle_point_offset * full_step
            kwargs["num_points"] = len(range(idle_point_offset, full_points, idle_point_step))
            kwargs["step_length"] = full_step * idle_point_step
        try:
            config = a121.SensorConfig(**kwargs)
            # exptool's field validators (e.g. step_length a divisor or multiple of 24) run on construction
            # of a subsweep, not on the keyword arguments passed through SensorConfig: round-trip to run them
            config = a121.SensorConfig.from_dict(config.to_dict())
            a121.SessionConfig(config).validate()
        except (a121.ValidationError, ValueError, TypeError) as exc:
            raise PresetError(f"{preset.name} {name} state: invalid sensor config ({exc})") from None
        _validated(config, f"{preset.name} {name} state")
        allowed = deepest_inter_sweep_idle_state(config)
        if config.inter_sweep_idle_state.is_deeper_than(allowed):
            raise PresetError(
                f"{preset.name} {name} state: inter_sweep_idle_state {config.inter_sweep_idle_state.name} is "
                f"too deep for sweep_rate {config.sweep_rate:g} Hz (deepest allowed: {allowed.name})"
            )
        out[name] = StateConfig(sensor_config=config, hibernate=hib and hibernate_fits(config))
    return out
