"""The bundle runtime and ``detect``: JSON contract, refusals, utilisation, no TensorFlow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.runtime import MANIFEST, BundleError, Detection, detect_file, load_bundle, sha256_file
from deploy.throttle import ThrottleConfig

KEYS = ["start_frame", "end_frame", "t_s", "gesture", "score"]


def _copy(bundle: Path, tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(bundle, out)
    return out


def _sim_file(sim_dir: Path) -> Path:
    return sorted(sim_dir.glob("*.h5"))[0]


def test_detection_json_contract() -> None:
    d = Detection(start_frame=812, end_frame=861, t_s=14.2, gesture="tap_in", score=0.97)
    assert list(json.loads(d.to_json())) == KEYS


def test_detect_cli_json_and_utilisation(tiny_bundle: Path, sim_dir: Path) -> None:
    cmd = [sys.executable, "-m", "radargest", "detect", str(_sim_file(sim_dir)), "--model"]
    out = subprocess.run([*cmd, str(tiny_bundle), "--json"], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        ev = json.loads(line)
        assert list(ev) == KEYS
        assert isinstance(ev["start_frame"], int) and ev["end_frame"] > ev["start_frame"]
        assert ev["gesture"] != "none" and 0 < ev["score"] <= 1
    summary = json.loads(out.stderr.strip().splitlines()[-1])
    util = summary["utilisation"]
    assert util["always_on"] is False and util["sensor_frames"] < util["frames"]
    assert util["macs_executed"] < util["macs_always_on"]
    assert 0 < util["full_rate_frames"] < util["sensor_frames"] and util["switches"] > 0
    # energy from exptool's power model with each state's config; always-on runs the sensor as recorded
    e = summary["energy"]
    assert 0 < e["sensor_ma"] < 10 and e["battery_h"] == pytest.approx(60.0 / e["total_ma"])
    assert summary["sensor_states"]["idle"]["sensor_config"]["sweeps_per_frame"] == ThrottleConfig().idle_sweeps
    on = subprocess.run([*cmd, str(tiny_bundle), "--json", "--always-on"], capture_output=True, text=True, check=True)
    e_on = json.loads(on.stderr.strip().splitlines()[-1])["energy"]
    assert e_on["sensor_ma"] > 50 > 10 * e["sensor_ma"]


def test_throttled_uses_less_than_always_on(tiny_bundle: Path, sim_dir: Path) -> None:
    b = load_bundle(tiny_bundle)
    on = detect_file(_sim_file(sim_dir), b, always_on=True)
    thr = detect_file(_sim_file(sim_dir), b)
    assert on.utilisation.sensor_frames == on.utilisation.frames == on.utilisation.encoder_runs
    assert on.candidates > 0 and on.utilisation.head_runs >= on.candidates  # a checkpoint per run of an event
    assert thr.utilisation.sensor_share < 0.6 and thr.mac_share < on.mac_share


def test_runtime_path_imports_no_tensorflow(tiny_bundle: Path, sim_dir: Path) -> None:
    code = (
        "import sys; from radargest.cli import main; "
        f"main(['detect', {str(_sim_file(sim_dir))!r}, '--model', {str(tiny_bundle)!r}, '--json']); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'models', 'tf_keras')); "
        "print('BAD=' + ','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "BAD="


def test_tampered_bundle_refused(tiny_bundle: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    raw = bytearray((b / "head_int8.tflite").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (b / "head_int8.tflite").write_bytes(bytes(raw))
    with pytest.raises(BundleError, match="sha256") as info:
        load_bundle(b)
    assert "\n" not in str(info.value)


def test_truncated_or_missing_model_clear_error(tiny_bundle: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    path = b / "encoder_int8.tflite"
    path.write_bytes(path.read_bytes()[:100])
    m = json.loads((b / MANIFEST).read_text())
    m["files"]["encoder_int8.tflite"] = sha256_file(path)  # even with a matching digest
    (b / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(BundleError, match="not a valid TFLite model"):
        load_bundle(b)
    path.unlink()
    with pytest.raises(BundleError, match="missing bundle file"):
        load_bundle(b)
    with pytest.raises(BundleError, match="not a bundle"):
        load_bundle(tmp_path / "nowhere")


def test_labels_without_none_first_refused(tiny_bundle: Path, tmp_path: Path) -> None:
    """The decision layer needs ``none`` as class 0 (a fuzzed manifest found it unchecked at load)."""
    b = _copy(tiny_bundle, tmp_path)
    m = json.loads((b / MANIFEST).read_text())
    m["labels"][0] = "oone"
    (b / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(BundleError, match="start with 'none'"):
        load_bundle(b)


def test_preset_mismatch_refused(tiny_bundle: Path, sim_dir: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    m = json.loads((b / MANIFEST).read_text())
    m["sensor"]["fields"]["step_length"] = 24  # (num_points would contradict the encoder: refused at load)
    (b / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(BundleError, match="does not match the bundle's preset"):
        detect_file(_sim_file(sim_dir), b)


def test_detect_cli_error_is_one_line(tiny_bundle: Path, sim_dir: Path, tmp_path: Path) -> None:
    b = _copy(tiny_bundle, tmp_path)
    (b / "config.h").write_text("tampered")
    cmd = [sys.executable, "-m", "radargest", "detect", str(_sim_file(sim_dir)), "--model", str(b)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("radargest: error:") and "sha256" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_wake_fills_the_history_with_the_first_frame_encoded_after_it(tiny_bundle: Path, sim_stream) -> None:
    """At every wake-up the ring's history becomes the embedding of the first frame the device encodes after
    the wake (what ``models.data.throttled_view`` trains), never the last one encoded before it (a stale
    scene from the previous awake period: issue 11); every head window reads that fill before it."""
    import numpy as np

    from deploy.runtime import RingBuffer, StreamingDetector
    from deploy.throttle import Phase

    log: list[tuple[str, int, np.ndarray]] = []

    class Ring(RingBuffer):
        def reset(self, fill=None):  # type: ignore[no-untyped-def]
            super().reset(fill)
            log.append(("reset", -1, self.fill.copy()))

        def push(self, frame, embedding):  # type: ignore[no-untyped-def]
            super().push(frame, embedding)
            log.append(("push", frame, np.asarray(embedding).copy()))

    frames, geometry = sim_stream
    det = StreamingDetector(load_bundle(tiny_bundle), geometry=geometry)
    det.ring = Ring(det.ring.capacity, det.ring.data.shape[1])
    det.ring.reset(det.ring.fill)  # the all-zero map's embedding, as constructed
    log.clear()
    for t in range(len(frames)):
        if det.wants(t):
            det.process(frames[t], t)
    wakes = [t for t, p in det.transitions if p == int(Phase.ONSET)]
    resets = [i for i, (kind, _, _) in enumerate(log) if kind == "reset"]
    assert len(wakes) >= 3 and len(resets) == len(wakes)  # one refill per wake, several wakes
    stale = 0  # wakes at which the last frame encoded before the wake differs from the fill
    for n, i in enumerate(resets):
        kind, frame, emb = log[i + 1]  # the next frame encoded is the fill, pushed right after the reset
        assert kind == "push" and frame > wakes[n]
        np.testing.assert_array_equal(log[i][2], emb)
        before = [e for k, _, e in log[:i] if k == "push"]
        stale += bool(before) and not np.array_equal(before[-1], emb)
    assert stale >= 2


def test_the_idle_stream_has_its_own_physical_gate(tiny_bundle: Path, sim_stream) -> None:
    """A throttled detector feeds its policy the idle-rate onset stream and gates it with
    ``idle_min_peak_db``; always-on keeps ``min_peak_db``; the bundle's manifest carries both."""
    import dataclasses

    from deploy.runtime import StreamingDetector

    _, geometry = sim_stream
    b = load_bundle(tiny_bundle)
    assert "min_peak_db" in b.manifest["decision"] and "idle_min_peak_db" in b.manifest["decision"]
    dc = dataclasses.replace(b.decision, min_peak_db=5.5, idle_min_peak_db=7.25)
    assert StreamingDetector(b, geometry=geometry, decision=dc).policy.cfg.min_peak_db == 7.25
    assert StreamingDetector(b, geometry=geometry, decision=dc, always_on=True).policy.cfg.min_peak_db == 5.5


