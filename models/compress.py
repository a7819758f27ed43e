"""Compression in the training recipe: structured magnitude pruning, knowledge distillation, and
quantisation-aware training (DESIGN §7).

- **Structured pruning** (:func:`prune_channels`). Unstructured magnitude pruning (zeroing small weights)
  saves nothing in a TFLite flatbuffer, which stores every weight densely (measured in
  :func:`zeroed_flash`). So whole channels are removed: in every prunable layer (the encoder's
  convolutions and embedding, each temporal convolution of the head) the output channels with the smallest
  L1 weight norm go, their inputs in the next layer go with them, and the result is a smaller member of the
  same family (:class:`~models.architectures.ArchitectureConfig` with fewer channels) that converts, exports
  and compiles like any other; training then fine-tunes it. Network-in-network 1×1 layers keep their width.
- **Knowledge distillation** (:func:`distillation_loss`). The student learns from ``alpha`` × the
  cross-entropy with the labels plus ``(1 - alpha)`` × ``T²`` × the KL divergence from the teacher's
  temperature-softened probabilities (Hinton et al.). The models end in a softmax, so a distribution is
  softened as ``p^(1/T)`` renormalised, which equals ``softmax(logits / T)``.
- **Quantisation-aware training** (:func:`qat_convert`, the optional ``qat`` extra: ``tf_keras`` and
  ``tensorflow-model-optimization``). The trained encoder and head are rebuilt in ``tf_keras`` with the same
  weights, wrapped by ``tfmot.quantization.keras.quantize_model`` (each on its own, as TFLite converts
  them), fine-tuned together on the training windows with fake quantisation in the loop, and converted to
  full-integer int8.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from models.architectures import (
    ArchitectureConfig,
    ModelError,
    build,
    encoder_of,
    head_of,
    none_merge_matrix,
    scale_widths,
)

if TYPE_CHECKING:
    import keras

__all__ = [
    "CompressionConfig",
    "distillation_loss",
    "packed_accuracy",
    "prune_channels",
    "qat_available",
    "qat_convert",
    "zeroed_flash",
]


@dataclass(frozen=True, kw_only=True)
class CompressionConfig:
    """Compression options of a training run (all off by default).

    Fields:
        prune_keep: structured pruning keeps this share of the channels of every prunable layer, then
            fine-tunes; 1 turns pruning off [0..1].
        prune_finetune_epochs: fine-tuning epochs after pruning [count].
        distill_from: run directory of the teacher (same classes and window length); "" turns distillation
            off.
        distill_alpha: weight of the label cross-entropy against the teacher term [0..1].
        distill_temperature: softening temperature of both distributions [1].
        qat_epochs: quantisation-aware fine-tuning epochs after float training (needs the ``qat`` extra);
            0 turns QAT off [count].
    """

    prune_keep: float = 1.0
    prune_finetune_epochs: int = 10
    distill_from: str = ""
    distill_alpha: float = 0.5
    distill_temperature: float = 3.0
    qat_epochs: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.prune_keep <= 1.0:
            raise ModelError(f"prune_keep must be in (0, 1], got {self.prune_keep}")
        if not 0.0 <= self.distill_alpha <= 1.0:
            raise ModelError(f"distill_alpha must be in [0, 1], got {self.distill_alpha}")
        if not (math.isfinite(self.distill_temperature) and self.distill_temperature >= 1.0):
            raise ModelError(f"distill_temperature must be >= 1, got {self.distill_temperature}")
        if self.prune_finetune_epochs < 0 or self.qat_epochs < 0:
            raise ModelError("prune_finetune_epochs and qat_epochs must be >= 0")

    @property
    def prune(self) -> bool:
        return self.prune_keep < 1.0


# -- structured pruning -------------------------------------------------------------------------------------
def _out_kernel(layer: Any) -> npt.NDArray[np.float32]:
    """The weight whose last axis is the layer's output channels (pointwise for separable layers)."""
    w = layer.get_weights()
    return np.asarray(w[1] if "Separable" in type(layer).__name__ else w[0])


