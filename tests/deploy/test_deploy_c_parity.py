"""The C99 feature, onset and throttle code against the Python pipeline, through ctypes.

Tolerance rule for float outputs: ``|c - py| <= 1e-4 * max(1, |py|)`` element-wise, i.e. 1e-4 absolute
for values up to 1 and 1e-4 relative above; NaN must sit at the same places. Throttle phases and actions
must be identical. Real files are used for parity only (nothing is tuned here), and only training-side ones:
the held-out idx_3 files and static_hand_idx_1 are never read.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import shutil
import subprocess

import numpy as np
import pytest
from geometry_helpers import gesture_close_geometry

import dsp
from deploy import (
    Phase,
    ThrottleConfig,
    ThrottleObservation,
    ThrottleState,
    compile_objects,
    config_h_text,
    emulate_throttle,
    find_compiler,
    idle_geometry,
    object_size,
    oracle_decisions,
    step,
)
from deploy.c_build import C_SOURCES

TOL = 1e-4
REAL = ("tap_in_idx_1", "wiggle_idx_2", "dynamic_hand_idx_1")

pytestmark = pytest.mark.skipif(find_compiler() is None, reason="no C compiler")


def geom(frame_rate_hz: float) -> dsp.FrameGeometry:
    """The gesture_close geometry at ``frame_rate_hz``."""
    return gesture_close_geometry(frame_rate_hz)


def max_err(c: np.ndarray, py: np.ndarray) -> float:
    """Largest ``|c - py| / max(1, |py|)``; NaN positions must agree."""
    c = np.asarray(c, dtype=np.float64)
    py = np.asarray(py, dtype=np.float64)
    assert np.array_equal(np.isnan(c), np.isnan(py)), "NaN positions differ"
    ok = ~np.isnan(py)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(c[ok] - py[ok]) / np.maximum(1.0, np.abs(py[ok]))))


def check_features(lib, frames: np.ndarray, geometry: dsp.FrameGeometry, rd_cfg: dsp.RangeDopplerConfig) -> None:
    rd_c, p_c = lib.features(frames)
    with np.errstate(invalid="ignore"):
        rd_py = dsp.range_doppler(frames, cfg=rd_cfg)
    p_py = dsp.onset_power(frames, cfg=dsp.OnsetConfig(), geometry=geometry)
    assert max_err(rd_c, rd_py) <= TOL
    assert max_err(p_c, p_py) <= TOL


@pytest.mark.parametrize("name", REAL)
def test_features_and_onset_real(name: str, real_stream, c_library) -> None:
    frames, geometry = real_stream(name)
    lib = c_library(geometry)
    check_features(lib, frames, geometry, dsp.RangeDopplerConfig())
    _, p_c = lib.features(frames, with_map=False)
    _, p_i16 = lib.features(frames, with_map=False, int16=True)
    assert np.array_equal(p_c, p_i16)  # real samples are int16 counts
    oc = dsp.OnsetConfig()
    rate = geometry.frame_rate_hz
    m, f, r = lib.onset(p_c, smooth_frames=oc.smoothing_frames(rate), floor_frames=oc.floor_frames(rate))
    ref = dsp.onset_metric(frames, cfg=oc, geometry=geometry)
    assert max_err(m, ref.metric) <= TOL
    assert max_err(f, ref.floor) <= TOL
    assert max_err(r, ref.ratio_db) <= TOL


def test_features_and_onset_sim(sim_stream, c_library) -> None:
    frames, geometry = sim_stream
    lib = c_library(geometry)
    check_features(lib, frames, geometry, dsp.RangeDopplerConfig())
    oc = dsp.OnsetConfig()
    _, p_c = lib.features(frames, with_map=False)
    for rate_geometry in (geometry, dataclasses.replace(geometry, frame_rate_hz=geometry.frame_rate_hz / 4)):
        rate = rate_geometry.frame_rate_hz
        m, f, r = lib.onset(p_c, smooth_frames=oc.smoothing_frames(rate), floor_frames=oc.floor_frames(rate))
        ref = dsp.onset_metric(frames, cfg=oc, geometry=rate_geometry)
        assert max_err(m, ref.metric) <= TOL and max_err(f, ref.floor) <= TOL and max_err(r, ref.ratio_db) <= TOL


def test_missing_frames_match_dsp(real_stream, c_library) -> None:
    frames, geometry = real_stream("tap_in_idx_1")
    x = frames[:1500].copy()
    bad = np.zeros(len(x), dtype=bool)
    bad[[0, 7, 300, 301, 302, 900]] = True
    x = dsp.mask_bad_frames(x, bad)
    x[1000, 3, 2] = np.nan  # one bad sample: NaN in that point's column only, as dsp
    lib = c_library(geometry)
    check_features(lib, x, geometry, dsp.RangeDopplerConfig())
    oc = dsp.OnsetConfig()
    _, p_c = lib.features(x, with_map=False)
    rate = geometry.frame_rate_hz
    m, f, r = lib.onset(p_c, smooth_frames=oc.smoothing_frames(rate), floor_frames=oc.floor_frames(rate))
    ref = dsp.onset_metric(x, cfg=oc, geometry=geometry)
    assert np.isnan(f[0]) and np.isnan(ref.floor[0])
    assert max_err(m, ref.metric) <= TOL and max_err(f, ref.floor) <= TOL and max_err(r, ref.ratio_db) <= TOL


@pytest.mark.parametrize(
    "rd_cfg",
    [
        dsp.RangeDopplerConfig(compression="db", normalisation="frame_max"),
        dsp.RangeDopplerConfig(compression="none", normalisation="none"),
        dsp.RangeDopplerConfig(compression="log1p", reference_amplitude=3.0, normalisation="frame_max"),
    ],
    ids=["db-frame_max", "none-none", "log1p-frame_max"],
)
def test_other_feature_modes(rd_cfg: dsp.RangeDopplerConfig, real_stream, c_library) -> None:
    frames, geometry = real_stream("wiggle_idx_2")
    x = frames[:800].copy()
    x[5] = 0.0  # a silent frame: frame_max gives 0 in dsp
    check_features(c_library(geometry, rd_cfg), x, geometry, rd_cfg)


@pytest.mark.parametrize(
    ("rd_cfg", "thr"),
    [
        (dsp.RangeDopplerConfig(), ThrottleConfig(full_rate_hz=50.0)),
        (dsp.RangeDopplerConfig(compression="db", normalisation="frame_max"), ThrottleConfig(full_rate_hz=50.0)),
        (dsp.RangeDopplerConfig(compression="none", normalisation="none"), ThrottleConfig(full_rate_hz=50.0)),
        (dsp.RangeDopplerConfig(), ThrottleConfig(full_rate_hz=50.0, idle_sweeps=7, idle_point_step=4)),
        (dsp.RangeDopplerConfig(), ThrottleConfig(full_rate_hz=50.0, idle_sweeps=16, idle_point_step=1)),
        (
            dsp.RangeDopplerConfig(),
            ThrottleConfig(full_rate_hz=50.0, idle_sweeps=5, idle_point_step=4, idle_point_offset=3),
        ),
        (dsp.RangeDopplerConfig(), ThrottleConfig(full_rate_hz=50.0, idle_point_step=2, idle_point_offset=1)),
    ],
    ids=["default", "db-frame_max", "none-none", "s7-step4", "s16-step1", "s5-step4-from3", "step2-from1"],
)
def test_idle_map_matches_dsp_on_random_frames(rd_cfg: dsp.RangeDopplerConfig, thr: ThrottleConfig, c_library) -> None:
    """``rg_features_idle_map*`` == :func:`dsp.idle_range_doppler` (float32 tolerance), from a full frame and from
    the IDLE frame cut out of it, float and int16 samples; NaN samples give NaN where dsp gives them."""
    geometry = geom(50.0)
    lib = c_library(geometry, rd_cfg, thr)
    rng = np.random.default_rng(7)
    shape = (40, geometry.sweeps_per_frame, geometry.num_points)
    x = np.round(rng.normal(0, 300, shape) + 1j * rng.normal(0, 300, shape) + 2000 - 800j)
    x[3] = 0.0  # a silent frame
    x[5, 0, 0] = 1e4 + 0j  # one strong sample
    first, step = thr.idle_point_offset, thr.idle_point_step
    py = dsp.idle_range_doppler(x, cfg=rd_cfg, idle_sweeps=thr.idle_sweeps, point_step=step, point_offset=first)
    assert np.ptp(py) > 0.1  # the maps are not trivial
    cut = x[:, : thr.idle_sweeps, first::step]
    for c in (
        lib.idle_map(x),
        lib.idle_map(x, int16=True),
        lib.idle_map(cut, full=False),
        lib.idle_map(cut, full=False, int16=True),
    ):
        assert max_err(c, py) <= TOL
    bad = x.copy()
    bad[7] = np.nan  # a missing frame
    bad[9, 1, first + step if first + step < x.shape[-1] else first] = np.nan  # one bad sample on an IDLE point
    with np.errstate(invalid="ignore"):
        py_bad = dsp.idle_range_doppler(
            bad, cfg=rd_cfg, idle_sweeps=thr.idle_sweeps, point_step=step, point_offset=first
        )
    assert np.isnan(py_bad).any() or rd_cfg.normalisation == "frame_max"
    assert max_err(lib.idle_map(bad), py_bad) <= TOL


CONFIGS = [
    ThrottleConfig(full_rate_hz=57.0),
    ThrottleConfig(full_rate_hz=57.0, idle_decimation=1, warmup_s=0.1, head_hop_frames=1, cooldown_s=0.0),
    ThrottleConfig(
        full_rate_hz=57.0, idle_decimation=7, onset_db=6.1, release_db=2.3, hold_s=0.15, max_active_s=0.5, backoff_s=0.0
    ),
    ThrottleConfig(full_rate_hz=57.0, hold_s=0.1, max_active_s=0.4, backoff_s=1.0, backoff_db=2.3),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=["default", "d1-warmup", "d7-short", "backoff"])
def test_throttle_policy_identical_on_random_observations(cfg: ThrottleConfig, c_library) -> None:
    geometry = geom(57.0)
    lib = c_library(geometry)
    rng = np.random.default_rng(5)
    # ratios around and exactly at the thresholds (float32 values), NaNs, random decisions
    specials = [cfg.onset_db, cfg.release_db, cfg.backoff_onset_db, float(np.float32(cfg.onset_db)), math.nan]
    py_state = c_state = ThrottleState()
    phases = set()
    backoff_wakes = 0
    for i in range(6000):
        ratio = float(rng.choice(specials)) if rng.random() < 0.2 else float(rng.normal(4.0, 6.0))
        obs = ThrottleObservation(ratio_db=ratio, decided=bool(rng.random() < 0.05))
        held = py_state.phase == Phase.IDLE and py_state.backoff_frames > 0 and not obs.decided
        backoff_wakes += held and np.float32(cfg.onset_db) <= obs.ratio_db < np.float32(cfg.backoff_onset_db)
        py_state, py_act = step(py_state, obs, cfg=cfg)
        c_state, c_act = lib.throttle_step(c_state, obs, cfg=cfg)
        assert (c_state, c_act) == (py_state, py_act), f"step {i}"
        phases.add(py_state.phase)
    assert len(phases) == 4
    # the back-off kept the sensor in IDLE: never when off, and in the config whose short hold makes it frequent
    assert backoff_wakes == 0 if cfg.backoff_s == 0.0 else backoff_wakes > 0 or cfg is not CONFIGS[-1]


@pytest.mark.parametrize("name", [*REAL, "sim"])
def test_throttle_end_to_end_identical(name: str, real_stream, sim_stream, c_library) -> None:
    """C features → C idle onset → C throttle equals dsp → deploy.throttle on a whole stream."""
    frames, geometry = sim_stream if name == "sim" else real_stream(name)
    oc = dsp.OnsetConfig()
    cfg = ThrottleConfig(full_rate_hz=geometry.frame_rate_hz)
    events = dsp.segment(
        dsp.onset_metric(frames, cfg=oc, geometry=geometry).ratio_db,
        cfg=dsp.SegmentConfig(),
        frame_rate_hz=geometry.frame_rate_hz,
    )
    mask = oracle_decisions(events, len(frames))
    py = emulate_throttle(frames, cfg=cfg, onset_cfg=oc, geometry=geometry, decide=mask)
    idle = idle_geometry(geometry, cfg=cfg).frame_rate_hz
    c = c_library(geometry).emulate(
        frames, cfg=cfg, smooth_frames=oc.smoothing_frames(idle), floor_frames=oc.floor_frames(idle), decide=mask
    )
    for field in ("phase", "sensed", "full_rate", "onset_computed", "encoder", "head", "decisions"):
        assert np.array_equal(getattr(c, field), getattr(py, field)), field
    assert c.utilisation == py.utilisation
    assert max_err(c.ratio_db, py.ratio_db) <= TOL
    assert py.utilisation.encoder_runs > 0


@pytest.mark.parametrize(("name", "first"), [("tap_in_idx_1", 0), ("sim", 0), ("sim", 1)])
def test_throttle_end_to_end_identical_on_idle_points(
    name: str, first: int, real_stream, sim_stream, c_library
) -> None:
    """With IDLE frames of every second point (and 4 sweeps, rectangular window), from the first point or the
    second, the C device loop, which receives IDLE frames of those points only, equals the Python emulation; C
    idle power of a full frame equals that of its IDLE frame."""
    from deploy.throttle import idle_power

    frames, geometry = sim_stream if name == "sim" else real_stream(name)
    oc = dsp.OnsetConfig()
    cfg = ThrottleConfig(
        full_rate_hz=geometry.frame_rate_hz,
        idle_sweeps=4,
        idle_window="rect",
        idle_point_step=2,
        idle_point_offset=first,
    )
    idle = idle_geometry(geometry, cfg=cfg)
    assert (idle.num_points, idle.step_length) == (3, 2 * geometry.step_length)
    assert idle.start_point == geometry.start_point + first * geometry.step_length
    lib = c_library(geometry, throttle=cfg)
    cut = frames[:200, : cfg.idle_sweeps, first::2]
    py_power = idle_power(frames[:200], cfg=cfg, onset_cfg=oc, geometry=geometry)
    assert max_err(lib.idle_power(cut), py_power) <= TOL
    assert max_err(idle_power(cut, cfg=cfg, onset_cfg=oc, geometry=geometry), py_power) == 0.0
    every = dataclasses.replace(cfg, idle_point_step=1, idle_point_offset=0)
    for other in (every, dataclasses.replace(cfg, idle_point_offset=1 - first)):
        assert not np.allclose(
            py_power, idle_power(frames[:200], cfg=other, onset_cfg=oc, geometry=geometry), equal_nan=True
        )
    events = dsp.segment(
        dsp.onset_metric(frames, cfg=oc, geometry=geometry).ratio_db,
        cfg=dsp.SegmentConfig(),
        frame_rate_hz=geometry.frame_rate_hz,
    )
    mask = oracle_decisions(events, len(frames))
    py = emulate_throttle(frames, cfg=cfg, onset_cfg=oc, geometry=geometry, decide=mask)
    c = lib.emulate(
        frames,
        cfg=cfg,
        smooth_frames=oc.smoothing_frames(idle.frame_rate_hz),
        floor_frames=oc.floor_frames(idle.frame_rate_hz),
        decide=mask,
    )
    for field in ("phase", "sensed", "full_rate", "onset_computed", "encoder", "head", "decisions"):
        assert np.array_equal(getattr(c, field), getattr(py, field)), field
    assert c.utilisation == py.utilisation
    assert max_err(c.ratio_db, py.ratio_db) <= TOL
    assert py.utilisation.encoder_runs > 0


def test_config_h_literals_round_trip() -> None:
    geometry = geom(56.7)
    text = config_h_text(
        geometry=geometry,
        rd_cfg=dsp.RangeDopplerConfig(),
        onset_cfg=dsp.OnsetConfig(),
        throttle_cfg=ThrottleConfig(full_rate_hz=56.7),
    )
    hann = re.search(r"#define RG_HANN_TABLE \{(.*?)\}", text, re.S)
    assert hann is not None
    values = [float(v.strip().rstrip("f")) for v in hann.group(1).replace("\\", "").split(",")]
    assert np.array_equal(np.float32(values), dsp.hann_window(16).astype(np.float32))
    assert "#define RG_ONSET_FLOOR_FRAMES_FULL    227" in text
    idle = round(4.0 * 56.7 / ThrottleConfig().idle_decimation)
    assert f"#define RG_ONSET_FLOOR_FRAMES_IDLE    {idle}" in text
    with pytest.raises(dsp.ParameterError, match="clutter"):
        config_h_text(
            geometry=geometry,
            rd_cfg=dsp.RangeDopplerConfig(clutter=dsp.ClutterConfig()),
            onset_cfg=dsp.OnsetConfig(),
            throttle_cfg=ThrottleConfig(full_rate_hz=56.7),
        )
    with pytest.raises(dsp.ParameterError, match="full_rate_hz"):
        config_h_text(
            geometry=geometry,
            rd_cfg=dsp.RangeDopplerConfig(),
            onset_cfg=dsp.OnsetConfig(),
            throttle_cfg=ThrottleConfig(full_rate_hz=80.0),
        )


def test_code_size_with_os(tmp_path) -> None:
    geometry = geom(57.0)
    text = config_h_text(
        geometry=geometry, rd_cfg=dsp.RangeDopplerConfig(), onset_cfg=dsp.OnsetConfig(), throttle_cfg=ThrottleConfig()
    )
    (tmp_path / "config.h").write_text(text)
    sizes = compile_objects(tmp_path, ("-Os",))
    assert set(sizes) == {"radargest_features", "radargest_throttle", "radargest_decision"}
    assert 0 < sizes["radargest_features"] < 4096 and 0 < sizes["radargest_throttle"] < 1024
    assert 0 < sizes["radargest_decision"] < 4096
    for src in C_SOURCES:
        obj = tmp_path / src.replace(".c", ".o")
        sec = object_size(obj)
        assert sec.ram == 0  # no static state: everything lives in caller structs
        if shutil.which("size"):
            out = subprocess.run(["size", str(obj)], capture_output=True, text=True, check=True).stdout
            text = int(out.splitlines()[1].split()[0])
            assert text == sec.text + sec.rodata


@pytest.mark.parametrize("backoff", [False, True], ids=["no-backoff", "backoff"])
def test_detect_python_and_c_switch_states_at_the_same_frames(backoff, tiny_bundle, sim_stream, c_library) -> None:
    """``detect`` (deploy.runtime), the Python emulation and the C device loop wake, release and cool down
    at the same full-rate frames on the emulated IDLE frames (first ``idle_sweeps`` sweeps of the kept
    frames). No decision is accepted (min_score above 1), so the phases depend on the onset alone; with a
    back-off every awake period ends without a decision, so every later wake needs the back-off level."""
    from deploy.runtime import detect_frames, load_bundle

    frames, geometry = sim_stream
    bundle = load_bundle(tiny_bundle)
    oc = dsp.OnsetConfig()
    assert bundle.onset == oc  # the C library below is built with the default onset config
    levels = {"backoff_s": 3.0, "backoff_db": 4.0} if backoff else {"backoff_s": 0.0}
    cfg = ThrottleConfig(full_rate_hz=geometry.frame_rate_hz, **levels)
    assert cfg.idle_sweeps < geometry.sweeps_per_frame
    res = detect_frames(frames, bundle, geometry=geometry, throttle=cfg, decision=dsp.DecisionConfig(min_score=1.01))
    assert not res.events
    py = emulate_throttle(frames, cfg=cfg, onset_cfg=oc, geometry=geometry)
    idle = idle_geometry(geometry, cfg=cfg).frame_rate_hz
    c = c_library(geometry).emulate(
        frames, cfg=cfg, smooth_frames=oc.smoothing_frames(idle), floor_frames=oc.floor_frames(idle)
    )

    def transitions(trace) -> list[tuple[int, int]]:
        out, prev = [], 0  # Phase.IDLE
        for t in np.flatnonzero(trace.sensed):
            if int(trace.phase[t]) != prev:
                prev = int(trace.phase[t])
                out.append((int(t), prev))
        return out

    assert transitions(py) == transitions(c) == list(res.transitions)
    assert len(res.transitions) >= 4  # the session's gestures wake the throttle
    # the back-off changes when the sensor wakes (fewer wakes), so the comparison above covers it
    off = emulate_throttle(frames, cfg=dataclasses.replace(cfg, backoff_s=0.0), onset_cfg=oc, geometry=geometry)
    assert (transitions(off) != transitions(py)) == backoff
    assert res.utilisation.full_rate_frames == py.utilisation.full_rate_frames
    assert res.utilisation.switches == py.utilisation.switches == c.utilisation.switches > 0


# -- decision layer (radargest_decision.c against dsp.decision) --------------------------------------
DECISION_CLASSES = ("none", "tap_in", "tap_out", "double_tap_in", "wiggle")


def window_classifier(start: int, end: int, window_end: int) -> np.ndarray:
    """A deterministic stand-in for the head (float32 probabilities): the top class and its score vary with
    the window, so every branch (prefix, non-prefix, none, below min_score) is taken on a real stream."""
    k = (window_end // 3 + end - start) % len(DECISION_CLASSES)
    p = np.full(len(DECISION_CLASSES), 0.05, dtype=np.float32)
    p[k] = np.float32(0.35 + 0.1 * (window_end % 6))
    return p


def _policy(
    rate: float,
    *,
    cfg: dsp.DecisionConfig | None = None,
    segment: dsp.SegmentConfig | None = None,
    point_ranges_m: np.ndarray | None = None,
    window_frames: int = 50,
) -> dsp.DecisionPolicy:
    """The decision policy the parity tests run in Python and C: a 50-frame window unless given, 0.1 s end pad,
    0.05 s pre."""
    return dsp.DecisionPolicy(
        point_ranges_m=point_ranges_m,
        cfg=cfg or dsp.DecisionConfig(),
        segment=segment or dsp.SegmentConfig(),
        classes=DECISION_CLASSES,
        frame_rate_hz=rate,
        window_frames=window_frames,
        end_pad_frames=round(0.1 * rate),
        pre_frames=round(0.05 * rate),
    )


def _decide_in_python_and_c(
    policy: dsp.DecisionPolicy, ratio: np.ndarray, classify, lib, point_power: np.ndarray | None = None
) -> list[dsp.Decision]:
    """Run ``policy`` (Python) and the C decision module on the same float32 ``ratio`` (and ``(frames, points)``
    float32 ``point_power``, if given) and classifier; assert the same records (C scores are float32) and the
    same classifier calls in the same order; return the records."""
    calls_py: list[tuple[int, int, int]] = []
    calls_c: list[tuple[int, int, int]] = []

    def logged(calls: list[tuple[int, int, int]]):
        def run(s: int, e: int, w: int) -> np.ndarray:
            calls.append((s, e, w))
            return classify(s, e, w)

        return run

    py: list[dsp.Decision] = []
    for i, r in enumerate(ratio.tolist()):
        py += policy.process(r, logged(calls_py), None if point_power is None else point_power[i])
    py += policy.flush(logged(calls_py))
    c = lib.decide(ratio, logged(calls_c), policy=policy, point_power=point_power)
    assert c == [dataclasses.replace(d, score=float(np.float32(d.score))) for d in py]
    assert calls_c == calls_py
    return py


@pytest.mark.parametrize("name", [*REAL, "sim"])
@pytest.mark.parametrize(
    "cfg",
    [
        dsp.DecisionConfig(),
        dsp.DecisionConfig(min_score=0.6, prefix_wait_s=0.2),
        dsp.DecisionConfig(early=False),
        dsp.DecisionConfig(settle_s=0.0, prefix_wait_s=1.0),
        dsp.DecisionConfig(sure_score=0.6, unsure_wait_s=0.15),
        dsp.DecisionConfig(prefix_hold_db=0.5, prefix_wait_s=0.15),
        dsp.DecisionConfig(history_s=0.3),
        dsp.DecisionConfig(min_peak_db=10.0),
        dsp.DecisionConfig(min_peak_db=10.0, early=False),
        dsp.DecisionConfig(weak_on_db=0.0),
        dsp.DecisionConfig(weak_on_db=4.0, early=False),
        dsp.DecisionConfig(weak_on_db=3.0, settle_s=0.0, prefix_wait_s=1.0),
        dsp.DecisionConfig(weak_on_db=6.0),
        dsp.DecisionConfig(refractory_s=2.0, min_score=0.5),
    ],
    ids=[
        "default",
        "min_score",
        "always-wait",
        "settle0-longwait",
        "sure-gate",
        "low-hold",
        "short-history",
        "peak-gate",
        "peak-gate-always-wait",
        "no-weak-pass",
        "weak-always-wait",
        "weak-settle0-longwait",
        "weak-above-on-db",
        "refractory",
    ],
)
def test_decision_identical(name: str, cfg: dsp.DecisionConfig, real_stream, sim_stream, c_library) -> None:
    """C segmenter + decision equals dsp.decision on the float32 onset ratio of a whole stream: the same
    records (events, classes, scores, frames, windows) in the same order, and the same classifier calls."""
    frames, geometry = sim_stream if name == "sim" else real_stream(name)
    rate = geometry.frame_rate_hz
    ratio = dsp.onset_metric(frames, cfg=dsp.OnsetConfig(), geometry=geometry).ratio_db.astype(np.float32)
    seg = dsp.SegmentConfig(post_roll_s=0.05) if cfg.settle_s == 0.0 else dsp.SegmentConfig()
    policy = _policy(rate, cfg=cfg, segment=seg)
    py = _decide_in_python_and_c(policy, ratio, window_classifier, c_library(geometry))
    assert sum(d.accepted for d in py) >= 2
    if cfg == dsp.DecisionConfig() and name != "dynamic_hand_idx_1":  # a background stream: few events
        labels = {DECISION_CLASSES[d.label] for d in py if d.accepted}
        assert "tap_in" in labels and len(labels) >= 3  # prefix and non-prefix decisions both exercised


def test_decision_weak_pass_identical(real_stream, sim_stream, c_library) -> None:
    """The weak pass decides the same events at the same frames in C (gate off, so that its faint events are
    accepted), and it does decide some: on these streams, as measured and with the ratio halved to make
    fainter hands, its records differ from one pass's."""
    added = 0
    for name in (*REAL, "sim"):
        frames, geometry = sim_stream if name == "sim" else real_stream(name)
        rate = geometry.frame_rate_hz
        ratio = dsp.onset_metric(frames, cfg=dsp.OnsetConfig(), geometry=geometry).ratio_db.astype(np.float32)
        lib = c_library(geometry)
        for scale in (1.0, 0.5):
            runs = {}
            for weak in (0.0, 3.5):
                cfg = dsp.DecisionConfig(weak_on_db=weak, min_peak_db=0.0, min_score=0.5)
                runs[weak] = _decide_in_python_and_c(_policy(rate, cfg=cfg), ratio * scale, window_classifier, lib)
            one, two = ({(d.start_frame, d.frame) for d in runs[w] if d.accepted} for w in (0.0, 3.5))
            added += len(two - one)
    assert added >= 3


