"""Compression in the training recipe: structured pruning, distillation, QAT (when the extra is there)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny_models import tiny_config

from models.architectures import ArchitectureConfig, build, encoder_of, head_of

SMALL = dict(window_frames=12, conv_channels=(4, 6), embedding=6, head_channels=8, head_kernel=3, head_strides=(2, 2))


def _silence_half(model: Any, arch: ArchitectureConfig) -> None:
    """Zero the kernel and bias of every odd output channel of the prunable layers (dead channels)."""
    from models.compress import _chain

    subs = {"encoder": encoder_of(model), "head": head_of(model)}
    for sub, name, pruned in _chain(arch):
        if not pruned:
            continue
        layer = subs[sub].get_layer(name)
        w = [np.array(v) for v in layer.get_weights()]
        w[-2][..., 1::2] = 0.0
        w[-1][1::2] = 0.0
        layer.set_weights(w)


@pytest.mark.parametrize("block", ["full", "nin", "separable"])
def test_pruning_dead_channels_keeps_the_function(block: str) -> None:
    """Removing channels that are exactly zero leaves the outputs unchanged: the surgery keeps the right
    input channels downstream (flatten order, network-in-network and separable layers included)."""
    from models.compress import prune_channels

    arch = ArchitectureConfig(**SMALL, encoder_block=block, head_block=block, nin_channels=4)  # type: ignore[arg-type]
    model = build(arch)
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    _silence_half(model, arch)
    x = rng.standard_normal((5, arch.window_frames, arch.doppler_bins, arch.points)).astype(np.float32)
    small, pruned = prune_channels(model, arch, keep=0.5)
    assert small.conv_channels == (2, 3) and small.embedding == 3 and small.head_channels == 4
    assert pruned.count_params() < model.count_params()
    np.testing.assert_allclose(pruned.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def test_structured_pruning_saves_flash_and_zeroing_does_not() -> None:
    from models.compress import prune_channels, zeroed_flash
    from models.quantize import int8_footprint

    arch = ArchitectureConfig(**SMALL)  # type: ignore[arg-type]
    model = build(arch)
    rng = np.random.default_rng(1)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    x = rng.standard_normal((8, arch.window_frames, arch.doppler_bins, arch.points)).astype(np.float32)
    z = zeroed_flash(model, arch, x, sparsity=0.5)
    assert abs(z["zeroed_flash_bytes"] - z["flash_bytes"]) <= 0.02 * z["flash_bytes"]  # stored densely
    _, pruned = prune_channels(model, arch, keep=0.5)
    assert int8_footprint(pruned, x)["flash_bytes"] < z["flash_bytes"] - 1000


def test_distillation_loss() -> None:
    import keras

    from models.compress import distillation_loss

    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(5), size=7).astype(np.float32)
    y = rng.integers(0, 5, 7)
    hard = np.eye(5, dtype=np.float32)[y]
    ce = -np.log(p[np.arange(7), y])
    same = distillation_loss(5, alpha=0.0, temperature=3.0)(np.concatenate([hard, p], 1), p)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(same), 0.0, atol=1e-5)  # student == teacher
    only_labels = distillation_loss(5, alpha=1.0, temperature=3.0)(np.concatenate([hard, p[::-1]], 1), p)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(only_labels), ce, rtol=1e-5)


def test_distillation_loss_rows_without_a_teacher_learn_their_labels_alone() -> None:
    """A row whose teacher half is zeros (learning without forgetting's new windows) costs its label's
    cross-entropy at full weight whatever ``alpha``; the taught rows beside it keep the mix."""
    import keras

    from models.compress import distillation_loss

    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(5), size=6).astype(np.float32)
    y = rng.integers(0, 5, 6)
    hard = np.eye(5, dtype=np.float32)[y]
    teacher = p[::-1].copy()
    teacher[:3] = 0.0  # the first three rows have no teacher
    got = keras.ops.convert_to_numpy(
        distillation_loss(5, alpha=0.2, temperature=3.0)(np.concatenate([hard, teacher], 1), p)
    )
    np.testing.assert_allclose(got[:3], -np.log(p[np.arange(3), y[:3]]), rtol=1e-5)
    mixed = distillation_loss(5, alpha=0.2, temperature=3.0)(np.concatenate([hard[3:], teacher[3:]], 1), p[3:])
    np.testing.assert_allclose(got[3:], keras.ops.convert_to_numpy(mixed), rtol=1e-5)


def test_split_distillation_loss_learns_split_labels_and_the_teachers_merged_outputs() -> None:
    """With a split ``none`` the labels are the split targets, and the teacher is matched on the merged sum."""
    import keras

    from models.compress import distillation_loss

    rng = np.random.default_rng(3)
    q = rng.dirichlet(np.ones(7), size=6).astype(np.float32)  # 5 classes, none split in 3: 7 outputs
    merged = np.concatenate([q[:, :1] + q[:, 5:].sum(axis=1, keepdims=True), q[:, 1:5]], axis=1)
    y = rng.integers(0, 7, 6)
    hard = np.eye(7, dtype=np.float32)[y]
    loss = distillation_loss(5, alpha=0.0, temperature=3.0, none_subclasses=3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss(np.concatenate([hard, merged], 1), q)), 0.0, atol=1e-5)
    other = distillation_loss(5, alpha=0.0, temperature=3.0, none_subclasses=3)(
        np.concatenate([hard, merged[:, ::-1]], 1), q
    )
    assert np.all(keras.ops.convert_to_numpy(other) > 1e-3)  # a different teacher costs
    labels = distillation_loss(5, alpha=1.0, temperature=3.0, none_subclasses=3)(np.concatenate([hard, merged], 1), q)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(labels), -np.log(q[np.arange(6), y]), rtol=1e-5)


def test_train_with_pruning_and_distillation(sim_dir: Path, tiny_run: Path, tmp_path: Path) -> None:
    """train --prune-channels / --distill-from: a loadable smaller run whose quantisation report has the rows."""
    from models.compress import CompressionConfig
    from models.config import load_run
    from models.quantize import QuantizeConfig, quantize_run
    from models.train import train

    comp = CompressionConfig(prune_keep=0.5, prune_finetune_epochs=1, distill_from=str(tiny_run))
    big = tiny_config(sim_dir)
    arch = dataclasses.replace(big.architecture, conv_channels=(4, 4), embedding=8, head_channels=8)  # type: ignore[attr-defined]
    cfg = dataclasses.replace(big, architecture=arch, compression=comp, epochs=1)  # type: ignore[type-var]
    train(cfg, tmp_path, progress=False)  # type: ignore[arg-type]
    _, saved = load_run(tmp_path)
    assert saved.architecture.conv_channels == (2, 2) and saved.architecture.head_channels == 4
    done = json.loads((tmp_path / "metrics.json").read_text())["compression"]
    assert done["pruning"]["flash_bytes_after"] < done["pruning"]["flash_bytes_before"]
    assert done["distillation"]["teacher"] == str(tiny_run)
    report = quantize_run(tmp_path, cfg=QuantizeConfig(representative_windows=20, latency_runs=2, bit_widths=(8,)))
    names = [r["technique"] for r in report["compression"]]
    assert any("pruning" in n for n in names) and any("distillation" in n for n in names)
    ptq, kept = report["compression"][0], report["compression"][1]  # as bundled (names stripped), names kept
    assert kept["flash_bytes"] > ptq["flash_bytes"] and kept["accuracy"] == ptq["accuracy"]
    assert "Compression" in (tmp_path / "quant_report.md").read_text()


def test_qat_needs_its_extra_or_runs(sim_dir: Path, tmp_path: Path) -> None:
    from models.compress import CompressionConfig, qat_available
    from models.data import DataError
    from models.train import train

    cfg = dataclasses.replace(tiny_config(sim_dir), compression=CompressionConfig(qat_epochs=1), epochs=1)  # type: ignore[type-var]
    if qat_available():
        with pytest.raises(DataError, match="qat extra"):
            train(cfg, tmp_path, progress=False)  # type: ignore[arg-type]
        return
    train(cfg, tmp_path, progress=False)  # type: ignore[arg-type]
    assert (tmp_path / "qat_encoder_int8.tflite").stat().st_size > 0
    assert json.loads((tmp_path / "metrics.json").read_text())["compression"]["qat"]["flash_bytes"] > 0


@pytest.mark.parametrize("block", ["full", "nin", "separable"])
def test_qat_twin_computes_the_same(block: str) -> None:
    """The tf_keras twin that tfmot wraps is the same function as the Keras model (Conv1D as (1, k) Conv2D)."""
    pytest.importorskip("tf_keras", reason="needs the [qat] extra")
    from models.compress import _tf_keras_twin

    arch = ArchitectureConfig(**SMALL, encoder_block=block, head_block=block, nin_channels=4)  # type: ignore[arg-type]
    model = build(arch)
    rng = np.random.default_rng(3)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    for sub, shape in ((encoder_of(model), (7, 16, 6, 1)), (head_of(model), (7, 12, 6))):
        x = rng.standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(_tf_keras_twin(sub).predict(x, verbose=0), sub.predict(x, verbose=0), atol=1e-5)
