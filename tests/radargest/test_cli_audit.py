"""Bad input found by the command-line audit: each is a one-line error before any work, never a traceback,
never lost data (run in-process through :func:`radargest.cli.main`, which is what the console script calls)."""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

import h5py
import pytest

from radargest.cli import main


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command expecting a user error (exit code 2, no traceback); returns its error line."""
    return _stderr_of_error(capsys, *argv).strip().splitlines()[-1]


def _stderr_of_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """:func:`_error`, returning all of stderr (the warnings printed before the error line too)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code  # type: ignore[assignment]
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert "error: " in err.strip().splitlines()[-1]
    return err


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["simulate", "--out", "x", "--workers", "0"], "--workers"),
        (["simulate", "--out", "x", "--frame-rate-hz", "0"], "--frame-rate-hz"),
        (["simulate", "--out", "x", "--everyday", "--minutes", "inf"], "--minutes"),
        (["bench", "sim", "--hours", "0"], "--hours"),  # was a ZeroDivisionError traceback
        (["demo", "--model", "b", "--seconds", "0"], "--seconds"),  # ran one frame and exited 0
        (["demo", "--model", "b", "--fps", "0"], "--fps"),
        (["quickstart", "--held-out", "0"], "--held-out"),  # ran the whole pipeline, then an IndexError
        (["quickstart", "--epochs", "0"], "--epochs"),
        (["record", "--subject", "a", "--out", "x", "--enrol", "--idle-s", "-1"], "--idle-s"),  # after the prompts
        (
            ["record", "--subject", "a", "--out", "x", "--enrol", "--enrol-fine-tune-weight", "0"],
            "--enrol-fine-tune-weight",
        ),
        (["robustness", "x", "--personalise", "--enrol-fine-tune-weight", "1.5"], "--enrol-fine-tune-weight"),
    ],
)
def test_bad_numbers_are_usage_errors_naming_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], option: str
) -> None:
    line = _error(capsys, *[str(tmp_path / a) if a in ("x", "b") else a for a in argv])
    assert f"argument {option}" in line
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("command", ["detect", "demo", "evaluate"])
@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_min_score_outside_zero_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, value: str
) -> None:
    """A probability threshold above 1 (or negative, NaN) rejected every gesture without a word."""
    argv = {
        "detect": ["detect", str(tmp_path / "f.h5"), "--model", str(tmp_path / "b")],
        "demo": ["demo", "--model", str(tmp_path / "b")],
        "evaluate": ["evaluate", str(tmp_path / "r"), "--data", str(tmp_path / "d")],
    }[command]
    line = _error(capsys, *argv, "--min-score", value)
    assert "argument --min-score/--threshold" in line
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--fa-budget", "-1"),
        ("--fa-budget", "nan"),
        ("--max-recall-loss", "1.5"),
        ("--max-recall-loss", "-0.1"),
        ("--knee-recall-per-fa-per-hour", "-0.01"),
        ("--knee-recall-per-fa-per-hour", "inf"),
    ],
)
def test_calibrate_rule_options_outside_their_range_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str
) -> None:
    """The operating point's budget, recall loss and knee slope were taken as any float (a loss above 1, NaN)."""
    from radargest.cli import build_parser

    line = _error(capsys, "calibrate", str(tmp_path / "r"), option, value)
    assert f"argument {option}" in line and value in line
    ends = ["--fa-budget", "0", "--max-recall-loss", "1", "--knee-recall-per-fa-per-hour", "0"]
    args = build_parser().parse_args(["calibrate", "r", *ends])
    assert (args.fa_budget, args.max_recall_loss, args.knee_recall_per_fa_per_hour) == (0.0, 1.0, 0.0)
    assert not any(tmp_path.iterdir())


def test_train_and_calibrate_take_the_same_operating_point_rule() -> None:
    """``train`` took only the budget; the rest of the rule (recall loss, knee, guard per source) needed a
    ``calibrate`` run afterwards. Both now share the options, and ``train`` puts them into the run's config; its
    help states the config's defaults."""
    from models.config import RejectionConfig
    from radargest.cli import build_parser
    from radargest.model_cmds import RULE_OPTIONS, _add_rule_options, train_config_from_args

    parser = build_parser()
    head = ["train", "--data", "d", "--out", "o"]
    rule = ["--max-recall-loss", "0.1", "--knee-recall-per-fa-per-hour", "0.01", "--source-guard", "every"]
    rule += ["--source-min-events", "5", "--source-max-recall-loss", "0"]
    given = parser.parse_args([*head, *rule])
    rej = train_config_from_args(given).rejection
    assert (rej.max_recall_loss, rej.knee_recall_per_fa_per_hour, rej.source_guard) == (0.1, 0.01, "every")
    assert (rej.source_min_events, rej.source_max_recall_loss) == (5, 0.0)
    unset = train_config_from_args(parser.parse_args(head)).rejection
    defaults = RejectionConfig()
    assert {n: getattr(unset, n) for n in RULE_OPTIONS} == {n: getattr(defaults, n) for n in RULE_OPTIONS}
    calibrate = parser.parse_args(["calibrate", "r", *rule])
    assert {n: getattr(calibrate, n) for n in RULE_OPTIONS} == {n: getattr(given, n) for n in RULE_OPTIONS}
    options = argparse.ArgumentParser()
    _add_rule_options(options, run_defaults=False)  # train's: its help states the config's defaults
    helps = {a.dest: a.help or "" for a in options._actions}
    for n in RULE_OPTIONS:
        v = getattr(defaults, n)
        want = f"default {v:g}" if isinstance(v, float | int) else f"default {v}"
        assert want in helps[n], (n, helps[n])