def test_the_idle_stream_has_its_own_area_test(tiny_bundle: Path, sim_stream) -> None:
    """A throttled detector's segmenter drops idle-rate events by ``idle_min_area_db_s``, always-on by
    ``min_area_db_s`` (RULE74 lowered the full-rate one only); the firmware's idle-stream decision config and
    the export's config.h carry the idle area too; a manifest without the key loads with 0.5."""
    import dataclasses
    import json

    import dsp
    from deploy.firmware import _decision_initializer
    from deploy.runtime import StreamingDetector

    _, geometry = sim_stream
    b = load_bundle(tiny_bundle)
    assert b.manifest["features"]["segment"]["idle_min_area_db_s"] == 0.5
    throttled = StreamingDetector(b, geometry=geometry)
    assert throttled.policy.segmenter.cfg.min_area_db_s == b.segment.idle_min_area_db_s
    assert StreamingDetector(b, geometry=geometry, always_on=True).policy.segmenter.cfg.min_area_db_s == 0.2
    manifest = json.loads((tiny_bundle / "manifest.json").read_text())
    rate = throttled.policy.frame_rate_hz

    def c_area(idle: bool) -> float:  # the third item of the C initialiser: min_area_db_frames, a C hex float
        item = _decision_initializer(manifest, rate_hz=rate, full_rate_hz=57.0, idle=idle)[1:].split(",")[2]
        return float.fromhex(item.strip().rstrip("f")) / rate

    assert c_area(True) == pytest.approx(0.5) and c_area(False) == pytest.approx(0.2)
    old = {k: v for k, v in manifest["features"]["segment"].items() if k != "idle_min_area_db_s"}
    assert dsp.SegmentConfig(**old).for_idle_stream().min_area_db_s == 0.5
    assert dataclasses.replace(b.segment, idle_min_area_db_s=0.3).for_idle_stream().min_area_db_s == 0.3


