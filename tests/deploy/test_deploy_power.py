"""Per-state sensor configurations, exptool's power model and the IDLE-frame emulation (issue 11)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from acconeer.exptool import a121
from acconeer.exptool.a121.model import power as exptool_power
from geometry_helpers import gesture_close_geometry

import dsp
from acquisition import PresetError, get_preset
from acquisition.presets import (
    AS_RECORDED,
    SensorStates,
    deepest_inter_sweep_idle_state,
    hibernate_fits,
    state_configs,
)
from acquisition.sim import SessionPlan, SimClient, Subject
from acquisition.sim.session import plan_session
from deploy.power import PowerConfig, state_current_a, stream_energy, throttle_power
from deploy.throttle import ThrottleConfig, Utilisation, emulate_throttle, idle_power


def test_power_pinned_to_a_direct_exptool_call() -> None:
    """The IDLE current the throttle reports is exptool's, for a config built here by hand."""
    thr = ThrottleConfig(full_rate_hz=57.0, idle_decimation=6, idle_sweeps=4, idle_point_step=2)
    pw = throttle_power(thr)
    by_hand = a121.SensorConfig(
        start_point=20,
        num_points=3,  # every second point of the preset's 6
        step_length=24,
        profile=a121.Profile.PROFILE_1,
        hwaas=4,
        receiver_gain=15,
        prf=a121.PRF.PRF_19_5_MHz,
        sweeps_per_frame=4,
        sweep_rate=1000.0,
        frame_rate=9.5,
        inter_sweep_idle_state=a121.IdleState.DEEP_SLEEP,
        inter_frame_idle_state=a121.IdleState.DEEP_SLEEP,
    )
    direct = exptool_power.converged_average_current(
        a121.SessionConfig(by_hand),
        exptool_power.Sensor.IdleState.HIBERNATE,
        PowerConfig().absolute_tolerance_a,
        module=exptool_power.Module.none(),
    )
    assert pw.idle_current_a == direct
    assert 0.1e-3 < direct < 0.5e-3  # the table: 0.33 mA at 10 Hz
    # as recorded (READY between sweeps) at 57 Hz: the 54.7 mA
    rec = throttle_power(dataclasses.replace(thr, idle_sweeps=16, idle_point_step=1), states=AS_RECORDED)
    assert rec.full_current_a == pytest.approx(54.7e-3, rel=0.01)
    assert pw.full_current_a < rec.full_current_a / 5


def test_stream_energy_integrates_time_in_each_state_and_switches() -> None:
    thr = ThrottleConfig(full_rate_hz=50.0, idle_decimation=5, idle_sweeps=4)
    pw = throttle_power(thr)
    geom = gesture_close_geometry(50.0)
    # 1000 frames = 20 s: 100 full frames, 180 IDLE frames (900 periods), 8 switches
    util = Utilisation(
        frames=1000, sensor_frames=280, onset_runs=200, encoder_runs=100, head_runs=3, head_hop_frames=4,
        full_rate_frames=100, switches=8,
    )  # fmt: skip
    e = stream_energy(util, power=pw, geometry=geom, onset_cfg=dsp.OnsetConfig())
    charge = 100 * pw.full_current_a / 50.0 + 180 * pw.idle_current_a / 10.0 + 8 * pw.switch_charge_c
    assert e.seconds == 20.0
    assert e.sensor_ma == pytest.approx(1e3 * charge / 20.0, rel=1e-12)
    assert e.switch_ma == pytest.approx(1e3 * 8 * 2e-3 * 62.5e-3 / 20.0, rel=1e-12)
    assert e.mcu_ma > 0 and e.battery_h == pytest.approx(60.0 / (e.sensor_ma + e.mcu_ma))