def _slice_in(layer: Any, weights: list[Any], idx: npt.NDArray[np.int64], groups: int = 1) -> list[Any]:
    """Keep input channels ``idx`` (of ``groups`` repeated blocks, for a flatten before a dense layer)."""
    if "Separable" in type(layer).__name__:
        dw, pw, *rest = weights
        return [dw[..., idx, :], pw[..., idx, :], *rest]
    k, *rest = weights
    if groups > 1:  # Dense after Flatten: rows are (position, channel)
        cin = k.shape[0] // groups
        k = k.reshape(groups, cin, k.shape[1])[:, idx, :].reshape(groups * len(idx), k.shape[1])
        return [k, *rest]
    return [k[..., idx, :] if k.ndim > 2 else k[idx, :], *rest]


def _slice_out(layer: Any, weights: list[Any], idx: npt.NDArray[np.int64]) -> list[Any]:
    if "Separable" in type(layer).__name__:
        dw, pw, b = weights
        return [dw, pw[..., idx], b[idx]]
    k, b = weights
    return [k[..., idx], b[idx]]


def _chain(arch: ArchitectureConfig) -> list[tuple[str, str, bool]]:
    """(sub-model, layer, pruned) from the first convolution to the classifier, in data order."""
    out: list[tuple[str, str, bool]] = [("encoder", "enc_conv1", True)]
    if arch.encoder_block == "nin":
        out.append(("encoder", "enc_conv2_nin", False))
    out += [("encoder", "enc_conv2", True), ("encoder", "enc_embed", True)]
    for i in range(len(arch.head_strides)):
        if arch.head_block == "nin":
            out.append(("head", f"tcn{i}_nin", False))
        out.append(("head", f"tcn{i}", True))
    out.append(("head", "logits", False))
    return out


def prune_channels(model: keras.Model, arch: ArchitectureConfig, *, keep: float) -> tuple[ArchitectureConfig, Any]:
    """Remove the lowest-L1 output channels of every prunable layer (module docstring).

    Returns:
        The smaller architecture and a new model of it holding the surviving weights (not yet fine-tuned).

    Raises:
        ModelError: an architecture other than ``cnn_tcn``.
    """
    if arch.name != "cnn_tcn":
        raise ModelError(f"structured pruning supports cnn_tcn, not {arch.name}")

    small = scale_widths(arch, keep)
    width = {
        "enc_conv1": small.conv_channels[0],
        "enc_conv2": small.conv_channels[1],
        "enc_embed": small.embedding,
    } | {f"tcn{i}": small.head_channels for i in range(len(arch.head_strides))}
    new = build(small)
    subs_old = {"encoder": encoder_of(model), "head": head_of(model)}
    subs_new = {"encoder": encoder_of(new), "head": head_of(new)}
    prev: npt.NDArray[np.int64] | None = None
    for sub, name, pruned in _chain(arch):
        layer = subs_old[sub].get_layer(name)
        weights = [np.asarray(w) for w in layer.get_weights()]
        if prev is not None:
            groups = weights[0].shape[0] // arch.conv_channels[1] if name == "enc_embed" else 1
            weights = _slice_in(layer, weights, prev, groups)
        if pruned:
            norms = np.abs(_out_kernel(layer)).reshape(-1, _out_kernel(layer).shape[-1]).sum(axis=0)
            idx = np.sort(np.argsort(-norms, kind="stable")[: width[name]])
            weights = _slice_out(layer, weights, idx)
            prev = idx
        else:
            prev = None
        subs_new[sub].get_layer(name).set_weights(weights)
    return small, new


def zeroed_flash(
    model: keras.Model, arch: ArchitectureConfig, windows: npt.NDArray[np.float32], *, sparsity: float
) -> dict[str, int]:
    """int8 flash of ``model`` before and after zeroing the ``sparsity`` share of smallest-magnitude weights
    of every kernel (unstructured pruning): the converter stores zeros like any other weight."""
    from models.quantize import _kernel_layers, int8_footprint

    before = int8_footprint(model, windows)["flash_bytes"]
    clone = build(arch)
    clone.set_weights(model.get_weights())
    for layer in _kernel_layers(clone):
        w = layer.get_weights()
        k = w[0]
        cut = np.quantile(np.abs(k), sparsity)
        layer.set_weights([np.where(np.abs(k) <= cut, 0.0, k).astype(k.dtype), *w[1:]])
    return {"flash_bytes": before, "zeroed_flash_bytes": int8_footprint(clone, windows)["flash_bytes"]}