def test_gesture_lists_split_and_refuse_alike_in_every_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``train``/``search``/``record``/``simulate`` check the names of ``cli_args.gesture_list``'s split: the same
    list, the same errors (``record`` took ``none`` and duplicates, ``simulate`` duplicates)."""
    from radargest.cli_args import gesture_list, learnable_gesture_list

    assert learnable_gesture_list(" tap_in , wiggle,, ") == gesture_list(" tap_in , wiggle,, ") == ("tap_in", "wiggle")
    heads = {
        "train": ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")],
        "search": ["search", "--data", str(tmp_path), "--out", str(tmp_path / "o")],
        "record": ["record", "--subject", "a", "--out", str(tmp_path / "o")],
        "simulate": ["simulate", "--out", str(tmp_path / "o")],  # wrote a duplicate twice per repetition
    }
    empty = {name: _error(capsys, *argv, "--gestures", " , ").split(": ", 1)[1] for name, argv in heads.items()}
    assert len(set(empty.values())) == 1 and "give at least one gesture, e.g. tap_in,wiggle" in empty["train"]
    for argv in heads.values():  # "none" first: before the fix, record's duplicates would start a recording
        assert "'none' is the background class" in _error(capsys, *argv, "--gestures", "tap_in,none")
        assert "duplicate gesture(s): wiggle" in _error(capsys, *argv, "--gestures", "wiggle, wiggle")
    assert not any(tmp_path.iterdir())


def test_robustness_factors_split_as_gesture_lists_and_refuse_an_empty_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--factors`` splits with ``cli_args.name_list``, as ``--gestures``; an empty list ran every factor."""
    from radargest.cli import build_parser
    from radargest.cli_args import gesture_list

    args = build_parser().parse_args(["robustness", "r", "--factors", " distance , tempo,, "])
    assert args.factors == gesture_list(" distance , tempo,, ") == ("distance", "tempo")
    line = _error(capsys, "robustness", str(tmp_path / "r"), "--factors", " , ")
    assert "argument --factors: give at least one factor, e.g. distance,tempo" in line
    assert not any(tmp_path.iterdir())


def test_simulate_rejects_a_negative_first_subject_and_a_file_as_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    line = _error(capsys, "simulate", "--out", str(tmp_path / "s"), "--first-subject", "-3", "--workers", "1")
    assert "argument --first-subject: '-3' must be >= 0" in line
    assert not (tmp_path / "s").exists()
    afile = tmp_path / "a.h5"
    afile.write_bytes(b"keep")
    assert "is a file" in _error(capsys, "simulate", "--out", str(afile), "--subjects", "1", "--workers", "1")
    assert afile.read_bytes() == b"keep"


@pytest.mark.parametrize("everyday", [[], ["--everyday", "--minutes", "0.1"]])
def test_simulate_names_an_out_folder_that_cannot_be_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, everyday: list[str]
) -> None:
    """Was the bare ``[Errno 20] Not a directory: '...'`` (or ``[Errno 2]`` under /proc), naming no option."""
    afile = tmp_path / "a.h5"
    afile.write_bytes(b"keep")
    out = afile / "sims"
    line = _error(capsys, "simulate", "--out", str(out), "--subjects", "1", "--workers", "1", *everyday)
    assert f"{out}: cannot create the --out folder (" in line and "Errno" not in line
    assert afile.read_bytes() == b"keep"


def test_export_refuses_a_non_empty_bundle_folder_without_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    line = _error(capsys, "export", str(tmp_path / "run"), "--out", str(out))
    assert str(out) in line and "--overwrite" in line
    assert (out / "manifest.json").read_text() == "{}"


@pytest.mark.parametrize("overwrite", [False, True])
def test_train_refuses_a_bundle_folder_and_export_a_run_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, overwrite: bool
) -> None:
    """A run written into a bundle folder (or a bundle into a run folder) kept the other's files beside it, even
    with --overwrite (each clears only its own), and ``detect --model`` then ran the old bundle: refused first."""
    bundle, run = tmp_path / "bundle", tmp_path / "run"
    bundle.mkdir()
    run.mkdir()
    for name in ("manifest.json", "encoder_int8.tflite", "model_data.c"):
        (bundle / name).write_text("old")
    for name in ("config.toml", "model.keras"):
        (run / name).write_text("old")
    extra = ["--overwrite"] if overwrite else []
    line = _error(capsys, "train", "--data", str(tmp_path / "d"), "--out", str(bundle), "--quiet", *extra)
    assert f"{bundle}: holds an exported bundle (manifest.json" in line and "choose another --out" in line
    line = _error(capsys, "export", str(tmp_path / "no_run"), "--out", str(run), "--quiet", *extra)
    assert f"{run}: holds a training run (config.toml, model.keras)" in line and "choose another --out" in line
    assert sorted(p.name for p in bundle.iterdir()) == ["encoder_int8.tflite", "manifest.json", "model_data.c"]
    assert sorted(p.name for p in run.iterdir()) == ["config.toml", "model.keras"]


@pytest.mark.parametrize("option", ["--measure", "--everyday"])
def test_export_checks_the_firmware_recordings_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    """A bad --measure/--everyday path failed only after the conversion, the arena search and the firmware run,
    leaving a complete-looking bundle: now it is the first error (the run, missing here, is not even read)."""
    out, bad = tmp_path / "bundle", tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    argv = ["export", str(tmp_path / "no_run"), "--out", str(out), "--target", "cortex-m4f", "--quiet"]
    line = _error(capsys, *argv, option, str(bad))
    assert f"{bad}: not an HDF5 file" in line
    line = _error(capsys, *argv, option, str(tmp_path / "missing.h5"))
    assert "missing.h5: no such file" in line
    assert not out.exists()


