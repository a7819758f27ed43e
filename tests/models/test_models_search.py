"""The budgeted architecture search: a tiny study through Optuna alone and through Ray with 2 workers."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from tiny_models import tiny_config

from models.architectures import build

optuna = pytest.importorskip("optuna", reason="needs the [search] extra")


def _base(sim_dir: Path) -> Any:
    cfg = tiny_config(sim_dir)
    return dataclasses.replace(cfg, dataset=dataclasses.replace(cfg.dataset, windows_per_class=4))  # type: ignore[type-var]


def _scfg(**kw: Any) -> Any:
    from models.search import SearchConfig

    args: dict[str, Any] = dict(
        budget_flash_bytes=64 * 1024, budget_macs_per_frame=10**6, trials=2, epochs=1, reference=False, seed=1
    )
    args.update(kw)
    return SearchConfig(**args)


def _check(out: Path, summary: dict[str, Any], sim_dir: Path, trained: int) -> None:
    from models.data import DatasetConfig, held_out_indices, load_recordings

    assert summary["trained"] == trained
    assert (out / "study.db").is_file() and (out / "pareto.png").stat().st_size > 0
    assert "Pareto front" in (out / "search.md").read_text()
    rows = json.loads((out / "search.json").read_text())["trials"]
    assert len(rows) == trained and summary["front"]
    for r in rows:
        # size from the real converter; never a held-out recording on a trial's training or validation side
        assert 1000 < r["flash_bytes"] == r["encoder_bytes"] + r["head_bytes"]
        assert r["macs_per_frame"] > 0 and 0.0 <= r["val_score"] <= 1.0
        metrics = json.loads((out / "trials" / f"{r['number']:04d}" / "metrics.json").read_text())
        recs = load_recordings([sim_dir], cfg=DatasetConfig(gestures=tuple(metrics["classes"][1:])))
        test, _ = held_out_indices(recs, _base(sim_dir).split)
        held = {recs[i].path.name for i in test}
        assert held and not held & set(metrics["split"]["train"] + metrics["split"]["val"])


def test_search_with_optuna_alone_resumes(sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.search import SearchError, run_search

    monkeypatch.setenv("RADARGEST_NO_RAY", "1")  # as if Ray were not installed
    lines: list[str] = []
    summary = run_search(_base(sim_dir), _scfg(backend="auto"), tmp_path, log=lines.append)
    assert summary["backend"] == "optuna" and not (tmp_path / "ray").exists()
    _check(tmp_path, summary, sim_dir, trained=2)
    assert any("best" in line and "front" in line for line in lines)  # progress: done, best so far, the front
    assert any(line.endswith("2 trial(s) to train with optuna") for line in lines)  # no reference model asked
    # the same command resumes the SQLite study: only the missing trial is trained
    summary = run_search(_base(sim_dir), _scfg(backend="optuna", trials=3), tmp_path, log=lines.append)
    _check(tmp_path, summary, sim_dir, trained=3)
    # other epochs would mix trials trained for other lengths in one report: refused before any training
    with pytest.raises(SearchError, match=r"started with other epochs \(epochs 1\)"):
        run_search(_base(sim_dir), _scfg(backend="optuna", trials=4, epochs=2), tmp_path, log=lines.append)
    _check(tmp_path, summary, sim_dir, trained=3)


def test_search_through_ray_with_two_workers(sim_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="needs the [search] extra")
    from models.search import run_search

    summary = run_search(_base(sim_dir), _scfg(backend="ray", workers=2), tmp_path, log=lambda _m: None)
    assert summary["backend"] == "ray" and (tmp_path / "ray").is_dir()
    _check(tmp_path, summary, sim_dir, trained=2)
    # no copy of the training data is left behind (Ray's tuner.pkl pickles the trainable's parameters)
    assert not list((tmp_path / "ray").rglob("tuner.pkl"))
    assert sum(p.stat().st_size for p in (tmp_path / "ray").rglob("*") if p.is_file()) < 1_000_000


def test_over_budget_candidates_are_never_trained(sim_dir: Path, tmp_path: Path) -> None:
    from models.search import run_search

    summary = run_search(
        _base(sim_dir),
        _scfg(backend="optuna", budget_macs_per_frame=10, max_pruned_per_trial=3),
        tmp_path,
        log=lambda _m: None,
    )
    assert summary["trained"] == 0 and summary["over_budget"] == 3 and summary["chosen"] is None
    assert not (tmp_path / "trials").exists() and not (tmp_path / "chosen.json").exists()


def test_choose_and_front() -> None:
    from models.search import choose, pareto_front

    def row(n: int, score: float, flash: int, macs: int, c_build: bool = True) -> dict[str, Any]:
        return {"number": n, "val_score": score, "flash_bytes": flash, "macs_per_frame": macs, "c_build": c_build}

    rows = [
        row(0, 0.90, 15000, 20000),
        row(1, 0.895, 11000, 25000),
        row(2, 0.80, 10000, 9000),
        row(3, 0.85, 12000, 26000),  # dominated by 1
        row(4, 0.95, 9000, 5000, c_build=False),  # best, but the C build cannot run it
        row(5, 0.99, 20000, 5000),  # over the flash budget
    ]
    assert [r["number"] for r in pareto_front(rows[:4])] == [2, 1, 0]
    budget = {"budget_flash_bytes": 16384, "budget_macs_per_frame": 30000}
    assert choose(rows, _scfg(**budget, tolerance=0.01))["number"] == 1  # smallest within 0.01 of the best
    assert choose(rows, _scfg(**budget, any_ops=True))["number"] == 4
    assert choose(rows, _scfg(**budget))["number"] == 0  # default: the best score within budget
    tie = [*rows, row(6, 0.90, 14000, 29000)]
    assert choose(tie, _scfg(**budget))["number"] == 6  # ties go to the smaller flash
    # the flash budget applies to the MCU form when a trial has it (the converter's form otherwise)
    mcu = [*rows, {**row(7, 0.97, 16500, 5000), "mcu_flash_bytes": 16000}]
    assert choose(mcu, _scfg(**budget))["number"] == 7
    assert choose([*rows, {**row(8, 0.97, 16500, 5000), "mcu_flash_bytes": 16400}], _scfg(**budget))["number"] == 0
    # the budget judges the trained model's MCU form when the trial recorded it (the check's is an estimate)
    late = {**row(10, 0.97, 16500, 5000), "mcu_flash_bytes": 16300, "mcu_flash_bytes_trained": 16400}
    assert choose([*rows, late], _scfg(**budget))["number"] == 0
    assert choose([*rows, {**late, "mcu_flash_bytes_trained": 16380}], _scfg(**budget))["number"] == 10
    # the reference (the unpruned model) competes like any candidate when it fits, and only then
    ref = {**row(9, 0.93, 18000, 29000), "mcu_flash_bytes": 16300, "reference": True}
    assert choose([*rows, ref], _scfg(**budget))["number"] == 9
    assert choose([*rows, {**ref, "macs_per_frame": 31000}], _scfg(**budget))["number"] == 0


def test_choosable_is_within_budget_and_runs_in_the_c_build_unless_any_ops() -> None:
    from models.search import choosable

    budget = {"budget_flash_bytes": 16384, "budget_macs_per_frame": 30000}
    fits = {"number": 0, "val_score": 0.9, "flash_bytes": 15000, "macs_per_frame": 20000, "c_build": True}
    assert choosable(fits, _scfg(**budget))
    assert not choosable({**fits, "c_build": False}, _scfg(**budget))
    assert not choosable({k: v for k, v in fits.items() if k != "c_build"}, _scfg(**budget))  # not known: no
    assert choosable({**fits, "c_build": False}, _scfg(**budget, any_ops=True))
    assert not choosable({**fits, "flash_bytes": 17000}, _scfg(**budget, any_ops=True))  # the budgets still hold
    assert not choosable({**fits, "mcu_flash_bytes_trained": 16400}, _scfg(**budget))  # the trained MCU form
    assert not choosable({**fits, "macs_per_frame": 30001}, _scfg(**budget, any_ops=True))


def test_the_running_best_is_what_choose_may_pick() -> None:
    """The line a search prints after each trial named as best a graph the C build cannot run, which the final
    choice passes over."""
    from types import SimpleNamespace

    from models.search import _Driver, choose

    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])
    attrs = [
        {"val_score": 0.95, "flash_bytes": 9000, "macs_per_frame": 5000, "c_build": False, "trial_s": 1.0},
        {"val_score": 0.90, "flash_bytes": 15000, "macs_per_frame": 20000, "c_build": True, "trial_s": 1.0},
    ]
    for a in attrs:
        values = [a["val_score"], a["flash_bytes"], a["macs_per_frame"]]
        study.add_trial(optuna.trial.create_trial(values=values, params={}, distributions={}, user_attrs=a))
    scfg = _scfg(budget_flash_bytes=16384, budget_macs_per_frame=30000)
    lines: list[str] = []
    driver = _Driver(study, SimpleNamespace(scfg=scfg), lines.append)  # type: ignore[arg-type]
    driver.progress({"number": 1, **attrs[1]})
    assert "| best 0.900 at 15000 B (trial 1) |" in lines[-1], lines
    rows = [{"number": n, **a} for n, a in enumerate(attrs)]
    assert choose(rows, scfg)["number"] == 1  # type: ignore[index]
    driver.problem = SimpleNamespace(scfg=_scfg(budget_flash_bytes=16384, budget_macs_per_frame=30000, any_ops=True))
    driver.progress({"number": 1, **attrs[1]})
    assert "| best 0.950 at 9000 B (trial 0) |" in lines[-1], lines


def test_the_space_holds_the_default_architecture_at_reduced_widths() -> None:
    """The ``scaled`` family is the default architecture with fewer channels: what structured pruning makes."""
    import keras

    from models.architectures import ArchitectureConfig
    from models.compress import prune_channels
    from models.config import TrainConfig
    from models.data import DatasetConfig
    from models.search import WIDTHS, _describe, apply_params, suggest

    base = TrainConfig(data=("-",), dataset=DatasetConfig(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle")))
    params = suggest(optuna.trial.FixedTrial({"family": "scaled", "width": 0.7}))
    assert params == {"family": "scaled", "width": 0.7} and 0.7 in WIDTHS
    cfg = apply_params(base, params)
    keras.utils.set_random_seed(0)
    pruned, _ = prune_channels(build(base.architecture), base.architecture, keep=0.7)
    assert cfg.architecture == pruned  # the default at 0.7 of its widths, kernels, strides and window unchanged
    assert cfg.architecture.conv_channels == (6, 8) and cfg.architecture.head_channels == 17
    assert cfg.dataset == base.dataset and "default × 0.7" in _describe(params)
    full = apply_params(base, {"family": "scaled", "width": 1.0})
    assert full.architecture == base.architecture == ArchitectureConfig()
    free = suggest(optuna.trial.FixedTrial({"family": "free", **_free()}))
    assert free["family"] == "free" and apply_params(base, free).architecture.conv_channels == (4, 6)


def _free() -> dict[str, Any]:
    return {
        "conv1": 4, "conv2": 6, "conv_kernel": "3x3", "encoder_block": "full", "input_pool": "1x1", "embedding": 8,
        "head_channels": 8, "head_kernel": 3, "head_strides": "2,2", "head_block": "full", "nin_channels": 4,
        "window_s": 0.875,
    }  # fmt: skip


def test_train_from_search_applies_the_chosen_point(tmp_path: Path) -> None:
    import argparse

    from models.search import SearchError, chosen_architecture, params_of
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args
    from radargest.search_cmd import parse_bytes

    assert parse_bytes("16KiB") == 16384 and parse_bytes("41KB") == 41000 and parse_bytes("12000") == 12000
    with pytest.raises(argparse.ArgumentTypeError):
        parse_bytes("16 parsecs")
    with pytest.raises(SearchError, match=r"chosen\.json"):
        chosen_architecture(tmp_path, *_arch_and_dataset())
    args = build_parser().parse_args(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")])
    params = {**params_of(train_config_from_args(args)), "conv1": 4, "head_block": "nin", "window_s": 0.7}
    (tmp_path / "chosen.json").write_text(json.dumps({"params": params}))
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--from-search", str(tmp_path)]
    cfg = train_config_from_args(build_parser().parse_args(argv))
    assert cfg.architecture.conv_channels[0] == 4 and cfg.architecture.head_block == "nin"
    assert cfg.dataset.window.window_s == 0.7 and cfg.architecture.num_classes == 5
    # a scaled point keeps the recipe's own window and every other option of the command line
    (tmp_path / "chosen.json").write_text(json.dumps({"params": {"family": "scaled", "width": 0.5}}))
    cfg = train_config_from_args(build_parser().parse_args([*argv, "--window-s", "1.4", "--augment", "robust"]))
    assert cfg.architecture.conv_channels == (4, 6) and cfg.architecture.embedding == 8
    assert cfg.dataset.window.window_s == 1.4 and cfg.augment.doppler_scale == (0.8, 1.25)


def _arch_and_dataset() -> tuple[Any, Any]:
    from models.architectures import ArchitectureConfig
    from models.data import DatasetConfig

    return ArchitectureConfig(), DatasetConfig(gestures=("tap_in",))


def test_flash_of_random_weights_equals_flash_of_trained_weights(tiny_run: Path) -> None:
    """The budget step converts the candidate before training: the trained flatbuffers are the same size."""
    from models.config import load_run
    from models.quantize import int8_footprint
    from models.search import _randomise

    model, cfg = load_run(tiny_run)
    trained = int8_footprint(model)
    fresh = build(cfg.architecture)
    _randomise(fresh, 0)
    fp = int8_footprint(fresh)
    assert fp["flash_bytes"] == trained["flash_bytes"] > 1000
    # the MCU form stores equal arrays once, and which are equal depends on the values: within a few bytes
    assert (
        abs(fp["mcu_flash_bytes"] - trained["mcu_flash_bytes"]) <= 64
        and trained["mcu_flash_bytes"] < 0.95 * trained["flash_bytes"]
    )


def test_the_driver_pickles_without_its_study() -> None:
    """Ray Tune pickles the search algorithm, and with it the driver; an Optuna study holds locks (Optuna 5.1)."""
    from models.search import _Driver

    driver = _Driver(optuna.create_study(direction="maximize"), problem=None, log=print)  # type: ignore[arg-type]
    copy = pickle.loads(pickle.dumps(driver))
    assert not hasattr(copy, "study")
    assert copy.reference_asked is False and copy.log is print


def test_a_search_that_chooses_nothing_says_why(tmp_path: Path) -> None:
    """``search --no-reference`` whose trained candidates were all within budget but not runnable by the C build
    said "no trained candidate within budget" and "best —": it now says the C build is why and names --any-ops."""
    from types import SimpleNamespace

    from models.search import _Driver, nothing_chosen, write_report

    budget = {"budget_flash_bytes": 16384, "budget_macs_per_frame": 30000}
    row = {"number": 0, "val_score": 0.9, "flash_bytes": 9000, "macs_per_frame": 6048, "c_build": False}
    why = nothing_chosen([row], _scfg(**budget))
    assert "C build can run" in why and "--any-ops allows them" in why
    assert nothing_chosen([row], _scfg(**budget, any_ops=True)) == ""
    assert nothing_chosen([{**row, "flash_bytes": 20000}], _scfg(**budget)) == "no trained candidate within budget"
    assert nothing_chosen([], _scfg(**budget)) == "no trained candidate"

    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])
    attrs = {
        **{k: v for k, v in row.items() if k != "number"},
        "trial_s": 1.0,
        "macs_per_hop": 6048,
        "encoder_bytes": 6000,
        "head_bytes": 3000,
    }
    values = [row["val_score"], row["flash_bytes"], row["macs_per_frame"]]
    params = {"family": "scaled", "width": 0.5}
    dists = {
        "family": optuna.distributions.CategoricalDistribution(["scaled"]),
        "width": optuna.distributions.FloatDistribution(0.25, 1.0),
    }
    study.add_trial(optuna.trial.create_trial(values=values, params=params, distributions=dists, user_attrs=attrs))
    lines: list[str] = []
    driver = _Driver(study, SimpleNamespace(scfg=_scfg(**budget)), lines.append)  # type: ignore[arg-type]
    driver.progress({"number": 0, **attrs})
    assert "| best — (no trained candidate within budget that the ahead-of-time C build can run" in lines[-1]
    summary = write_report(study, _scfg(**budget), tmp_path, backend="optuna", wall_s=1.0, log=lines.append)
    assert summary["chosen"] is None and "--any-ops allows them" in summary["nothing_chosen"]
    report = (tmp_path / "search.md").read_text()
    assert "None: no trained candidate within budget that the ahead-of-time C build can run" in report