# -- distillation -------------------------------------------------------------------------------------------
def _soften(p: Any, temperature: float) -> Any:
    import keras

    ops = keras.ops
    logp = ops.log(ops.clip(p, 1e-7, 1.0)) / temperature
    return ops.softmax(logp, axis=-1)


def distillation_loss(
    classes: int, *, alpha: float, temperature: float, none_subclasses: int = 1
) -> Callable[[Any, Any], Any]:
    """A Keras loss on packed targets ``[one-hot labels | teacher probabilities]``.

    The labels are over the student's outputs, ``classes + none_subclasses - 1`` of them: with a split ``none``
    (:func:`models.architectures.split_model_of`) the student's split probabilities learn the split targets, as
    they do without a teacher, and their ``none`` targets are summed back into one (the ``merge_none`` layer's
    sum) before they are compared with the teacher's ``classes`` merged probabilities.

    A row whose teacher half is all zeros has no teacher and learns its label alone, at full weight (learning
    without forgetting's new windows): a softened one-hot as their teacher would be a target no finite logits
    reach, under the distillation term's ``temperature**2`` weight.
    """
    import keras

    ops = keras.ops
    width = classes + none_subclasses - 1
    merge = none_merge_matrix(classes, none_subclasses) if none_subclasses > 1 else None

    def loss(y_true: Any, y_pred: Any) -> Any:
        hard, teacher = y_true[:, :width], y_true[:, width:]
        ce = -ops.sum(hard * ops.log(ops.clip(y_pred, 1e-7, 1.0)), axis=-1)
        if merge is not None:  # the merge_none layer's sum
            y_pred = ops.matmul(y_pred, merge)
        pt, ps = _soften(teacher, temperature), _soften(y_pred, temperature)
        kl = ops.sum(pt * (ops.log(ops.clip(pt, 1e-7, 1.0)) - ops.log(ops.clip(ps, 1e-7, 1.0))), axis=-1)
        taught = ops.cast(ops.sum(teacher, axis=-1) > 0.5, ce.dtype)
        weight = 1.0 - (1.0 - alpha) * taught  # the labels' weight: 1 in a row without a teacher
        return weight * ce + (1.0 - weight) * temperature**2 * kl

    return loss


def packed_accuracy(classes: int) -> Callable[[Any, Any], Any]:
    """Top-1 accuracy against the one-hot half of packed distillation targets (a Keras metric)."""
    import keras

    ops = keras.ops

    def accuracy(y_true: Any, y_pred: Any) -> Any:
        return ops.cast(ops.argmax(y_true[:, :classes], axis=-1) == ops.argmax(y_pred, axis=-1), "float32")

    return accuracy


# -- quantisation-aware training ----------------------------------------------------------------------------
def qat_available() -> str:
    """ "" when the ``qat`` extra imports, else the one-line reason."""
    try:
        import tensorflow_model_optimization  # noqa: F401
        import tf_keras  # noqa: F401
    except ImportError as exc:
        return (
            f"the qat extra is not installed ({exc}); install it with: pip install 'radargest[qat]' && "
            "pip install --no-deps 'tf_keras==2.21.*' (tf_keras declares the full tensorflow wheel)"
        )
    return ""