@pytest.mark.parametrize("option", ["--measure", "--everyday"])
def test_export_refuses_a_firmware_recording_of_another_preset_before_any_work(
    capsys: pytest.CaptureFixture[str], tiny_run: Path, tmp_path: Path, option: str
) -> None:
    """A gesture_far recording (the same 57.1 Hz, so the up-front frame-rate check let it through) for a
    gesture_close run was refused by the firmware step's preset check, after the whole export; now that same
    comparison (deploy.runtime.check_sensor_fields, on the fields the manifest will hold) runs first."""
    from sim_helpers import sim_everyday, sim_session

    from acquisition.sim import EverydayPlan, SessionPlan

    far = tmp_path / "far.h5"
    if option == "--everyday":  # an everyday stream (a gesture session is refused as one)
        sim_everyday(far, EverydayPlan(duration_s=6.0), subject=2701, seed=2701, preset="gesture_far")
    else:
        sim_session(
            far, SessionPlan(gestures=("tap_in",), reps_per_gesture=1), subject=2701, seed=2701, preset="gesture_far"
        )
    out = tmp_path / "bundle"
    argv = ["export", str(tiny_run), "--out", str(out), "--target", "cortex-m4f", "--quiet", option, str(far)]
    line = _error(capsys, *argv)
    assert not out.exists()
    assert f"{far}: sensor config does not match the run's preset 'gesture_close'" in line
    assert "recording!=run: start_point=40!=20" in line


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["train", "--data", "d", "--out", "o", "--init", "r", "--arch", "cnn_gru"],
            "--arch applies only without --init",
        ),
        (
            ["train", "--data", "d", "--out", "o", "--init", "r", "--none-subclasses", "3"],
            "--none-subclasses applies only without --init",
        ),
        (
            ["train", "--data", "d", "--out", "o", "--init", "r", "--head-strides", "2,2,2,2"],
            "--head-strides applies only without --init",
        ),
        (
            ["train", "--data", "d", "--out", "o", "--arch", "cnn_gru", "--head-strides", "2,2"],
            "--head-strides applies only to the cnn_tcn head",
        ),
        (
            ["train", "--data", "d", "--out", "o", "--from-search", "s", "--head-strides", "2,2"],
            "--head-strides applies only without --from-search",
        ),
        (["export", "r", "--out", "o", "--measure", "d"], "--measure applies only with --target cortex-m4f"),
        (["simulate", "--everyday", "--out", "o", "--reps", "3"], "--reps applies only to gesture sessions"),
        (["simulate", "--out", "o", "--minutes", "3"], "--minutes applies only with --everyday"),
        (
            ["train", "--data", "d", "--out", "o", "--no-rejection", "--calibration-data", "d", "--fa-budget", "1"],
            "--fa-budget, --calibration-data apply only without --no-rejection",
        ),
        (
            ["evaluate", "r", "--data", "d", "--idle-decimations", "3"],
            "--idle-decimations applies only with --throttle",
        ),
        (["evaluate", "r", "--data", "d", "--throttle-sweep", "b", "--continuous"], "--continuous applies only"),
        (
            ["evaluate", "r", "--data", "d", "--throttle-sweep", "b", "--min-score", "0.5", "--always-wait"],
            "--min-score, --always-wait apply only without --throttle-sweep",
        ),
        (["evaluate", "r", "--data", "d", "--prefix-wait-s", "0.4"], "--prefix-wait-s applies only with --continuous"),
        # a value of 0 is given too (it equals False, and was once let through)
        (["evaluate", "r", "--data", "d", "--refractory-s", "0"], "--refractory-s applies only with --continuous"),
        (["evaluate", "r", "--data", "d", "--min-score", "0"], "--min-score applies only with --continuous"),
        (
            ["evaluate", "r", "--data", "d", "--continuous", "--idle-gate-max-range-m", "0.1"],
            "--idle-gate-max-range-m applies only to a throttled device's idle-rate stream",
        ),
        (["detect", "d", "--model", "b", "--min-peak-db", "5"], "--min-peak-db applies only with --always-on"),
        (
            ["detect", "d", "--model", "b", "--always-on", "--idle-min-peak-db", "5"],
            "--idle-min-peak-db applies only to a throttled",
        ),
        (["demo", "--model", "b", "--headless", "--gate-max-range-m", "0.1"], "--gate-max-range-m applies only with"),
        (
            ["robustness", "r", "--personalise", "--subjects", "2", "--compare", "b"],
            "--subjects, --compare apply only to the map, without --personalise",
        ),
        (["train", "--data", "d", "--out", "o", "--prefix", "tap_in:double_tapin"], "--prefix names double_tapin"),
        (["search", "--data", "d", "--out", "o", "--ray", "1.2.3.4:6379", "--no-ray"], "not allowed with argument"),
        # accepted and ignored before (the walkthrough's finds)
        (["export", "r", "--out", "o", "--backend", "tflm"], "--backend applies only with --target cortex-m4f"),
        (["bench", "dsp", "--model", "b"], "--model applies only to bench all"),
        (["bench", "sim", "--frames", "10"], "--frames applies only to bench dsp"),
        (["bench", "all", "--model", "b", "--hours", "2"], "--hours applies only to bench sim"),
        (
            ["bench", "segment", "--subjects", "2", "--data", "d"],
            "--subjects applies only to bench segment without --data",
        ),
        (["demo", "--model", "b", "--source", "mock", "--fast"], "--fast works only with --source sim or replay:FILE"),
        (
            ["record", "--subject", "a", "--out", "o", "--gestures", "tap_in", "--source", "mock", "--fast"],
            "--fast works only with --source",
        ),
        # a forgotten --enrol recorded a plain session and ignored these (audit finding 8)
        (
            ["record", "--subject", "a", "--out", "o", "--gestures", "tap_in", "--fast", "--init", "r"],
            "--init applies only with --enrol",
        ),
        (
            ["record", "--subject", "a", "--out", "o", "--fast", "--idle-s", "5", "--enrol-epochs", "3"],
            "--idle-s, --enrol-epochs apply only with --enrol",
        ),
        (
            ["record", "--subject", "a", "--out", "o", "--gestures", "tap_in", "--enrol-rehearsal-share", "0.2"],
            "--enrol-rehearsal-share applies only with --enrol",
        ),
        (
            ["record", "--subject", "a", "--out", "o", "--gestures", "tap_in", "--fast", "--enrol-keep-prefix-wait"],
            "--enrol-keep-prefix-wait applies only with --enrol",
        ),
        (
            ["record", "--subject", "a", "--out", "o", "--gestures", "tap_in", "--fast", "--overwrite"],
            "--overwrite applies only with --enrol",
        ),
        # options whose partner was missing: accepted and without effect (audit findings 9-11)
        (["train", "--data", "d", "--out", "o", "--distill-alpha", "0.9"], "--distill-alpha applies only with"),
        (
            ["train", "--data", "d", "--out", "o", "--distill-alpha", "0.9", "--distill-temperature", "5"],
            "--distill-alpha, --distill-temperature apply only with --distill-from",
        ),
        (["train", "--data", "d", "--out", "o", "--rehearsal-share", "0.3"], "--rehearsal-share applies only with"),
        (["train", "--data", "d", "--out", "o", "--rehearsal-distill", "0.8"], "--rehearsal-distill applies only with"),
        (
            ["train", "--data", "d", "--out", "o", "--prune-finetune-epochs", "3"],
            "--prune-finetune-epochs applies only with --prune-channels",
        ),
        (["search", "--data", "d", "--out", "o", "--no-ray", "--workers", "4"], "--workers applies only with Ray"),
        (
            ["search", "--data", "d", "--out", "o", "--prune-finetune-epochs", "3"],
            "--prune-finetune-epochs applies only with --init",
        ),
        (["search", "--data", "d", "--out", "o", "--rehearsal-share", "0.3"], "--rehearsal-share applies only with"),
        # the second audit: accepted and without effect
        (
            ["train", "--data", "d", "--out", "o", "--no-early-stopping", "--patience", "3"],
            "--patience applies only with early stopping",
        ),
        (["demo", "--model", "b", "--headless", "--fps", "5"], "--fps applies only to the window"),
        (["evaluate", "r", "--data", "d", "--out", "o"], "--out applies only with --continuous or --throttle-sweep"),
        (
            ["demo", "--model", "b", "--headless", "--source", "replay:x.h5", "--seed", "4"],
            "--seed applies only with --source sim",
        ),
        (
            ["demo", "--model", "b", "--headless", "--source", "replay:x.h5", "--preset", "gesture_far"],
            "--preset applies only to a live source or the simulator, not a replay",
        ),
        (
            ["record", "--subject", "a", "--out", "o", "--source", "replay:x", "--preset", "p", "--frame-rate-hz", "9"],
            "--preset, --frame-rate-hz apply only to a live source or the simulator, not a replay",
        ),
    ],
)
def test_options_that_would_be_ignored_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], fragment: str
) -> None:
    """These were silently ignored (train fine-tuned the init run's architecture, not --arch's)."""
    assert fragment in _error(capsys, *[str(tmp_path / a) if a in ("b", "d", "o", "r") else a for a in argv])
    assert not any(tmp_path.iterdir())


