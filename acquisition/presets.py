"""Named, validated sensor presets (DESIGN §3).

A preset is an ``a121.SensorConfig`` plus notes. Models record the preset they were trained on, and
data recorded with another configuration is refused by comparing configs with :func:`preset_for_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from acconeer.exptool import a121

from acquisition.errors import PresetError

__all__ = [
    "FEATURE_FIELDS",
    "PRESETS",
    "Preset",
    "config_mismatch",
    "get_preset",
    "preset_for_config",
    "sensor_config_with",
]


@dataclass(frozen=True, kw_only=True)
class Preset:
    """A named sensor configuration.

    Attributes:
        name: identifier used on the command line and stored in recordings.
        sensor_config_kwargs: keyword arguments of ``a121.SensorConfig`` (a single subsweep).
        notes: what the preset is for.
    """

    name: str
    sensor_config_kwargs: Mapping[str, Any]
    notes: str

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
    return config


def config_mismatch(config: a121.SensorConfig, reference: a121.SensorConfig) -> list[str]:
    """The feature-relevant fields where ``config`` differs from ``reference``, as ``name=a!=b``."""
    return [
        f"{name}={getattr(config, name)!r}!={getattr(reference, name)!r}"
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
                "matches the Acconeer gesture-control recordings."
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
        PresetError: an unknown field or a value exptool rejects; the message names it.
    """
    kwargs: dict[str, Any] = dict(preset.sensor_config_kwargs)
    for key, value in overrides.items():
        if key not in kwargs and key not in {"receiver_gain", "prf", "phase_enhancement", "frame_rate"}:
            raise PresetError(f"preset {preset.name!r} has no field {key!r}")
        kwargs[key] = value
    try:
        config = a121.SensorConfig(**kwargs)
    except (TypeError, ValueError) as exc:
        raise PresetError(f"invalid value for preset {preset.name!r}: {exc}") from None
    return _validated(config, preset.name)


def preset_for_config(config: a121.SensorConfig) -> str | None:
    """The name of the preset whose config equals ``config``, or None for a custom config."""
    for preset in PRESETS.values():
        if not config_mismatch(config, preset.sensor_config):
            return preset.name
    return None
