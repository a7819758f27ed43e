"""Training runs, run directories, evaluation JSON and the train/evaluate commands."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from tiny_models import tiny_config

from dsp import DecisionConfig
from models.config import RUN_FILES, RejectionConfig, RunError, TrainConfig, config_from_dict, load_run, read_config
from models.data import DataError
from models.evaluate import CONTINUOUS_KEYS, JSON_KEYS, REJECTION_KEYS, WINDOW_KEYS, evaluate_run


def test_run_directory(tiny_run: Path, sim_dir: Path) -> None:
    for name in RUN_FILES:
        assert (tiny_run / name).is_file(), name
    cfg = read_config(tiny_run / "config.toml")
    # everything else as given; min_score is the operating point train chose on the validation streams
    assert cfg == tiny_config(sim_dir, architecture=cfg.architecture, min_score=cfg.min_score)
    assert config_from_dict(tomllib.loads((tiny_run / "config.toml").read_text())) == cfg
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    assert metrics["calibration"]["min_score"] == cfg.min_score and metrics["calibration"]["streams"]
    assert set(metrics["split"]["test"]).isdisjoint(metrics["split"]["train"])
    assert metrics["window_frames"] == cfg.architecture.window_frames
    model, _ = load_run(tiny_run)
    assert tuple(model.input.shape[1:]) == (cfg.architecture.window_frames, 16, 6)


def test_training_is_repeatable(tiny_run: Path, sim_dir: Path, tmp_path: Path) -> None:
    from models.train import train

    again = train(tiny_config(sim_dir), tmp_path, progress=False)  # type: ignore[arg-type]
    first, _ = load_run(tiny_run)
    for a, b in zip(first.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_evaluate_json_keys(tiny_run: Path, sim_dir: Path) -> None:
    m = evaluate_run(tiny_run, [sim_dir], continuous=True)
    assert tuple(m) == JSON_KEYS
    json.dumps(m, allow_nan=False)
    assert len(m["confusion"]) == len(m["per_class"]) == 5
    assert m["per_file"] and all(set(WINDOW_KEYS) | set(CONTINUOUS_KEYS) <= set(f) for f in m["per_file"])
    assert m["recall_at_fa_per_hour"].keys() == {"0.5", "1", "5"} and m["operating_curve"]
    assert 0.0 <= m["accuracy"] <= 1.0
    # the counts behind precision and recall, pooled over the files: accepted events are not right ones
    assert m["truth"] == sum(f["truth"] for f in m["per_file"]) > 0
    assert m["correct"] == sum(f["correct"] for f in m["per_file"]) <= min(m["events"], m["truth"])
    assert m["recall"] == m["correct"] / m["truth"]
    assert m["precision"] == (m["correct"] / m["events"] if m["events"] else None)
    # every true event has one outcome; the right ones over those with a candidate are the event accuracy
    o = m["outcomes"]
    assert sum(o.values()) == m["truth"] and o == {k: sum(f["outcomes"][k] for f in m["per_file"]) for k in o}
    with_candidate = o["right"] + o["wrong_class"] + o["rejected"]
    assert m["event_accuracy"] == (o["right"] / with_candidate if with_candidate else None)
    w = evaluate_run(tiny_run, [sim_dir], continuous=False)
    assert tuple(w) == JSON_KEYS and all(w[k] is None for k in CONTINUOUS_KEYS + REJECTION_KEYS)


def test_fine_tune_with_a_gesture_subset(tiny_run: Path, sim_dir: Path, tmp_path: Path) -> None:
    from models.train import train

    base = read_config(tiny_run / "config.toml")
    cfg = tiny_config(
        sim_dir,
        gestures=("tap_in", "wiggle"),
        architecture=dataclasses.replace(base.architecture, num_classes=3),
        init=str(tiny_run),
        epochs=1,
    )
    result = train(cfg, tmp_path, progress=False)  # type: ignore[arg-type]
    old, _ = load_run(tiny_run)
    enc_new = result.model.get_layer("encoder").get_weights()
    assert int(result.model.output.shape[-1]) == 3
    assert any(not np.array_equal(a, b) for a, b in zip(enc_new, old.get_layer("encoder").get_weights(), strict=True))


def test_calibrate_command_rechooses_the_operating_point(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from radargest.cli import main

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = json.loads((run / "metrics.json").read_text())["calibration"]
    argv = ["calibrate", str(run), "--max-recall-loss", "0.02", "--knee-recall-per-fa-per-hour", "0.004", "--quiet"]
    assert main(argv) == 0
    assert "operating point" in capsys.readouterr().out
    cfg = read_config(run / "config.toml")
    after = json.loads((run / "metrics.json").read_text())["calibration"]
    assert cfg.rejection.max_recall_loss == 0.02 and cfg.rejection.knee_recall_per_fa_per_hour == 0.004
    assert after["max_recall_loss"] == 0.02 and after["knee_recall_per_fa_per_hour"] == 0.004
    assert cfg.min_score == after["min_score"]
    assert after["streams"] == before["streams"] and after["argmax"] == before["argmax"]  # same streams, same model
    with pytest.raises(SystemExit) as exit_info:  # a usage error (tests/radargest/test_cli_audit.py)
        main(["calibrate", str(run), "--max-recall-loss", "2", "--quiet"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "argument --max-recall-loss" in err and "Traceback" not in err


def test_the_close_look_is_part_of_the_operating_point(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``train`` calibrates with the close look and records it; a run written before the field loads without it
    and is evaluated without it; ``calibrate`` re-chooses the point with the look (``--no-close-look``: without),
    on the same streams; a caller's layer with the look off turns it off."""
    import dataclasses
    import shutil

    import models.evaluate
    from models.config import run_decision
    from models.evaluate import evaluate_run
    from models.train import calibrate_run
    from radargest.cli import main

    seen: list[bool] = []
    real = models.evaluate.stream_scores

    def spy(*args, **kw):  # type: ignore[no-untyped-def]
        seen.append(kw["decision"].close_look)
        return real(*args, **kw)

    monkeypatch.setattr(models.evaluate, "stream_scores", spy)
    assert read_config(tiny_run / "config.toml").close_look  # what train chose with
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    toml = run / "config.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("close_look")))
    old = read_config(toml)
    assert not old.close_look  # calibrated before the look existed
    assert not run_decision(old).close_look and run_decision(dataclasses.replace(old, close_look=True)).close_look
    assert not run_decision(dataclasses.replace(old, close_look=True), DecisionConfig(close_look=False)).close_look
    evaluate_run(run, read_config(toml).data, continuous=True)
    assert seen and not any(seen)
    seen.clear()
    before = json.loads((run / "metrics.json").read_text())["calibration"]
    after = calibrate_run(run, progress=False)
    assert seen and all(seen) and after["close_look"] is True
    cfg = read_config(toml)
    assert cfg.close_look and cfg.min_score == after["min_score"] and after["streams"] == before["streams"]
    seen.clear()
    assert main(["calibrate", str(run), "--no-close-look", "--quiet"]) == 0
    assert seen and not any(seen) and not read_config(toml).close_look


