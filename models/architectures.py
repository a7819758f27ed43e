"""Model architectures: a registry of builders ``build(cfg) -> keras.Model`` (DESIGN §6).

Every model maps a window ``(batch, T, doppler_bins, points)`` float32 of range-Doppler maps to class
probabilities ``(batch, classes)`` (softmax; class 0 is ``none``). It is composed of two sub-models,
found by name in the composed model:

- ``encoder``: one frame ``(batch, doppler_bins, points)`` → embedding ``(batch, embedding)``. It is a
  small 2D CNN shared by all frames. Time is folded into the batch axis (:class:`FoldTime`) before it
  and unfolded after it (:class:`UnfoldTime`); ``TimeDistributed`` is not used because under Keras 3 it
  unrolls into a per-frame loop (4x the flatbuffer, a graph TFLite Micro rejects).
- ``head``: the embeddings of the window ``(batch, T, embedding)`` → probabilities.

So streaming (next issue) runs the encoder once per new frame and the head once per hop on a ring
buffer of the last ``T`` embeddings; ``model(window) == head(stack(encoder(frame) for frame in window))``.

Builders: ``cnn_tcn`` (default, deployable: only Conv2D/Conv1D/Dense/pooling/reshape) and ``cnn_gru``
(comparison only; ``unroll=True`` because a Keras 3 GRU that is not unrolled crashes the int8 converter,
and recurrent int8 kernels are poorly supported by TFLM). TensorFlow/Keras is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import keras
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "ARCHITECTURES",
    "BLOCKS",
    "ArchitectureConfig",
    "Block",
    "ModelError",
    "build",
    "count_macs",
    "custom_objects",
    "encoder_of",
    "head_of",
    "none_merge_matrix",
    "none_subclass_of_kind",
    "scale_widths",
    "split_model_of",
    "split_targets",
]


class ModelError(ValueError):
    """An invalid architecture config, or a model that lacks the expected sub-models."""


#: How a convolution of the family is built (see :class:`ArchitectureConfig`).
Block = Literal["full", "separable", "nin"]
BLOCKS: tuple[Block, ...] = ("full", "separable", "nin")

#: ``none`` targets of a split head: quiet background, hard negative, gesture fragment [count].
NONE_SUBCLASSES = 3


@dataclass(frozen=True, kw_only=True)
class ArchitectureConfig:
    """Shape and size of a model.

    Fields:
        name: builder in :data:`ARCHITECTURES`.
        window_frames: frames per window ``T`` [frames].
        doppler_bins: Doppler bins per frame (= sweeps per frame) [count].
        points: distance points per frame [count].
        num_classes: output classes, ``none`` included [count].
        conv_channels: channels of the encoder's two Conv2D layers [count].
        embedding: size of a frame embedding [count].
        head_channels: channels of the temporal convolutions (or GRU units) [count].
        head_kernel: kernel length of the temporal convolutions [frames].
        head_strides: stride of each temporal convolution; their number is the depth [frames].
        dropout: dropout rate before the classifier (training only) [0..1].
        conv_kernel: kernel of the encoder's convolutions (Doppler, distance) [bins, points].
        input_pool: max-pooling of each input frame before the first convolution (Doppler, distance): the
            input resolution the encoder sees; ``(1, 1)`` keeps the full range-Doppler map [bins, points].
        encoder_block: how the encoder's second convolution is built: ``full`` (one k×k Conv2D),
            ``separable`` (depthwise k×k then pointwise 1×1) or ``nin`` (a network-in-network replacement
            block: a 1×1 Conv2D down to ``nin_channels`` then the k×k Conv2D, so the wide kernel runs on fewer
            input channels).
        head_block: the same choice for each temporal convolution of the ``cnn_tcn`` head.
        nin_channels: width of the 1×1 bottleneck of ``nin`` blocks [count].
        none_subclasses: training targets the ``none`` class is split into: 1 (one class) or
            :data:`NONE_SUBCLASSES` (quiet background, hard negative, gesture fragment: see
            :func:`none_subclass_of_kind`). The head then has ``num_classes + none_subclasses - 1`` logits,
            and a fixed sum after the softmax gives the model's ``num_classes`` probabilities, so a model's
            outputs keep their meaning; training fits the split probabilities (:func:`split_model_of`).
            Several ``none`` targets let the classifier draw a non-convex ``none`` region (a "filler model").
            The field defaults to 1 so that a stored config without it reads as trained; ``radargest train``
            builds a new model with :data:`NONE_SUBCLASSES`.

    ``separable`` blocks convert to ``DEPTHWISE_CONV_2D``, which the ahead-of-time C build and the bundle's
    TFLM example do not register; ``full`` and ``nin`` use only ``CONV_2D``.
    """

    name: str = "cnn_tcn"
    window_frames: int = 50
    doppler_bins: int = 16
    points: int = 6
    num_classes: int = 5
    conv_channels: tuple[int, int] = (8, 12)
    embedding: int = 16
    head_channels: int = 24
    head_kernel: int = 5
    head_strides: tuple[int, ...] = (2, 2, 2)
    dropout: float = 0.1
    conv_kernel: tuple[int, int] = (3, 3)
    input_pool: tuple[int, int] = (1, 1)
    encoder_block: Block = "full"
    head_block: Block = "full"
    nin_channels: int = 8
    none_subclasses: int = 1

    def __post_init__(self) -> None:
        if self.name not in ARCHITECTURES:
            raise ModelError(f"unknown architecture {self.name!r}; known: {', '.join(ARCHITECTURES)}")
        for key in ("window_frames", "doppler_bins", "points", "embedding", "head_channels", "head_kernel"):
            if int(getattr(self, key)) < 1:
                raise ModelError(f"{key} must be >= 1, got {getattr(self, key)!r}")
        if self.num_classes < 2:
            raise ModelError(f"num_classes must be >= 2 (none plus a gesture), got {self.num_classes}")
        if self.doppler_bins < 4:
            raise ModelError(f"doppler_bins must be >= 4 for the encoder's pooling, got {self.doppler_bins}")
        if not 0.0 <= self.dropout < 1.0:
            raise ModelError(f"dropout must be in [0, 1), got {self.dropout}")
        for key in ("encoder_block", "head_block"):
            if getattr(self, key) not in BLOCKS:
                raise ModelError(f"{key} must be one of {', '.join(BLOCKS)}, got {getattr(self, key)!r}")
        for key in ("conv_kernel", "input_pool", "conv_channels"):
            if len(getattr(self, key)) != 2 or min(int(v) for v in getattr(self, key)) < 1:
                raise ModelError(f"{key} must be two values >= 1, got {getattr(self, key)!r}")
        if self.nin_channels < 1 or not self.head_strides or min(self.head_strides) < 1:
            raise ModelError("nin_channels and every head stride must be >= 1 (and at least one stride)")
        if self.none_subclasses not in (1, NONE_SUBCLASSES):
            raise ModelError(f"none_subclasses must be 1 or {NONE_SUBCLASSES}, got {self.none_subclasses!r}")
        d, p = self.frame_shape
        if d < 4 or p < 1:
            raise ModelError(f"input_pool {self.input_pool} leaves a {d}×{p} frame; the encoder needs >= 4×1")

    @property
    def frame_shape(self) -> tuple[int, int]:
        """(Doppler bins, distance points) the first convolution sees, after ``input_pool``."""
        return self.doppler_bins // self.input_pool[0], self.points // self.input_pool[1]


def scale_widths(arch: ArchitectureConfig, keep: float) -> ArchitectureConfig:
    """``arch`` with ``keep`` × its channels in every layer that structured pruning narrows (the encoder's two
    convolutions, the embedding, the head's temporal convolutions), rounded, at least 2 each; 1×1
    network-in-network bottlenecks keep their width. Structured pruning to ``keep`` gives this architecture
    (:func:`models.compress.prune_channels`); the search samples it as a width multiplier."""
    if not 0.0 < keep <= 1.0:
        raise ModelError(f"width multiplier must be in (0, 1], got {keep}")

    def n_of(c: int) -> int:
        return max(2, min(c, round(c * keep)))

    return replace(
        arch,
        conv_channels=(n_of(arch.conv_channels[0]), n_of(arch.conv_channels[1])),
        embedding=n_of(arch.embedding),
        head_channels=n_of(arch.head_channels),
    )


def _layers() -> tuple[Any, Any]:
    """The custom layers, defined on first use so that importing this module does not import Keras."""
    global _FOLD, _UNFOLD
    if _FOLD is None:
        import keras

        @keras.saving.register_keras_serializable(package="radargest")
        class FoldTime(keras.layers.Layer):
            """``(batch, T, d, p)`` → ``(batch*T, d, p, 1)``: time folded into the batch axis."""

            def call(self, x: Any) -> Any:
                shape = keras.ops.shape(x)
                return keras.ops.reshape(x, (-1, shape[2], shape[3], 1))

            def compute_output_shape(self, input_shape: Any) -> Any:
                return (None, input_shape[2], input_shape[3], 1)

        @keras.saving.register_keras_serializable(package="radargest")
        class UnfoldTime(keras.layers.Layer):
            """``(batch*T, e)`` → ``(batch, T, e)``."""

            def __init__(self, frames: int, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.frames = int(frames)

            def call(self, x: Any) -> Any:
                return keras.ops.reshape(x, (-1, self.frames, keras.ops.shape(x)[-1]))

            def compute_output_shape(self, input_shape: Any) -> Any:
                return (None, self.frames, input_shape[-1])

            def get_config(self) -> dict[str, Any]:
                return {**super().get_config(), "frames": self.frames}

        _FOLD, _UNFOLD = FoldTime, UnfoldTime
    return _FOLD, _UNFOLD


_FOLD: Any = None
_UNFOLD: Any = None


def custom_objects() -> dict[str, Any]:
    """Custom layers needed by ``keras.models.load_model``."""
    fold, unfold = _layers()
    return {"FoldTime": fold, "UnfoldTime": unfold}


def _encoder(cfg: ArchitectureConfig) -> keras.Model:
    """Per-frame 2D CNN: ``(batch, d, p, 1)`` → ``(batch, embedding)``.

    Pooling halves the Doppler axis twice and the distance axis once; the flatten keeps *where* the
    energy is (the sign of the Doppler bin separates ``tap_in`` from ``tap_out``), which a global pool
    would lose.
    """
    import keras
    from keras import layers

    c1, c2 = cfg.conv_channels
    k = tuple(cfg.conv_kernel)
    inp = keras.Input((cfg.doppler_bins, cfg.points, 1), name="frame")
    x = inp
    if tuple(cfg.input_pool) != (1, 1):
        x = layers.MaxPooling2D(tuple(cfg.input_pool), name="enc_input_pool")(x)
    x = layers.Conv2D(c1, k, padding="same", activation="relu", name="enc_conv1")(x)
    x = layers.MaxPooling2D((2, 1), name="enc_pool1")(x)
    x = _block(x, cfg.encoder_block, c2, k, 1, cfg.nin_channels, "enc_conv2", layers.Conv2D, layers.SeparableConv2D)
    x = layers.MaxPooling2D((2, 2) if x.shape[2] >= 2 else (2, 1), name="enc_pool2")(x)
    x = layers.Flatten(name="enc_flat")(x)
    x = layers.Dense(cfg.embedding, activation="relu", name="enc_embed")(x)
    return keras.Model(inp, x, name="encoder")


def _block(
    x: Any, block: Block, channels: int, kernel: Any, stride: int, nin: int, name: str, conv: Any, sep: Any
) -> Any:
    """One convolution of the family (ReLU, ``same`` padding) built as ``block``; the k-wide layer keeps
    ``name`` so that ``full`` models keep their layer names (and their saved weights)."""
    if block == "separable":
        return sep(channels, kernel, strides=stride, padding="same", activation="relu", name=name)(x)
    if block == "nin":
        x = conv(nin, 1, padding="same", activation="relu", name=f"{name}_nin")(x)
    return conv(channels, kernel, strides=stride, padding="same", activation="relu", name=name)(x)


def _tcn_head(cfg: ArchitectureConfig) -> keras.Model:
    """Strided temporal convolutions over the embeddings, global average, dense softmax."""
    import keras
    from keras import layers

    inp = keras.Input((cfg.window_frames, cfg.embedding), name="embeddings")
    x = inp
    for i, stride in enumerate(cfg.head_strides):
        x = _block(
            x, cfg.head_block, cfg.head_channels, cfg.head_kernel, stride, cfg.nin_channels, f"tcn{i}",
            layers.Conv1D, layers.SeparableConv1D,
        )  # fmt: skip
    x = layers.GlobalAveragePooling1D(name="tcn_pool")(x)
    x = layers.Dropout(cfg.dropout, name="drop")(x)
    return keras.Model(inp, _classifier(x, cfg), name="head")


def _gru_head(cfg: ArchitectureConfig) -> keras.Model:
    """An unrolled GRU over the embeddings (comparison only, see the module docstring)."""
    import keras
    from keras import layers

    inp = keras.Input((cfg.window_frames, cfg.embedding), name="embeddings")
    x = layers.GRU(cfg.head_channels, unroll=True, name="gru")(inp)
    x = layers.Dropout(cfg.dropout, name="drop")(x)
    return keras.Model(inp, _classifier(x, cfg), name="head")


def none_merge_matrix(num_classes: int, none_subclasses: int) -> npt.NDArray[np.float32]:
    """``(num_classes + none_subclasses - 1, num_classes)``: split probabilities times it are the merged ones (every
    ``none`` target summed into class 0, the gestures kept), the fixed kernel of the ``merge_none`` layer."""
    import numpy as np

    merge = np.zeros((num_classes + none_subclasses - 1, num_classes), dtype=np.float32)
    merge[np.arange(num_classes), np.arange(num_classes)] = 1.0
    merge[num_classes:, 0] = 1.0
    return merge


def _classifier(x: Any, cfg: ArchitectureConfig) -> Any:
    """Logits and softmax; with a split ``none`` the split probabilities (layer ``split_probs``) are summed back
    into ``num_classes`` by a fixed, untrained dense layer (``merge_none``)."""
    import keras
    from keras import layers

    extra = cfg.none_subclasses - 1
    x = layers.Dense(cfg.num_classes + extra, name="logits")(x)
    if not extra:
        return layers.Softmax(name="probs")(x)
    x = layers.Softmax(name="split_probs")(x)
    init = keras.initializers.Constant(none_merge_matrix(cfg.num_classes, cfg.none_subclasses))
    return layers.Dense(cfg.num_classes, use_bias=False, kernel_initializer=init, trainable=False, name="merge_none")(x)


def none_subclass_of_kind(kind: Any) -> Any:
    """The ``none`` target of ``none`` windows by :class:`models.data.WindowSet` kind ``(N,)``: 0 quiet background
    (kind 2), 1 hard negative (kinds 0, 1, 3: an event labelled ``none``, a detector candidate, a labelled
    everyday motion), 2 gesture fragment, "not yet" (kind 4)."""
    import numpy as np

    k = np.asarray(kind)
    return np.where(k == 2, 0, np.where(k == 4, 2, 1)).astype(np.int64)


def split_targets(label: Any, kind: Any, cfg: ArchitectureConfig) -> Any:
    """Targets ``(N,)`` of the split head (:func:`split_model_of`) for class labels and window kinds ``(N,)``:
    a gesture keeps its index; ``none`` becomes 0 or ``num_classes + subclass - 1``."""
    import numpy as np

    y = np.asarray(label, dtype=np.int64)
    if cfg.none_subclasses == 1:
        return y
    sub = none_subclass_of_kind(kind)
    return np.where(y > 0, y, np.where(sub == 0, 0, cfg.num_classes + sub - 1)).astype(np.int64)


def split_model_of(model: keras.Model, cfg: ArchitectureConfig) -> keras.Model:
    """The model up to the split probabilities ``(batch, num_classes + none_subclasses - 1)``, sharing ``model``'s
    layers (training it trains ``model``); ``model`` itself when ``none`` is not split."""
    import keras

    if cfg.none_subclasses == 1:
        return model
    head = head_of(model)
    split_head = keras.Model(head.input, head.get_layer("split_probs").output, name="split_head")
    return _compose(cfg, encoder_of(model), split_head)  # the time folds hold no weights: new ones are the same


def _compose(cfg: ArchitectureConfig, encoder: keras.Model, head: keras.Model) -> keras.Model:
    import keras

    fold, unfold = _layers()
    inp = keras.Input((cfg.window_frames, cfg.doppler_bins, cfg.points), name="window")
    x = fold(name="fold_time")(inp)
    x = encoder(x)
    x = unfold(cfg.window_frames, name="unfold_time")(x)
    out = head(x)
    return keras.Model(inp, out, name=cfg.name)


def _build_cnn_tcn(cfg: ArchitectureConfig) -> keras.Model:
    return _compose(cfg, _encoder(cfg), _tcn_head(cfg))


def _build_cnn_gru(cfg: ArchitectureConfig) -> keras.Model:
    return _compose(cfg, _encoder(cfg), _gru_head(cfg))


#: Builder functions by name.
ARCHITECTURES: dict[str, Callable[[ArchitectureConfig], keras.Model]] = {
    "cnn_tcn": _build_cnn_tcn,
    "cnn_gru": _build_cnn_gru,
}


def build(cfg: ArchitectureConfig) -> keras.Model:
    """Build the model named ``cfg.name`` (weights initialised from Keras' global seed)."""
    return ARCHITECTURES[cfg.name](cfg)


def encoder_of(model: keras.Model) -> keras.Model:
    """The per-frame encoder sub-model of a composed model."""
    try:
        return model.get_layer("encoder")
    except ValueError:
        raise ModelError(f"model {model.name!r} has no 'encoder' sub-model") from None


def head_of(model: keras.Model) -> keras.Model:
    """The temporal head sub-model of a composed model."""
    try:
        return model.get_layer("head")
    except ValueError:
        raise ModelError(f"model {model.name!r} has no 'head' sub-model") from None


def _macs_of_layer(layer: Any) -> int:
    """Multiply-accumulates of one layer for one input sample (batch 1)."""
    import numpy as np

    kind = type(layer).__name__
    out_shape = layer.output.shape
    if kind in ("SeparableConv1D", "SeparableConv2D"):
        positions = int(np.prod([int(d) for d in out_shape[1:-1]]))
        return positions * (int(np.prod(layer.depthwise_kernel.shape)) + int(np.prod(layer.pointwise_kernel.shape)))
    if kind == "DepthwiseConv2D":
        return int(out_shape[1] * out_shape[2]) * int(np.prod(layer.kernel.shape))
    if kind == "Conv2D":
        k = int(np.prod(layer.kernel.shape))  # kh * kw * cin * cout
        return int(out_shape[1] * out_shape[2]) * k
    if kind == "Conv1D":
        return int(out_shape[1]) * int(np.prod(layer.kernel.shape))
    if kind == "Dense":
        return int(np.prod(layer.kernel.shape))
    if kind == "GRU":
        cell = layer.cell
        units = cell.units
        cin = int(layer.input.shape[-1])
        steps = int(layer.input.shape[1])
        return steps * 3 * units * (cin + units)
    return 0


def count_macs(model: keras.Model) -> dict[str, int]:
    """Multiply-accumulates per inference over the Keras layers (conv, separable conv, dense and GRU kernels
    only; pooling, activations and the int8 requantisation are not counted).

    Returns:
        ``{"encoder_per_frame", "head_per_hop", "window"}``: one encoder call, one head call, and a
        whole window through the composed model (``T`` encoder calls plus one head call).
    """
    enc = encoder_of(model)
    head = head_of(model)
    per_frame = sum(_macs_of_layer(layer) for layer in enc.layers)
    per_hop = sum(_macs_of_layer(layer) for layer in head.layers)
    frames = int(model.input.shape[1])
    return {"encoder_per_frame": per_frame, "head_per_hop": per_hop, "window": frames * per_frame + per_hop}