def test_decision_weak_pass_absorbs_and_is_claimed_identically(sim_stream, c_library) -> None:
    """Constructed nested events, the same in C: a faint run the weak pass decides absorbs the strong run that
    follows within the merge gap (one decision, also when the stream ends in the strong run, or when a default
    event was already open); a strong run claims the weak event, so the faint run after it adds nothing."""
    _, geometry = sim_stream
    rate, lib = geometry.frame_rate_hz, c_library(geometry)
    cfg = dsp.DecisionConfig(weak_on_db=3.5, min_peak_db=0.0)
    wiggle = np.array([0.0, 0.0, 0.0, 0.0, 1.0], dtype=np.float32)
    faint_first = np.zeros(300, dtype=np.float32)
    faint_first[20:40], faint_first[50:70] = 4.5, 10.0
    blip_first = faint_first.copy()  # the faint run ends in a blip too short to pass: a default event is open
    blip_first[38:40] = 10.0
    strong_first = np.zeros(300, dtype=np.float32)
    strong_first[20:40], strong_first[50:70] = 10.0, 4.5
    for ratio in (faint_first, faint_first[:60], blip_first, strong_first):
        for c in (cfg, dataclasses.replace(cfg, settle_s=0.0)):  # no settle: a track may decide as it begins
            out = _decide_in_python_and_c(_policy(rate, cfg=c), ratio, lambda s, e, w: wiggle, lib)
            assert [(d.start_frame, d.accepted) for d in out] == [(20 - round(0.05 * rate), True)]  # the pre-roll


