"""scripts/throttle_stream_study.py: its held-out refusal, the awake mask against the frames the detector senses at
full rate, the device's ratio against an onset processor fed only those frames, the idle-stream log against the
detector's onset samples, the floor offset against the noise energies of the two geometries, and one run end to end
on the simulated fixture sessions."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from cli_helpers import load_script

from deploy.throttle import Phase
from dsp import OnsetConfig, OnsetProcessor, onset_metric, onset_power


@pytest.fixture(scope="module")
def study() -> ModuleType:
    return load_script("throttle_stream_study")


def test_refuses_held_out_before_loading(study: ModuleType, tmp_path: Path) -> None:
    for name in ("sim-s7003_everyday00.h5", "label_tap_in_idx_3.h5"):
        args = [str(tmp_path / "run"), str(tmp_path / "bundle"), str(tmp_path / "ok.h5"), "--offset-files"]
        assert study.main([*args, str(tmp_path / name)]) == 2
        assert study.main([*args[:2], str(tmp_path / name), *args[3:], str(tmp_path / "ok.h5")]) == 2


def test_awake_mask_reads_a_transition_as_the_phase_after_its_frame(study: ModuleType) -> None:
    transitions = [(10, int(Phase.ONSET)), (12, int(Phase.ACTIVE)), (20, int(Phase.COOLDOWN)), (40, int(Phase.IDLE))]
    transitions += [(50, int(Phase.ONSET))]
    mask = study.awake_mask(transitions, 60)
    assert np.flatnonzero(mask).tolist() == [*range(11, 21), *range(51, 60)]


def test_awake_mask_is_the_frames_the_detector_senses_at_full_rate(
    study: ModuleType, demo_bundle: Path, sim_dir: Path
) -> None:
    from acquisition import load_session
    from deploy.runtime import StreamingDetector, load_bundle, session_stream

    bundle = load_bundle(demo_bundle)
    woke = 0
    for path in sorted(sim_dir.glob("*.h5"))[:3]:
        frames, geometry = session_stream(load_session(path), bundle)
        det = StreamingDetector(bundle, geometry=geometry)
        full = np.zeros(len(frames), dtype=bool)
        for t in range(len(frames)):
            if det.wants(t):
                full[t] = det.state.phase in (Phase.ONSET, Phase.ACTIVE)  # as the runtime reads it for frame t
                det.process(frames[t], t)
        det.flush()
        res = det.result(len(frames))
        assert np.array_equal(study.awake_mask(res.transitions, len(frames)), full)
        assert int(full.sum()) == res.utilisation.full_rate_frames
        woke += bool(res.transitions)
    assert woke, "no stream woke the throttle: the check compared nothing"


def test_device_ratio_is_an_onset_processor_fed_only_the_awake_frames(
    study: ModuleType, demo_bundle: Path, sim_dir: Path
) -> None:
    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream

    frames, geometry = session_stream(load_session(sorted(sim_dir.glob("*.h5"))[0]), load_bundle(demo_bundle))
    cfg = OnsetConfig()
    power = onset_power(frames, cfg=cfg, geometry=geometry)
    every = np.ones(len(power), dtype=bool)
    assert np.array_equal(
        study.device_ratio(power, every, cfg=cfg, geometry=geometry, asleep_db=-60.0),
        onset_metric(frames, cfg=cfg, geometry=geometry).ratio_db,
        equal_nan=True,
    )
    awake = np.zeros(len(power), dtype=bool)
    awake[40:200] = awake[260:400] = True  # asleep before, between and after
    ratio = study.device_ratio(power, awake, cfg=cfg, geometry=geometry, asleep_db=-60.0)
    proc = OnsetProcessor(cfg=cfg, geometry=geometry)
    fed = np.array([proc.process_power(float(p))[2] for p in power[awake]])
    np.testing.assert_allclose(ratio[awake], fed, rtol=0, atol=1e-9)
    assert np.all(ratio[~awake] == -60.0)


def test_logged_onset_keeps_every_sample_the_detector_feeds_its_segmenter(
    study: ModuleType, demo_bundle: Path, sim_dir: Path
) -> None:
    from acquisition import load_session
    from deploy.runtime import detect_frames, load_bundle, session_stream

    bundle = load_bundle(demo_bundle)
    frames, geometry = session_stream(load_session(sorted(sim_dir.glob("*.h5"))[0]), bundle)
    det, logged = study.logged_run(bundle, frames, geometry)
    result = det.result(len(frames))
    plain = detect_frames(frames, bundle, geometry=geometry)  # logging changes nothing the detector does
    assert result.transitions == plain.transitions and result.events == plain.events
    ticks = [t for t, _, _ in logged.log]
    assert ticks == det.onset_frames and len(ticks) == result.utilisation.onset_runs > 10
    floor = study.held(ticks, [f for _, f, _ in logged.log], len(frames))
    assert np.isnan(floor[: ticks[0]]).all() and np.isfinite(floor[ticks[0] :]).all()


def test_floor_offset_is_the_noise_energy_ratio_of_the_two_geometries(
    study: ModuleType, demo_bundle: Path, sim_dir: Path
) -> None:
    import dataclasses

    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream
    from deploy.throttle import idle_power

    bundle = load_bundle(demo_bundle)
    _, geometry = session_stream(load_session(sorted(sim_dir.glob("*.h5"))[0]), bundle)
    throttle = dataclasses.replace(bundle.throttle, full_rate_hz=geometry.frame_rate_hz)
    rng = np.random.default_rng(0)
    shape = (3000, geometry.sweeps_per_frame, geometry.num_points)
    noise = 100.0 * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    cfg = bundle.onset
    offset = study.floor_offset_db([study.idle_ticks_floor(noise, throttle=throttle, cfg=cfg, geometry=geometry)])
    full = onset_power(noise, cfg=cfg, geometry=geometry).mean()
    idle = idle_power(noise, cfg=throttle, onset_cfg=cfg, geometry=geometry).mean()
    # the floors are 20th percentiles, not means: the idle stream's fewer degrees of freedom (fewer sweeps and
    # points, 2-sample smoothing) put its floor further below its mean, by about half a dB; taking every point
    # instead of the IDLE points moves the offset by about 3 dB
    assert offset == pytest.approx(10.0 * np.log10(full / idle), abs=1.0)


def test_main_scores_the_same_gestures_in_every_pass(
    study: ModuleType, tiny_run: Path, demo_bundle: Path, sim_dir: Path, tmp_path: Path
) -> None:
    files = [str(p) for p in sorted(sim_dir.glob("*.h5"))[:2]]
    out = tmp_path / "study.json"
    args = [str(tiny_run), str(demo_bundle), *files, "--offset-files", files[0], "--json", str(out)]
    assert study.main(args) == 0
    result = json.loads(out.read_text())
    passes = ("always_on", "full_rate_stream_while_awake", "full_rate_stream_while_awake_device_floor")
    passes += ("idle_floor_offset", "idle_geometry_full_rate", "quiet_awake_floor")
    totals = {sum(result[k]["outcomes"].values()) for k in passes}
    assert len(totals) == 1 and totals.pop() > 0
    assert 0.0 < result["awake_share"] < 1.0
    assert np.isfinite(result["floor_offset_db"])
