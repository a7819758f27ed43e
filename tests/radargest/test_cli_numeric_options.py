"""Every numeric option of every ``radargest`` command refuses nonsense (a negative count, zero epochs, NaN or
infinity, a share outside its range, a non-number) as an argparse usage error: exit code 2, one error line
naming the option and the allowed range, at parsing, so before any data is loaded or TensorFlow imported.
The ranges are the library's (the configs' ``__post_init__`` checks): the edge values parse and build the
config, the values just past them fail in both. Parsing only: no data, no training."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from radargest.cli import build_parser

#: The required arguments of each command (paths need not exist: only parsing runs).
HEADS: dict[str, list[str]] = {
    "train": ["train", "--data", "d", "--out", "o"],
    "search": ["search", "--data", "d", "--out", "o"],
    "simulate": ["simulate", "--out", "o"],
    "record": ["record", "--subject", "a", "--out", "o"],
    "evaluate": ["evaluate", "r", "--data", "d"],
    "calibrate": ["calibrate", "r"],
    "quantize": ["quantize", "r"],
    "detect": ["detect", "f.h5", "--model", "b"],
    "demo": ["demo", "--model", "b"],
    "robustness": ["robustness", "r"],
    "bench": ["bench", "sim"],
    "quickstart": ["quickstart"],
}

SEED_RANGE = "in [0, 4294967295]"

#: (command, option, bad value, what the error line says of the allowed values)
BAD: list[tuple[str, str, str, str]] = [
    ("train", "--seed", "-1", SEED_RANGE),
    ("train", "--seed", "4294967296", SEED_RANGE),
    ("train", "--epochs", "0", ">= 1"),
    ("train", "--epochs", "1.5", "is not an integer"),
    ("train", "--patience", "0", ">= 1"),
    ("train", "--learning-rate", "0", "> 0"),
    ("train", "--learning-rate", "-1e-3", "> 0"),
    ("train", "--learning-rate", "nan", "is not a finite number"),
    ("train", "--window-s", "0", "in [0.3, 5]"),
    ("train", "--window-s", "inf", "is not a finite number"),
    ("train", "--fragment-share", "1", "in [0, 1)"),
    ("train", "--fragment-share", "-0.1", "in [0, 1)"),
    ("train", "--rehearsal-share", "1.5", "in [0, 1]"),
    ("train", "--rehearsal-distill", "1", "in [0, 1)"),
    ("train", "--prune-channels", "0", "in (0, 1]"),
    ("train", "--prune-channels", "1.5", "in (0, 1]"),
    ("train", "--prune-finetune-epochs", "-1", ">= 0"),
    ("train", "--distill-alpha", "1.5", "in [0, 1]"),
    ("train", "--distill-alpha", "nan", "is not a finite number"),
    ("train", "--distill-temperature", "0.5", ">= 1"),
    ("train", "--qat-epochs", "-1", ">= 0"),
    ("train", "--qat-epochs", "two", "is not an integer"),
    ("train", "--fa-budget", "-1", ">= 0"),
    ("train", "--background-per-class", "0", "> 0"),
    ("train", "--background-per-class", "inf", "is not a finite number"),
    ("train", "--head-strides", "2,0", ">= 1"),
    ("train", "--head-strides", ",", "give at least one number"),
    ("train", "--max-recall-loss", "1.5", "in [0, 1]"),
    ("train", "--knee-recall-per-fa-per-hour", "nan", "is not a finite number"),
    ("train", "--source-min-events", "0", ">= 1"),
    ("train", "--source-max-recall-loss", "-0.1", "in [0, 1]"),
    ("search", "--budget-flash", "0", "at least 1 byte"),
    ("search", "--budget-flash", "0.5", "at least 1 byte"),
    ("search", "--budget-macs-per-frame", "0", ">= 1"),
    ("search", "--trials", "0", ">= 1"),
    ("search", "--epochs", "-3", ">= 1"),
    ("search", "--prune-finetune-epochs", "-1", ">= 0"),
    ("search", "--rehearsal-share", "2", "in [0, 1]"),
    ("search", "--workers", "0", ">= 1"),
    ("search", "--tolerance", "1", "in [0, 1)"),
    ("search", "--tolerance", "-0.5", "in [0, 1)"),
    ("search", "--seed", "-1", SEED_RANGE),
    ("search", "--window-s", "-1", "> 0"),
    ("simulate", "--first-subject", "-1", ">= 0"),
    ("simulate", "--seed", "-1", ">= 0"),
    ("simulate", "--hwaas", "0", ">= 1"),
    ("simulate", "--pause-s", "1,inf", "is not a finite number"),
    ("simulate", "--pause-s", "0,1", "> 0"),
    ("simulate", "--pause-s", "3,1", "0 < MIN <= MAX"),
    ("simulate", "--pause-s", "3", "expected MIN,MAX"),
    ("record", "--frame-rate-hz", "0", "> 0"),
    ("record", "--frame-rate-hz", "nan", "is not a finite number"),
    ("record", "--countdown-s", "-1", ">= 0"),
    ("record", "--window-s", "0", "> 0"),
    ("record", "--pause-s", "nan", "is not a finite number"),
    ("evaluate", "--idle-decimations", "3,0", ">= 1"),
    ("evaluate", "--idle-sweeps", "1", ">= 2"),
    ("evaluate", "--idle-point-steps", "x", "is not an integer"),
    ("evaluate", "--hold-s", "0.3,inf", "is not a finite number"),
    ("evaluate", "--hold-s", "0", "> 0"),
    ("evaluate", "--hold-s", " , ", "give at least one number"),
    ("evaluate", "--prefix-wait-s", "-0.1", ">= 0"),
    ("evaluate", "--prefix-hold-db", "nan", "is not a finite number"),
    ("evaluate", "--min-peak-db", "inf", "is not a finite number"),
    ("evaluate", "--idle-min-peak-db", "loud", "is not a number"),
    ("evaluate", "--gate-max-range-m", "-0.1", ">= 0"),
    ("evaluate", "--idle-gate-max-range-m", "nan", "is not a finite number"),
    ("detect", "--min-peak-db", "-inf", "is not a finite number"),
    ("detect", "--prefix-wait-s", "inf", "is not a finite number"),
    ("demo", "--gate-max-range-m", "-1", ">= 0"),
    ("demo", "--seed", "-1", ">= 0"),
    ("quantize", "--representative", "0", ">= 1"),
    ("quantize", "--latency-runs", "-5", ">= 1"),
    ("robustness", "--subjects", "0", ">= 1"),
    ("robustness", "--reps", "0", ">= 1"),
    ("robustness", "--levels", "-1", ">= 0"),
    ("robustness", "--first-subject", "-1", ">= 0"),
    ("calibrate", "--max-recall-loss", "1.5", "in [0, 1]"),
    ("bench", "--hours", "0", "> 0"),
    ("quickstart", "--epochs", "0", ">= 1"),
    ("quickstart", "--everyday-minutes", "-1", ">= 0"),
    ("quickstart", "--everyday-minutes", "nan", "is not a finite number"),
]


@pytest.mark.parametrize(("command", "option", "value", "allowed"), BAD, ids=[f"{c}{o}={v}" for c, o, v, _ in BAD])
def test_a_bad_number_is_a_usage_error_naming_the_option_and_its_range(
    capsys: pytest.CaptureFixture[str], command: str, option: str, value: str, allowed: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*HEADS[command], f"{option}={value}"])
    assert exc.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"radargest {command}: error: argument {option}"), line
    assert allowed in line, line


def _parse(command: str, *argv: str) -> argparse.Namespace:
    return build_parser().parse_args([*HEADS[command], *argv])


def test_defaults_are_unchanged() -> None:
    """Typed options keep their defaults (argparse passes a string default through the type: none here)."""
    train = vars(_parse("train"))
    assert {k: train[k] for k in ("seed", "epochs", "patience", "learning_rate", "window_s", "fragment_share")} == {
        "seed": 0,
        "epochs": 40,
        "patience": None,  # 10, the config's; unset, so that it is refused with --no-early-stopping
        "learning_rate": None,
        "window_s": None,
        "fragment_share": None,
    }
    compress = ("rehearsal_share", "rehearsal_distill", "prune_channels", "prune_finetune_epochs", "distill_alpha")
    # unset (None), so that one given without the option it needs is refused; the configs' defaults apply
    assert [train[k] for k in (*compress, "distill_temperature", "qat_epochs")] == [None] * 6 + [0]
    from radargest.model_cmds import train_config_from_args

    cfg = train_config_from_args(_parse("train"))
    c = cfg.compression
    assert (cfg.rehearsal_share, cfg.rehearsal_distill) == (0.5, 0.0)
    assert (c.prune_finetune_epochs, c.distill_alpha, c.distill_temperature) == (10, 0.5, 3.0)
    search = vars(_parse("search"))
    assert [search[k] for k in ("budget_flash", "budget_macs_per_frame", "trials", "epochs", "workers")] == [
        16384,
        30000,
        40,
        12,
        None,
    ]
    assert [search[k] for k in ("prune_finetune_epochs", "rehearsal_share", "tolerance", "seed", "window_s")] == [
        None,
        None,
        0.0,
        0,
        None,
    ]
    from models.search import SearchConfig

    assert SearchConfig(budget_flash_bytes=1, budget_macs_per_frame=1).workers == 2
    record = _parse("record")
    assert (record.frame_rate_hz, record.countdown_s, record.window_s, record.pause_s) == (None, 3.0, 1.5, 1.0)
    from radargest.simulate_cmd import EverydayJob, SimulateJob

    sim = _parse("simulate")  # the session and everyday options left unset take the jobs' defaults
    assert (sim.pause_s, sim.reps, sim.minutes, sim.gesture_rate_per_min) == (None, None, None, None)
    job, everyday = SimulateJob(out_dir=Path("o"), subjects=1), EverydayJob(out_dir=Path("o"), subjects=1)
    assert (job.pause_s, job.reps_per_gesture, everyday.minutes, everyday.gesture_rate_per_min) == (
        (1.0, 3.0),
        10,
        10,
        1,
    )
    assert (sim.first_subject, _parse("demo").seed) == (0, None)  # unset: 0 with sim, refused with other sources
    robust = _parse("robustness")
    assert (robust.subjects, robust.reps_per_gesture, robust.levels, robust.first_subject) == (None, None, None, 9000)
    assert (_parse("quantize").representative, _parse("quantize").latency_runs) == (300, 200)


#: train options at the edge of the library's range: (option, edge value that parses, value just past it).
TRAIN_EDGES = [
    ("--epochs", "1", "0"),
    ("--patience", "1", "0"),
    ("--learning-rate", "1e-9", "0"),
    ("--window-s", "0.3", "0.29"),  # two frames trained, then the run refused its own data
    ("--window-s", "5", "5.01"),
    ("--fragment-share", "0.999", "1"),
    ("--rehearsal-share", "1", "1.001"),
    ("--prune-channels", "1e-3", "0"),
    ("--prune-finetune-epochs", "0", "-1"),
    ("--distill-alpha", "1", "1.001"),
    ("--distill-temperature", "1", "0.999"),
    ("--qat-epochs", "0", "-1"),
    ("--fa-budget", "0", "-0.001"),
    ("--max-recall-loss", "1", "1.001"),
    ("--knee-recall-per-fa-per-hour", "0", "-0.001"),
    ("--source-min-events", "1", "0"),
    ("--source-max-recall-loss", "0", "-0.001"),
]


#: train options that apply only with another: the other, as given in :func:`test_train_ranges_are_the_configs_ranges`.
TRAIN_PARTNERS = {
    "--rehearsal-share": ("--rehearsal-data", "reh"),
    "--prune-finetune-epochs": ("--prune-channels", "0.5"),
    "--distill-alpha": ("--distill-from", "teacher"),
    "--distill-temperature": ("--distill-from", "teacher"),
}


@pytest.mark.parametrize(("option", "edge", "past"), TRAIN_EDGES, ids=[o for o, _, _ in TRAIN_EDGES])
def test_train_ranges_are_the_configs_ranges(option: str, edge: str, past: str) -> None:
    """The edge value parses and builds a TrainConfig; the value just past it is refused by the parser and,
    given to the library directly, by the config (the CLI is neither stricter nor looser)."""
    from radargest.model_cmds import train_config_from_args

    needs = TRAIN_PARTNERS.get(option, ())  # the option that gives it an effect (else it is refused)
    args = _parse("train", *needs, f"{option}={edge}")
    train_config_from_args(args)
    with pytest.raises(SystemExit):
        _parse("train", *needs, f"{option}={past}")
    dest = option.removeprefix("--").replace("-", "_")
    setattr(args, dest, type(getattr(args, dest))(past))
    with pytest.raises(ValueError, match="must be"):
        train_config_from_args(args)


def test_training_seeds_are_numpys_legacy_seeds() -> None:
    """``train``/``search --seed`` reach ``keras.utils.set_random_seed``, which seeds ``numpy.random.seed``: it
    takes exactly [0, 2**32 - 1] (and refused anything else only after the data had loaded)."""
    for command in ("train", "search"):
        assert _parse(command, "--seed", "4294967295").seed == 4294967295
    np.random.RandomState(2**32 - 1)  # what np.random.seed builds on
    for past in (-1, 2**32):
        with pytest.raises(ValueError):
            np.random.RandomState(past)


def test_lowest_valid_values_of_the_other_commands_build_their_configs() -> None:
    """What the parsers let through at the bottom of each range, the library accepts."""
    from acquisition.guided import GuidedConfig
    from deploy.sweep import SweepConfig
    from models.robustness import RobustnessConfig
    from models.search import SearchConfig
    from radargest.decision_args import decision_from_args

    s = _parse("search", "--budget-flash", "1", "--budget-macs-per-frame", "1", "--trials", "1", "--epochs", "1")
    s2 = _parse("search", "--workers", "1", "--tolerance", "0.999", "--seed", "4294967295")
    SearchConfig(
        budget_flash_bytes=s.budget_flash,
        budget_macs_per_frame=s.budget_macs_per_frame,
        trials=s.trials,
        epochs=s.epochs,
        workers=s2.workers,
        tolerance=s2.tolerance,
        seed=s2.seed,
    )
    e = _parse(
        "evaluate",
        "--idle-decimations",
        "1",
        "--idle-sweeps",
        "2",
        "--idle-point-steps",
        "1",
        "--idle-point-offsets",
        "0",
        "--hold-s",
        "1e-3",
    )
    SweepConfig(
        idle_decimations=e.idle_decimations,
        idle_sweeps=e.idle_sweeps,
        idle_point_steps=e.idle_point_steps,
        idle_point_offsets=e.idle_point_offsets,
        hold_s=e.hold_s,
    )
    decision = decision_from_args(
        _parse(
            "detect",
            "--prefix-wait-s=0",
            "--prefix-hold-db=-3",
            "--min-peak-db=-1",
            "--idle-min-peak-db=0",
            "--gate-max-range-m=0",
            "--idle-gate-max-range-m=0",
        )
    )
    assert (decision.prefix_wait_s, decision.prefix_hold_db, decision.min_peak_db) == (0.0, -3.0, -1.0)
    r = _parse("robustness", "--subjects", "1", "--reps", "1", "--levels", "0", "--first-subject", "0")
    RobustnessConfig(subjects=r.subjects, reps_per_gesture=r.reps_per_gesture, levels=r.levels, first_subject=0)
    g = _parse("record", "--countdown-s", "0", "--window-s", "1e-3", "--pause-s", "0")
    GuidedConfig(gestures=("tap_in",), reps=1, countdown_s=g.countdown_s, window_s=g.window_s, pause_s=g.pause_s)


def test_a_bad_number_stops_before_data_or_tensorflow(tmp_path: Path) -> None:
    """Through the console entry point, in a fresh interpreter: exit 2 at parsing, nothing imported or written."""
    code = (
        "import sys\n"
        "from radargest.cli import main\n"
        "try:\n"
        f"    main(['train', '--data', {str(tmp_path / 'missing')!r}, '--out', {str(tmp_path / 'run')!r}, "
        "'--epochs', '0'])\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, 'tensorflow' in sys.modules, 'models.train' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.stdout.split() == ["2", "False", "False"], proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "radargest train: error: argument --epochs: '0' must be >= 1"
    assert not any(tmp_path.iterdir())