def test_decision_weak_area_identical(sim_stream, c_library) -> None:
    """``DecisionConfig.weak_min_area_db_s`` is the same in C and Python: a faint event whose area passes the weak
    pass's test but not the segmenter's is decided, with the segmenter's test (None) it is not, and the default
    pass's events do not change."""
    _, geometry = sim_stream
    rate, lib = geometry.frame_rate_hz, c_library(geometry)
    seg = dsp.SegmentConfig()
    duration = seg.frames(rate)[1]
    faint = seg.off_db + 0.9 * seg.min_area_db_s * rate / duration  # for the duration test's frames: 0.9 of the area
    assert 3.5 <= faint < seg.on_db  # only the weak pass starts motion there
    ratio = np.zeros(400, dtype=np.float32)
    ratio[20 : 20 + duration], ratio[200:220] = faint, 10.0
    wiggle = np.array([0.0, 0.0, 0.0, 0.0, 1.0], dtype=np.float32)
    decided = {}
    for area in (None, 0.5 * seg.min_area_db_s):
        cfg = dsp.DecisionConfig(weak_on_db=3.5, min_peak_db=0.0, weak_min_area_db_s=area)
        out = _decide_in_python_and_c(_policy(rate, cfg=cfg), ratio, lambda s, e, w: wiggle, lib)
        decided[area] = [d.start_frame for d in out if d.accepted]
    pre = round(seg.pre_roll_s * rate)
    assert decided[None] == [200 - pre] and decided[0.5 * seg.min_area_db_s] == [20 - pre, 200 - pre]


