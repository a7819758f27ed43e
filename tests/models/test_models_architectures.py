"""Architecture registry, streaming equivalence of encoder + head, and the MAC counter."""

from __future__ import annotations

import numpy as np
import pytest

from models.architectures import (
    ARCHITECTURES,
    ArchitectureConfig,
    ModelError,
    build,
    count_macs,
    encoder_of,
    head_of,
    split_model_of,
    split_targets,
)

SMALL = dict(window_frames=12, conv_channels=(3, 4), embedding=5, head_channels=6, head_kernel=3)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_registry_builds(name: str) -> None:
    model = build(ArchitectureConfig(name=name, **SMALL))  # type: ignore[arg-type]
    x = np.random.default_rng(0).random((3, 12, 16, 6), dtype=np.float32)
    p = np.asarray(model(x))
    assert p.shape == (3, 5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert not any(type(layer).__name__ == "TimeDistributed" for layer in model.layers)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_encoder_per_frame_then_head_equals_the_window_model(name: str) -> None:
    """kws_streaming style: the encoder run once per frame, its embeddings stacked in a ring buffer and
    the head run on the buffer equals the composed model on the window."""
    cfg = ArchitectureConfig(name=name, **SMALL)  # type: ignore[arg-type]
    model = build(cfg)
    rng = np.random.default_rng(1)
    stream = rng.random((30, 16, 6), dtype=np.float32)
    enc, head = encoder_of(model), head_of(model)
    ring = np.zeros((cfg.window_frames, cfg.embedding), dtype=np.float32)
    for n, frame in enumerate(stream):
        ring = np.roll(ring, -1, axis=0)
        ring[-1] = np.asarray(enc(frame[None, :, :, None]))[0]
        if n + 1 >= cfg.window_frames:
            streamed = np.asarray(head(ring[None]))[0]
            window = np.asarray(model(stream[None, n + 1 - cfg.window_frames : n + 1]))[0]
            np.testing.assert_allclose(streamed, window, atol=1e-5)


def test_mac_count() -> None:
    cfg = ArchitectureConfig(**SMALL)  # type: ignore[arg-type]
    macs = count_macs(build(cfg))
    # first conv: 16*6 outputs x 3*3*1*3 kernel
    assert macs["encoder_per_frame"] > 16 * 6 * 27
    assert macs["window"] == cfg.window_frames * macs["encoder_per_frame"] + macs["head_per_hop"]


def test_bad_architecture() -> None:
    with pytest.raises(ModelError, match="unknown architecture"):
        ArchitectureConfig(name="transformer")
    with pytest.raises(ModelError):
        ArchitectureConfig(num_classes=1)


def test_mac_count_of_search_blocks() -> None:
    """Separable and network-in-network blocks, and the input pooling, counted by hand."""
    enc = build(ArchitectureConfig(conv_channels=(4, 8), encoder_block="separable", input_pool=(2, 1)))
    # input 16x6 pooled to 8x6; conv1 48 x 9 x 4; pool to 4x6; separable 24 x (9 x 4 + 4 x 8); 2x3x8 -> 16
    assert count_macs(enc)["encoder_per_frame"] == 48 * 36 + 24 * (36 + 32) + 48 * 16
    head = build(ArchitectureConfig(head_block="nin", nin_channels=8))
    # T 50 -> 25 -> 13 -> 7 with a 1x1 (to 8) before each k5 convolution (8 -> 24), then 24 x 5 logits
    want = 50 * 16 * 8 + 25 * 5 * 8 * 24 + 25 * 24 * 8 + 13 * 5 * 8 * 24 + 13 * 24 * 8 + 7 * 5 * 8 * 24 + 24 * 5
    assert count_macs(head)["head_per_hop"] == want


def test_default_layer_names_unchanged() -> None:
    """Runs saved before the search blocks existed load by layer name: the default keeps them."""
    names = {layer.name for layer in encoder_of(build(ArchitectureConfig())).layers}
    assert {"enc_conv1", "enc_pool1", "enc_conv2", "enc_pool2", "enc_flat", "enc_embed"} <= names
    assert "enc_input_pool" not in names


def test_split_none_head_sums_back_to_the_classes() -> None:
    """A split ``none`` head: the model's outputs are the split probabilities with the ``none`` targets summed, training
    the split model moves the shared weights but never the fixed sum, and the targets follow the window kinds."""
    import keras

    cfg = ArchitectureConfig(none_subclasses=3, **SMALL)  # type: ignore[arg-type]
    model = build(cfg)
    split = split_model_of(model, cfg)
    x = np.random.default_rng(2).random((4, 12, 16, 6), dtype=np.float32)
    p, q = np.asarray(model(x)), np.asarray(split(x))
    assert p.shape == (4, 5) and q.shape == (4, 7)
    np.testing.assert_allclose(p[:, 0], q[:, [0, 5, 6]].sum(axis=1), atol=1e-6)
    np.testing.assert_allclose(p[:, 1:], q[:, 1:5], atol=1e-6)
    merge = head_of(model).get_layer("merge_none").get_weights()[0].copy()
    # label, kind: background, labelled everyday motion, fragment, detector candidate, a gesture event
    y = split_targets(np.array([0, 0, 0, 0, 2]), np.array([2, 3, 4, 1, 0]), cfg)
    assert y.tolist() == [0, 5, 6, 5, 2]
    split.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.SparseCategoricalCrossentropy())
    split.fit(x, y[:4], epochs=2, verbose=0)
    assert not np.allclose(np.asarray(model(x)), p)
    np.testing.assert_array_equal(head_of(model).get_layer("merge_none").get_weights()[0], merge)
    assert split_model_of(build(ArchitectureConfig(**SMALL)), ArchitectureConfig(**SMALL)).output.shape[-1] == 5  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="none_subclasses"):
        ArchitectureConfig(none_subclasses=2)
