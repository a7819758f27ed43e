"""A recording at another frame rate than a run's, a bundle's or the other training recordings' is refused in
one line naming the file and both rates (a model's window is a fixed number of frames)."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run

from dsp import frame_rate_mismatch


@pytest.fixture(scope="module")
def slow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulated session at a fixed 30 Hz (the fixtures' sessions free-run at 57.1 Hz)."""
    from radargest.simulate_cmd import SimulateJob, run_simulate

    out = tmp_path_factory.mktemp("sim30")
    job = SimulateJob(out_dir=out, subjects=1, first_subject=3600, reps_per_gesture=1, frame_rate_hz=30.0)
    run_simulate(job, workers=1, progress=False)
    return sorted(out.glob("*.h5"))[0]


@pytest.fixture(scope="module")
def slow_everyday(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One short simulated everyday stream at a fixed 30 Hz (``export --everyday`` takes only everyday streams)."""
    from radargest.simulate_cmd import EverydayJob, run_everyday

    out = tmp_path_factory.mktemp("everyday30")
    job = EverydayJob(out_dir=out, subjects=1, first_subject=3600, minutes=0.1, frame_rate_hz=30.0)
    run_everyday(job, workers=1, progress=False)
    return sorted(out.glob("*.h5"))[0]


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> subprocess.CompletedProcess[str]:
    from radargest.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, out, err)


def test_the_tolerance_takes_the_real_recordings_free_running_rates() -> None:
    """The Acconeer training days free-run at 55.2-57.4 Hz and the simulator at 57.1 Hz: all one rate."""
    for rate in (55.206, 56.714, 57.393):
        assert frame_rate_mismatch(rate, 57.143, expected="the run's") is None
        assert frame_rate_mismatch(57.143, rate, expected="the run's") is None
    assert "30.0 Hz against the run's 57.1 Hz" in str(frame_rate_mismatch(30.0, 57.143, expected="the run's"))


def test_detect_refuses_another_frame_rate(demo_bundle: Path, slow_file: Path) -> None:
    assert_one_line_error(
        run("detect", str(slow_file), "--model", str(demo_bundle)), slow_file.name, "30.0 Hz", "57.1 Hz"
    )


def test_demo_refuses_a_replay_at_another_frame_rate(demo_bundle: Path, slow_file: Path) -> None:
    """The live path (demo, replay) took the recording's rate as it came."""
    proc = run("demo", "--headless", "--fast", "--source", f"replay:{slow_file}", "--model", str(demo_bundle))
    assert_one_line_error(proc, "30.0 Hz against the bundle's 57.1 Hz")


def test_evaluate_refuses_another_frame_rate(
    tiny_run: Path, slow_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = _main(
        capsys, "evaluate", str(tiny_run), "--data", str(slow_file), "--split", "none", "--continuous", "--quiet"
    )
    assert proc.returncode == 2
    assert_one_line_error(proc, slow_file.name, "30.0 Hz", "the run's 57.1 Hz")


def test_train_refuses_a_mix_of_frame_rates_before_training(
    sim_dir: Path, slow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["train", "--data", str(sim_dir), str(slow_file), "--split", "none", "--epochs", "1", "--out", str(out)]
    proc = _main(capsys, *argv, "--quiet")
    assert proc.returncode == 2 and not out.exists()
    assert_one_line_error(proc, slow_file.name, "30.0 Hz", "57.1 Hz")


def test_search_refuses_a_mix_of_frame_rates_before_any_trial(
    sim_dir: Path, slow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``train`` refused the mix; ``search`` trained its trials on it (a window stretched on one of them)."""
    pytest.importorskip("optuna", reason="needs the [search] extra")
    out = tmp_path / "search"
    argv = ["search", "--data", str(sim_dir), str(slow_file), "--split", "none", "--trials", "1", "--epochs", "1"]
    proc = _main(capsys, *argv, "--no-ray", "--no-reference", "--out", str(out), "--quiet")
    assert proc.returncode == 2 and not (out / "study.db").exists() and not (out / "trials").exists()
    assert_one_line_error(proc, slow_file.name, "30.0 Hz", "the recordings' median 57.1 Hz")


def test_search_refuses_data_off_the_init_runs_frame_rate(
    tiny_run: Path, slow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pruned family fine-tunes --init RUN: its window length must fit the data, as ``train --init`` refuses."""
    pytest.importorskip("optuna", reason="needs the [search] extra")
    out = tmp_path / "search"
    argv = ["search", "--init", str(tiny_run), "--data", str(slow_file), "--split", "none", "--trials", "1"]
    proc = _main(capsys, *argv, "--epochs", "1", "--no-ray", "--no-reference", "--out", str(out), "--quiet")
    assert proc.returncode == 2 and not (out / "study.db").exists()
    assert_one_line_error(proc, slow_file.name, "30.0 Hz", "--init run's 57.1 Hz")


def test_export_refuses_representative_data_at_another_frame_rate(
    tiny_run: Path, sim_dir: Path, slow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``export --data``: the calibration windows and the streaming check of a 30 Hz file were cut at the run's
    number of frames, and the bundle took the first checked recording's rate as its own."""
    out = tmp_path / "bundle"
    proc = _main(capsys, "export", str(tiny_run), "--data", str(sim_dir), str(slow_file), "--out", str(out), "--quiet")
    assert proc.returncode == 2 and not out.exists()
    assert_one_line_error(proc, slow_file.name, "30.0 Hz", "the run's 57.1 Hz")


@pytest.mark.parametrize("option", ["--measure", "--everyday"])
def test_export_refuses_a_firmware_recording_at_another_frame_rate_before_the_export(
    tiny_run: Path,
    slow_file: Path,
    slow_everyday: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
) -> None:
    """``export --target cortex-m4f --measure/--everyday``: refused by the firmware step, after the whole export."""
    out = tmp_path / "bundle"
    slow = slow_everyday if option == "--everyday" else slow_file
    argv = ["export", str(tiny_run), "--target", "cortex-m4f", option, str(slow), "--out", str(out), "--quiet"]
    proc = _main(capsys, *argv)
    assert proc.returncode == 2 and not out.exists()
    assert_one_line_error(proc, slow.name, "30.0 Hz", "the run's 57.1 Hz")


def test_calibrate_refuses_the_runs_own_data_at_another_frame_rate(
    tiny_run: Path, sim_dir: Path, slow_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the calibration-only streams were checked: a run's data replaced since by a 30 Hz file was scored
    with the run's window (and a soup's calibration, on its members' data, the same)."""
    import dataclasses
    import shutil

    from models.config import read_config, write_config

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    cfg = read_config(run / "config.toml")
    write_config(dataclasses.replace(cfg, data=(str(sim_dir), str(slow_file))), run / "config.toml")
    before = (run / "config.toml").read_bytes()
    proc = _main(capsys, "calibrate", str(run), "--quiet")
    assert proc.returncode == 2 and (run / "config.toml").read_bytes() == before
    assert_one_line_error(proc, slow_file.name, "30.0 Hz", "the run's 57.1 Hz")


def test_record_enrol_refuses_another_frame_rate_before_recording(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``record --enrol --frame-rate-hz 30`` on a run sized at 57.1 Hz recorded the prompts and the idle hands and
    fine-tuned; only the bundle export at the very end refused the rate. Now the sensor config is checked first,
    and the message says which ``--frame-rate-hz`` (or none) matches the run."""
    out = tmp_path / "enrol"
    argv = ["record", "--enrol", "--init", str(tiny_run), "--source", "sim:2700", "--fast", "--frame-rate-hz", "30"]
    argv += ["--reps", "1", "--idle-s", "3", "--enrol-epochs", "1", "--subject", "u", "--out", str(out)]
    proc = _main(capsys, *argv, "--countdown-s", "0.3", "--window-s", "1.2", "--pause-s", "0.3")
    assert proc.returncode == 2 and not out.exists()  # nothing recorded, no folder made
    assert_one_line_error(proc, "--enrol would record at frame rate 30.0 Hz against the run's 57.1 Hz")
    assert "drop --frame-rate-hz" in proc.stderr and "Recording" not in proc.stdout

    # a free-running enrolment for a run sized at 30 Hz: the advice is the run's rate
    from radargest.record_cmd import _check_enrol_frame_rate

    args = argparse.Namespace(preset="gesture_close", frame_rate_hz=None)
    with pytest.raises(ValueError, match=r"57\.1 Hz against the run's 30\.0 Hz.*--frame-rate-hz 30\.0$"):
        _check_enrol_frame_rate(args, run_hz=30.0)
    _check_enrol_frame_rate(argparse.Namespace(preset="gesture_close", frame_rate_hz=30.0), run_hz=30.0)


def test_personalise_refuses_an_enrolment_off_the_runs_frame_rate_before_training(
    tiny_run: Path, slow_file: Path, tmp_path: Path
) -> None:
    """What the sensor config cannot tell (a replay's rate, a sensor free-running far from the nominal rate) is
    checked on the recordings before the fine-tune, as ``train --init`` checks (it fine-tuned on them)."""
    from models.config import read_run_config
    from models.data import DataError, load_recordings
    from models.personalise import EnrolConfig, personalise

    recs = load_recordings([slow_file], cfg=read_run_config(tiny_run).dataset)
    out = tmp_path / "run"
    with pytest.raises(DataError, match=rf"{slow_file.name}: frame rate 30\.0 Hz against --init run's 57\.1 Hz"):
        personalise(tiny_run, recs, out, cfg=EnrolConfig(epochs=1, rehearsal_share=0.0))
    assert not out.exists()