def test_decision_peak_gate_identical(sim_stream, c_library) -> None:
    """The physical gate ``min_peak_db`` is the same in C and Python, and it acts: with the gate at the median
    event peak, some events accepted without it are rejected, every accepted event's ratio peaked at the gate
    by its decision frame, and a gate at the segmenter's ``on_db`` (every event reaches it) changes nothing."""
    frames, geometry = sim_stream
    rate = geometry.frame_rate_hz
    ratio = dsp.onset_metric(frames, cfg=dsp.OnsetConfig(), geometry=geometry).ratio_db.astype(np.float32)
    lib = c_library(geometry)
    off = _decide_in_python_and_c(_policy(rate, cfg=dsp.DecisionConfig(min_peak_db=0.0)), ratio, window_classifier, lib)
    at_on = dsp.DecisionConfig(min_peak_db=dsp.SegmentConfig().on_db)
    assert _decide_in_python_and_c(_policy(rate, cfg=at_on), ratio, window_classifier, lib) == off
    peaks = [float(np.nanmax(ratio[d.start_frame : d.frame + 1])) for d in off if d.accepted]
    gate = float(np.median(peaks))
    on = _decide_in_python_and_c(_policy(rate, cfg=dsp.DecisionConfig(min_peak_db=gate)), ratio, window_classifier, lib)
    assert all(np.nanmax(ratio[d.start_frame : d.frame + 1]) >= np.float32(gate) for d in on if d.accepted)
    assert 0 < sum(d.accepted for d in on) < sum(d.accepted for d in off)