def test_record_enrol_takes_preset_and_frame_rate_with_a_replay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A plain record from a replay refuses --preset/--frame-rate-hz (the file's config is recorded), but --enrol
    checks them against the run and records its idle part with them, so it takes them with a replay too."""
    argv = ["record", "--subject", "a", "--out", str(tmp_path / "o"), "--source", "replay:x.h5", "--enrol"]
    line = _error(capsys, *argv, "--init", str(tmp_path / "r"), "--preset", "gesture_far", "--frame-rate-hz", "30")
    assert "not a replay" not in line and "run directory not found" in line


def test_demo_help_lists_every_source_it_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --source mock`` runs (``acquisition.open_client``), so its help lists mock with the others."""
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "replay:FILE.h5, mock, usb[:SERIAL]" in help_text


def test_train_options_zero_are_errors_not_the_default(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")]
    assert "argument --window-s: '0' must be in [0.3, 5]" in _error(capsys, *base, "--window-s", "0")  # default window
    assert "argument --prune-channels: '0' must be in (0, 1]" in _error(capsys, *base, "--prune-channels", "0")
    assert not (tmp_path / "run").exists()


def test_training_data_that_is_not_a_recording_names_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = [1, 2, 3]
    line = _error(capsys, "train", "--data", str(plain), "--out", str(tmp_path / "run"), "--no-rejection")
    assert str(plain) in line and "not an Exploration Tool record" in line  # was exptool's RecordError traceback


def test_demo_script_with_a_gesture_the_simulator_cannot_perform_fails_before_the_run() -> None:
    from deploy.live import GestureScript

    with pytest.raises(ValueError, match=r"unknown gesture\(s\) bogus"):  # was a KeyError when its turn came
        GestureScript(client=None, gestures=("tap_in", "bogus"))


def test_firmware_size_of_a_missing_bundle(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "not a bundle" in _error(capsys, "firmware", "size", str(tmp_path / "missing"))


def test_png_without_suffix_reports_the_file_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sim_dir: Path
) -> None:
    rec = sorted(sim_dir.glob("*.h5"))[0]
    for command in ("features", "label"):
        assert main([command, str(rec), "--png", str(tmp_path / command)]) == 0
        written = Path(capsys.readouterr().out.strip().removeprefix("wrote "))
        assert written == tmp_path / f"{command}.png" and written.is_file()  # was "wrote DIR/features"
    line = _error(capsys, "features", str(rec), "--png", str(tmp_path / "missing" / "f.png"))
    assert "no such folder" in line  # was an [Errno 2] line after computing the features


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_a_simulation_stopped_early_leaves_no_file(tmp_path: Path, stop: type[BaseException]) -> None:
    """Ctrl-C in ``simulate`` left a valid, labelled, shorter file that looked finished (and a rerun refused to
    replace it); now the partial file goes and Ctrl-C stays Ctrl-C (``radargest: interrupted``, exit 130)."""
    from sim_helpers import sim_everyday

    from acquisition import RecordingError
    from acquisition.sim import EverydayPlan

    def interrupt(_frames: int) -> None:
        raise stop("stopped")  # at the first progress report, mid-stream

    path = tmp_path / "s.h5"
    expected = (KeyboardInterrupt, None) if stop is KeyboardInterrupt else (RecordingError, "partial file was removed")
    with pytest.raises(expected[0], match=expected[1]):
        sim_everyday(path, EverydayPlan(duration_s=60.0), subject=0, seed=0, on_progress=interrupt)
    assert not path.exists()


def test_labels_export_keeps_an_edited_csv_unless_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sim_dir: Path
) -> None:
    rec = str(sorted(sim_dir.glob("*.h5"))[0])
    csv = tmp_path / "labels.csv"
    csv.write_text("hand edits\n")
    assert "--overwrite" in _error(capsys, "labels", "export", rec, str(csv))  # was silently replaced
    assert csv.read_text() == "hand edits\n"
    assert "is a folder" in _error(capsys, "labels", "export", rec, str(tmp_path))  # named a temporary file
    assert main(["labels", "export", rec, str(csv), "--overwrite"]) == 0
    assert csv.read_text().startswith("start_frame,end_frame,gesture,source")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["evaluate", "r", "--data", "d", "--continuous", "--out", "f"], "is a file"),  # was after the evaluation
        (["record", "--subject", "a", "--gestures", "tap_in", "--fast", "--out", "f"], "is a file"),  # [Errno 17]
        (["import", "record", "f", "--out", "f"], "is a file"),
        (["bench", "dsp", "--frames", "10", "--json", "."], "is a folder"),  # was after the benchmark
    ],
)
def test_an_output_of_the_wrong_kind_is_refused_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], fragment: str
) -> None:
    afile = tmp_path / "f"
    afile.write_bytes(b"keep")
    paths = {"r": tmp_path / "r", "d": tmp_path / "d", "f": afile, ".": tmp_path}
    assert fragment in _error(capsys, *[str(paths[a]) if a in paths else a for a in argv])
    assert afile.read_bytes() == b"keep" and sorted(tmp_path.iterdir()) == [afile]