def test_idle_history_encodes_every_idle_frame_and_a_wake_keeps_it(tiny_bundle: Path, sim_stream) -> None:
    """With ``ThrottleConfig.idle_history`` every frame sensed at idle rate is encoded from its IDLE map
    (:func:`dsp.idle_range_doppler`) and held in the ring until the next sensed frame; a wake keeps that
    history (no refill); full-rate frames are encoded as before."""
    import dataclasses

    import numpy as np

    import dsp
    from deploy.runtime import RingBuffer, StreamingDetector
    from deploy.throttle import Phase

    pushes: list[tuple[int, np.ndarray]] = []
    resets: list[int] = []

    class Ring(RingBuffer):
        def reset(self, fill=None):  # type: ignore[no-untyped-def]
            super().reset(fill)
            resets.append(len(pushes))

        def push(self, frame, embedding):  # type: ignore[no-untyped-def]
            super().push(frame, embedding)
            pushes.append((frame, np.asarray(embedding).copy()))

    frames, geometry = sim_stream
    b = load_bundle(tiny_bundle)
    thr = dataclasses.replace(b.throttle, idle_history=True)
    det = StreamingDetector(b, geometry=geometry, throttle=thr)
    det.ring = Ring(det.ring.capacity, det.ring.data.shape[1])
    idle_sensed = []
    for t in range(len(frames)):
        if det.wants(t):
            if det.state.phase not in (Phase.ONSET, Phase.ACTIVE):
                idle_sensed.append(t)
            det.process(frames[t], t)
    wakes = [t for t, p in det.transitions if p == int(Phase.ONSET)]
    assert len(wakes) >= 3 and not resets  # wakes, and none of them refilled the ring
    held = {}
    for frame, emb in pushes:
        held.setdefault(frame, []).append(emb)
    for t in idle_sensed[:: max(1, len(idle_sensed) // 25)]:
        m = dsp.idle_range_doppler(
            frames[t], cfg=b.features, idle_sweeps=thr.idle_sweeps, point_step=thr.idle_point_step
        )
        want = det._encode(np.nan_to_num(m), count=False)
        for k in range(thr.idle_decimation):
            np.testing.assert_array_equal(held[t + k][0], want)  # the IDLE map, held until the next frame
    n_full = len(pushes) - thr.idle_decimation * len(idle_sensed)  # the full-rate frames encoded
    assert n_full > 0 and det.encoder_runs == len(idle_sensed) + n_full


def test_the_bundle_throttle_keeps_the_idle_history_the_model_was_trained_on(tmp_path: Path) -> None:
    """A run trained on the IDLE frames' history gets a throttle that keeps it; one trained on the fill, or with
    no augmentation, fills; an IDLE frame other than the one trained on is refused. The firmware refuses a bundle
    whose config.h disagrees with its manifest on it (one exported before config.h carried RG_IDLE_HISTORY)."""
    import dataclasses

    from deploy.export import bundle_throttle
    from deploy.firmware import FirmwareError, write_project
    from models.data import ROBUST_AUGMENT

    idle = ROBUST_AUGMENT  # the recipe trains on the IDLE frames' history
    fill = dataclasses.replace(ROBUST_AUGMENT, wake_history="fill")
    assert bundle_throttle(ThrottleConfig(), idle, full_rate_hz=57.3).idle_history
    assert bundle_throttle(ThrottleConfig(), idle, full_rate_hz=57.3).full_rate_hz == 57.3
    assert not bundle_throttle(ThrottleConfig(), fill, full_rate_hz=57.3).idle_history
    assert not bundle_throttle(ThrottleConfig(idle_history=True), None, full_rate_hz=57.3).idle_history
    with pytest.raises(ValueError, match="IDLE frames of 5 sweeps"):
        bundle_throttle(ThrottleConfig(idle_sweeps=4), idle, full_rate_hz=57.3)
    with pytest.raises(ValueError, match="from point 0"):  # the IDLE points moved one full point further
        bundle_throttle(ThrottleConfig(idle_point_offset=1), idle, full_rate_hz=57.3)
    far = dataclasses.replace(idle, wake_idle_point_offset=1)
    assert bundle_throttle(ThrottleConfig(idle_point_offset=1), far, full_rate_hz=57.3).idle_point_offset == 1
    (tmp_path / "manifest.json").write_text(json.dumps({"throttle": {"idle_history": True}}))
    (tmp_path / "config.h").write_text("#define RG_SWEEPS 16\n")
    with pytest.raises(FirmwareError, match="IDLE frames' history"):
        write_project(tmp_path)
    (tmp_path / "config.h").write_text("#define RG_IDLE_HISTORY 0 /* off */\n")
    with pytest.raises(FirmwareError, match="idle_history=True"):
        write_project(tmp_path)