@pytest.mark.parametrize("name", ["tap_in_idx_1", "wiggle_idx_2", "sim"])
def test_decision_range_gate_identical(name: str, real_stream, sim_stream, c_library) -> None:
    """The gate's range condition (``gate_max_range_m``) is the same in C and Python, fed the same float32
    onset power per range point, at every boundary of the range-point grid. The gate is set at the median
    event peak so that it rejects events: a boundary before the first point gates nothing (as the gate off),
    one at the last point gates every event (as no range condition), a farther boundary gates more, and one
    in between lets some of the gated events through (on each stream, events peak at several points)."""
    frames, geometry = sim_stream if name == "sim" else real_stream(name)
    rate, ranges = geometry.frame_rate_hz, geometry.distances_m
    onset = dsp.OnsetConfig()
    ratio = dsp.onset_metric(frames, cfg=onset, geometry=geometry).ratio_db.astype(np.float32)
    power = dsp.onset_point_power(frames, cfg=onset, geometry=geometry).astype(np.float32)
    lib = c_library(geometry)

    def run(cfg: dsp.DecisionConfig) -> set[tuple[int, int]]:
        policy = _policy(rate, cfg=cfg, point_ranges_m=ranges)
        out = _decide_in_python_and_c(policy, ratio, window_classifier, lib, power)
        return {(d.start_frame, d.frame) for d in out if d.accepted}

    off = run(dsp.DecisionConfig(min_peak_db=0.0))
    peaks = [float(np.nanmax(ratio[s : f + 1])) for s, f in off]
    gate = float(np.median(peaks))
    full = run(dsp.DecisionConfig(min_peak_db=gate, gate_max_range_m=0.0))
    assert full < off
    kept = [run(dsp.DecisionConfig(min_peak_db=gate, gate_max_range_m=float(r))) for r in ranges]
    assert run(dsp.DecisionConfig(min_peak_db=gate, gate_max_range_m=float(ranges[0]) / 2)) == off
    assert kept[-1] == full
    assert all(a >= b for a, b in itertools.pairwise(kept))  # a farther boundary gates more
    assert all(full <= k <= off for k in kept)
    assert any(full < k < off for k in kept)  # the condition acts: a boundary between keeps some, not all


def test_decision_renewed_motion_identical(sim_stream, c_library) -> None:
    """The hold of a due prefix gesture on renewed motion (ratio back at ``prefix_hold_db``) is the same in C
    and Python: a rise that falls back (held, then tap_in), one that becomes a run (double_tap_in), NaN
    frames (no motion: not held), a ratio exactly at the level as float32 (held) and just below it (not)."""
    _, geometry = sim_stream
    rate = geometry.frame_rate_hz
    policy = _policy(rate)
    wait, hold = policy.wait, np.float32(policy.cfg.prefix_hold_db)
    below = np.nextafter(hold, np.float32(-np.inf))
    ratio = np.zeros(1400, dtype=np.float32)
    ends = []
    for i, fill in enumerate((4.0, "run", np.nan, hold, 4.0, "run", np.nan, hold, below)):
        s = 40 + 140 * i
        e = s + 15
        ratio[s:e] = 10.0
        ratio[e + wait - 3 : e + wait + 3] = hold + 1.0 if fill == "run" else fill
        if fill == "run":
            ratio[e + wait + 3 : e + wait + 13] = 10.0
        ends.append(e)

    def classify(s: int, e: int, w: int) -> np.ndarray:
        p = np.full(len(DECISION_CLASSES), 0.01, dtype=np.float32)
        p[3 if e - s > 25 else 1] = np.float32(0.96)
        return p

    py = _decide_in_python_and_c(policy, ratio, classify, c_library(geometry))
    got = [(DECISION_CLASSES[d.label], d.frame - e) for d, e in zip([d for d in py if d.accepted], ends, strict=True)]
    held, on_time = ("tap_in", wait + 3), ("tap_in", wait - 1)
    assert got[0] == got[4] == held and got[3] == got[7] == held  # held, then decided when the ratio drops
    assert got[2] == got[6] == got[8] == on_time  # NaN is no motion; below the level is none
    assert got[1][0] == got[5][0] == "double_tap_in"


def test_decision_after_a_prefix_only_the_longer_gesture_is_sure(sim_stream, c_library) -> None:
    """Once an event's checkpoint saw a prefix gesture (``tap_in``), or the event has more than
    ``sure_max_runs`` runs, a checkpoint decides at once only a longer gesture (``double_tap_in``); a sure
    ``tap_out`` there (the first tap and half of the second) waits ``unsure_wait_s`` like an unsure one, and
    becomes ``double_tap_in`` when the second tap's last run begins within it. The same in C and Python."""
    _, geometry = sim_stream
    rate = geometry.frame_rate_hz
    policy = _policy(rate)
    settle, unsure = policy.settle, policy.unsure_wait
    gap = settle + 2  # a checkpoint after each run; the next run begins within the unsure and prefix waits
    assert gap < unsure < policy.wait
    ratio = np.zeros(1100, dtype=np.float32)

    def runs(first: int, *lengths: int, gaps: tuple[int, ...] = ()) -> list[tuple[int, int]]:
        out, s = [], first
        for i, n in enumerate(lengths):
            out.append((s, s + n))
            s += n + (gaps[i] if i < len(gaps) else gap)
        return out

    quick = settle - 2  # the next run begins before a checkpoint: the runs count, no checkpoint between
    assert policy.cfg.sure_max_runs == 2 and quick >= 1

    # per event: runs (start, end); the classifier's answer by the number of runs the event holds so far
    events = [
        (runs(40, 15, 10, 10), ("tap_in", "tap_out", "double_tap_in")),  # half second tap, then the rest
        (runs(240, 15, 10), ("tap_in", "tap_out")),  # nothing follows: tap_out after the unsure wait
        (runs(440, 15, 12), ("tap_in", "double_tap_in")),  # a longer gesture is decided at once
        (runs(640, 15), ("tap_out",)),  # no prefix before: a sure tap_out at once
        (runs(740, 10, 10, 10, gaps=(quick, quick)), ("tap_out",)),  # 3 runs, no prefix seen: waits
        (runs(840, 10, 10, 10, 10, gaps=(quick, quick)), ("tap_out", "double_tap_in")),  # ... and grows
        (runs(940, 10, 10, gaps=(quick,)), ("tap_out",)),  # 2 runs: a sure tap_out at once
    ]
    for runs, _ in events:
        for s, e in runs:
            ratio[s:e] = 10.0
    answers = {runs[-len(names) + i][1]: name for runs, names in events for i, name in enumerate(names)}

    def classify(s: int, e: int, w: int) -> np.ndarray:
        p = np.full(len(DECISION_CLASSES), 0.01, dtype=np.float32)
        p[DECISION_CLASSES.index(answers[e])] = np.float32(0.99)
        return p

    py = _decide_in_python_and_c(policy, ratio, classify, c_library(geometry))
    got = [(DECISION_CLASSES[d.label], d.frame + 1 - d.end_frame) for d in py if d.accepted]
    assert got == [
        ("double_tap_in", settle),
        ("tap_out", unsure),
        ("double_tap_in", settle),
        ("tap_out", settle),
        ("tap_out", unsure),
        ("double_tap_in", settle),
        ("tap_out", settle),
    ]


