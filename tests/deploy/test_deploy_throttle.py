"""The throttle policy: purity, state sequences on synthetic observations, emulation and utilisation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from geometry_helpers import gesture_close_geometry

import dsp
from deploy.throttle import (
    EventCoverage,
    Phase,
    ThrottleConfig,
    ThrottleObservation,
    ThrottleState,
    ThrottleStream,
    ThrottleTrace,
    Utilisation,
    emulate_throttle,
    event_coverage,
    idle_power,
    onset_due,
    oracle_decisions,
    step,
    sweep_throttle,
)

GEOM = gesture_close_geometry(50.0)
# 50 Hz: hold 10, max active 100, cooldown 20 frames, decimation 4, head every 2 frames
CFG = ThrottleConfig(
    backoff_s=0.0,
    full_rate_hz=50.0,
    idle_decimation=4,
    onset_db=8.0,
    release_db=3.0,
    warmup_s=0.04,
    hold_s=0.2,
    max_active_s=2.0,
    cooldown_s=0.4,
    head_hop_frames=2,
)


def run(obs: list[ThrottleObservation], cfg: ThrottleConfig = CFG) -> list[tuple[ThrottleState, object]]:
    state = ThrottleState()
    out = []
    for o in obs:
        state, act = step(state, o, cfg=cfg)
        out.append((state, act))
    return out


def test_config_frames_and_validation() -> None:
    assert (CFG.warmup_frames, CFG.hold_frames, CFG.max_active_frames, CFG.cooldown_frames) == (2, 10, 100, 20)
    assert CFG.idle_rate_hz == pytest.approx(12.5)
    for bad in (
        {"idle_decimation": 0},
        {"idle_decimation": 2.0},
        {"full_rate_hz": -1.0},
        {"onset_db": math.nan},
        {"cooldown_s": -0.1},
        {"head_hop_frames": True},
        {"idle_point_offset": 2},  # the default step is 2: offsets 0 and 1
        {"idle_point_offset": -1},
    ):
        with pytest.raises(dsp.ParameterError, match=next(iter(bad))):
            ThrottleConfig(**bad)  # type: ignore[arg-type]


def test_step_is_pure() -> None:
    state = ThrottleState(phase=Phase.ACTIVE, active_frames=5, since_motion_frames=2, since_onset_frames=1)
    before = dataclasses.replace(state)
    obs = ThrottleObservation(ratio_db=9.0, decided=False)
    a = step(state, obs, cfg=CFG)
    b = step(state, obs, cfg=CFG)
    assert a == b
    assert state == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.phase = Phase.IDLE  # type: ignore[misc]


def test_wake_active_decide_cooldown_idle_sequence() -> None:
    quiet = ThrottleObservation(ratio_db=0.0)
    loud = ThrottleObservation(ratio_db=12.0)
    obs = [quiet, quiet, loud] + [loud] * 8 + [ThrottleObservation(ratio_db=math.nan, decided=True)] + [quiet] * 7
    res = run(obs)
    phases = [s.phase for s, _ in res]
    # idle, idle, wake, warmup frame, active..., decision -> cooldown (20 periods = 5 idle frames) -> idle
    assert phases[:3] == [Phase.IDLE, Phase.IDLE, Phase.ONSET]
    assert phases[3] == Phase.ONSET  # active_frames 1 < warmup 2
    assert phases[4:11] == [Phase.ACTIVE] * 7
    assert phases[11] == Phase.COOLDOWN
    assert phases[12:16] == [Phase.COOLDOWN] * 4
    assert phases[16:] == [Phase.IDLE] * 3
    acts = [a for _, a in res]
    assert not acts[0].full_rate and not acts[0].run_encoder
    # the trigger is an IDLE frame (too few sweeps for a map): nothing to encode yet
    assert acts[2].full_rate and not acts[2].run_encoder and acts[2].reset_head and not acts[2].run_head
    assert all(a.full_rate and a.run_encoder for a in acts[3:11])
    # head every 2nd ACTIVE frame
    assert [a.run_head for a in acts[4:11]] == [False, True, False, True, False, True, False]
    assert not any(a.full_rate or a.run_encoder or a.run_head for a in acts[11:])


def test_onset_due_every_decimation_periods() -> None:
    state = ThrottleState()
    due_idle = []
    for _ in range(3):
        due_idle.append(onset_due(state, cfg=CFG))
        state, _ = step(state, ThrottleObservation(ratio_db=0.0), cfg=CFG)
    assert due_idle == [True, True, True]
    state, _ = step(state, ThrottleObservation(ratio_db=20.0), cfg=CFG)  # wake
    due_full = []
    for _ in range(8):
        due = onset_due(state, cfg=CFG)
        due_full.append(due)
        state, _ = step(state, ThrottleObservation(ratio_db=20.0 if due else math.nan), cfg=CFG)
    assert due_full == [False, False, False, True] * 2


def test_ratio_ignored_when_not_due_and_nan_never_wakes() -> None:
    res = run([ThrottleObservation(ratio_db=math.nan)] * 5)
    assert all(s.phase == Phase.IDLE for s, _ in res)
    # in ACTIVE, a loud ratio on a frame that is not due does not count as motion
    state = ThrottleState(phase=Phase.ACTIVE, active_frames=3, since_motion_frames=4, since_onset_frames=0)
    assert not onset_due(state, cfg=CFG)
    new, _ = step(state, ThrottleObservation(ratio_db=30.0), cfg=CFG)
    assert new.since_motion_frames == 5


def test_hold_timeout_returns_to_idle_and_max_active_forces_cooldown() -> None:
    res = run([ThrottleObservation(ratio_db=12.0)] + [ThrottleObservation(ratio_db=0.0)] * 12)
    phases = [s.phase for s, _ in res]
    # the wake frame resets since_motion; the 10th full-rate frame without motion goes back to idle
    assert phases[9] == Phase.ACTIVE and phases[10] == Phase.IDLE
    cfg = dataclasses.replace(CFG, max_active_s=0.1)  # 5 frames
    res = run([ThrottleObservation(ratio_db=12.0)] * 8, cfg)
    assert [s.phase for s, _ in res][:6] == [
        Phase.ONSET,
        Phase.ONSET,
        Phase.ACTIVE,
        Phase.ACTIVE,
        Phase.ACTIVE,
        Phase.COOLDOWN,
    ]


def test_backoff_after_an_undecided_wake_raises_the_wake_level_until_it_expires_or_a_decision() -> None:
    # back-off 0.48 s = 24 periods = 6 IDLE frames of 4 periods, at 10 dB (onset_db 8)
    cfg = dataclasses.replace(CFG, backoff_s=0.48, backoff_db=2.0)
    wake, quiet, mid = (ThrottleObservation(ratio_db=v) for v in (12.0, 0.0, 9.0))
    res = run([wake] + [quiet] * 10, cfg)  # woken, then the hold ends the awake period: no decision
    state = res[-1][0]
    assert state.phase == Phase.IDLE and state.backoff_frames == 24
    # 9 dB wakes without the back-off, not during it; the back-off runs out after 6 IDLE frames
    assert step(dataclasses.replace(state, backoff_frames=0), mid, cfg=cfg)[0].phase == Phase.ONSET
    for left in (20, 16, 12, 8, 4, 0):
        state, _ = step(state, mid, cfg=cfg)
        assert (state.phase, state.backoff_frames) == (Phase.IDLE, left)
    assert step(state, mid, cfg=cfg)[0].phase == Phase.ONSET
    # a decision (also one taken after the awake period) clears it
    state = res[-1][0]
    state, _ = step(state, ThrottleObservation(ratio_db=0.0, decided=True), cfg=cfg)
    assert state.backoff_frames == 0
    assert step(state, mid, cfg=cfg)[0].phase == Phase.ONSET
    # max_active_s without a decision backs off too; a decided awake period does not
    short = dataclasses.replace(cfg, max_active_s=0.1)
    forced = run([wake] * 8, short)[5][0]
    assert (forced.phase, forced.backoff_frames) == (Phase.COOLDOWN, 24)
    decided = run([wake, wake, wake, ThrottleObservation(ratio_db=12.0, decided=True)], cfg)[3][0]
    assert (decided.phase, decided.backoff_frames) == (Phase.COOLDOWN, 0)
    # off with backoff_s = 0; a negative back-off is refused
    assert run([wake] + [quiet] * 10, dataclasses.replace(cfg, backoff_s=0.0))[-1][0].backoff_frames == 0
    with pytest.raises(dsp.ParameterError, match="backoff_db"):
        dataclasses.replace(cfg, backoff_db=-1.0)


def test_decision_ignored_outside_active() -> None:
    res = run([ThrottleObservation(ratio_db=0.0, decided=True)] * 3)
    assert all(s.phase == Phase.IDLE for s, _ in res)


def test_thresholds_compare_in_float32() -> None:
    cfg = dataclasses.replace(CFG, onset_db=6.1)
    just = float(np.float32(6.1))  # below 6.1 in float64, equal in float32
    assert just < 6.1
    new, _ = step(ThrottleState(), ThrottleObservation(ratio_db=just), cfg=cfg)
    assert new.phase == Phase.ONSET


def synthetic_power(n: int, bursts: list[tuple[int, int]], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = 1000.0 * np.exp(0.3 * rng.standard_normal(n))
    for s, e in bursts:
        p[s:e] *= 200.0
    return p


def test_emulation_quiet_stream_uses_idle_rate_only() -> None:
    p = synthetic_power(1001, [])
    tr = emulate_throttle(p, cfg=CFG, onset_cfg=dsp.OnsetConfig(), geometry=GEOM)
    u = tr.utilisation
    assert u.sensor_frames == 251 and u.onset_runs == 251
    assert u.encoder_runs == 0 and u.head_runs == 0
    assert np.array_equal(np.flatnonzero(tr.sensed), np.arange(0, 1001, 4))
    assert u.sensor_share == pytest.approx(251 / 1001)
    assert u.network_share(head_cost=5.0) == 0.0
    assert np.all(tr.phase == Phase.IDLE)


def test_emulation_bursts_utilisation_and_coverage() -> None:
    bursts = [(400, 430), (800, 820), (1300, 1340)]
    p = synthetic_power(1600, bursts)
    events = np.array(bursts)
    mask = oracle_decisions(events, p.size)
    tr = emulate_throttle(p, cfg=CFG, onset_cfg=dsp.OnsetConfig(), geometry=GEOM, decide=mask)
    u = tr.utilisation
    assert u.sensor_frames == int(tr.sensed.sum())
    assert u.encoder_runs == int(tr.encoder.sum()) and u.head_runs == int(tr.head.sum())
    assert u.onset_runs == int(np.isfinite(tr.ratio_db).sum())
    # every encoder run is on a sensed frame; unsensed frames only in idle-rate phases
    assert not np.any(tr.encoder & ~tr.sensed)
    assert np.all(np.isin(tr.phase[~tr.sensed], [Phase.IDLE, Phase.COOLDOWN]))
    assert u.network_share(head_cost=3.0) == pytest.approx(
        (u.encoder_runs + 3.0 * u.head_runs) / (p.size * (1 + 3.0 / CFG.head_hop_frames))
    )
    cov = event_coverage(tr, events)
    assert cov.events == 3 and cov.covered == 3 and cov.decided == 3
    assert np.all(cov.latency_frames <= CFG.idle_decimation + 1)
    assert tr.decisions.sum() == 3  # one decision per event, then cooldown
    # frames and powers give the same trace
    tr2 = emulate_throttle(p.copy(), cfg=CFG, onset_cfg=dsp.OnsetConfig(), geometry=GEOM, decide=mask.tolist())
    assert np.array_equal(tr.phase, tr2.phase)


def test_emulation_refuses_rate_mismatch_and_bad_stream() -> None:
    with pytest.raises(dsp.ParameterError, match="full_rate_hz"):
        emulate_throttle(
            np.ones(10), cfg=dataclasses.replace(CFG, full_rate_hz=57.0), onset_cfg=dsp.OnsetConfig(), geometry=GEOM
        )
    with pytest.raises(dsp.ParameterError, match="shape"):
        emulate_throttle(np.ones((2, 10)), cfg=CFG, onset_cfg=dsp.OnsetConfig(), geometry=GEOM)


def test_emulation_from_frames_equals_from_power(gesture_close_50: dsp.FrameGeometry) -> None:
    rng = np.random.default_rng(1)
    frames = 100 * (rng.standard_normal((120, 16, 6)) + 1j * rng.standard_normal((120, 16, 6)))
    frames[40:60] *= 30
    oc = dsp.OnsetConfig()
    a = emulate_throttle(frames, cfg=CFG, onset_cfg=oc, geometry=gesture_close_50)
    b = emulate_throttle(
        idle_power(frames, cfg=CFG, onset_cfg=oc, geometry=gesture_close_50),
        cfg=CFG,
        onset_cfg=oc,
        geometry=gesture_close_50,
    )
    assert np.array_equal(a.phase, b.phase) and np.array_equal(a.ratio_db, b.ratio_db, equal_nan=True)


@pytest.fixture
def gesture_close_50() -> dsp.FrameGeometry:
    return GEOM


def test_oracle_and_coverage_by_hand() -> None:
    mask = oracle_decisions([[2, 4], [8, 9]], 12, delay_frames=1)
    assert mask.astype(int).tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1]
    n = 12
    full = np.zeros(n, bool)
    full[3:5] = True
    z = np.zeros(n, bool)
    dec = z.copy()
    dec[5] = True
    util = Utilisation(frames=n, sensor_frames=0, onset_runs=0, encoder_runs=0, head_runs=0, head_hop_frames=1)
    tr = ThrottleTrace(
        phase=np.zeros(n, np.int8),
        sensed=z,
        full_rate=full,
        onset_computed=z,
        ratio_db=np.zeros(n),
        encoder=z,
        head=z,
        decisions=dec,
        utilisation=util,
    )
    cov = event_coverage(tr, [[2, 4], [8, 9]])
    assert (cov.events, cov.covered, cov.decided) == (2, 1, 1)
    assert cov.latency_frames.tolist() == [1]
    assert (cov.event_frames, cov.full_rate_frames, cov.full_rate_share) == (3, 1, 1 / 3)
    total = cov + cov
    assert isinstance(total, EventCoverage) and total.covered_share == 0.5


def test_sweep_adds_streams_and_orders_settings() -> None:
    bursts = [(300, 330), (700, 740)]
    streams = [
        ThrottleStream(power=synthetic_power(1000, bursts, seed=s), geometry=GEOM, events=np.array(bursts), name=str(s))
        for s in range(2)
    ]
    cfgs = [dataclasses.replace(CFG, onset_db=v) for v in (6.0, 60.0)]
    pts = sweep_throttle(streams, cfgs=cfgs, onset_cfg=dsp.OnsetConfig())
    assert [p.cfg.onset_db for p in pts] == [6.0, 60.0]
    low, high = pts
    assert low.coverage.events == 4 and low.coverage.covered == 4
    assert high.coverage.covered == 0 and high.utilisation.encoder_runs == 0
    assert high.utilisation.frames == 2000
    assert high.utilisation.sensor_share < low.utilisation.sensor_share
    mask = oracle_decisions(streams[0].events, 1000)
    single = emulate_throttle(streams[0].power, cfg=cfgs[0], onset_cfg=dsp.OnsetConfig(), geometry=GEOM, decide=mask)
    assert low.utilisation.encoder_runs > single.utilisation.encoder_runs


def test_onset_block_means_finite_powers_and_restarts() -> None:
    from deploy.throttle import OnsetBlock

    block = OnsetBlock()
    assert math.isnan(block.take())  # empty block
    for p in (2.0, float("nan"), 4.0, float("inf")):
        block.add(p)
    assert block.take() == 3.0  # bad frames are left out
    block.add(5.0)
    assert block.take() == 5.0  # the previous block is gone


def test_hann_idle_window_needs_three_sweeps() -> None:
    with pytest.raises(dsp.ParameterError, match="idle_sweeps >= 3"):
        ThrottleConfig(idle_sweeps=2, idle_window="hann")
    assert ThrottleConfig(idle_sweeps=2, idle_window="rect").idle_sweeps == 2