def test_state_configs_validated_by_exptool_and_by_sweep_rate() -> None:
    p = get_preset("gesture_close")
    cfgs = state_configs(p, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=4)
    for c in cfgs.values():
        c.sensor_config.validate()
        c.session_config.validate()
    assert cfgs["idle"].sensor_config.sweeps_per_frame == 4 and cfgs["idle"].hibernate
    assert cfgs["full"].sensor_config.sweeps_per_frame == 16 and not cfgs["full"].hibernate
    # the lowest-current inter-sweep state 1000 Hz allows, used by the preset's full state
    assert deepest_inter_sweep_idle_state(cfgs["full"].sensor_config) == a121.IdleState.DEEP_SLEEP
    assert cfgs["full"].sensor_config.inter_sweep_idle_state == a121.IdleState.DEEP_SLEEP
    fast = dataclasses.replace(p, sensor_config_kwargs={**p.sensor_config_kwargs, "sweep_rate": 3000.0})
    with pytest.raises(PresetError, match="too deep"):
        state_configs(fast, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=4)
    with pytest.raises(PresetError, match="idle"):
        state_configs(p, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=17)
    with pytest.raises(PresetError, match="frame_rate"):  # exptool's own check: 16 sweeps at 1000 Hz < 70 Hz
        state_configs(p, full_rate_hz=70.0, idle_rate_hz=19.0, idle_sweeps=4)
    half = state_configs(p, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=4, idle_point_step=2)["idle"]
    assert (half.sensor_config.num_points, half.sensor_config.step_length) == (3, 24)  # points 20, 44, 68
    assert half.sensor_config.start_point == cfgs["idle"].sensor_config.start_point
    assert state_current_a(half) < state_current_a(cfgs["idle"])
    far = state_configs(p, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=4, idle_point_step=2, idle_point_offset=1)[
        "idle"
    ]
    assert (far.sensor_config.start_point, far.sensor_config.num_points) == (32, 3)  # points 32, 56, 80: to 0.20 m
    assert state_current_a(far) == pytest.approx(state_current_a(half), rel=1e-3)  # the same count of points
    with pytest.raises(PresetError, match="offset"):
        state_configs(p, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=4, idle_point_step=2, idle_point_offset=2)
    with pytest.raises(PresetError, match=r"[Ss]tep length"):  # exptool: 36 is no divisor or multiple of 24
        state_configs(p, full_rate_hz=57.0, idle_rate_hz=19.0, idle_sweeps=4, idle_point_step=3)
    with pytest.raises(PresetError):
        SensorStates(idle_inter_sweep_idle_state="NAP")


def test_hibernation_between_frames_only_where_the_period_leaves_time_for_it() -> None:
    """A state hibernates between frames only if waking up, the frame and going down fit in its period (exptool's
    timings), so the frame rate never changes; its current is then exptool's with HIBERNATE, else without."""
    p = get_preset("gesture_close")

    def direct_ma(config: a121.SensorConfig, hibernate: bool) -> float:
        lower = exptool_power.Sensor.IdleState.HIBERNATE if hibernate else None
        session = a121.SessionConfig(a121.SensorConfig.from_dict(config.to_dict()))
        cur = exptool_power.converged_average_current(
            session, lower, PowerConfig().absolute_tolerance_a, module=exptool_power.Module.none()
        )
        return 1e3 * float(cur)

    # the free-running rate of the recordings: 17.5 ms hold a 16-sweep frame (about 15 ms) but not 4.5 ms more
    fast = state_configs(p, full_rate_hz=57.142857, idle_rate_hz=19.047619, idle_sweeps=5, idle_point_step=2)
    assert not fast["full"].hibernate and fast["idle"].hibernate
    assert 1e3 * state_current_a(fast["full"]) == pytest.approx(direct_ma(fast["full"].sensor_config, False))
    # exptool's model alone would return a lower current for a period the sensor cannot keep
    assert direct_ma(fast["full"].sensor_config, True) < direct_ma(fast["full"].sensor_config, False)
    # every second frame (35 ms): the same frames hibernate in between, for about half the current
    half = state_configs(p, full_rate_hz=28.5714, idle_rate_hz=9.5238, idle_sweeps=5, idle_point_step=2)
    assert half["full"].hibernate
    assert 1e3 * state_current_a(half["full"]) == pytest.approx(direct_ma(half["full"].sensor_config, True))
    assert state_current_a(half["full"]) < 0.55 * state_current_a(fast["full"])
    # an IDLE frame of all 16 sweeps at the full rate has no time to hibernate either
    full_idle = state_configs(p, full_rate_hz=57.142857, idle_rate_hz=57.142857, idle_sweeps=16)["idle"]
    assert not full_idle.hibernate
    # the boundary is where the active part with hibernation equals the period
    rates = np.linspace(30.0, 57.0, 28)
    fits = [hibernate_fits(state_configs(p, full_rate_hz=r, idle_rate_hz=r, idle_sweeps=16)["full"].sensor_config)
            for r in rates]  # fmt: skip
    assert fits[0] and not fits[-1] and fits == sorted(fits, reverse=True)
    assert not hibernate_fits(p.sensor_config)  # free-running: no time between frames
    asked = SensorStates(full_inter_sweep_idle_state="DEEP_SLEEP", full_hibernate=False, idle_hibernate=True)
    assert not state_configs(p, full_rate_hz=28.5714, idle_rate_hz=9.5238, idle_sweeps=5, states=asked)[
        "full"
    ].hibernate  # only where the preset asks for it