def test_decision_close_look_identical(sim_stream, c_library) -> None:
    """``DecisionConfig.close_look`` (C: ``early`` mode ``RG_DECISION_CLOSE_LOOK``) is the same in C and Python.
    A tap whose return stroke stays between ``off_db`` and ``on_db`` is the press alone: the window of its
    checkpoint ends before the return and the head says ``none``, which the rule without the look reports at
    the close; with the look (the default) the event is classified again on the window ending at its close
    frame and is ``tap_out``. An event sure at its checkpoint is not looked at again. On a whole stream the look
    changes records."""
    frames, geometry = sim_stream
    rate = geometry.frame_rate_hz
    gap = dsp.SegmentConfig().frames(rate)[0]
    ratio = np.zeros(400, dtype=np.float32)
    presses = (50, 250)
    for s in presses:
        ratio[s : s + 12] = 10.0  # the press: one motion run
        ratio[s + 14 : s + gap] = 4.0  # the slower return: no run
    answers = {presses[0] + 12: "none", presses[1] + 12: "tap_out"}  # the second: sure at its checkpoint

    def classify(s: int, e: int, w: int) -> np.ndarray:
        p = np.full(len(DECISION_CLASSES), 0.01, dtype=np.float32)
        p[DECISION_CLASSES.index("tap_out" if w >= presses[0] + gap else answers[e])] = np.float32(0.96)
        return p

    lib = c_library(geometry)
    without = dsp.DecisionConfig(close_look=False)
    today = _decide_in_python_and_c(_policy(rate, cfg=without), ratio, classify, lib)
    look = _decide_in_python_and_c(_policy(rate), ratio, classify, lib)
    assert [(d.label, d.accepted) for d in today] == [(0, False), (2, True)]
    assert [(d.label, d.accepted) for d in look] == [(2, True), (2, True)]
    assert today[0].window_end < presses[0] + gap <= look[0].window_end == look[0].frame + 1
    assert look[1] == today[1]
    # a whole stream: the same records in C and Python, and the look changes some
    onset = dsp.onset_metric(frames, cfg=dsp.OnsetConfig(), geometry=geometry).ratio_db.astype(np.float32)
    today = _decide_in_python_and_c(_policy(rate, cfg=without), onset, window_classifier, lib)
    look = _decide_in_python_and_c(_policy(rate), onset, window_classifier, lib)
    assert look != today


def test_decision_fallback_superseded_identical(sim_stream, c_library) -> None:
    """``DecisionConfig.fallback_superseded`` (the default) is the same in C and Python. A gesture accepted at its
    checkpoint but still waiting (an unsure ``tap_out``, a prefix ``tap_in``) when other motion begins within the
    merge gap is lost without it: the later windows see that motion and say ``none``. With it the event is decided
    at its close as the superseded gesture, on that checkpoint's window. A longer gesture at a later checkpoint is
    decided there, and an unsure gesture nothing follows is decided after its wait, as before."""
    _, geometry = sim_stream
    rate = geometry.frame_rate_hz
    policy = _policy(rate)
    settle, unsure, gap = policy.settle, policy.unsure_wait, policy.segmenter.cfg.frames(rate)[0]
    assert settle + 2 < unsure < policy.wait < gap
    ratio = np.zeros(1000, dtype=np.float32)
    # per event: its first run, the run that follows within the waits (or none), and the answers at each
    events = [
        (50, True, ("tap_out", 0.8), "none"),  # unsure tap_out, then everyday motion: falls back
        (250, True, ("tap_in", 0.99), "none"),  # a prefix, then everyday motion: falls back
        (450, True, ("tap_in", 0.99), "double_tap_in"),  # the longer gesture, decided at its checkpoint
        (650, False, ("tap_out", 0.8), ""),  # unsure, nothing follows: decided after its wait
    ]
    answers: dict[int, tuple[str, float]] = {}
    for first, follows, answer, later in events:
        ratio[first : first + 12] = 10.0
        answers[first + 12] = answer
        if follows:
            nxt = first + 12 + settle + 2  # begins after the checkpoint, within the unsure and prefix waits
            ratio[nxt : nxt + 10] = 10.0
            answers[nxt + 10] = (later, 0.99)

    def classify(s: int, e: int, w: int) -> np.ndarray:
        name, score = answers.get(e, ("none", 0.99))  # the close look's window sees everything: none
        p = np.full(len(DECISION_CLASSES), 0.01, dtype=np.float32)
        p[DECISION_CLASSES.index(name)] = np.float32(score)
        return p

    lib = c_library(geometry)
    without = _decide_in_python_and_c(
        _policy(rate, cfg=dsp.DecisionConfig(fallback_superseded=False)), ratio, classify, lib
    )
    fallback = _decide_in_python_and_c(policy, ratio, classify, lib)
    named = [[(DECISION_CLASSES[d.label], d.accepted) for d in out] for out in (without, fallback)]
    assert named[0] == [("none", False), ("none", False), ("double_tap_in", True), ("tap_out", True)]
    assert named[1] == [("tap_out", True), ("tap_in", True), ("double_tap_in", True), ("tap_out", True)]
    for d in fallback[:2]:  # decided at the close, on the superseded checkpoint's window
        assert d.frame + 1 - d.end_frame >= gap and d.window_end == d.end_frame + policy.end_pad
    assert fallback[2:] == without[2:]


def test_decision_refractory_identical(sim_stream, c_library) -> None:
    """``DecisionConfig.refractory_s`` is the same in C and Python: the same gesture on an event that starts within
    it of the end of the last one reported is a rejected candidate; another gesture, or the same one after it, is
    decided; the weak pass's gestures count too."""
    _, geometry = sim_stream
    rate = geometry.frame_rate_hz
    gap = dsp.SegmentConfig().frames(rate)[0]
    refr = 2 * gap
    ratio = np.zeros(40 * gap, dtype=np.float32)
    answers: dict[int, str] = {}
    start = 2 * gap
    for name, level, after in [
        ("tap_out", 10.0, 0),
        ("tap_out", 10.0, gap + 5),  # within the refractory time: rejected
        ("tap_out", 10.0, refr + 5),  # after it (from the last one reported): decided
        ("wiggle", 10.0, gap + 5),  # another gesture: decided
        ("wiggle", 4.5, gap + 5),  # a faint event, the weak pass's: rejected
        ("wiggle", 4.5, refr + 5),  # the weak pass's, after it: decided
    ]:
        start += after
        ratio[start : start + 12] = level
        answers[start - round(0.05 * rate)] = name  # the pre-roll
        start += 12

    def classify(s: int, e: int, w: int) -> np.ndarray:
        p = np.full(len(DECISION_CLASSES), 0.01, dtype=np.float32)
        p[DECISION_CLASSES.index(answers.get(s, "none"))] = 0.96
        return p

    cfg = dsp.DecisionConfig(min_peak_db=0.0, refractory_s=refr / rate, refractory_window=False)  # any window
    lib = c_library(geometry)
    out = _decide_in_python_and_c(_policy(rate, cfg=cfg), ratio, classify, lib)
    off = _decide_in_python_and_c(_policy(rate, cfg=dataclasses.replace(cfg, refractory_s=0.0)), ratio, classify, lib)
    assert [(DECISION_CLASSES[d.label], d.accepted) for d in out] == [
        ("tap_out", True),
        ("tap_out", False),
        ("tap_out", True),
        ("wiggle", True),
        ("wiggle", False),
        ("wiggle", True),
    ]
    assert [dataclasses.replace(d, accepted=True) for d in out] == off


