"""Energy and battery life from the firmware's measured instructions (DESIGN §8b, issue 14 part 4).

**MCU term (measured work, stated part).** The firmware in QEMU counts the instructions it executes on a
stream (:class:`deploy.firmware.FirmwareRun`). On a named Cortex-M4F part at a stated clock the core is
active ``instructions x CPI / f`` seconds and asleep otherwise (sleep between frames, woken by the
sensor's interrupt), so its average current over a stream of ``T`` seconds is

    I_mcu = I_sleep + (instructions x CPI / f) / T x (I_active - I_sleep),   I_active = uA/MHz x f.

QEMU counts instructions, not cycles; ``cycles_per_instruction`` (1.25) is an assumption covering
multi-cycle loads, branches and flash wait states on a Cortex-M4 with an instruction cache.

**Sensor term.** The A121's average current comes from exptool's power model
(``acconeer.exptool.a121.model.power``) through :func:`deploy.power.run_energy` (the power-aware
throttle's sensor configuration of each state, switches charged as it states; always-on: the sensor as
recorded), fed the firmware's own counts: full-rate and IDLE frames sensed and configuration switches.

**Battery.** Hours on a cell of ``battery_mah`` at the sum of both currents (regulator losses ignored);
milliwatts at the cell's nominal voltage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["EnergyFigures", "McuPart", "mcu_current_a", "stream_figures"]


@dataclass(frozen=True, kw_only=True)
class McuPart:
    """The Cortex-M4F part the instructions are charged to.

    Fields:
        name: the part.
        clock_hz: core clock [Hz].
        active_ua_per_mhz: run current per MHz, code from flash, DC/DC on [uA/MHz] (nRF52840 product
            specification: 3.3 mA at 64 MHz, i.e. 52 uA/MHz).
        sleep_ua: System ON idle with the RTC running and RAM retained [uA] (nRF52840 class).
        cycles_per_instruction: cycles per executed instruction (assumption, see the module docstring).
        battery_mah: earbud cell capacity [mAh].
        cell_v: the cell's nominal voltage for the milliwatt figure [V].
    """

    name: str = "Nordic nRF52840 (Cortex-M4F)"
    clock_hz: float = 64e6
    active_ua_per_mhz: float = 52.0
    sleep_ua: float = 3.0
    cycles_per_instruction: float = 1.25
    battery_mah: float = 60.0
    cell_v: float = 3.7

    @property
    def active_a(self) -> float:
        return self.active_ua_per_mhz * 1e-6 * self.clock_hz / 1e6


def mcu_current_a(instructions: float, seconds: float, *, part: McuPart | None = None) -> float:
    """Average MCU current [A] for ``instructions`` executed over ``seconds`` (see the module docstring).

    Raises:
        ValueError: the work does not fit in real time at the part's clock.
    """
    p = part or McuPart()
    duty = instructions * p.cycles_per_instruction / p.clock_hz / seconds
    if duty > 1.0:
        raise ValueError(f"{instructions:.3g} instructions in {seconds:.3g} s need more than {p.clock_hz / 1e6:g} MHz")
    return p.sleep_ua * 1e-6 + duty * (p.active_a - p.sleep_ua * 1e-6)


@dataclass(frozen=True, kw_only=True)
class EnergyFigures:
    """Average currents and battery life of one stream."""

    case: str
    seconds: float
    instructions_per_s: float
    mcu_ma: float
    sensor_ma: float
    sensor_model: str
    part: McuPart

    @property
    def total_ma(self) -> float:
        return self.mcu_ma + self.sensor_ma

    @property
    def mw(self) -> float:
        return self.total_ma * self.part.cell_v

    @property
    def battery_h(self) -> float:
        return self.part.battery_mah / self.total_ma if self.total_ma > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "seconds": self.seconds,
            "instructions_per_s": self.instructions_per_s,
            "mcu_ma": self.mcu_ma,
            "sensor_ma": self.sensor_ma,
            "total_ma": self.total_ma,
            "mw": self.mw,
            "battery_h": self.battery_h,
            "sensor_model": self.sensor_model,
        }


def stream_figures(
    case: str,
    run: Any,
    *,
    manifest: dict[str, Any],
    geometry: Any,
    part: McuPart | None = None,
    low_power_always_on: bool = False,
) -> EnergyFigures:
    """The energy of a :class:`deploy.firmware.FirmwareRun` over its stream (full-rate frames of
    ``geometry``): the measured MCU term and the A121 term of :func:`deploy.power.run_energy` for the
    firmware's own counts (full-rate and IDLE frames sensed, configuration switches).

    Always-on, the sensor is taken as recorded (READY between sweeps and frames, as
    :func:`deploy.power.run_energy` does), or with ``low_power_always_on`` in the preset's low-power
    full-rate state (the device's configuration with the throttle off)."""
    import dsp
    from deploy.power import run_energy
    from deploy.throttle import ThrottleConfig, Utilisation

    p = part or McuPart()
    c = run.counters
    seconds = c["frames"] / geometry.frame_rate_hz
    instructions = run.instructions("frames")
    mcu = mcu_current_a(instructions, seconds, part=p)
    thr = ThrottleConfig(**manifest["throttle"])
    util = Utilisation(
        frames=c["frames"],
        sensor_frames=c["sensor_frames"],
        onset_runs=c["onset_runs"],
        encoder_runs=c["encoder_runs"],
        head_runs=c["head_runs"],
        head_hop_frames=thr.head_hop_frames,
        full_rate_frames=c["awake_frames"],
        switches=c["switches"],
    )
    states = None
    if run.always_on and low_power_always_on:
        from acquisition import get_preset

        states = get_preset(str(manifest["sensor"]["preset"])).states
    rep, pw = run_energy(
        util,
        manifest=manifest,
        geometry=geometry,
        onset_cfg=dsp.OnsetConfig(**manifest["features"]["onset"]),
        throttle=thr,
        always_on=run.always_on,
        states=states,
    )
    full_ma, idle_ma = 1e3 * pw.full_current_a, 1e3 * pw.idle_current_a
    if run.always_on:
        how = "sensor as recorded" if not low_power_always_on else "low-power full-rate state"
        model = f"exptool power model via deploy.power: full state {full_ma:.3f} mA ({how})"
    else:
        model = f"exptool power model via deploy.power: full {full_ma:.3f} mA, IDLE {idle_ma:.3f} mA, switches"
    return EnergyFigures(
        case=case,
        seconds=seconds,
        instructions_per_s=instructions / seconds,
        mcu_ma=1e3 * mcu,
        sensor_ma=rep.sensor_ma,
        sensor_model=model,
        part=p,
    )
