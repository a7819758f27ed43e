"""The recipe as the search's proxy: ``search --init RUN`` (the ``pruned`` family) and ``train --from-search``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from tiny_models import GESTURES

optuna = pytest.importorskip("optuna", reason="needs the [search] extra")

REPO = Path(__file__).resolve().parents[2]


def _pruned_base(sim_dir: Path, init: Path) -> Any:
    """The base of ``radargest search --init``: the run's dataset, architecture and augmentation, as train's."""
    from models.compress import CompressionConfig
    from models.config import TrainConfig, fine_tune_settings
    from models.data import parse_split

    inherited = fine_tune_settings(init, GESTURES)
    dataset, arch, augment, lr = inherited.dataset, inherited.architecture, inherited.augment, inherited.learning_rate
    return TrainConfig(
        data=(str(sim_dir),),
        dataset=dataclasses.replace(dataset, windows_per_class=4),
        split=parse_split("subject"),
        architecture=arch,
        augment=augment,
        learning_rate=lr,
        init=str(init),
        compression=CompressionConfig(prune_finetune_epochs=1),
        seed=3,
    )


def test_pruned_search_and_train_from_search(
    sim_dir: Path, tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.architectures import build, count_macs, scale_widths
    from models.config import read_config
    from models.data import DatasetConfig, held_out_indices, load_recordings
    from models.search import WIDTHS, SearchConfig, run_search
    from models.train import train
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    monkeypatch.setenv("RADARGEST_NO_RAY", "1")  # Optuna alone
    out = tmp_path / "search"
    base = _pruned_base(sim_dir, tiny_run)
    init_arch = read_config(tiny_run / "config.toml").architecture
    ref_macs = count_macs(build(init_arch))["encoder_per_frame"]  # a MAC budget just below: the reference is over
    scfg = SearchConfig(budget_flash_bytes=64 * 1024, budget_macs_per_frame=ref_macs - 1, trials=1, epochs=1, seed=1)
    summary = run_search(base, scfg, out, log=lambda _m: None)
    rows = summary["trials"]
    assert summary["trained"] == 2 and len(rows) == 2  # a width and the reference (trained whatever the budget)
    assert not summary["chosen"].get("reference")
    recs = load_recordings([sim_dir], cfg=DatasetConfig(gestures=GESTURES))
    test, _ = held_out_indices(recs, base.split)
    held = {recs[i].path.name for i in test}
    for r in rows:
        assert r["family"] == "pruned" and r["init"] == str(tiny_run)
        run = out / "trials" / f"{r['number']:04d}"
        metrics = json.loads((run / "metrics.json").read_text())
        cfg = read_config(run / "config.toml")
        assert cfg.init == str(tiny_run)  # fine-tuned from the initial run, as train --init
        assert held and not held & set(metrics["split"]["train"] + metrics["split"]["val"])
        if r.get("reference"):
            assert r["params"] == {"family": "pruned", "width": 1.0} and "pruning" not in metrics["compression"]
            assert cfg.architecture == init_arch
            continue
        width = r["params"]["width"]
        assert width in WIDTHS
        pruning = metrics["compression"]["pruning"]
        assert pruning["keep"] == width and cfg.architecture == scale_widths(init_arch, width)
        # the budget check's flash (random weights, before training) is the trained, pruned model's to the byte
        assert r["flash_bytes"] == r["flash_bytes_trained"] == pruning["flash_bytes_after"] > 1000
        assert 0 < r["mcu_flash_bytes_trained"] < r["flash_bytes_trained"]
        assert r["macs_per_frame"] == pruning["macs_per_frame_after"]
    chosen = json.loads((out / "chosen.json").read_text())
    width = chosen["width"]
    assert chosen["family"] == "pruned" and chosen["init"] == str(tiny_run) and chosen["params"]["width"] == width
    assert "pruned to" in (out / "search.md").read_text() and (out / "pareto.png").stat().st_size > 0

    argv = ["train", "--data", str(sim_dir), "--split", "subject", "--out", str(tmp_path / "run")]
    argv += ["--from-search", str(out), "--epochs", "1", "--prune-finetune-epochs", "1", "--no-rejection"]
    with pytest.raises(ValueError, match="give --init RUN"):
        train_config_from_args(build_parser().parse_args(argv))
    argv += ["--init", str(tiny_run)]
    other = 0.9 if width != 0.9 else 0.8
    with pytest.raises(ValueError, match="chosen width"):
        train_config_from_args(build_parser().parse_args([*argv, "--prune-channels", str(other)]))
    cfg = train_config_from_args(build_parser().parse_args(argv))
    assert cfg.compression.prune_keep == width and cfg.architecture == init_arch
    res = train(cfg, tmp_path / "run", progress=False)
    assert res.config.architecture == scale_widths(init_arch, width)
    assert res.metrics["compression"]["pruning"]["keep"] == width


def test_chosen_points_of_earlier_searches_still_load(tmp_path: Path) -> None:
    """docs/search (a ``scaled`` point, before the ``pruned`` family) still gives its architecture, with or without
    ``--init``; an explicit ``--prune-channels`` passes through."""
    from models.architectures import ArchitectureConfig, scale_widths
    from models.data import DatasetConfig
    from models.search import SearchError, apply_chosen

    arch, ds = ArchitectureConfig(num_classes=2), DatasetConfig(gestures=("tap_in",))
    got, got_ds, keep = apply_chosen(REPO / "docs" / "search", arch, ds, init=False, prune_keep=None)
    unpruned = {"params": {"family": "pruned", "width": 1.0}, "family": "pruned", "init": "/runs/sim", "width": 1.0}
    (tmp_path / "unpruned").mkdir()
    (tmp_path / "unpruned" / "chosen.json").write_text(json.dumps(unpruned))
    assert apply_chosen(tmp_path / "unpruned", arch, ds, init=True, prune_keep=None) == (arch, ds, 1.0)  # the recipe
    assert got == scale_widths(arch, 0.6) and got_ds == ds and keep == 1.0
    assert apply_chosen(REPO / "docs" / "search", arch, ds, init=True, prune_keep=0.8)[2] == 0.8
    point = {"params": {"family": "pruned", "width": 0.6}, "family": "pruned", "init": "/runs/sim"}
    (tmp_path / "chosen.json").write_text(json.dumps({**point, "trial": {"init_architecture": {"conv_channels": [1]}}}))
    with pytest.raises(SearchError, match="another architecture"):
        apply_chosen(tmp_path, arch, ds, init=True, prune_keep=None)
    # a point stored before ArchitectureConfig.none_subclasses existed: its initial run had one ``none``
    third = REPO / "docs" / "search" / "third"
    stored = json.loads((third / "chosen.json").read_text())
    init_arch = ArchitectureConfig(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in stored["trial"]["init_architecture"].items()}
    )
    assert apply_chosen(third, init_arch, ds, init=True, prune_keep=None)[2] == stored["params"]["width"]
    # the width applies to the split ``none`` pretraining too (outputs are never pruned; RULE81), not to another body
    split = dataclasses.replace(init_arch, none_subclasses=3)
    assert apply_chosen(third, split, ds, init=True, prune_keep=None) == (split, ds, stored["params"]["width"])
    with pytest.raises(SearchError, match="another architecture"):
        apply_chosen(
            third, dataclasses.replace(split, embedding=init_arch.embedding + 1), ds, init=True, prune_keep=None
        )