def test_decision_refractory_window_identical(sim_stream, c_library) -> None:
    """``DecisionConfig.refractory_window`` is the same in C and Python: inside the refractory time, a short motion
    just after a gesture (its window, the recipe's 1.4 s, reaches back over the gesture) is held back, and a full
    repeat whose window begins after the gesture's event is decided; without the window test both are held back."""
    _, geometry = sim_stream
    rate, lib = geometry.frame_rate_hz, c_library(geometry)
    gap = dsp.SegmentConfig().frames(rate)[0]
    window = round(1.4 * rate)
    ratio = np.zeros(40 * gap, dtype=np.float32)
    start = 2 * gap
    for after, frames in [(0, 20), (gap + 5, 6), (4 * gap, 20), (gap + 5, window)]:  # gesture, short, gesture, repeat
        start += after
        ratio[start : start + frames] = 10.0
        start += frames
    tap_out = np.array([0.01, 0.01, 0.96, 0.01, 0.01], dtype=np.float32)

    def decided(test: bool) -> list[dsp.Decision]:
        cfg = dsp.DecisionConfig(min_peak_db=0.0, refractory_s=2 * gap / rate, refractory_window=test)
        policy = _policy(rate, cfg=cfg, window_frames=window)
        return _decide_in_python_and_c(policy, ratio, lambda s, e, w: tap_out, lib)

    out, without = decided(True), decided(False)
    assert len(out) == 4 and all(d.label == DECISION_CLASSES.index("tap_out") for d in out)
    # the scenario is the one meant: the short motion's window holds part of the gesture, the repeat's none
    assert out[1].window_end - window < out[0].end_frame and out[3].window_end - window >= out[2].end_frame
    assert [d.accepted for d in out] == [True, False, True, True]
    assert [dataclasses.replace(d, accepted=True) for d in without] == [
        dataclasses.replace(d, accepted=True) for d in out
    ]
    assert [d.accepted for d in without] == [True, False, True, False]


class _RecordingDetector:
    """Builds a :class:`deploy.runtime.StreamingDetector` that records the onset ratio it feeds the decision
    policy, every head output (by the placed window's end), every head input (by its own window's end: the
    placed window moved by each of the bundle's shifts) and every decision record (accepted or not)."""

    @staticmethod
    def make(bundle, geometry):
        from deploy.runtime import RingBuffer, StreamingDetector

        class Ring(RingBuffer):
            def window(self, end: int, length: int) -> np.ndarray:
                self.seen[end] = super().window(end, length)
                return self.seen[end]

        class Det(StreamingDetector):
            def __init__(self) -> None:
                super().__init__(bundle, geometry=geometry, always_on=True)
                self.ratios: list[float] = []
                self.powers: list[np.ndarray | None] = []
                self.heads: dict[int, np.ndarray] = {}
                self.records: list[dsp.Decision] = []
                ring = Ring(self.ring.capacity, self.ring.data.shape[1])
                ring.seen = {}
                ring.reset(self.ring.fill)
                self.ring = ring
                self.inputs: dict[int, np.ndarray] = ring.seen

            def _segment(self, ratio: float, now: int, point_power: np.ndarray | None = None) -> None:
                self.ratios.append(ratio)
                self.powers.append(point_power)
                super()._segment(ratio, now, point_power)

            def _head(self, start: int, end: int, window_end: int, now: int) -> np.ndarray:
                p = super()._head(start, end, window_end, now)
                self.heads[window_end] = p
                return p

            def _decided(self, d: dsp.Decision, now: int) -> None:
                self.records.append(d)
                super()._decided(d, now)

        return Det()


@pytest.mark.parametrize("name", ["tap_in_idx_1", "sim"])
def test_detect_and_c_decide_the_same_events_at_the_same_frames(
    name: str, tiny_bundle, real_stream, sim_stream, c_library
) -> None:
    """``detect --always-on`` (deploy.runtime) and the C decision module, given the same onset ratio and the
    same int8 head outputs, make the same records (events, classes, scores, frames)."""
    from deploy.runtime import load_bundle

    frames, geometry = sim_stream if name == "sim" else real_stream(name)
    bundle = load_bundle(tiny_bundle)
    det = _RecordingDetector.make(bundle, geometry)
    for t in range(len(frames)):
        det.process(frames[t], t)
    det.flush()
    res = det.result(len(frames))
    assert len(det.records) >= 3
    c = c_library(geometry).decide(
        np.asarray(det.ratios), lambda s, e, w: det.heads[w], policy=det.policy, point_power=np.asarray(det.powers)
    )
    assert c == [dataclasses.replace(d, score=float(np.float32(d.score))) for d in det.records]
    accepted = [(d.start_frame, d.end_frame, bundle.classes[d.label], d.frame) for d in det.records if d.accepted]
    assert accepted == [
        (e.start_frame, e.end_frame, e.gesture, f) for e, f in zip(res.events, res.decided_at, strict=True)
    ]


def _evaluate_detect_and_c(bundle_dir, run_dir, path, c_library) -> tuple[list[dsp.Decision], object]:
    """``models.evaluate``, ``detect --always-on`` and the C build on one recording, all three with the
    bundle's int8 networks; asserts the three make the same records and returns them with the detector."""
    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream
    from dsp.decision import window_shift_frames
    from models.config import read_config
    from models.data import load_recordings
    from models.evaluate import stream_scores

    bundle = load_bundle(bundle_dir)
    frames, geometry = session_stream(load_session(path), bundle)
    det = _RecordingDetector.make(bundle, geometry)
    for t in range(len(frames)):
        det.process(frames[t], t)
    det.flush()
    ds = read_config(run_dir / "config.toml").dataset
    recs = load_recordings([path], cfg=ds)
    t_frames = bundle.window_frames

    encoded: list[np.ndarray] = []

    def int8_predictor(x: np.ndarray) -> np.ndarray:
        """The bundle's encoder on every frame of each window, then its head: what the runtime computes."""
        head = bundle.head
        encoded.extend(np.stack([det._encode(f, count=False) for f in w]) for w in x)
        out = [head.dequantise(head.invoke_int8(w)) for w in encoded[-len(x) :]]
        return np.asarray(out, dtype=np.float32).reshape(len(x), len(bundle.classes))

    shifts = bundle.window_shifts_s  # the evaluation's test-time shifts, averaged on the device too
    assert len(shifts) > 1
    sc = stream_scores(
        int8_predictor, recs, 0, cfg=ds, window_frames=t_frames, decision=bundle.decision, shifts_s=shifts
    )
    ev = sc.decide(bundle.decision.min_score)
    # the head's inputs themselves: detect's ring buffer and the evaluation's window, both int8 embeddings, for
    # every shifted window (the evaluation batches one shift at a time, in order)
    offsets = window_shift_frames(shifts, geometry.frame_rate_hz)
    ends = [e for off in offsets for e in np.minimum(sc.ends + off, recs[0].num_frames).tolist()]
    windows = dict(zip(ends, encoded, strict=True))
    for w, x in det.inputs.items():
        np.testing.assert_array_equal(x, windows[w], err_msg=f"window ending at frame {w}")
    as_f32 = [dataclasses.replace(d, score=float(np.float32(d.score))) for d in det.records]
    assert [dataclasses.replace(d, score=float(np.float32(d.score))) for d in ev] == as_f32
    c = c_library(geometry).decide(
        np.asarray(det.ratios), lambda s, e, w: det.heads[w], policy=det.policy, point_power=np.asarray(det.powers)
    )
    assert c == as_f32
    return ev, det


def test_evaluate_detect_and_c_make_the_same_records(tiny_bundle, tiny_export_run, sim_dir, c_library) -> None:
    """``models.evaluate`` (the decision layer on the recording's onset ratio, one window per checkpoint),
    ``detect --always-on`` and the C build, all three with the bundle's int8 networks: the same records at
    the same frames on a simulated session."""
    ev, _ = _evaluate_detect_and_c(tiny_bundle, tiny_export_run, sorted(sim_dir.glob("*.h5"))[0], c_library)
    assert len(ev) >= 3