def test_train_refuses_a_split_naming_a_subject_the_data_lacks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sim_dir: Path
) -> None:
    """``--split subject:sim-s01`` (a typo of sim-s001) held out nothing and trained on every subject."""
    line = _error(capsys, "train", "--data", str(sim_dir), "--out", str(tmp_path / "run"), "--split", "subject:sim-s01")
    assert "no recording matches sim-s01" in line and "sim-s001" in line
    assert not (tmp_path / "run").exists()


def test_decision_options_name_every_decision_argument() -> None:
    """The list that refuses the decision layer's options where they do nothing holds exactly the ones added."""
    import argparse

    from radargest.decision_args import DECISION_OPTIONS, add_decision_arguments

    p = argparse.ArgumentParser()
    add_decision_arguments(p)
    added = {a.dest for a in p._actions if a.dest != "help"}
    assert added == set(DECISION_OPTIONS) and len(DECISION_OPTIONS) == len(added)


@pytest.mark.parametrize(
    ("argv", "command", "expected"),
    [
        (["quickstart", "--headless"], "radargest quickstart", "--headless"),  # the demo's option, not the quickstart's
        (["labels", "export", "--overwritee", "a.h5", "b.csv"], "radargest labels export", "did you mean --overwrite?"),
        (["firmware", "size", "b", "--jsn"], "radargest firmware size", "did you mean --json?"),
        (["quickstart", "--outt=x"], "radargest quickstart", "--outt=x (did you mean --out?)"),
        (["--verbse", "quickstart"], "radargest", "--verbse (did you mean --verbose?)"),  # before the command
        (["--bogus", "train"], "radargest", "--bogus"),  # was "the following arguments are required: --data, --out"
    ],
)
def test_an_unknown_option_is_refused_by_its_command(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, expected: str
) -> None:
    """argparse alone printed the top level's usage, which lists no command's options."""
    line = _error(capsys, *argv)
    assert line.startswith(f"{command}: error: unrecognized arguments: "), line
    assert expected in line


def test_radargest_alone_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """It printed only "the following arguments are required: COMMAND"."""
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "quickstart" in err and "robustness" in err and "Traceback" not in err