def test_bad_runs(tmp_path: Path, tiny_run: Path) -> None:
    with pytest.raises(RunError, match="not found"):
        load_run(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.toml").write_text((tiny_run / "config.toml").read_text())
    (broken / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(RunError, match="corrupt model"):
        load_run(broken)
    (broken / "config.toml").write_text("[dataset\n")
    with pytest.raises(RunError, match="unreadable config"):
        load_run(broken)


def test_train_errors_before_training(sim_dir: Path, tmp_path: Path) -> None:
    from models.train import train

    cfg = tiny_config(sim_dir, gestures=("tap_in", "clap"))
    with pytest.raises(DataError, match="clap"):
        train(cfg, tmp_path / "run", progress=False)  # type: ignore[arg-type]
    assert not (tmp_path / "run").exists()


def test_commands(tiny_run: Path, sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from radargest.cli import main

    assert main(["evaluate", str(tiny_run), "--data", str(sim_dir), "--continuous", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert tuple(out) == JSON_KEYS
    with pytest.raises(SystemExit) as exc:  # argparse rejects the name with a usage line
        main(["train", "--data", str(sim_dir), "--gestures", "tap_in,Bad", "--out", str(tmp_path / "r")])
    assert exc.value.code == 2 and "Bad" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing"), "--data", str(sim_dir)]) == 2
    err = capsys.readouterr().err
    assert "run directory not found" in err and "Traceback" not in err
    far = ["train", "--data", str(sim_dir), "--preset", "gesture_far", "--out", str(tmp_path / "f"), "--quiet"]
    assert main(far) == 2
    assert "does not match preset" in capsys.readouterr().err


def test_train_says_up_front_when_the_split_holds_nothing_out(sim_dir: Path, tmp_path: Path) -> None:
    """The default split 'day' on simulated data (one day) leaves no test side: train says so before training
    with evaluate's words and advice; split 'none' asks for exactly that and gets no note."""
    from models.data import parse_split
    from models.train import train

    lines: list[str] = []
    result = train(
        tiny_config(sim_dir, split=parse_split("day"), epochs=1), tmp_path / "day", progress=False, log=lines.append
    )  # type: ignore[arg-type]
    assert result.metrics["split"]["test"] == []
    notes = [i for i, line in enumerate(lines) if line.startswith("note:")]
    assert len(notes) == 1 and notes[0] < next(i for i, line in enumerate(lines) if line.startswith("trained"))
    assert "split 'day' holds out none of the 2 recording(s) given; use --split" in lines[notes[0]]
    with pytest.raises(DataError, match="holds out none"):  # what evaluate says of the same data
        evaluate_run(tmp_path / "day", [sim_dir])
    lines.clear()
    train(
        tiny_config(sim_dir, split=parse_split("none"), epochs=1), tmp_path / "none", progress=False, log=lines.append
    )  # type: ignore[arg-type]
    assert not any(line.startswith("note:") for line in lines)


def test_prefix_cycle_refused_before_training(
    sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from radargest.cli import main

    cmd = ["train", "--data", str(sim_dir), "--gestures", "tap_in,tap_out", "--out", str(tmp_path / "r"), "--quiet"]
    assert main([*cmd, "--prefix", "tap_in:tap_out", "--prefix", "tap_out:tap_in"]) == 2
    err = capsys.readouterr().err
    assert "prefixes of each other" in err and "Traceback" not in err and not (tmp_path / "r").exists()
    from models.config import write_config

    write_config(tiny_config(sim_dir, prefixes=(("tap_in", "wiggle"),)), tmp_path / "config.toml")  # type: ignore[arg-type]
    assert read_config(tmp_path / "config.toml").prefixes == (("tap_in", "wiggle"),)


def test_rehearsal_recordings_train_only(sim_dir: Path) -> None:
    """Rehearsed recordings give training windows (their share marked) but are never split, validated or
    calibrated on; the fields survive the run's TOML."""
    from models.config import config_to_dict
    from models.data import load_recordings, parse_split
    from models.rejection import calibration_recordings
    from models.train import prepare

    files = sorted(sim_dir.glob("*.h5"))
    cfg = tiny_config(files[0], split=parse_split("none"), rehearsal_data=(str(files[1]),), rehearsal_share=0.3)
    recs = load_recordings([files[0]], cfg=cfg.dataset)
    old = load_recordings([files[1]], cfg=cfg.dataset)
    cfg, data = prepare(cfg, recs, old)
    assert data.rehearsal is not None and data.rehearsal.shape == (len(data.train),)
    assert set(data.train.recording[data.rehearsal].tolist()) == {1}
    assert set(data.train.recording[~data.rehearsal].tolist()) == {0}
    assert 1 not in data.split.train + data.split.val + data.split.test
    assert all(r.name != old[0].name for r in calibration_recordings(data.recordings, data.split))
    back = config_from_dict(config_to_dict(cfg))
    assert back.rehearsal_data == (str(files[1]),) and back.rehearsal_share == 0.3


def test_train_overwrite_removes_only_radargest_outputs(
    tiny_run: Path, sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``train --overwrite`` into an earlier run: the old model's reports go, the user's files stay."""
    import shutil

    from models.config import RUN_OUTPUTS
    from radargest.cli import main

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    stale = {"quant_report.md": "old model", "det.png": "old", "qat_head_int8.tflite": "old"}
    for name, text in stale.items():
        assert name in RUN_OUTPUTS
        (run / name).write_text(text)
    (run / "personalised_runs" / "alice_1x").mkdir(parents=True)
    (run / "notes.txt").write_text("mine")
    (run / "extra").mkdir()
    (run / "extra" / "quant_report.md").write_text("not in the run directory itself: kept")
    cmd = ["train", "--data", str(sim_dir), "--split", "subject", "--init", str(tiny_run), "--epochs", "1"]
    cmd += ["--out", str(run), "--quiet"]
    assert main(cmd) == 2  # without --overwrite: refused, nothing touched
    assert "use --overwrite" in capsys.readouterr().err and (run / "det.png").read_text() == "old"
    assert main([*cmd, "--overwrite"]) == 0
    assert "removed the earlier run's" in capsys.readouterr().out
    for name in stale:
        assert not (run / name).exists(), name
    assert not (run / "personalised_runs").exists()
    assert (run / "notes.txt").read_text() == "mine"
    assert (run / "extra" / "quant_report.md").is_file()
    for name in RUN_FILES:  # the new run, whole
        assert (run / name).is_file(), name
    assert read_config(run / "config.toml").epochs == 1 and load_run(run)


def test_library_train_refuses_a_run_directory_without_overwrite(tiny_run: Path, sim_dir: Path, tmp_path: Path) -> None:
    """``train``/``train_recordings`` (the library, as the CLI) never write over an earlier run unasked."""
    import shutil

    from models.train import train, train_recordings

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    with pytest.raises(RunError, match="overwrite=True"):
        train(tiny_config(sim_dir), run, progress=False)  # type: ignore[arg-type]
    with pytest.raises(RunError, match=str(run)):
        train_recordings(read_config(tiny_run / "config.toml"), [], run, progress=False)
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


def test_library_refuses_a_run_in_a_bundle_folder_and_a_bundle_in_a_run_folder(tmp_path: Path) -> None:
    """``train(overwrite=True)`` into a bundle folder and ``export_bundle`` into a run folder are refused before
    any work (the data and the run are not even read), since neither would remove the other's files."""
    from deploy.export import export_bundle
    from models.train import train

    bundle, run = tmp_path / "bundle", tmp_path / "run"
    bundle.mkdir()
    run.mkdir()
    (bundle / "manifest.json").write_text("{}")
    (run / "config.toml").write_text("")
    with pytest.raises(RunError, match="holds an exported bundle"):
        train(tiny_config(tmp_path / "no_data"), bundle, progress=False, overwrite=True)  # type: ignore[arg-type]
    with pytest.raises(RunError, match="holds a training run"):
        export_bundle(tmp_path / "no_run", run)
    assert [p.name for p in bundle.iterdir()] == ["manifest.json"]
    assert [p.name for p in run.iterdir()] == ["config.toml"]


def test_weight_average_keeps_the_raw_trajectory_and_saves_the_average(
    sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``weight_average_decay`` the epochs train exactly as without it, and the saved model is the moving
    average of the epochs' weights (not the last epoch's, nor an average that training went on from)."""
    import models.train as mt

    seen: list[tuple[list[np.ndarray], list[np.ndarray]]] = []

    def spy(average: list[np.ndarray], latest: list[np.ndarray], decay: float) -> list[np.ndarray]:
        seen.append(([a.copy() for a in average], [w.copy() for w in latest]))
        return real(average, latest, decay)

    real = mt.averaged_weights
    monkeypatch.setattr(mt, "averaged_weights", spy)
    kw = dict(epochs=3, patience_epochs=3, restore_best=False)
    plain = mt.train(tiny_config(sim_dir, **kw), tmp_path / "plain", progress=False)  # type: ignore[arg-type]
    assert seen == []  # off by default
    averaged = mt.train(
        tiny_config(sim_dir, weight_average_decay=0.6, **kw),  # type: ignore[arg-type]
        tmp_path / "avg",
        progress=False,
    )
    assert len(seen) == 2  # epochs 2 and 3 move the average that epoch 1 started
    (w1, w2), (avg12, w3) = seen
    for p, r3 in zip(plain.model.get_weights(), w3, strict=True):  # the raw epochs are the same as without
        np.testing.assert_allclose(p, r3, rtol=1e-5, atol=1e-6)
    for a1, r2, a12 in zip(w1, w2, avg12, strict=True):
        np.testing.assert_allclose(a12, 0.6 * a1 + 0.4 * r2, rtol=1e-5, atol=1e-6)
    saved, _ = load_run(tmp_path / "avg")
    for s, m, a12, r3 in zip(saved.get_weights(), averaged.model.get_weights(), avg12, w3, strict=True):
        np.testing.assert_allclose(s, 0.6 * a12 + 0.4 * r3, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(m, s)
    assert read_config(tmp_path / "avg" / "config.toml").weight_average_decay == 0.6
    with pytest.raises(DataError, match="weight_average_decay"):
        tiny_config(sim_dir, weight_average_decay=1.0)


def test_a_fine_tune_averages_as_its_init_run_unless_told(tiny_run: Path, tmp_path: Path) -> None:
    from models.config import write_config
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    init = tmp_path / "init"
    init.mkdir()
    averaging = dataclasses.replace(read_config(tiny_run / "config.toml"), weight_average_decay=0.75)
    write_config(averaging, init / "config.toml")
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")]

    def decay(*extra: str) -> float:
        return float(train_config_from_args(build_parser().parse_args([*argv, *extra])).weight_average_decay)

    assert decay() == 0.0  # off by default
    assert decay("--weight-average-decay", "0.5") == 0.5
    assert decay("--init", str(init)) == 0.75  # inherited, like the augmentation
    assert decay("--init", str(init), "--weight-average-decay", "0") == 0.0
    with pytest.raises(SystemExit):
        decay("--weight-average-decay", "1")


def test_a_fine_tune_of_a_personalised_run_keeps_its_decision_layer(tiny_run: Path, tmp_path: Path) -> None:
    """``train --init`` of a user's run keeps the user's prefix pairs and fitted prefix wait (they reach
    every decision through :func:`models.config.run_decision`); ``--prefix`` replaces the pairs."""
    from models.config import run_decision, write_config
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    base = read_config(tiny_run / "config.toml")
    a, b = base.dataset.gestures[:2]
    init = tmp_path / "alice"
    init.mkdir()
    write_config(dataclasses.replace(base, prefixes=((a, b),), min_prefix_wait_s=0.45), init / "config.toml")
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")]

    def cfg(*extra: str) -> TrainConfig:
        return train_config_from_args(build_parser().parse_args([*argv, *extra]))

    fresh = cfg()
    assert fresh.prefixes == () and fresh.min_prefix_wait_s == 0.0
    tuned = cfg("--init", str(init))
    assert tuned.prefixes == ((a, b),) and tuned.min_prefix_wait_s == 0.45
    assert run_decision(tuned).prefix_wait_s == 0.45
    assert cfg("--init", str(init), "--prefix", f"{b}:{a}").prefixes == ((b, a),)
    fewer = cfg("--init", str(init), "--gestures", ",".join((b, *base.dataset.gestures[2:])))
    assert fewer.prefixes == ()  # a pair naming a gesture the fine-tune drops is not kept


def test_no_early_stopping_asks_for_the_whole_schedule_and_the_last_epoch(tmp_path: Path) -> None:
    """The option's config; that ``restore_best=False`` keeps the last epoch is checked by the averaging test above
    (its un-averaged run ends on the third epoch's raw weights)."""
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--epochs", "30"]
    usual = train_config_from_args(build_parser().parse_args([*argv, "--patience", "5"]))
    assert usual.restore_best and usual.patience_epochs == 5
    fixed = train_config_from_args(build_parser().parse_args([*argv, "--no-early-stopping"]))
    assert not fixed.restore_best and fixed.patience_epochs >= fixed.epochs == 30
    with pytest.raises(ValueError, match="--patience applies only with early stopping"):  # it would do nothing
        train_config_from_args(build_parser().parse_args([*argv, "--patience", "5", "--no-early-stopping"]))


def test_evaluate_prefix_wait_replaces_a_personalised_runs_wait(
    tiny_run: Path, sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``evaluate --prefix-wait-s`` sets the wait on a run as it does on a bundle; without it a personalised run
    waits at least its fitted ``min_prefix_wait_s``."""
    import shutil

    import models.evaluate as ev
    from models.config import write_config
    from radargest.cli import main

    run = tmp_path / "alice"
    shutil.copytree(tiny_run, run)
    write_config(dataclasses.replace(read_config(run / "config.toml"), min_prefix_wait_s=0.45), run / "config.toml")
    seen: list[float] = []

    def capture(*args: object, decision: DecisionConfig, **kw: object) -> dict[str, object]:
        seen.append(decision.prefix_wait_s)
        raise SystemExit(0)  # the decision layer is all this test needs

    monkeypatch.setattr(ev, "evaluate_recordings", capture)
    argv = ["evaluate", str(run), "--data", str(sim_dir), "--continuous", "--quiet"]
    for extra in ([], ["--prefix-wait-s", "0.1"], ["--prefix-wait-s", "0.6"]):
        with pytest.raises(SystemExit):
            main([*argv, *extra])
    assert seen == [0.45, 0.1, 0.6]


def test_a_fine_tune_on_too_little_background_keeps_its_init_runs_operating_point(
    tiny_run: Path, sim_dir: Path, tmp_path: Path
) -> None:
    """README step 3 (``train --init`` on a user's gesture recordings): calibrating on their few minutes of
    background chose ``min_score`` 0 ("0 false activations, budget met"), so the personalised model lost the
    shipped rejection. Too little background to judge the budget now keeps the initial run's."""
    import shutil

    from models.config import write_config
    from models.train import train

    shipped = tmp_path / "shipped"
    shutil.copytree(tiny_run, shipped)
    write_config(dataclasses.replace(read_config(tiny_run / "config.toml"), min_score=0.55), shipped / "config.toml")
    lines: list[str] = []
    result = train(
        tiny_config(sim_dir, init=str(shipped), epochs=1), tmp_path / "alice", progress=False, log=lines.append
    )
    cal = result.metrics["calibration"]
    assert 0 < cal["background_h"] < 2.0  # the fixture's sessions: minutes of background, too little for 0.5/h
    assert result.config.min_score == read_config(tmp_path / "alice" / "config.toml").min_score == 0.55
    assert cal["kept_from"] == str(shipped)
    assert any(f"min_score 0.55 (not calibrated: kept from --init {shipped}; but" in line for line in lines), lines
    # calibration-only streams given (the recipe's fine-tunes): calibrated on them as before; training-side ones,
    # as train refuses streams on the held-out side of the split
    split = json.loads((tiny_run / "metrics.json").read_text())["split"]
    cal = tuple(str(p) for p in sorted(sim_dir.rglob("*.h5")) if p.name in {*split["train"], *split["val"]})
    assert cal
    rej = dataclasses.replace(RejectionConfig(), calibration_data=cal)
    given = train(tiny_config(sim_dir, init=str(shipped), epochs=1, rejection=rej), tmp_path / "bob", progress=False)
    assert "kept_from" not in given.metrics["calibration"] and given.metrics["calibration"]["chosen"]


def test_evaluate_warns_when_scored_files_were_trained_on(
    tiny_run: Path, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data split again can put the run's own training files on the test side: they are named on stderr and
    under training_side_files, never passed silently as held-out figures; the run's own data gives none."""
    from radargest.cli import main

    trained = json.loads((tiny_run / "metrics.json").read_text())["split"]["train"][0]
    file = next(sim_dir.rglob(trained))
    assert main(["evaluate", str(tiny_run), "--data", str(file), "--json", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["training_side_files"] == [trained]
    assert f"1 scored file(s) were on {tiny_run}'s training side ({file.stem})" in err and "not held out" in err
    assert main(["evaluate", str(tiny_run), "--data", str(sim_dir), "--json", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["training_side_files"] == [] and "warning" not in err


def test_a_run_records_the_decision_layer_its_operating_point_was_calibrated_under(
    tiny_run: Path, sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The calibration keeps the decision layer it swept; a layer changed since (a default, or an option given) is
    named by operating_point_drift and warned of by evaluate, as is a run that does not record its layer; the run's
    own fields (min_score, prefixes, prefix wait) and the idle stream's never count."""
    import shutil

    from models.config import operating_point_drift, read_run_config, run_decision
    from radargest.cli import main

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["calibration"]["chosen"]
    in_use = run_decision(read_run_config(run))
    assert metrics["calibration"]["decision"] == {**in_use.to_json(), "min_score": DecisionConfig().min_score}
    assert operating_point_drift(run, in_use) == ()
    changed = dataclasses.replace(in_use, refractory_s=0.0, min_peak_db=4.0)
    assert operating_point_drift(run, changed) == ("min_peak_db", "refractory_s")
    own = dataclasses.replace(in_use, min_score=0.1, prefix_wait_s=0.5, prefixes=(("a", "b"),), idle_min_peak_db=1.0)
    assert operating_point_drift(run, own) == ()

    ev = ["evaluate", str(run), "--data", str(sim_dir), "--continuous", "--json", "--quiet"]
    assert main([*ev, "--refractory-s", "0"]) == 0
    err = capsys.readouterr().err
    assert "min_score was calibrated with another decision layer (refractory_s differs)" in err
    assert f"'radargest calibrate {run}'" in err
    # a threshold given on the command line is the user's: nothing to warn of
    assert main([*ev, "--refractory-s", "0", "--min-score", "0.5"]) == 0
    assert "calibrated with" not in capsys.readouterr().err

    del metrics["calibration"]["decision"]  # a run calibrated before the record
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert operating_point_drift(run, in_use) is None
    assert main(ev) == 0
    assert "does not record the decision layer its min_score was calibrated with" in capsys.readouterr().err
    metrics["calibration"]["chosen"] = {}  # not calibrated: no operating point to drift
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert operating_point_drift(run, changed) == ()


def test_calibration_data_on_the_held_out_side_is_refused(
    tiny_run: Path, sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """train and calibrate refuse calibration streams on the held-out side of the split (a held-out file, or
    another file of a held-out subject) before anything is written; calibrate's run is left as it was."""
    import shutil

    from models.train import train
    from radargest.cli import main

    held = json.loads((tiny_run / "metrics.json").read_text())["split"]["test"][0]
    held_file = next(sim_dir.rglob(held))
    same_subject = tmp_path / "stream.h5"  # not a file of the run, but of its held-out subject
    shutil.copy(held_file, same_subject)
    for cal in (held_file, same_subject):
        cfg = tiny_config(sim_dir, rejection=RejectionConfig(calibration_data=(str(cal),)))
        with pytest.raises(DataError, match=f"calibration data on the held-out side of split 'subject': {cal.name}"):
            train(cfg, tmp_path / "new", progress=False)  # type: ignore[arg-type]
        assert not (tmp_path / "new").exists()
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = {name: (run / name).read_bytes() for name in ("config.toml", "metrics.json")}
    for cal in (held_file, same_subject):
        assert main(["calibrate", str(run), "--calibration-data", str(cal), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"on the held-out side of split 'subject': {cal.name}" in err and len(err.splitlines()) == 1
    assert before == {name: (run / name).read_bytes() for name in before}


def test_an_operating_point_kept_from_an_init_run_of_other_classes_is_warned_about(
    sim_dir: Path, sim_recordings: list, tmp_path: Path
) -> None:
    """``train --init RUN --gestures <another set>`` on too little background kept RUN's min_score, chosen on the
    scores of a head of other classes, without a word: the line now warns and names the classes it was chosen
    for (scored here by a stand-in model that finds every class equally likely: no training)."""
    from models.config import write_config
    from models.train import _calibrate, _calibration_line, prepare

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    write_config(dataclasses.replace(tiny_config(sim_dir), min_score=0.55), shipped / "config.toml")
    shipped_classes = read_config(shipped / "config.toml").dataset.classes
    for gestures in (("tap_in", "wiggle"), shipped_classes[1:]):
        cfg, data = prepare(tiny_config(sim_dir, gestures=gestures, init=str(shipped)), sim_recordings)
        n = len(cfg.dataset.classes)
        cal = _calibrate(lambda x, n=n: np.full((len(x), n), 1 / n, dtype=np.float32), cfg, data, [])
        assert cal["kept_from"] == str(shipped) and cal["min_score"] == 0.55
        line = _calibration_line(cal, cfg.rejection)
        if cfg.dataset.classes != shipped_classes:
            assert cal["kept_classes"] == list(shipped_classes)
            assert "warning: it was calibrated for the --init run's classes (none, tap_in, tap_out" in line, line
            assert "radargest calibrate RUN --calibration-data" in line
        else:  # the same classes: kept as before, no warning
            assert "kept_classes" not in cal and "warning" not in line, line


def test_split_none_run_trains_saves_and_loads(sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run trained with a split ``none`` head writes a model with one output per class, which loads as any run;
    a split student distils from it (its split targets, and the teacher's merged outputs) and prunes, keeping the
    split head; a fine-tune of it with learning without forgetting trains the split targets too."""
    import models.train as train_module
    from models.compress import CompressionConfig, distillation_loss
    from models.train import train

    base = tiny_config(sim_dir)
    arch = dataclasses.replace(base.architecture, none_subclasses=3)  # type: ignore[attr-defined]
    split = dataclasses.replace(base, architecture=arch, epochs=1)  # type: ignore[call-overload]
    result = train(split, tmp_path / "run", progress=False)
    model, cfg = load_run(tmp_path / "run")
    assert cfg.architecture.none_subclasses == 3 and int(model.output.shape[-1]) == 5
    x = np.random.default_rng(0).random((2, *model.input.shape[1:]), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(result.model(x)), atol=1e-6)
    np.testing.assert_allclose(np.asarray(model(x)).sum(axis=1), 1.0, rtol=1e-5)
    comp = CompressionConfig(distill_from=str(tmp_path / "run"), prune_keep=0.5, prune_finetune_epochs=1)
    small = train(dataclasses.replace(split, compression=comp), tmp_path / "small", progress=False)
    assert small.config.architecture.none_subclasses == 3 and small.config.architecture.head_channels == 2
    np.testing.assert_allclose(np.asarray(small.model(x)).sum(axis=1), 1.0, rtol=1e-5)
    widths: list[tuple[int, int]] = []  # (packed targets, outputs) the loss sees

    def recording(classes: int, **kw: Any) -> Any:
        loss = distillation_loss(classes, **kw)

        def wrapped(y_true: Any, y_pred: Any) -> Any:
            widths.append((int(y_true.shape[-1]), int(y_pred.shape[-1])))
            return loss(y_true, y_pred)

        return wrapped

    teachers: list[npt.NDArray[np.float32]] = []  # the packed targets' teacher halves, one per epoch
    split_model_of = train_module.split_model_of

    def recording_trainee(model: Any, arch: Any) -> Any:
        trainee = split_model_of(model, arch)
        fit = trainee.fit

        def recording_fit(x: Any, y: Any, **kw: Any) -> Any:
            teachers.append(np.asarray(y)[:, 7:])
            return fit(x, y, **kw)

        trainee.fit = recording_fit
        return trainee

    monkeypatch.setattr(train_module, "distillation_loss", recording)
    monkeypatch.setattr(train_module, "split_model_of", recording_trainee)
    lwf = dataclasses.replace(split, init=str(tmp_path / "run"), rehearsal_data=(str(sim_dir),), rehearsal_distill=0.5)
    kept = train(lwf, tmp_path / "lwf", progress=False)
    assert widths and set(widths) == {(7 + 5, 7)}  # 7 split labels, then 5 merged soft targets; 7 split outputs
    sums = np.concatenate(teachers).sum(axis=1)
    # the new windows have no teacher (their labels alone), the replayed ones the init run's outputs
    assert np.any(sums == 0.0) and np.any(sums > 0.5) and np.all((sums == 0.0) | (np.abs(sums - 1.0) < 1e-4))
    np.testing.assert_allclose(np.asarray(kept.model(x)).sum(axis=1), 1.0, rtol=1e-5)


def test_train_command_splits_none_by_default_for_a_new_model_only(sim_dir: Path, tiny_run: Path) -> None:
    """``radargest train`` builds a new model with the split ``none`` (RULE77), ``--none-subclasses 1`` keeps one,
    and a fine-tune (``--init``) keeps the initial run's head whatever the default."""
    from models.architectures import NONE_SUBCLASSES
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    argv = ["train", "--data", str(sim_dir), "--out", "unused"]

    def subclasses(*extra: str) -> int:
        cfg = train_config_from_args(build_parser().parse_args([*argv, *extra]))
        return int(cfg.architecture.none_subclasses)

    assert subclasses() == NONE_SUBCLASSES == 3
    assert subclasses("--none-subclasses", "1") == 1
    assert tiny_config(sim_dir).architecture.none_subclasses == 1  # type: ignore[attr-defined]
    assert subclasses("--init", str(tiny_run)) == 1


def test_train_head_strides_set_the_heads_depth(sim_dir: Path, tmp_path: Path) -> None:
    """``train --head-strides`` builds (and records) a head with one temporal convolution per stride, each one
    halving the time axis (``same`` padding: rounded up)."""
    from radargest.cli import main

    out = tmp_path / "run"
    argv = ["train", "--data", str(sim_dir), "--split", "subject", "--epochs", "1", "--head-strides", "2,2,2,2"]
    assert main([*argv, "--no-rejection", "--out", str(out), "--quiet"]) == 0
    arch = read_config(out / "config.toml").architecture
    assert arch.head_strides == (2, 2, 2, 2)
    model, _ = load_run(out)
    head = model.get_layer("head")
    lengths = [head.get_layer(f"tcn{i}").output.shape[1] for i in range(4)]
    assert lengths == [-(-arch.window_frames // 2**k) for k in (1, 2, 3, 4)]