def _tf_keras_twin(sub: Any) -> Any:
    """The same functional sub-model rebuilt in tf_keras with the same weights, for tfmot.

    tfmot has no quantised Conv1D, so a head ``(T, E)`` runs as a 2D model of height 1 (a reshape, then
    ``(1, k)`` convolutions and a 2D global average), which is also what the TFLite converter makes of a
    Conv1D (``CONV_2D`` between ``EXPAND_DIMS`` and ``SQUEEZE``).
    """
    import tf_keras

    layers = tf_keras.layers
    shape = tuple(int(d) for d in sub.input.shape[1:])
    x = inp = tf_keras.Input(shape, name=sub.layers[0].name)
    flat = len(shape) == 2
    if flat:
        x = layers.Reshape((1, *shape), name="as_2d")(x)
    for layer in sub.layers[1:]:
        kind = type(layer).__name__
        c = layer.get_config()
        w = [np.asarray(v) for v in layer.get_weights()]
        common = {"padding": c.get("padding"), "activation": c.get("activation"), "name": c["name"]}
        if kind == "Conv2D":
            twin = layers.Conv2D(c["filters"], c["kernel_size"], strides=c["strides"], **common)
        elif kind == "Conv1D" and flat:
            twin = layers.Conv2D(c["filters"], (1, c["kernel_size"][0]), strides=(1, c["strides"][0]), **common)
            w = [w[0][None], *w[1:]]
        elif kind == "SeparableConv2D":
            twin = layers.SeparableConv2D(c["filters"], c["kernel_size"], strides=c["strides"], **common)
        elif kind == "SeparableConv1D" and flat:
            k, st = c["kernel_size"][0], c["strides"][0]
            twin = layers.SeparableConv2D(c["filters"], (1, k), strides=(1, st), **common)
            w = [w[0][None], w[1][None], *w[2:]]
        elif kind == "MaxPooling2D":
            twin = layers.MaxPooling2D(c["pool_size"], strides=c["strides"], padding=c["padding"], name=c["name"])
        elif kind == "Flatten":
            twin = layers.Flatten(name=c["name"])
        elif kind == "Dense":
            twin = layers.Dense(c["units"], activation=c["activation"], name=c["name"])
        elif kind == "GlobalAveragePooling1D" and flat:
            twin = layers.GlobalAveragePooling2D(name=c["name"])
        elif kind == "Dropout":
            twin = layers.Dropout(c["rate"], name=c["name"])
        elif kind == "Softmax":
            twin = layers.Softmax(name=c["name"])
        else:
            raise ModelError(f"QAT: layer {layer.name} ({kind}) has no tf_keras twin here")
        x = twin(x)
        if w:
            twin.set_weights(w)
    return tf_keras.Model(inp, x, name=sub.name)


def qat_convert(
    model: keras.Model,
    x: npt.NDArray[np.float32],
    y: npt.NDArray[np.int64],
    *,
    epochs: int,
    learning_rate: float,
    seed: int = 0,
) -> tuple[bytes, bytes]:
    """Quantisation-aware fine-tuning of a trained composed model; the int8 encoder and head flatbuffers.

    Args:
        x, y: training windows ``(N, T, d, p)`` and labels (class-balanced, as the recipe draws them).

    Raises:
        models.architectures.ModelError: the ``qat`` extra is missing (the message says how to install it).
    """
    why = qat_available()
    if why:
        raise ModelError(why)
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot
    import tf_keras

    from models.quantize import strip_names

    tf_keras.utils.set_random_seed(seed)
    t, d, p = (int(v) for v in model.input.shape[1:])
    enc_q = tfmot.quantization.keras.quantize_model(_tf_keras_twin(encoder_of(model)))
    head_q = tfmot.quantization.keras.quantize_model(_tf_keras_twin(head_of(model)))
    inp = tf_keras.Input((t, d, p))
    # fold time into the batch: (B, T, d, p) -> (B*T, d, p, 1); tf ops are fine outside the quantised models
    frames = tf_keras.layers.Lambda(lambda z: tf.reshape(z, (-1, d, p, 1)))(inp)
    emb = enc_q(frames)
    out = head_q(tf_keras.layers.Lambda(lambda z: tf.reshape(z, (-1, t, z.shape[-1])))(emb))
    composed = tf_keras.Model(inp, out)
    composed.compile(
        optimizer=tf_keras.optimizers.Adam(learning_rate),
        loss=tf_keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    composed.fit(x, y, batch_size=32, epochs=epochs, shuffle=True, verbose=0)

    def to_int8(sub: Any, rep: npt.NDArray[np.float32]) -> bytes:
        conv = tf.lite.TFLiteConverter.from_keras_model(sub)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([rep[i : i + 1]] for i in range(min(len(rep), 300)))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        return strip_names(bytes(conv.convert()))  # as every int8 conversion (models.quantize.convert)

    rng = np.random.default_rng(seed)
    fr = x.reshape(-1, d, p, 1)[rng.permutation(len(x) * t)[:400]]
    emb_rep = np.asarray(enc_q.predict(x.reshape(-1, d, p, 1), verbose=0, batch_size=1024)).reshape(len(x), t, -1)
    return to_int8(enc_q, fr), to_int8(head_q, emb_rep.astype(np.float32))