def test_a_bundle_given_for_a_run_and_a_run_for_a_bundle_say_which_is_which(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The two folders users mix up: each error says what the folder is and where to go instead."""
    bundle, run = tmp_path / "bundle", tmp_path / "run"
    bundle.mkdir()
    (bundle / "manifest.json").write_text('{"run": "runs/alice"}')
    run.mkdir()
    (run / "config.toml").write_text("")
    for command in (["evaluate", str(bundle), "--data", str(tmp_path)], ["export", str(bundle), "--out", "x"]):
        line = _error(capsys, *command)
        assert "a bundle (radargest export's output), not a training run" in line
        assert "exported from the run runs/alice" in line
    line = _error(capsys, "detect", str(tmp_path / "x.h5"), "--model", str(run))
    assert "not a bundle" in line and "radargest export RUN --out BUNDLE" in line
    assert _error(capsys, "calibrate", str(tmp_path)).endswith("not a training run (no config.toml)")


@pytest.mark.parametrize("command", ["quantize", "export", "calibrate"])
def test_a_run_whose_data_moved_says_it_is_the_runs_data(
    command: str, tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's recorded --data is gone: the error said only ``PATH: no such file or folder``, as if it were an
    argument of this command."""
    import dataclasses
    import shutil

    from models.config import read_config, write_config

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    gone = str(tmp_path / "moved")
    write_config(dataclasses.replace(read_config(run / "config.toml"), data=(gone,)), run / "config.toml")
    extra = ["--out", str(tmp_path / "bundle"), "--no-arena-search"] if command == "export" else []
    line = _error(capsys, command, str(run), *extra)
    assert f"{gone}: the training data of the run {run}" in line and "moved or deleted" in line


def _with_label_table(sim_dir: Path, path: Path, rows: list[tuple[int, int, str, str]] | None) -> Path:
    """A copy of a simulated session whose ``/radargest/labels`` holds ``rows`` unchecked (None: an int64 table)."""
    import shutil

    import numpy as np

    shutil.copy(sorted(sim_dir.glob("*.h5"))[0], path)
    str_dt = h5py.string_dtype("utf-8")
    dtype = np.dtype([("start_frame", "<i8"), ("end_frame", "<i8"), ("gesture", str_dt), ("source", str_dt)])
    with h5py.File(path, "r+") as f:
        del f["radargest/labels"]
        f["radargest"]["labels"] = np.arange(5) if rows is None else np.array(rows, dtype=dtype)
    return path


def test_label_and_labels_export_open_a_file_with_a_bad_label_and_import_repairs_it(
    capsys: pytest.CaptureFixture[str], sim_dir: Path, tmp_path: Path
) -> None:
    """A label past the last frame made ``label`` and ``labels export``, the tools that repair labels, refuse the
    file (``bad /radargest labels: label Label(...)``). They now warn, naming it in words; the export keeps every
    row, and importing the fixed CSV replaces the table (training refuses the file until then)."""
    from acquisition import RecordingError, load_session

    rec = _with_label_table(sim_dir, tmp_path / "rec.h5", [(10, 40, "tap_in", "sim"), (85, 99_999, "wiggle", "sim")])
    n = load_session(rec, labels="ignore").num_frames
    bad = "label 2 (wiggle [85, 99999)) ends after the last frame"
    with pytest.raises(RecordingError, match=re.escape(f"bad /radargest/labels: {bad}")):
        load_session(rec)  # what train, evaluate and the rest read: still refused

    assert main(["label", str(rec), "--png", str(tmp_path / "view.png")]) == 0
    err = capsys.readouterr().err
    assert f"warning: {rec}: {bad}" in err and "not drawn" in err and "Label(" not in err
    assert (tmp_path / "view.png").is_file()
    assert main(["features", str(rec), "--png", str(tmp_path / "features.png")]) == 0  # draws what it can too
    err = capsys.readouterr().err
    assert f"warning: {rec}: {bad}" in err and "not drawn" in err
    assert (tmp_path / "features.png").is_file()

    csv = tmp_path / "labels.csv"
    assert main(["labels", "export", str(rec), str(csv)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {rec}: {bad}" in err and "fix them in the CSV" in err
    text = csv.read_text()
    assert text.splitlines()[1:] == ["10,40,tap_in,sim", "85,99999,wiggle,sim"]  # nothing lost
    csv.write_text(text.replace("99999", str(n)))
    assert main(["labels", "import", str(rec), str(csv)]) == 0
    assert [lab.end_frame for lab in load_session(rec).labels] == [40, n]


def test_labels_export_names_a_label_table_of_the_wrong_kind(
    capsys: pytest.CaptureFixture[str], sim_dir: Path, tmp_path: Path
) -> None:
    """An int64 ``/radargest/labels`` was reported as ``unreadable A121 record (IndexError: invalid index to
    scalar variable.)``, though only the table is wrong."""
    rec = _with_label_table(sim_dir, tmp_path / "rec.h5", None)
    line = _error(capsys, "labels", "export", str(rec), "-")
    assert line.endswith(
        f"{rec}: bad /radargest/labels table (int64 values, not the columns start_frame, end_frame, gesture, source)"
    )


@pytest.mark.parametrize("rows", [[(85, 99_999, "wiggle", "sim")], None], ids=["label-past-the-end", "int64-table"])
def test_detect_does_not_read_the_labels(
    monkeypatch: pytest.MonkeyPatch, sim_dir: Path, tmp_path: Path, rows: list[tuple[int, int, str, str]] | None
) -> None:
    """``detect`` needs no labels, yet refused a file whose label table was bad; it now streams it."""
    import deploy.runtime

    class Streamed(Exception):
        pass

    def session_stream(session: object, bundle: object) -> None:
        raise Streamed  # the stream was reached: the bundle part is tested elsewhere

    monkeypatch.setattr(deploy.runtime, "load_bundle", lambda path: object())
    monkeypatch.setattr(deploy.runtime, "session_stream", session_stream)
    rec = _with_label_table(sim_dir, tmp_path / "rec.h5", rows)
    with pytest.raises(Streamed):
        main(["detect", str(rec), "--model", str(tmp_path)])


def test_labels_import_names_the_csv_line_of_a_row_past_the_end(
    capsys: pytest.CaptureFixture[str], sim_dir: Path, tmp_path: Path
) -> None:
    """The error named the recording and printed ``Label(start_frame=10, ...)``, not the CSV line."""
    import shutil

    from acquisition import load_session

    rec = tmp_path / "rec.h5"
    shutil.copy(sorted(sim_dir.glob("*.h5"))[0], rec)
    n = load_session(rec).num_frames
    csv = tmp_path / "b3.csv"
    csv.write_text("start_frame,end_frame,gesture,source\n10,40,tap_in,manual\n50,99999999,tap_in,manual\n")
    before = rec.read_bytes()
    line = _error(capsys, "labels", "import", str(rec), str(csv))
    assert line.endswith(
        f"{csv}: line 3: end_frame 99999999 is after the last frame (the recording has {n} frames; "
        "end_frame is exclusive)"
    )
    assert rec.read_bytes() == before


def test_unknown_gesture_names_are_warned_on_import(
    capsys: pytest.CaptureFixture[str], sim_dir: Path, tmp_path: Path
) -> None:
    """A typo (``tap_inn``) in a CSV or a gesture-control file name was stored silently, and training then learns
    those frames as background; both imports now warn, naming the unknown and the known gestures (custom gestures
    are legitimate: not refused)."""
    import shutil

    from acquisition import load_session
    from acquisition.recording import copy_record

    rec = tmp_path / "rec.h5"
    shutil.copy(sorted(sim_dir.glob("*.h5"))[0], rec)
    csv = tmp_path / "labels.csv"
    csv.write_text("start_frame,end_frame,gesture,source\n10,40,tap_inn,manual\n50,90,fly,manual\n100,140,wiggle,sim\n")
    assert main(["labels", "import", str(rec), str(csv)]) == 0
    err = capsys.readouterr().err
    assert (
        f"warning: {csv}: unknown gesture name(s) fly, tap_inn (known: tap_in, tap_out, double_tap_in, wiggle)" in err
    )
    assert [lab.gesture for lab in load_session(rec).labels] == ["tap_inn", "fly", "wiggle"]

    src = tmp_path / "acc"
    src.mkdir()
    for name in ("label_fly_idx_7.h5", "label_wiggle_idx_8.h5"):  # as the app writes them: no /radargest
        with h5py.File(rec, "r") as fin, h5py.File(src / name, "w") as fout:
            copy_record(fin, fout, without="radargest")
    assert main(["import", "acconeer-gesture-control", str(src), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {src / 'label_fly_idx_7.h5'}: unknown gesture")

    csv.write_text("start_frame,end_frame,gesture,source\n10,40,tap_in,manual\n")
    assert main(["labels", "import", str(rec), str(csv)]) == 0
    assert "warning" not in capsys.readouterr().err


def _fake_run(run: Path, data: Path, **metrics: object) -> Path:
    """A run directory with a valid config.toml and a metrics.json but no model: a command on it fails at the
    model's load (no TensorFlow imported), so a check or warning seen before that came first."""
    import json

    from tiny_models import tiny_config

    from models.config import write_config

    run.mkdir()
    write_config(tiny_config(data), run / "config.toml")  # type: ignore[arg-type]
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


def test_robustness_names_rendered_subjects_the_run_trained_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--first-subject`` among the run's own training subjects drew the "held-out" bars on them without a word:
    the seeds whose files the run trained or validated on are named before the map (and in robustness.json)."""
    split = {"train": ["sim-s3000_sess00.h5", "sim-s30010_sess00.h5"], "val": ["sim-s3001_everyday00.h5"]}
    run = _fake_run(tmp_path / "run", tmp_path, split={**split, "test": ["sim-s3002_sess00.h5"]})
    argv = ["robustness", str(run), "--quick", "--factors", "tempo", "--out", str(tmp_path / "map"), "--quiet"]
    err = _stderr_of_error(capsys, *argv, "--first-subject", "3000", "--subjects", "3")  # stops at the model's load
    assert f"warning: 2 rendered subject(s) were on {run}'s training side (seeds 3000, 3001)" in err
    assert "not held out; choose another --first-subject" in err and "model.keras: no such file" in err
    assert "warning" not in _stderr_of_error(capsys, *argv, "--first-subject", "3002")  # the run's test subject
    # the personalisation curve renders others from --first-subject (--quick: 1) and edge subjects 100 seeds on
    curve = ["robustness", str(run), "--personalise", "--quick", "--out", str(tmp_path / "curve"), "--quiet"]
    err = _stderr_of_error(capsys, *curve, "--first-subject", "2900")
    assert f"warning: 2 rendered subject(s) were on {run}'s training side (seeds 3000, 3001)" in err  # edges
    assert "warning" not in _stderr_of_error(capsys, *curve, "--first-subject", "3002")


def test_robustness_training_side_subjects_by_file_name(tmp_path: Path) -> None:
    from models.robustness import training_side_subjects

    split = {"train": ["sim-s005_sess00.h5", "sim-s3000_sess01.h5"], "val": ["sim-s3001_everyday00.h5"]}
    run = _fake_run(tmp_path / "run", tmp_path, split={**split, "test": ["sim-s3002_sess00.h5"]})
    assert training_side_subjects(run, range(3000, 3004)) == [3000, 3001]
    assert training_side_subjects(run, [5, 300, 30000]) == [5]  # sim-s005; sim-s300 and sim-s30000 are others
    assert training_side_subjects(tmp_path, [5]) == []  # no metrics.json: nothing known


def test_robustness_quick_gives_way_to_sizes_given_explicitly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--quick --subjects 3`` ran 3 subjects while the help said --quick is 1: the help now says the sizes given
    explicitly win, and they do."""
    import models.robustness

    seen = []

    def capture(
        run_dir: Path, *, cfg: models.robustness.RobustnessConfig, min_score: float | None, progress: object
    ) -> None:
        seen.append(cfg)
        raise ValueError("captured")

    monkeypatch.setattr(models.robustness, "robustness_run", capture)
    run = _fake_run(tmp_path / "run", tmp_path)
    _error(capsys, "robustness", str(run), "--quick", "--subjects", "3", "--factors", "tempo")
    _error(capsys, "robustness", str(run), "--quick", "--factors", "tempo")
    assert [(c.subjects, c.reps_per_gesture, c.levels) for c in seen] == [(3, 1, 2), (1, 1, 2)]
    with pytest.raises(SystemExit):
        main(["robustness", "--help"])
    assert "--subjects, --reps and --levels given explicitly win over it" in " ".join(capsys.readouterr().out.split())


def test_quantize_help_says_data_is_split_again_by_the_runs_split(capsys: pytest.CaptureFixture[str]) -> None:
    """``--data`` said only "recordings (default: the run's --data)"; one file then failed with "split 'subject'
    leaves no recording for training"."""
    with pytest.raises(SystemExit):
        main(["quantize", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "split again by the run's split: the representative windows come from its training side" in text
    assert "the scores from its held-out side (each must hold a recording" in text


@pytest.mark.parametrize("command", ["export", "quantize", "calibrate", "train"])
def test_missing_paths_are_refused_before_the_model_loads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    """A missing --data (export, quantize), --calibration-data (calibrate) or a --distill-from that is no run
    (train) failed only after TensorFlow and the model had loaded (10-20 s): the run here has no model.keras,
    so an error about the path proves it came first."""
    run = _fake_run(tmp_path / "run", tmp_path)
    gone = tmp_path / "gone"
    argv = {
        "export": ["export", str(run), "--out", str(tmp_path / "bundle"), "--data", str(gone), "--quiet"],
        "quantize": ["quantize", str(run), "--data", str(gone), "--quiet"],
        "calibrate": ["calibrate", str(run), "--calibration-data", str(gone), "--quiet"],
        # the teacher before the data (missing here, which train reports first otherwise)
        "train": ["train", "--data", str(gone), "--out", str(tmp_path / "new"), "--distill-from", str(tmp_path)],
    }[command]
    line = _error(capsys, *argv)
    if command == "train":
        assert f"--distill-from {tmp_path}: not a training run (no config.toml)" in line
        (tmp_path / "config.toml").write_text((run / "config.toml").read_text())
        assert f"--distill-from {tmp_path}: no model.keras" in _error(capsys, *argv)
    else:
        assert f"{gone}: no such file or folder" in line


def test_export_warns_about_a_run_that_did_not_finish(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A run killed before curves.png (models.config.RUN_FILES) was exported without a word; a soup, which has no
    training history by design, is not warned about."""
    run = _fake_run(tmp_path / "run", tmp_path)
    for name in ("model.keras", "history.json", "confusion.png"):
        (run / name).write_text("x")
    argv = ["export", str(run), "--out", str(tmp_path / "bundle"), "--data", str(tmp_path / "gone"), "--quiet"]
    err = _stderr_of_error(capsys, *argv)  # stops at the missing --data: before the model is read
    assert f"warning: {run} lacks curves.png, which every finished run holds" in err
    soup = _fake_run(tmp_path / "soup", tmp_path, soup={"members": ["a", "b"]})
    (soup / "model.keras").write_text("x")
    assert "warning" not in _stderr_of_error(capsys, "export", str(soup), *argv[2:])


def test_simulate_notes_a_gesture_rate_above_what_a_stream_holds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--gesture-rate-per-min 1e6`` wrote 0 gestures in 0.1 min (7 in 1 min) without a word: a gesture starts only
    after an empty gap, inside a hover of its own, which caps the rate."""
    from radargest.simulate_cmd import EverydayJob, gesture_rate_note

    argv = ["simulate", "--out", str(tmp_path / "s"), "--everyday", "--subjects", "1", "--first-subject", "3010"]
    assert main([*argv, "--minutes", "0.1", "--gesture-rate-per-min", "1e6", "--workers", "1", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "radargest simulate: note: --gesture-rate-per-min 1e+06 is more than a stream holds" in err
    most = float(err.split("at most about ")[1].split("/min")[0])
    assert 4 < most < 12
    assert "0.1 min in all, 0 gesture(s) (0/min)" in out  # what was written
    assert gesture_rate_note(EverydayJob(out_dir=tmp_path / "t", subjects=1, gesture_rate_per_min=1.0)) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--reps", "1", "--subjects", "1", "--workers", "1"],
        ["simulate", "--everyday", "--minutes", "0.1", "--subjects", "1", "--workers", "1"],
        ["record", "--source", "sim", "--subject", "a", "--gestures", "tap_in", "--reps", "1", "--countdown-s", "0"],
    ],
)
def test_a_frame_rate_above_what_the_presets_sweeps_allow_is_refused_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """``--frame-rate-hz 1e9`` failed after the progress bar had started, blaming the preset ("preset
    'gesture_close' is invalid"); now the rate is named, with exptool's limit, before any work."""
    code = main([*argv, "--out", str(tmp_path / "o"), "--frame-rate-hz", "1e9"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [  # one line: no progress bar before it
        "radargest: error: frame_rate=1e+09 does not fit preset 'gesture_close': The frame rate is set higher than "
        "what the sweep rate allows; Frame rate: 1000000000.00 Hz; Sweep rate / sweeps per frame: 62.50 Hz"
    ]
    assert not (tmp_path / "o").exists()


def test_export_refuses_a_gesture_session_as_everyday_stream(
    capsys: pytest.CaptureFixture[str], sim_dir: Path, tmp_path: Path
) -> None:
    """A gesture session given as ``--everyday`` went into the battery table's everyday case; now it is refused
    first (the run, missing here, is not even read, nor TensorFlow imported)."""
    session = sorted(sim_dir.glob("*.h5"))[0]
    out = tmp_path / "bundle"
    argv = ["export", str(tmp_path / "no_run"), "--out", str(out), "--target", "cortex-m4f", "--quiet"]
    line = _error(capsys, *argv, "--everyday", str(session))
    assert f"{session}: not an everyday stream: it holds no cause labels (/radargest/negatives)" in line
    assert not out.exists()


def test_negative_numbers_with_an_exponent_are_option_values() -> None:
    """``--prefix-hold-db -1e9`` failed "expected one argument": Python 3.11's argparse reads only ``-5`` and
    ``-0.5`` as numbers, ``-1e9`` as an option."""
    from radargest.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["detect", "f.h5", "--model", "b", "--prefix-hold-db", "-1e9", "--min-peak-db", "-.5"])
    assert (args.prefix_hold_db, args.min_peak_db) == (-1e9, -0.5)
    args = parser.parse_args(["evaluate", "r", "--data", "d", "--idle-min-peak-db", "-2E+1"])
    assert args.idle_min_peak_db == -20.0


def test_helps_say_what_is_required_the_defaults_and_the_syntax(capsys: pytest.CaptureFixture[str]) -> None:
    """Help lines the audit found wanting: a required option shown as optional, a bare default, a constant's
    name for its value, no syntax, no choices."""
    from models.data import FRAGMENT_SHARE, DatasetConfig
    from radargest import model_cmds

    assert model_cmds.FRAGMENT_SHARE == FRAGMENT_SHARE  # the help repeats it so as not to import models
    assert model_cmds.BACKGROUND_PER_CLASS == DatasetConfig.background_per_class  # the same

    def help_of(*command: str) -> str:
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        return " ".join(capsys.readouterr().out.split())

    assert "gestures to prompt, required without --enrol" in help_of("record")
    for command in ("train", "search"):
        text = help_of(command)
        assert "--gestures GESTURES gestures to learn" in text
        assert "sensor preset the data must match: gesture_close, gesture_far (default gesture_close)" in text
        assert "day[:DAYS] | subject[:IDS] | files:PATTERNS | none" in text
    train_help = help_of("train")
    assert f"(default {FRAGMENT_SHARE:g}, or with --init" in train_help
    assert f"> 0 (default {DatasetConfig.background_per_class:g}, or with --init the initial run's)" in train_help
    assert "override the run's split: day[:DAYS] | subject[:IDS]" in help_of("evaluate")
    assert "sensor preset: gesture_close, gesture_far (default gesture_close)" in help_of("simulate")
    assert "at most about 7/min" in help_of("simulate")
    assert "[dB], any number" in help_of("detect")
    # the simulated subjects' seeds, so that a user keeps other data apart from them (H7)
    from radargest.quickstart import CALIBRATION_FIRST, HELD_OUT_FIRST
    from radargest.segeval import SimSegmentationConfig

    text = help_of("quickstart")
    assert f"(seeds {HELD_OUT_FIRST} on)" in text and f"(seeds {CALIBRATION_FIRST} on)" in text
    assert f"seeds {SimSegmentationConfig().first_subject} on" in help_of("bench")


def test_bench_segment_takes_several_data_paths() -> None:
    """Every other --data takes several paths; bench's took one (``--data every sim``: unrecognized arguments)."""
    from radargest.cli import build_parser

    args = build_parser().parse_args(["bench", "segment", "--data", "every", "sim"])
    assert args.data == [Path("every"), Path("sim")]


def test_stdout_is_line_buffered_so_a_shared_log_keeps_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from radargest.cli import _line_buffered_stdout

    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")  # as Python opens a stdout redirected to a file
    monkeypatch.setattr(sys, "stdout", stdout)
    print("first", file=stdout)
    assert raw.getvalue() == b""  # block-buffered: the line waits
    _line_buffered_stdout()
    print("second", file=stdout)
    assert raw.getvalue() == b"first\nsecond\n"