def _render(scene, config: a121.SensorConfig, n: int) -> np.ndarray:
    client = SimClient(scene, chunk_frames=256)  # a real a121.Client subclass, connected on creation
    client.setup_session(config)
    client.start_session()
    frames = np.stack([client.get_next().frame for _ in range(n)])  # type: ignore[union-attr]
    client.stop_session()
    client.close()
    return frames


@pytest.mark.parametrize(
    ("noise", "step", "offset"),
    [(False, 1, 0), (True, 1, 0), (False, 2, 0), (False, 2, 1)],
    ids=["noiseless", "noisy", "noiseless-half-points", "noiseless-half-points-from-the-second"],
)
def test_simulator_idle_rendering_matches_emulation(noise: bool, step: int, offset: int) -> None:
    """The simulator rendering the IDLE config directly equals the emulation from a full-rate rendering:
    exactly without sensor noise (same sweep times), in distribution with it (independent noise draws);
    also with IDLE sweeps of every second point (``step_length`` 24: a subset of the full points), from the
    first point or from the second (``start_point`` one full step further)."""
    subject = Subject.from_seed(21)
    scene = plan_session(SessionPlan(gestures=("tap_in", "wiggle"), reps_per_gesture=2), subject=subject, seed=5)
    if not noise:
        scene = dataclasses.replace(
            scene, physics=dataclasses.replace(scene.physics, noise_std_hwaas4_counts=0.0, phase_noise_std_rad=0.0)
        )
    p = get_preset("gesture_close")
    full_cfg = p.sensor_config  # free-running, as the recordings
    full_rate = 1.0 / (16 / 1000.0 + 0.0015)  # the simulator's free-running period
    thr = ThrottleConfig(
        full_rate_hz=full_rate, idle_decimation=3, idle_sweeps=4, idle_point_step=step, idle_point_offset=offset
    )
    idle_cfg = state_configs(
        p,
        full_rate_hz=full_rate,
        idle_rate_hz=thr.idle_rate_hz,
        idle_sweeps=4,
        idle_point_step=step,
        idle_point_offset=offset,
    )["idle"]
    assert idle_cfg.sensor_config.step_length == 12 * step
    assert idle_cfg.sensor_config.start_point == full_cfg.start_point + 12 * offset
    n_idle = 200
    full = _render(scene, full_cfg, 3 * n_idle)
    direct = _render(scene, idle_cfg.sensor_config, n_idle)
    emulated = full[:: thr.idle_decimation, : thr.idle_sweeps, offset::step]
    assert direct.shape == emulated.shape == (n_idle, 4, 6 // step)
    geom = gesture_close_geometry(full_rate)
    oc = dsp.OnsetConfig()
    p_direct = idle_power(direct, cfg=thr, onset_cfg=oc, geometry=geom)  # IDLE frames as they come
    p_emul = idle_power(full[:: thr.idle_decimation], cfg=thr, onset_cfg=oc, geometry=geom)
    if not noise:
        np.testing.assert_allclose(direct, emulated, atol=1.0)  # int16 rounding of the same signal
        np.testing.assert_allclose(p_direct, p_emul, rtol=0.05, atol=1e3)
    else:
        # independent noise: the per-point amplitude and the onset power agree in distribution
        amp_d = np.median(np.abs(direct), axis=(0, 1))
        amp_e = np.median(np.abs(emulated), axis=(0, 1))
        np.testing.assert_allclose(amp_d, amp_e, rtol=0.1)
        assert math.isclose(np.median(p_direct), np.median(p_emul), rel_tol=0.25)
        assert not np.array_equal(direct, emulated)
        # the throttle wakes on both (the session holds four gestures in 11 s)
        for stream in (p_direct, p_emul):
            tr = emulate_throttle(
                np.repeat(stream, 3), cfg=thr, onset_cfg=oc, geometry=geom
            )  # powers at the full rate, one IDLE frame in three is read
            assert tr.utilisation.full_rate_frames > 0


def test_deep_sleep_between_sweeps_keeps_the_data() -> None:
    """The full state's DEEP_SLEEP between sweeps keeps the sweep period (exptool's timing tables: the sensor
    leaves DEEP_SLEEP within 1 / sweep_rate), and the simulator, which renders each sweep at its time,
    gives the same frames as with the recordings' READY (same scene, same seed)."""
    p = get_preset("gesture_close")
    full_rate = 1.0 / (16 / 1000.0 + 0.0015)
    full = state_configs(p, full_rate_hz=full_rate, idle_rate_hz=full_rate / 3, idle_sweeps=4)["full"]
    assert full.sensor_config.inter_sweep_idle_state == a121.IdleState.DEEP_SLEEP
    sensor = exptool_power.Sensor.default()
    active = exptool_power.api.sweep_active(full.sensor_config, sensor=sensor).duration
    assert 1.0 / 1000.0 - active >= sensor.time_for_measure_transition[a121.IdleState.DEEP_SLEEP]
    scene = plan_session(SessionPlan(gestures=("tap_in",), reps_per_gesture=1), subject=Subject.from_seed(3), seed=2)
    np.testing.assert_allclose(_render(scene, full.sensor_config, 100), _render(scene, p.sensor_config, 100), atol=1.0)


def test_sweep_grid_takes_each_steps_offsets_below_it() -> None:
    """``--idle-point-offsets 0,1`` with steps 1 and 2: step 1 has only offset 0, step 2 both (``P2+1``)."""
    from deploy.sweep import SweepConfig

    grid = SweepConfig(idle_decimations=(3,), idle_sweeps=(5,), idle_point_steps=(1, 2), idle_point_offsets=(0, 1))
    base = ThrottleConfig(idle_decimation=4, idle_sweeps=6, idle_point_step=2, idle_point_offset=1, hold_s=0.3)
    names = [name for name, _, _ in grid.settings(base)]
    assert names == [
        "bundle default (D4 S6 P2+1 H0.3)",  # the bundle's own throttle first, then the one before issue 11
        "before issue 11: 16 IDLE sweeps",
        "D3 S5 H0.3",
        "D3 S5 P2 H0.3",
        "D3 S5 P2+1 H0.3",
    ]
    assert [t.idle_point_offset for _, t, _ in grid.settings(base)] == [1, 0, 0, 0, 1]
    with pytest.raises(dsp.ParameterError, match="leave no point"):
        SweepConfig(idle_point_steps=(1,), idle_point_offsets=(1,))
