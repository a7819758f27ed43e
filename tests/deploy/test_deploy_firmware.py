"""The Cortex-M4F firmware (deploy.firmware): ARM build within budget, bit-exact models inside the image in
QEMU, and the same events as the host runtime. Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and
qemu-system-arm (``.ci/run`` installs them with apt-get); skipped only where apt-get is unavailable."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import dsp
from deploy.firmware import (
    FLASH_BUDGET_BYTES,
    RAM_BUDGET_BYTES,
    STACK_BYTES,
    FirmwareError,
    FirmwareRun,
    build_firmware,
    ensure_firmware,
    firmware_size,
    run_frames,
    run_model_test,
    toolchain_missing,
    write_project,
)
from deploy.runtime import DetectResult, StreamingDetector

SHIFTS_S = (-0.2, -0.1, 0.0)  # WindowConfig.test_shifts_s's default


@pytest.fixture(scope="module")
def toolchain() -> None:
    missing = toolchain_missing()
    if not missing:
        return
    if shutil.which("apt-get") is None:
        pytest.skip(f"{', '.join(missing)} missing and apt-get unavailable: the firmware tests cannot run here")
    pytest.fail(
        f"{', '.join(missing)} missing: apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi "
        "qemu-system-arm (.ci/run does this)"
    )


@pytest.fixture(scope="module")
def fw_bundle(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the tiny bundle (the firmware project goes inside it), its throttle with a strong
    back-off (3 s at +4 dB), so that the short stream below has wakes the back-off suppresses, and the head
    averaged over the three default window shifts (whatever the export wrote)."""
    out = tmp_path_factory.mktemp("fw") / "bundle"
    shutil.copytree(tiny_bundle, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["throttle"] |= {"backoff_s": 3.0, "backoff_db": 4.0}
    manifest["model"]["window_shifts_s"] = list(SHIFTS_S)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out


@pytest.fixture(scope="module")
def firmware(toolchain, fw_bundle: Path, sim_stream) -> Path:
    """The image built for the simulated stream's frame rate."""
    return ensure_firmware(fw_bundle, sim_stream[1])


def test_image_fits_the_budget_split_by_part(firmware: Path) -> None:
    size = firmware_size(firmware)
    assert 0 < size.flash_total <= FLASH_BUDGET_BYTES
    assert 0 < size.ram_total <= RAM_BUDGET_BYTES
    for part in ("models", "features", "throttle", "decision", "runtime", "C library"):
        assert size.flash.get(part, 0) > 0, part
    # the parts add up to the image (within the alignment padding)
    assert abs(sum(size.flash.values()) - size.flash_total) <= 64
    assert "| models |" in size.table()


def test_models_bit_exact_inside_the_arm_image(firmware: Path, fw_bundle: Path, sim_stream) -> None:
    from deploy.firmware.target import recorded_model_inputs
    from deploy.runtime import load_bundle

    bundle = load_bundle(fw_bundle)
    xs, windows = recorded_model_inputs(sim_stream[0], bundle, max_frames=120, every=6)
    enc, head, counters, ipt = run_model_test(firmware, xs, windows)
    want_e = np.stack([bundle.encoder.invoke_int8(x.reshape(bundle.encoder.input_shape)).ravel() for x in xs])
    want_h = np.stack([bundle.head.invoke_int8(w.reshape(bundle.head.input_shape)).ravel() for w in windows])
    assert enc.shape == want_e.shape and head.shape == want_h.shape
    assert np.array_equal(enc, want_e)
    assert np.array_equal(head, want_h)
    assert ipt == pytest.approx(5.0, rel=0.01)  # -icount shift=3 with the board's 25 MHz SysTick clock
    assert counters["model_ticks_encoder"] > 0


@pytest.fixture(scope="module")
def idle_history_bundle(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny bundle whose throttle keeps the IDLE frames' history (manifest and config.h, the
    manifest's sha256 list recomputed), with the back-off of :func:`fw_bundle`. The model was trained on the
    fill: its accuracy is not the point, the firmware's equality with the host runtime is."""
    from deploy.runtime import load_bundle, sha256_file

    out = tmp_path_factory.mktemp("fw_idle") / "bundle"
    shutil.copytree(tiny_bundle, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["throttle"] |= {"backoff_s": 3.0, "backoff_db": 4.0, "idle_history": True}
    manifest["model"]["window_shifts_s"] = list(SHIFTS_S)
    config = (out / "config.h").read_text()
    assert re.search(r"^#define RG_IDLE_HISTORY\s+0 ", config, re.M)
    (out / "config.h").write_text(re.sub(r"^(#define RG_IDLE_HISTORY\s+)0 ", r"\g<1>1 ", config, flags=re.M))
    manifest["files"]["config.h"] = sha256_file(out / "config.h")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    assert load_bundle(out).throttle.idle_history  # a valid bundle (the sha256 list checks out)
    return out


def _firmware_equals_host(
    project: Path,
    bundle_dir: Path,
    frames: np.ndarray,
    geometry: dsp.FrameGeometry,
    *,
    always_on: bool,
    early: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[FirmwareRun, DetectResult]:
    """Run the image and ``detect_frames`` on the stream; assert the same decision records, head inputs and
    counters. Returns (firmware run, host result)."""
    from deploy.runtime import RingBuffer, StreamingDetector, detect_frames, load_bundle

    bundle = load_bundle(bundle_dir)
    # every decision record of the host runtime, accepted or rejected, as the firmware prints them
    records: list[tuple[int, int, int, float, int, int]] = []
    decided = StreamingDetector._decided

    def spy(self, d, now):  # type: ignore[no-untyped-def]
        s, e = self._to_frames(d.start_frame, d.end_frame, now)
        records.append((s, e, d.label, float(d.score), now, int(d.accepted)))
        return decided(self, d, now)

    monkeypatch.setattr(StreamingDetector, "_decided", spy)
    # every head input, as a checksum the firmware also keeps (the ring's fill after a wake included)
    head_sum = [0]
    window = RingBuffer.window

    ends: list[int] = []

    def spy_window(self, end, length):  # type: ignore[no-untyped-def]
        ends.append(end - length)
        w = window(self, end, length)
        head_sum[0] += int(np.dot(np.arange(1, w.size + 1, dtype=np.int64), w.ravel().astype(np.int64)))
        return w

    monkeypatch.setattr(RingBuffer, "window", spy_window)
    if early:  # start the stream 4 frames before the first decided candidate's motion
        detect_frames(frames, bundle, geometry=geometry, always_on=True)
        frames = frames[max(0, records[0][0] - 4) :][:500]
        records.clear()
        ends.clear()
        head_sum[0] = 0
    run = run_frames(project, frames, always_on=always_on)
    ref = detect_frames(frames, bundle, geometry=geometry, always_on=always_on)
    assert len(records) > 0  # the stream has candidates to decide
    assert not early or min(ends) < 0  # a window that begins before the stream
    assert list(run.records) == records  # the scores bit for bit (float32 on both sides)
    fw = [(s, e, bundle.classes[k], round(p, 4)) for s, e, k, p, _f, acc in run.records if acc]
    py = [(d.start_frame, d.end_frame, d.gesture, d.score) for d in ref.events]
    assert fw == py
    assert run.counters["sensor_frames"] == ref.utilisation.sensor_frames
    assert run.counters["encoder_runs"] == ref.utilisation.encoder_runs
    assert run.counters["head_runs"] == ref.utilisation.head_runs
    # every classification averages the head over the shifted windows (the spy saw their starts, in order)
    shifts = re.search(r"^#define RG_FW_HEAD_SHIFT_FRAMES \{([^}]*)\}", (project / "fw_config.h").read_text(), re.M)
    assert shifts is not None
    offsets = [int(v) for v in shifts.group(1).split(",")]
    assert len(offsets) == len(bundle.window_shifts_s) == 3 and len(set(offsets)) == 3
    assert len(ends) == run.counters["head_runs"] and len(ends) % 3 == 0
    assert (np.diff(np.reshape(ends, (-1, 3)), axis=1) == np.diff(offsets)).all()
    assert run.counters["head_input_sum"] == head_sum[0] != 0
    assert run.counters["awake_frames"] == ref.utilisation.full_rate_frames
    assert run.counters["switches"] == ref.utilisation.switches
    per = run.per_frame
    assert per["encoder_run"] > 1000 and per["frame"] > per["features_frame"] > 0
    assert 0 < run.counters["stack_bytes"] <= 0.9 * STACK_BYTES  # headroom left on the stack
    return run, ref


@pytest.mark.parametrize(("always_on", "early"), [(False, False), (True, False), (False, True), (True, True)])
def test_firmware_events_equal_the_host_runtime(
    firmware: Path, fw_bundle: Path, sim_stream, always_on, early, monkeypatch
) -> None:
    """Same records, head inputs and counters; ``early``: the stream starts just before a gesture, so its
    window begins before the first frame (read as the ring's fill on both sides)."""
    from deploy.runtime import detect_frames, load_bundle

    frames, geometry = sim_stream
    frames = frames[:1500]
    _, ref = _firmware_equals_host(
        firmware, fw_bundle, frames, geometry, always_on=always_on, early=early, monkeypatch=monkeypatch
    )
    if not always_on and not early:  # the back-off changes this stream's wakes (so the records above cover it)
        bundle = load_bundle(fw_bundle)
        off = dataclasses.replace(bundle.throttle, backoff_s=0.0)
        assert detect_frames(frames, bundle, geometry=geometry, throttle=off).transitions != ref.transitions


def test_firmware_with_the_idle_history_equals_the_host_runtime(
    toolchain, idle_history_bundle: Path, sim_stream, monkeypatch
) -> None:
    """A bundle whose throttle keeps the IDLE frames' history (ThrottleConfig.idle_history): the image encodes
    every frame sensed at idle rate from its IDLE map and keeps that history at a wake, giving the host
    runtime's records, head inputs and encoder runs; the history changes both (so they would differ from a
    firmware that ignored it)."""
    from deploy.runtime import detect_frames, load_bundle

    frames, geometry = sim_stream
    frames = frames[:1500]
    project = ensure_firmware(idle_history_bundle, geometry)
    assert re.search(r"^#define RG_IDLE_HISTORY\s+1 ", (project / "config.h").read_text(), re.M)
    run, ref = _firmware_equals_host(
        project, idle_history_bundle, frames, geometry, always_on=False, early=False, monkeypatch=monkeypatch
    )
    wakes = sum(1 for _, phase in ref.transitions if phase == 1)  # Phase.ONSET
    assert wakes >= 2 and run.counters["idle_frames"] > 100
    # every frame sensed at idle rate was encoded, plus full-rate frames
    assert 0 < run.counters["encoder_runs"] - run.counters["idle_frames"] <= run.counters["awake_frames"]
    bundle = load_bundle(idle_history_bundle)
    fill = detect_frames(
        frames, bundle, geometry=geometry, throttle=dataclasses.replace(bundle.throttle, idle_history=False)
    )
    assert fill.utilisation.encoder_runs < ref.utilisation.encoder_runs  # the history is a different run


def test_shift_frames_are_pythons_rounding_at_the_stream_rate(tiny_bundle: Path, sim_stream, tmp_path: Path) -> None:
    """At 57 Hz the shifts -0.2 and -0.1 s are -11.4 and -5.7 frames: Python's round gives -11 and -6 (C's
    truncation -11 and -5, floor -12 and -6); the ring holds the earliest shifted window too. A positive shift
    (a window on frames not sensed yet) is refused."""
    from deploy.runtime import load_bundle

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["model"]["window_shifts_s"] = list(SHIFTS_S)
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    geometry = dataclasses.replace(sim_stream[1], frame_rate_hz=57.0)
    config = (write_project(bundle, tmp_path / "fw", geometry=geometry) / "fw_config.h").read_text()

    def define(name: str) -> str:
        found = re.search(rf"^#define {name} (.+?) /\*", config, re.M)
        assert found is not None, name
        return found.group(1)

    assert define("RG_FW_HEAD_SHIFTS") == "3"
    assert define("RG_FW_HEAD_SHIFT_FRAMES") == "{-11, -6, 0}"
    t, history = int(define("RG_FW_WINDOW_FRAMES")), int(define("RG_FW_HISTORY_FRAMES"))
    assert int(define("RG_FW_RING_FRAMES")) == t + history + 11
    detector = StreamingDetector(load_bundle(bundle), geometry=geometry)
    assert detector.ring.capacity == t + history + 11  # the host runtime's ring, slot for slot
    manifest["model"]["window_shifts_s"] = [-0.1, 0.05]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FirmwareError, match="window_shifts_s"):
        write_project(bundle, tmp_path / "fw2", geometry=geometry)


def test_budget_overflow_fails_the_link_with_a_clear_message(toolchain, tiny_bundle: Path, tmp_path: Path) -> None:
    project = write_project(tiny_bundle, tmp_path / "fw", flash_bytes=4096)
    with pytest.raises(FirmwareError, match="does not fit: FLASH overflowed"):
        build_firmware(project)


def test_energy_of_a_run_has_both_terms(firmware: Path, fw_bundle: Path, sim_stream) -> None:
    from deploy.firmware.energy import McuPart, mcu_current_a, stream_figures
    from deploy.runtime import load_bundle

    bundle = load_bundle(fw_bundle)
    frames, geometry = sim_stream
    run = run_frames(firmware, frames[:600], always_on=False)
    e = stream_figures("throttled", run, manifest=bundle.manifest, geometry=geometry)
    part = McuPart()
    assert part.sleep_ua * 1e-3 < e.mcu_ma < part.active_a * 1e3
    assert e.sensor_ma > 0 and e.battery_h == pytest.approx(part.battery_mah / (e.mcu_ma + e.sensor_ma))
    assert mcu_current_a(0, 1.0) == pytest.approx(part.sleep_ua * 1e-6)
    with pytest.raises(ValueError, match="need more than"):
        mcu_current_a(1e9, 1.0)


def test_cli_firmware_size_and_run(toolchain, tiny_bundle: Path, tmp_path: Path, sim_dir: Path, capsys) -> None:
    from radargest.cli import main

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    assert main(["firmware", "size", str(bundle), "--json"]) == 0
    first = capsys.readouterr()
    size = json.loads(first.out)
    assert size["flash_total"] <= FLASH_BUDGET_BYTES
    assert "building the Cortex-M4F image in" in first.err  # it was built silently into the bundle
    assert main(["firmware", "size", str(bundle), "--json"]) == 0
    assert capsys.readouterr().err == ""  # built once
    rec = sorted(sim_dir.rglob("*.h5"))[0]
    assert main(["firmware", "run", str(bundle), "--replay", str(rec), "--json", "--always-on"]) == 0
    out = capsys.readouterr()
    for line in out.out.splitlines():
        assert set(json.loads(line)) == {"start_frame", "end_frame", "t_s", "gesture", "score"}
    assert "instructions" in json.loads(out.err.strip().splitlines()[-1])


def test_cli_firmware_run_summary_of_a_stream_without_encoder_or_head_runs() -> None:
    """A recording with no motion never runs the encoder or the head: the summary said ``per encoder run None,
    per head run None``; it now says that nothing was measured (no toolchain needed: the line alone)."""
    from radargest.firmware_cmds import _summary

    counters = {"decisions": 0, "sensor_frames": 40, "frames": 400, "encoder_runs": 0, "head_runs": 0}
    per = {"frame": 900, "full_rate_frame": 90, "encoder_run": None, "head_run": None}
    line = _summary({**counters, "stack_bytes": 512}, per)
    assert "None" not in line and "no encoder or head run measured" in line
    assert "per encoder run 5000, no head run measured" in _summary(
        {**counters, "encoder_runs": 2, "stack_bytes": 512}, {**per, "encoder_run": 5000}
    )


def test_cli_missing_recording_is_one_line(toolchain, tiny_bundle: Path, tmp_path: Path, capsys) -> None:
    from radargest.cli import main

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    assert main(["firmware", "run", str(bundle), "--replay", str(tmp_path / "nope.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("radargest: error:")


def test_export_target_writes_measured_figures_into_the_report(
    toolchain, tiny_bundle: Path, tmp_path: Path, sim_dir: Path
) -> None:
    from acquisition import get_preset, simulate_everyday
    from acquisition.presets import sensor_config_with
    from acquisition.sim import EverydayPlan, Subject
    from deploy.firmware.target import add_firmware_target
    from deploy.runtime import load_bundle

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    rec = sorted(sim_dir.rglob("*.h5"))[0]
    # an everyday stream at another frame rate (within tolerance): its case runs on an image rebuilt for that rate
    preset = get_preset("gesture_close")
    rate = 0.95 * float(json.loads((bundle / "manifest.json").read_text())["sensor"]["frame_rate_hz"])
    everyday = tmp_path / "everyday.h5"
    simulate_everyday(
        everyday,
        plan=EverydayPlan(duration_s=10.0, gesture_rate_per_min=0.0),
        subject=Subject.from_seed(11),
        seed=0,
        sensor_config=sensor_config_with(preset, frame_rate=rate),
        preset="gesture_close",
    )
    fw = add_firmware_target(bundle, recording=rec, everyday=everyday)
    assert fw["parity"]["arm_vs_litert_lsb"] == {"encoder": 0, "head": 0}
    assert all(s.get("events_identical", True) for s in fw["streams"].values())
    assert {e["case"] for e in fw["energy"]} >= {"throttled, dense", "always-on, low-power full-rate state"}
    assert "throttled, everyday" in {e["case"] for e in fw["energy"]}
    # the image left in the bundle is the one the report sizes, built for the recording's rate
    assert json.loads((bundle / "firmware" / "build.json").read_text())["frame_rate_hz"] == fw["frame_rate_hz"]
    assert firmware_size(bundle / "firmware").ram_total == fw["size"]["ram_total"]
    report = (bundle / "report.md").read_text(encoding="utf-8")
    assert "## Firmware (Cortex-M4F, measured" in report and "MCU estimate" not in report
    load_bundle(bundle)  # the manifest's sha256 of report.md was updated
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"]["firmware"]["size"]["flash_total"] <= FLASH_BUDGET_BYTES


def test_export_refuses_the_tflm_backend_for_the_firmware_target_before_exporting(tmp_path: Path, capsys) -> None:
    from radargest.cli import main

    out = tmp_path / "b"
    assert main(["export", str(tmp_path), "--out", str(out), "--target", "cortex-m4f", "--backend", "tflm"]) == 2
    assert "--backend c" in capsys.readouterr().err and not out.exists()
