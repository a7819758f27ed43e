"""The budgeted architecture search: a tiny study through Optuna alone and through Ray with 2 workers."""

from __future__ import annotations

import dataclasses
import json
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
    from models.search import run_search

    monkeypatch.setenv("RADARGEST_NO_RAY", "1")  # as if Ray were not installed
    lines: list[str] = []
    summary = run_search(_base(sim_dir), _scfg(backend="auto"), tmp_path, log=lines.append)
    assert summary["backend"] == "optuna" and not (tmp_path / "ray").exists()
    _check(tmp_path, summary, sim_dir, trained=2)
    assert any("best" in line and "front" in line for line in lines)  # progress: done, best so far, the front
    # the same command resumes the SQLite study: only the missing trial is trained
    summary = run_search(_base(sim_dir), _scfg(backend="optuna", trials=3), tmp_path, log=lines.append)
    _check(tmp_path, summary, sim_dir, trained=3)


def test_search_through_ray_with_two_workers(sim_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="needs the [search] extra")
    from models.search import run_search

    summary = run_search(_base(sim_dir), _scfg(backend="ray", workers=2), tmp_path, log=lambda _m: None)
    assert summary["backend"] == "ray" and (tmp_path / "ray").is_dir()
    _check(tmp_path, summary, sim_dir, trained=2)


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
    assert choose(rows, _scfg(budget_flash_bytes=16384, budget_macs_per_frame=30000))["number"] == 1
    assert choose(rows, _scfg(budget_flash_bytes=16384, budget_macs_per_frame=30000, any_ops=True))["number"] == 4
    assert choose(rows, _scfg(budget_flash_bytes=16384, budget_macs_per_frame=30000, tolerance=0.0))["number"] == 0


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
    assert int8_footprint(fresh)["flash_bytes"] == trained["flash_bytes"] > 1000
