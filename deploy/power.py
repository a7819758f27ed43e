"""Energy of a throttled stream: the A121's current from exptool's power model, an MCU term, battery hours.

The sensor figure comes from Acconeer's own model, ``acconeer.exptool.a121.model.power``:
:func:`state_current_a` calls ``converged_average_current(session_config, lower_idle_state,
absolute_tolerance, module=Module.none())`` with the exact ``a121.SessionConfig`` of each throttle state
(:func:`acquisition.presets.state_configs`; ``lower_idle_state`` is HIBERNATE for a state that hibernates
between frames, else None). ``Module.none()`` leaves the module (MCU) out: the MCU is the second term.

A stream as the throttle ran it (:class:`deploy.throttle.Utilisation`) is integrated as

    charge = idle_frames * I_idle / idle_rate + full_frames * I_full / full_rate + switches * Q_switch

(each sensed frame occupies one period of its own configuration) over ``frames / full_rate`` seconds.

**Switch cost (modelled, not measured: no sensor here).** On the device a configuration change is a new
session setup (``acc_sensor_prepare`` with the other config, the calibration reused, no recalibration);
exptool's model has no term for it, so :class:`PowerConfig` charges ``switch_s`` at the sensor's READY
current from exptool's own table (``Sensor.default().inter_sweep_currents[READY]``) per switch. At the
default 2 ms it fits in one full-rate frame period (17.5 ms), so no frame is lost and the emulation's
timing holds. Through exptool on a host (``Client.stop_session`` / ``setup_session`` / ``start_session``
over USB) a setup takes host round trips (tens of ms); that is the EVK's cost, not the earbud's, and is
not what the battery figure models.

**MCU term (assumptions; the firmware issue replaces them with measured instructions).** Active core
charge per cycle from the bundle's :class:`deploy.export.McuModel` (``active_ua_per_mhz``: 52 µA/MHz,
nRF52840 class): encoder and head runs at the report's cycles, the range-Doppler map of each full frame
and the onset power of each frame at ``cycles_per_mac`` per real multiply-add of their DFTs, plus a sleep
floor ``mcu_sleep_a`` (System ON with RTC). Radio, audio and regulators are not counted.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

from acquisition.presets import AS_RECORDED, Preset, SensorStates, StateConfig, get_preset, state_configs
from deploy.throttle import ThrottleConfig, Utilisation
from dsp import FrameGeometry, OnsetConfig, ParameterError

__all__ = [
    "EnergyReport",
    "PowerConfig",
    "StatePower",
    "run_energy",
    "state_current_a",
    "stream_energy",
    "throttle_power",
]


@dataclass(frozen=True, kw_only=True)
class PowerConfig:
    """Assumptions of the energy figure.

    Fields:
        absolute_tolerance_a: convergence tolerance of exptool's ``converged_average_current`` [A].
        switch_s: time of one configuration switch on the device [s] (modelled, see the module docstring).
        battery_mah: cell capacity for the battery hours [mAh] (an earbud cell holds 50–60 mAh).
        mcu_sleep_a: MCU sleep floor between frames [A].
        mcu_clock_hz, mcu_cycles_per_mac, mcu_active_ua_per_mhz: MCU assumptions when the bundle carries
            none (:class:`deploy.export.McuModel`'s defaults) [Hz], [cycles/MAC], [µA/MHz].
    """

    absolute_tolerance_a: float = 1e-6
    switch_s: float = 2e-3
    battery_mah: float = 60.0
    mcu_sleep_a: float = 2e-6
    mcu_clock_hz: float = 64e6
    mcu_cycles_per_mac: float = 2.0
    mcu_active_ua_per_mhz: float = 52.0

    def __post_init__(self) -> None:
        for name in (
            "absolute_tolerance_a",
            "battery_mah",
            "mcu_clock_hz",
            "mcu_cycles_per_mac",
            "mcu_active_ua_per_mhz",
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ParameterError(f"{name} must be finite and > 0, got {v!r}")
        for name in ("switch_s", "mcu_sleep_a"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ParameterError(f"{name} must be finite and >= 0, got {v!r}")


@functools.lru_cache(maxsize=256)
def _current_cached(config_json: str, hibernate: bool, tolerance: float) -> float:
    from acconeer.exptool import a121
    from acconeer.exptool.a121.model import power

    session = a121.SessionConfig(a121.SensorConfig.from_json(config_json))
    session.validate()
    lower = power.Sensor.IdleState.HIBERNATE if hibernate else None
    return float(power.converged_average_current(session, lower, tolerance, module=power.Module.none()))


def state_current_a(state: StateConfig, *, cfg: PowerConfig | None = None) -> float:
    """Average A121 current of one state's session [A], from exptool's ``converged_average_current``
    (``Module.none()``: sensor only; HIBERNATE as ``lower_idle_state`` when the state hibernates)."""
    c = cfg or PowerConfig()
    return _current_cached(state.sensor_config.to_json(), state.hibernate, c.absolute_tolerance_a)


def _switch_charge_c(cfg: PowerConfig) -> float:
    from acconeer.exptool import a121
    from acconeer.exptool.a121.model import power

    return cfg.switch_s * float(power.Sensor.default().inter_sweep_currents[a121.IdleState.READY])


@dataclass(frozen=True, kw_only=True)
class StatePower:
    """The sensor configurations of a throttle setting and their currents.

    Fields:
        full, idle: the states' configurations (:func:`acquisition.presets.state_configs`).
        full_current_a, idle_current_a: exptool's average current of each [A].
        full_rate_hz, idle_rate_hz: their frame rates [Hz].
        switch_charge_c: charge of one configuration switch [C].
    """

    full: StateConfig
    idle: StateConfig
    full_current_a: float
    idle_current_a: float
    full_rate_hz: float
    idle_rate_hz: float
    switch_charge_c: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: both configs (exptool's dicts) and the currents in mA."""
        return {
            "full": {**self.full.to_dict(), "current_ma": 1e3 * self.full_current_a},
            "idle": {**self.idle.to_dict(), "current_ma": 1e3 * self.idle_current_a},
            "switch_charge_uc": 1e6 * self.switch_charge_c,
        }


def throttle_power(
    throttle: ThrottleConfig,
    *,
    preset: Preset | str = "gesture_close",
    states: SensorStates | None = None,
    cfg: PowerConfig | None = None,
) -> StatePower:
    """The per-state sensor configurations of ``throttle`` (at its ``full_rate_hz``) and their currents.

    ``states`` defaults to the preset's low-power states; :data:`acquisition.presets.AS_RECORDED` gives
    the recordings' READY states (always-on as recorded, and the throttle before this module).
    """
    c = cfg or PowerConfig()
    p = get_preset(preset) if isinstance(preset, str) else preset
    configs = state_configs(
        p,
        full_rate_hz=throttle.full_rate_hz,
        idle_rate_hz=throttle.idle_rate_hz,
        idle_sweeps=throttle.idle_sweeps,
        idle_point_step=throttle.idle_point_step,
        idle_point_offset=throttle.idle_point_offset,
        states=states,
    )
    return StatePower(
        full=configs["full"],
        idle=configs["idle"],
        full_current_a=state_current_a(configs["full"], cfg=c),
        idle_current_a=state_current_a(configs["idle"], cfg=c),
        full_rate_hz=throttle.full_rate_hz,
        idle_rate_hz=throttle.idle_rate_hz,
        switch_charge_c=_switch_charge_c(c),
    )


@dataclass(frozen=True, kw_only=True)
class EnergyReport:
    """Average currents of a stream as the throttle ran it.

    Fields:
        seconds: stream duration [s].
        sensor_ma: A121 average current (exptool's model, switches included) [mA].
        switch_ma: of which configuration switches [mA].
        mcu_ma: MCU average current (see the module docstring) [mA].
        battery_mah: cell capacity [mAh].
    """

    seconds: float
    sensor_ma: float
    switch_ma: float
    mcu_ma: float
    battery_mah: float

    @property
    def total_ma(self) -> float:
        """Sensor plus MCU [mA]."""
        return self.sensor_ma + self.mcu_ma

    @property
    def battery_h(self) -> float:
        """Hours on ``battery_mah`` at ``total_ma`` [h]."""
        return self.battery_mah / self.total_ma if self.total_ma > 0 else math.inf

    def to_dict(self) -> dict[str, float]:
        return {
            "seconds": self.seconds,
            "sensor_ma": self.sensor_ma,
            "switch_ma": self.switch_ma,
            "mcu_ma": self.mcu_ma,
            "total_ma": self.total_ma,
            "battery_h": self.battery_h,
        }

    def summary(self) -> str:
        return (
            f"A121 {self.sensor_ma:.3f} mA (exptool power model; switches {self.switch_ma:.4f} mA) + "
            f"MCU {self.mcu_ma:.3f} mA (estimate) = {self.total_ma:.3f} mA; "
            f"{self.battery_h:.1f} h on a {self.battery_mah:g} mAh cell"
        )


def _mcu(manifest: dict[str, Any] | None, cfg: PowerConfig) -> tuple[float, float, float, float]:
    """(charge per cycle [C], cycles per MAC, encoder cycles, head cycles) from a bundle manifest."""
    mcu = (manifest or {}).get("report", {}).get("mcu", {})
    ua_per_mhz = float(mcu.get("active_ua_per_mhz", cfg.mcu_active_ua_per_mhz))
    cpm = float(mcu.get("cycles_per_mac", cfg.mcu_cycles_per_mac))
    macs = (manifest or {}).get("model", {}).get("macs", {})
    enc = float(mcu.get("encoder_cycles", cpm * float(macs.get("encoder_per_frame", 0))))
    head = float(mcu.get("head_cycles", cpm * float(macs.get("head_per_hop", 0))))
    # I = ua_per_mhz * f; charge per cycle = I / f
    return ua_per_mhz * 1e-12, cpm, enc, head


def stream_energy(
    util: Utilisation,
    *,
    power: StatePower,
    geometry: FrameGeometry,
    onset_cfg: OnsetConfig,
    manifest: dict[str, Any] | None = None,
    cfg: PowerConfig | None = None,
) -> EnergyReport:
    """Integrate the currents over a stream as the throttle ran it (see the module docstring).

    Args:
        util: the run's counts (always-on: every frame full, no switch).
        power: the states' currents (:func:`throttle_power`).
        geometry: the full frames; the stream lasts ``util.frames / geometry.frame_rate_hz`` seconds.
        onset_cfg: the onset metric (its motion bins set the onset power's cost).
        manifest: a bundle manifest (MCU cycles of encoder and head); None leaves the network out.
    """
    c = cfg or PowerConfig()
    seconds = util.frames / geometry.frame_rate_hz
    if seconds <= 0:
        raise ParameterError("stream_energy needs a stream of at least one frame")
    full = util.full_rate_frames
    idle = util.sensor_frames - full
    charge_sw = util.switches * power.switch_charge_c
    charge = full * power.full_current_a / power.full_rate_hz + idle * power.idle_current_a / power.idle_rate_hz
    charge += charge_sw
    per_cycle, cpm, enc_cycles, head_cycles = _mcu(manifest, c)
    idle_sweeps = power.idle.sensor_config.sweeps_per_frame
    sweeps, points = geometry.sweeps_per_frame, geometry.num_points
    motion = int(onset_cfg.bin_mask(dataclasses.replace(geometry, sweeps_per_frame=idle_sweeps)).sum())
    # real multiply-adds: 4 per complex product, the map over every bin, the onset power over the motion bins
    map_cycles = 4.0 * sweeps * sweeps * points * cpm
    onset_cycles = 4.0 * motion * idle_sweeps * power.idle.sensor_config.num_points * cpm
    cycles = util.encoder_runs * enc_cycles + util.head_runs * head_cycles if manifest else 0.0
    cycles += full * map_cycles + util.sensor_frames * onset_cycles
    mcu_charge = cycles * per_cycle + c.mcu_sleep_a * seconds
    return EnergyReport(
        seconds=seconds,
        sensor_ma=1e3 * charge / seconds,
        switch_ma=1e3 * charge_sw / seconds,
        mcu_ma=1e3 * mcu_charge / seconds,
        battery_mah=c.battery_mah,
    )


def run_energy(
    util: Utilisation,
    *,
    manifest: dict[str, Any],
    geometry: FrameGeometry,
    onset_cfg: OnsetConfig,
    throttle: ThrottleConfig,
    always_on: bool,
    states: SensorStates | None = None,
    cfg: PowerConfig | None = None,
) -> tuple[EnergyReport, StatePower]:
    """The energy of one bundle run (``detect``, the sweep): the bundle's preset, its throttle at the
    stream's frame rate, and ``states`` (default: the preset's low-power states when throttled, the
    recordings' READY states always-on, i.e. the sensor as recorded)."""
    thr = dataclasses.replace(throttle, full_rate_hz=geometry.frame_rate_hz)
    st = states if states is not None else (AS_RECORDED if always_on else None)
    pw = throttle_power(thr, preset=str(manifest["sensor"]["preset"]), states=st, cfg=cfg)
    return stream_energy(util, power=pw, geometry=geometry, onset_cfg=onset_cfg, manifest=manifest, cfg=cfg), pw