def test_a_long_event_gives_the_same_records_in_evaluate_detect_and_c(
    tiny_bundle, tiny_export_run, tmp_path, c_library
) -> None:
    """Four wiggles with short pauses make one event of more than 3 s. The window ends at the event's
    latest evidence (:func:`dsp.event_window_end`), inside the ring buffer a device keeps, so detect (ring
    buffer of ``T`` + history embeddings), the evaluation (the whole recording) and the C build classify
    the same window, and that window shows the event's last motion, not its start."""
    from sim_helpers import sim_session

    from acquisition.sim import SessionPlan

    path = tmp_path / "long.h5"
    sim_session(
        path,
        SessionPlan(gestures=("wiggle",), reps_per_gesture=4, pause_s=(0.05, 0.15), shuffle=False),
        subject=1,
        seed=1,
    )
    ev, det = _evaluate_detect_and_c(tiny_bundle, tiny_export_run, path, c_library)
    rate = det.geometry.frame_rate_hz
    long = [d for d in ev if d.end_frame - d.start_frame > 3.0 * rate]
    assert long, "no event longer than 3 s"
    t, pad = det.window_frames, det.end_pad
    for d in long:
        # the window holds the event's end and not its start (it does not fit); it ends at the event's latest
        # evidence, or (the close look at an event undecided at its checkpoints) at the frame decided
        assert d.end_frame <= d.window_end <= d.end_frame + pad or d.window_end == d.frame + 1
        assert d.window_end - t > d.start_frame


def test_an_event_decided_before_a_full_window_gives_the_same_records_in_evaluate_detect_and_c(
    tiny_bundle, tiny_export_run, tmp_path, c_library
) -> None:
    """Taps from 0.2 s into the stream are classified before the stream holds ``T`` frames. Their window
    still ends where :func:`dsp.decision_window_end` puts it (never after the frame being decided): detect
    reads the frames before the stream's first as the ring's fill, the evaluation as an all-zero map (the
    map the fill encodes), so both classify the same window. Moved onto the stream's first ``T`` frames
    instead, the evaluation saw frames not recorded yet and detect its fill after the event (issue 10)."""
    from sim_helpers import sim_session

    from acquisition.sim import SessionPlan

    path = tmp_path / "early.h5"
    sim_session(
        path,
        SessionPlan(gestures=("tap_in", "tap_out"), reps_per_gesture=1, pause_s=(0.6, 0.6), lead_s=0.2),
        subject=3,
        seed=3,
    )
    _, det = _evaluate_detect_and_c(tiny_bundle, tiny_export_run, path, c_library)
    # the head's inputs of every window detect classified equal the evaluation's (checked in the helper);
    # one of them ends before frame T (the event may be decided later, at a close look)
    assert min(det.inputs) < det.window_frames, "no window ends before frame T"


def test_window_rule_identical_in_c(c_library) -> None:
    """``rg_event_window_end`` and ``rg_decision_window_end`` equal :func:`dsp.event_window_end` and
    :func:`dsp.decision_window_end` on random events, short and longer than the window."""
    import ctypes

    lib = c_library(geom(57.0)).lib
    i32 = ctypes.c_int32
    lib.rg_event_window_end.argtypes = [i32] * 5
    lib.rg_event_window_end.restype = i32
    lib.rg_decision_window_end.argtypes = [i32] * 7
    lib.rg_decision_window_end.restype = i32
    rng = np.random.default_rng(0)
    for _ in range(300):
        t, pad, pre, hist = (int(v) for v in rng.integers([10, 0, 0, 0], [120, 12, 12, 200]))
        start = int(rng.integers(0, 1000))
        end = start + int(rng.integers(1, 3 * t))
        now = end + int(rng.integers(-5, 300))
        kw = {"window_frames": t, "end_pad": pad, "pre": pre}
        assert lib.rg_event_window_end(start, end, t, pad, pre) == dsp.event_window_end(start, end, **kw)
        assert lib.rg_decision_window_end(start, end, now, t, pad, pre, hist) == dsp.decision_window_end(
            start, end, now, history=hist, **kw
        )


def test_config_h_decision_initialiser_matches_the_policy(tmp_path) -> None:
    """``RG_DECISION_CONFIG_DEFAULT`` from config.h fills ``rg_decision_config`` with exactly the values the
    Python policy uses (field order and float32 literals), for a gesture set with a prefix, with
    ``close_look`` (``early`` mode ``RG_DECISION_CLOSE_LOOK``)."""
    import ctypes

    from deploy.c_binding import CDecisionConfig
    from deploy.c_build import STRICT_FLAGS, stage_sources

    geometry = geom(57.0)
    policy = dsp.DecisionPolicy(
        cfg=dsp.DecisionConfig(min_score=0.42, prefixes=(("wiggle", "tap_out"),), close_look=True),
        segment=dsp.SegmentConfig(),
        classes=DECISION_CLASSES,
        frame_rate_hz=19.0,
        window_frames=17,
        end_pad_frames=2,
        pre_frames=1,
    )
    (tmp_path / "config.h").write_text(
        config_h_text(
            geometry=geometry,
            rd_cfg=dsp.RangeDopplerConfig(),
            onset_cfg=dsp.OnsetConfig(),
            throttle_cfg=ThrottleConfig(full_rate_hz=57.0),
            decision=policy,
        )
    )
    stage_sources(tmp_path)
    (tmp_path / "probe.c").write_text(
        '#include "config.h"\n#include "radargest_decision.h"\n'
        "void rg_probe(rg_decision_config *out);\n"
        "void rg_probe(rg_decision_config *out) {\n"
        "    const rg_decision_config c = RG_DECISION_CONFIG_DEFAULT;\n"
        "    *out = c;\n"
        "}\n"
    )
    lib = tmp_path / "probe.so"
    cc = find_compiler()
    subprocess.run([cc, *STRICT_FLAGS, "-shared", "-fPIC", str(tmp_path / "probe.c"), "-o", str(lib)], check=True)
    got = CDecisionConfig()
    ctypes.CDLL(str(lib)).rg_probe(ctypes.byref(got))
    want = CDecisionConfig.of(policy)
    for name, _ in CDecisionConfig._fields_:
        a, b = getattr(got, name), getattr(want, name)
        assert (list(a) == list(b)) if name in ("is_prefix", "is_longer") else a == b, name
    assert list(got.is_prefix)[:5] == [0, 1, 0, 0, 1]
    assert got.early == 2
    assert list(got.is_longer)[:5] == [0, 0, 1, 1, 0]


def test_default_segmenter_keeps_a_fast_faint_tap_in_c(sim_stream, c_library) -> None:
    """With the default segment and decision configs, C and Python both open an event on a fast, faint tap
    (0.12 s, 0.53 dB·s: below the former 0.2 s / 0.6 dB·s tests) and on a still-hand blip (0.24 dB·s, above
    the 0.2 dB·s area test since RULE74), none on a smaller blip (0.12 dB·s), and make the same records."""
    _, geometry = sim_stream
    rate = geometry.frame_rate_hz
    ratio = np.zeros(300, dtype=np.float32)
    ratio[50:57] = (6.5, 8.0, 9.0, 9.0, 8.0, 6.5, 4.0)  # as tests/dsp/test_dsp_segment.py FAST_TAP
    ratio[120:127] = (5.1, 5.2, 4.0, 3.6, 3.4, 3.2, 3.1)  # SMALL_BLIP
    ratio[200:209] = (5.5, 6.05, 5.5, 5.0, 4.5, 4.0, 3.5, 3.3, 3.2)  # STILL_BLIP
    policy = _policy(rate)

    def classify(s: int, e: int, w: int) -> np.ndarray:
        p = np.full(len(DECISION_CLASSES), 0.01, dtype=np.float32)
        p[2] = np.float32(0.97)
        return p

    py = _decide_in_python_and_c(policy, ratio, classify, c_library(geometry))
    assert [(d.start_frame, d.accepted) for d in py] == [(47, True), (197, True)]  # not the small blip
