"""Post-training quantisation to full-integer int8 TFLite, and a bit-width exploration (DESIGN §7).

Conversion goes through a SavedModel with a batch-1 signature: ``model.export(dir,
format="tf_saved_model", input_signature=[batch 1])`` then ``tf.lite.TFLiteConverter.from_saved_model``,
with a representative dataset of training windows (never held-out ones); the flatbuffer's strings (tensor
names, signature keys) are then stripped (:func:`strip_names`; same outputs, ~1.3 KB smaller). Candidates:

- ``float32``: no optimisation;
- ``int8_per_channel``: int8 weights (one scale per output channel) and activations, int8 I/O (the
  deployable default);
- ``int8_per_tensor``: the same with one scale per weight tensor;
- ``int16x8``: int16 activations, int8 weights, int16 I/O, when the converter allows it.

Each row gives the flatbuffer size, held-out window accuracy and continuous event accuracy, top-1
agreement with the float Keras model, max |Δp| against it, and LiteRT latency on one thread (a run with
split ``none`` holds nothing out: it is scored on every recording and the report says so). Integer candidates
run on LiteRT's builtin kernels, as the device does (:class:`TfliteModel`).

The compression table scores the bundle's form (encoder and head flatbuffers, run frame by frame as the
bundle does, :class:`SplitInt8`) on the same held-out side: post-training int8 (strings stripped, as every
conversion here), the same flatbuffers with their strings kept, the structured pruning and distillation the
run applied (``train --prune-channels``, ``--distill-from``; figures from ``metrics.json``), and the
quantisation-aware-trained flatbuffers when the run has them (``train --qat-epochs``, the ``qat`` extra;
:mod:`models.compress`).

Below 8 bits, weights (conv and dense kernels; biases stay float) are fake-quantised at 8/6/5/4 bits under
three schemes and the float model is re-scored: ``symmetric`` (per output channel, zero at 0),
``asymmetric`` (per output channel min/max) and ``power_of_two`` (sign × 2^k with ``2^(bits-1) - 1`` exponents
below the channel maximum, smaller magnitudes flushed to zero). Neither LiteRT nor TFLite Micro runs 4-bit or
power-of-two weights in these kernels, so those rows are simulations: float activations, weights on the grid.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from models.architectures import count_macs, encoder_of, head_of
from models.config import TrainConfig, load_run, run_data_paths, training_side_files
from models.data import (
    DataError,
    Recording,
    balanced_sample,
    cut_windows,
    load_recordings,
    materialise,
    scored_indices,
    split_recordings,
)
from models.evaluate import Predictor, evaluate_recordings, keras_predictor

if TYPE_CHECKING:
    import keras

__all__ = [
    "BIT_WIDTHS",
    "CANDIDATES",
    "C_BUILD_OPS",
    "SCHEMES",
    "QuantizeConfig",
    "SplitInt8",
    "TfliteModel",
    "compact_for_micro",
    "convert",
    "fake_quantize",
    "flatbuffer_ops",
    "int8_footprint",
    "quantize_run",
    "strip_names",
    "tflite_predictor",
]

Candidate = Literal["float32", "int8_per_channel", "int8_per_tensor", "int16x8"]
Scheme = Literal["symmetric", "asymmetric", "power_of_two"]
CANDIDATES: tuple[Candidate, ...] = ("float32", "int8_per_channel", "int8_per_tensor", "int16x8")
SCHEMES: tuple[Scheme, ...] = ("symmetric", "asymmetric", "power_of_two")
BIT_WIDTHS = (8, 6, 5, 4)

#: int8 operators the ahead-of-time C build (``deploy.aot``) and the bundle's TFLM example register.
C_BUILD_OPS = frozenset(
    {"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED", "MEAN", "SOFTMAX", "RESHAPE", "SQUEEZE", "EXPAND_DIMS"}
)


@dataclass(frozen=True, kw_only=True)
class QuantizeConfig:
    """Quantisation report settings.

    Fields:
        representative_windows: training windows fed to the converter's calibration [count].
        latency_runs: timed single-window invocations per candidate [count].
        bit_widths: weight bit widths of the exploration.
        seed: seeds the choice of representative windows.
    """

    representative_windows: int = 300
    latency_runs: int = 200
    bit_widths: tuple[int, ...] = BIT_WIDTHS
    seed: int = 0

    def __post_init__(self) -> None:
        if self.representative_windows < 1 or self.latency_runs < 1:
            raise DataError("representative_windows and latency_runs must be >= 1")
        if any(not 2 <= b <= 16 for b in self.bit_widths):
            raise DataError(f"bit widths must be in 2..16, got {self.bit_widths}")


def _quiet_tf() -> Any:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def convert(
    model: keras.Model,
    candidate: Candidate,
    representative: npt.NDArray[np.float32] | None = None,
    *,
    keep_names: bool = False,
) -> bytes:
    """Convert ``model`` (any Keras model with one fixed-shape input; the encoder alone works too) to a
    TFLite flatbuffer with batch 1, its strings stripped (:func:`strip_names`) unless ``keep_names``.

    Every caller (export, the quantisation report, the search's budget check) gets the stripped form: the
    interpreters address tensors by index, the outputs are bit-identical, and the tensor names and signature
    keys cost about 1.3 KB per flatbuffer.

    Args:
        candidate: one of :data:`CANDIDATES`.
        representative: ``(N, *input_shape)`` calibration inputs from training data; required for the
            integer candidates.
        keep_names: return the converter's flatbuffer as it is (names, signature keys, descriptions).

    Raises:
        DataError: an integer candidate without representative data.
        RuntimeError: the converter refused the candidate (the message says why).
    """
    import keras

    tf = _quiet_tf()
    shape = (1, *tuple(int(d) for d in model.input.shape[1:]))
    with tempfile.TemporaryDirectory(prefix="radargest-export-") as tmp:
        model.export(
            tmp, format="tf_saved_model", input_signature=[keras.InputSpec(shape=shape, dtype="float32")], verbose=False
        )
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if candidate != "float32":
            if representative is None or len(representative) == 0:
                raise DataError(f"{candidate}: representative data is required")
            rep = np.asarray(representative, dtype=np.float32)

            def gen() -> Iterable[list[npt.NDArray[np.float32]]]:
                for row in rep:
                    yield [row[None]]

            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = gen
            if candidate == "int16x8":
                conv.target_spec.supported_ops = [
                    tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
                ]
                conv.inference_input_type = tf.int16
                conv.inference_output_type = tf.int16
            else:
                conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                conv.inference_input_type = tf.int8
                conv.inference_output_type = tf.int8
                if candidate == "int8_per_tensor":
                    conv._experimental_disable_per_channel = True  # no public switch exists
        try:
            fb = bytes(conv.convert())
        except Exception as exc:  # the converter raises ConverterError and others
            text = str(exc).strip().splitlines()
            raise RuntimeError(f"{candidate}: converter refused ({text[0] if text else type(exc).__name__})") from None
    return fb if keep_names else strip_names(fb)


def has_integer_tensors(flatbuffer: bytes) -> bool:
    """Whether any tensor of the flatbuffer is int8, uint8 or int16, the mark of a quantised graph (int32 alone
    also holds a float graph's shapes and indices). Read from the TFLite schema; no interpreter is built. Not a
    TFLite flatbuffer: False (the interpreter then refuses it with its own message)."""
    from ai_edge_litert import schema_py_generated as schema

    if not schema.Model.ModelBufferHasIdentifier(flatbuffer, 0):
        return False
    codes = {schema.TensorType.INT8, schema.TensorType.UINT8, schema.TensorType.INT16}
    model = schema.Model.GetRootAs(flatbuffer, 0)
    for g in range(model.SubgraphsLength()):
        sg = model.Subgraphs(g)
        if any(sg.Tensors(i).Type() in codes for i in range(sg.TensorsLength())):
            return True
    return False


class TfliteModel:
    """A flatbuffer in the LiteRT interpreter (one thread), taking float windows and returning float
    probabilities whatever the I/O type.

    Integer I/O follows the TFLite affine scheme ``real = scale × (q − zero_point)``. The scale and zero
    point are read from the interpreter's tensor details (never hard-coded: they depend on the
    calibration), inputs are quantised as ``q = round(x / scale) + zero_point`` clipped to the type's
    range, and outputs dequantised with the output tensor's own pair.

    A graph with integer tensors (int8, int16) runs on LiteRT's builtin kernels, as the device does
    (:class:`deploy.runtime.Int8Model`): the default XNNPACK delegate rounds int8 differently (up to 16 LSB on
    the head's softmax), so a report scored with it would not be the device's. An all-float graph keeps the
    delegate.
    """

    def __init__(self, flatbuffer: bytes) -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        self.flatbuffer = flatbuffer
        integer = has_integer_tensors(flatbuffer)
        resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES if integer else OpResolverType.AUTO
        self.interpreter = Interpreter(model_content=flatbuffer, num_threads=1, experimental_op_resolver_type=resolver)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    @property
    def io_types(self) -> tuple[str, str]:
        return np.dtype(self.input["dtype"]).name, np.dtype(self.output["dtype"]).name

    def _quantise(self, x: npt.NDArray[np.float32]) -> npt.NDArray[Any]:
        dtype = np.dtype(self.input["dtype"])
        if dtype.kind == "f":
            return x.astype(dtype)
        scale, zero = self.input["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)

    def _dequantise(self, q: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        if np.dtype(self.output["dtype"]).kind == "f":
            return q.astype(np.float32)
        scale, zero = self.output["quantization"]
        return ((q.astype(np.float32) - zero) * scale).astype(np.float32)

    def __call__(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """``(N, *input)`` float → ``(N, classes)`` float, one invocation per window."""
        out = np.empty((len(x), int(self.output["shape"][-1])), dtype=np.float32)
        for i in range(len(x)):
            self.interpreter.set_tensor(self.input["index"], self._quantise(x[i : i + 1]))
            self.interpreter.invoke()
            out[i] = self._dequantise(self.interpreter.get_tensor(self.output["index"]))[0]
        return out

    def latency_ms(self, x: npt.NDArray[np.float32], runs: int) -> float:
        """Median wall time of one invocation on one thread [ms] (input already set, so the model only)."""
        self.interpreter.set_tensor(self.input["index"], self._quantise(x[:1]))
        self.interpreter.invoke()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            self.interpreter.invoke()
            times.append(time.perf_counter() - t0)
        return float(np.median(times) * 1000.0)


def flatbuffer_ops(flatbuffer: bytes) -> list[str]:
    """The operator names of a flatbuffer (sorted, unique)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=flatbuffer)
    return sorted({str(op["op_name"]) for op in interp._get_ops_details()})


def int8_footprint(
    model: keras.Model,
    windows: npt.NDArray[np.float32] | None = None,
    *,
    seed: int = 0,
    flatbuffers: bool = False,
    keep_names: bool = False,
) -> dict[str, Any]:
    """int8 flash, operators and MACs of a composed model, from the real converter.

    The encoder and the head are converted separately to full-integer int8 (per-channel), names stripped
    unless ``keep_names``, as the bundle exports them. Two sizes: ``flash_bytes`` (``encoder_bytes`` +
    ``head_bytes``) is the converter's form, the ``.tflite`` files LiteRT loads; ``mcu_flash_bytes``
    (``encoder_mcu_bytes`` + ``head_mcu_bytes``) is what goes to flash on the MCU (:func:`compact_for_micro`,
    the arrays of the bundle's ``model_data.c``). ``windows`` ``(N, T, d, p)`` calibrate the conversion;
    ``None`` (an untrained candidate) uses random inputs, which give the same converter's form size since every
    tensor's shape is fixed; the MCU form can differ by a few bytes, because which arrays are equal (stored
    once) depends on the weights and the calibration.
    ``flatbuffers`` adds the two flatbuffers (``encoder_flatbuffer``, ``head_flatbuffer``).
    """
    enc_fb, head_fb = _int8_parts(model, windows, seed=seed, keep_names=keep_names)
    return _footprint(model, enc_fb, head_fb, flatbuffers=flatbuffers)


def _int8_parts(
    model: keras.Model, windows: npt.NDArray[np.float32] | None, *, seed: int, keep_names: bool
) -> tuple[bytes, bytes]:
    """The encoder's and the head's int8 flatbuffers, as :func:`int8_footprint` measures them."""
    enc, head = encoder_of(model), head_of(model)
    t, d, p = (int(v) for v in model.input.shape[1:])
    rng = np.random.default_rng(seed)
    if windows is None:
        windows = rng.standard_normal((8, t, d, p)).astype(np.float32)
    frames = windows.reshape(-1, d, p, 1)
    frames = frames[rng.permutation(len(frames))[:400]]
    emb = np.asarray(enc.predict(windows.reshape(-1, d, p, 1), verbose=0, batch_size=1024), dtype=np.float32)
    emb = emb.reshape(len(windows), t, -1)
    enc_fb = convert(enc, "int8_per_channel", frames, keep_names=keep_names)
    return enc_fb, convert(head, "int8_per_channel", emb, keep_names=keep_names)


def _footprint(model: keras.Model, enc_fb: bytes, head_fb: bytes, *, flatbuffers: bool) -> dict[str, Any]:
    """:func:`int8_footprint`'s figures of ``model``'s encoder and head flatbuffers."""
    macs = count_macs(model)
    ops = sorted(set(flatbuffer_ops(enc_fb)) | set(flatbuffer_ops(head_fb)))
    enc_mcu, head_mcu = len(compact_for_micro(enc_fb)), len(compact_for_micro(head_fb))
    out: dict[str, Any] = {
        "flash_bytes": len(enc_fb) + len(head_fb),
        "encoder_bytes": len(enc_fb),
        "head_bytes": len(head_fb),
        "mcu_flash_bytes": enc_mcu + head_mcu,
        "encoder_mcu_bytes": enc_mcu,
        "head_mcu_bytes": head_mcu,
        "macs_per_frame": int(macs["encoder_per_frame"]),
        "macs_per_hop": int(macs["head_per_hop"]),
        "param_count": int(model.count_params()),
        "ops": ops,
        "c_build": set(ops) <= C_BUILD_OPS,
    }
    if flatbuffers:
        out |= {"encoder_flatbuffer": enc_fb, "head_flatbuffer": head_fb}
    return out


class SplitInt8:
    """A :data:`models.evaluate.Predictor` running the encoder flatbuffer on every frame of a window and the
    head flatbuffer on the embeddings, as the bundle and the C build do (the encoder's dequantised output
    is requantised with the head's input scale and zero point)."""

    def __init__(self, encoder: bytes, head: bytes) -> None:
        self.encoder = TfliteModel(encoder)
        self.head = TfliteModel(head)

    def __call__(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        n, t, d, p = x.shape
        emb = self.encoder(x.reshape(n * t, d, p, 1))
        return self.head(emb.reshape(n, t, -1))


def strip_names(flatbuffer: bytes) -> bytes:
    """The flatbuffer without its strings (tensor names, signature keys, descriptions), with TensorFlow's own
    ``flatbuffer_utils.strip_strings``: the interpreter runs it unchanged (inputs and outputs by index)."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    flatbuffer_utils.strip_strings(model)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


#: Metadata entries TFLite Micro never reads (the converter's bookkeeping); any other entry (e.g. TFLM's own
#: ``OfflineMemoryAllocation``) is kept.
MICRO_DROPPED_METADATA = frozenset({"min_runtime_version", "CONVERSION_METADATA"})


def compact_for_micro(flatbuffer: bytes) -> bytes:
    """The flatbuffer as it goes to flash on the MCU: the same graph, weights and quantisation for TFLite Micro,
    fewer bytes. LiteRT cannot load the result; the bundle's ``.tflite`` files stay as the converter wrote them.

    Four rewrites, each lossless for TFLM (its outputs are bit-identical, checked in the tests):

    - a per-channel ``zero_point`` vector that is all zeros (int8 weights and int32 biases, one zero per
      channel) becomes the single value ``[0]``. TFLM's allocator expands a zero-point vector shorter than the
      scale vector to one value per channel (``tflite-micro``, ``tensorflow/lite/micro/micro_allocator.cc``:
      "zero point arrays for weights can be reduced to a single value"). A vector holding any non-zero value
      is left untouched. LiteRT refuses this form ("QuantizationParam has 1 zero_point values and N scale
      values. Must have same number"): its checks want one zero point per scale.
    - the converter's metadata (:data:`MICRO_DROPPED_METADATA`), their buffers and the model description go;
      TFLM never reads them.
    - tensors without constant data (activations, inputs, outputs) all point at the empty buffer 0 and the
      other empty buffers go (the indices of the rest are remapped): TFLM takes a tensor whose buffer holds
      no data as one to allocate in the arena, whichever empty buffer it names.
    - equal arrays are stored once (:func:`_sharing_builder_class`): every tensor whose shape, scales or zero points
      equal an earlier one's points at the same vector. A FlatBuffer may reference one object from several
      places (FlatBuffers' own shared strings do this), readers only follow offsets, and TFLM never writes to
      the model.

    Bias quantisation is kept even where the kernels do not read it. Parsed and rebuilt with the TFLite schema
    module that ships with LiteRT (no TensorFlow).

    Raises:
        ValueError: not a TFLite flatbuffer, or one whose buffers live outside it (``offset``/``size``).
    """
    from ai_edge_litert import schema_py_generated as schema

    if not schema.Model.ModelBufferHasIdentifier(flatbuffer, 0):
        raise ValueError("not a TFLite flatbuffer (no TFL3 identifier)")
    model = schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)
    buffers = list(model.buffers or [])
    if any(b.offset > 1 or b.size > 0 for b in buffers):
        raise ValueError("buffers stored outside the flatbuffer (offset/size) are not supported")
    subgraphs = list(model.subgraphs or [])
    for sg in subgraphs:
        for tensor in sg.tensors or []:
            q = tensor.quantization
            zp = None if q is None else q.zeroPoint
            if zp is not None and len(zp) > 1 and not np.any(np.asarray(zp)):
                q.zeroPoint = np.zeros(1, dtype=np.int64)
    metadata = [m for m in model.metadata or [] if _text(m.name) not in MICRO_DROPPED_METADATA]
    model.metadata = metadata or None
    model.description = None

    def has_data(i: int) -> bool:
        return 0 <= i < len(buffers) and buffers[i].data is not None and len(buffers[i].data) > 0

    used = {t.buffer for sg in subgraphs for t in sg.tensors or [] if has_data(t.buffer)} | {m.buffer for m in metadata}
    keep = [0, *sorted(used - {0})]
    new_index = {old: new for new, old in enumerate(keep)}
    for sg in subgraphs:
        for tensor in sg.tensors or []:
            tensor.buffer = new_index.get(tensor.buffer, 0) if has_data(tensor.buffer) else 0
    for m in metadata:
        m.buffer = new_index[m.buffer]
    model.buffers = [buffers[i] for i in keep] if buffers else buffers
    builder = _sharing_builder_class()(len(flatbuffer))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _sharing_builder_class() -> type:
    import flatbuffers

    class SharingBuilder(flatbuffers.Builder):
        """A ``flatbuffers.Builder`` that writes each distinct numpy vector once and returns the same offset for
        every later equal one (same dtype, shape and bytes): the schema's object API packs every numeric array
        (shapes, scales, zero points, buffer data) through :meth:`CreateNumpyVector`."""

        def __init__(self, initial_size: int) -> None:
            super().__init__(initial_size)
            self._vectors: dict[tuple[str, tuple[int, ...], bytes], int] = {}

        def CreateNumpyVector(self, x: npt.NDArray[Any]) -> int:  # the flatbuffers API's name
            key = (x.dtype.str, tuple(x.shape), x.tobytes())
            if key not in self._vectors:
                self._vectors[key] = super().CreateNumpyVector(x)
            return self._vectors[key]

    return SharingBuilder


def _text(s: bytes | str | None) -> str:
    return s.decode() if isinstance(s, bytes) else (s or "")


def tflite_predictor(flatbuffer: bytes) -> Predictor:
    """A :data:`models.evaluate.Predictor` running a flatbuffer in LiteRT."""
    return TfliteModel(flatbuffer)


def fake_quantize(w: npt.NDArray[np.float32], *, bits: int, scheme: Scheme) -> npt.NDArray[np.float32]:
    """Quantise then dequantise a weight tensor per output channel (its last axis)."""
    flat = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if scheme == "symmetric":
        levels = 2 ** (bits - 1) - 1
        scale = np.abs(flat).max(axis=0) / levels
        scale = np.where(scale > 0, scale, 1.0)
        q = np.clip(np.round(flat / scale), -levels, levels) * scale
    elif scheme == "asymmetric":
        lo, hi = flat.min(axis=0), flat.max(axis=0)
        lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)  # keep 0 exactly representable
        scale = (hi - lo) / (2**bits - 1)
        scale = np.where(scale > 0, scale, 1.0)
        zero = np.round(-lo / scale)
        q = (np.clip(np.round(flat / scale) + zero, 0, 2**bits - 1) - zero) * scale
    elif scheme == "power_of_two":
        mag = np.abs(flat)
        top = np.floor(np.log2(np.maximum(mag.max(axis=0), 1e-30)))
        exponents = 2 ** (bits - 1) - 1  # one bit for the sign, one code for zero
        with np.errstate(divide="ignore"):
            e = np.round(np.log2(np.where(mag > 0, mag, 1e-30)))
        e = np.minimum(e, top)
        keep = e >= top - (exponents - 1)
        q = np.where(keep & (mag > 0), np.sign(flat) * 2.0**e, 0.0)
    else:
        raise DataError(f"unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    return q.reshape(w.shape).astype(np.float32)


def _fake_quantized_copy(model: keras.Model, bits: int, scheme: Scheme) -> keras.Model:
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for layer in _kernel_layers(clone):
        weights = layer.get_weights()
        n = _kernel_count(layer)
        fq = [fake_quantize(w, bits=bits, scheme=scheme) for w in weights[:n]]
        layer.set_weights([*fq, *weights[n:]])
    return clone


def _kernel_count(layer: Any) -> int:
    """Leading weights of ``layer`` that are kernels (separable layers: depthwise and pointwise)."""
    return 2 if "Separable" in type(layer).__name__ else 1


def _kernel_layers(model: Any) -> list[Any]:
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            out.extend(_kernel_layers(layer))
        elif type(layer).__name__ in ("Conv1D", "Conv2D", "Dense", "SeparableConv1D", "SeparableConv2D"):
            out.append(layer)
    return out


def _representative(cfg: TrainConfig, recs: list[Recording], count: int, seed: int) -> npt.NDArray[np.float32]:
    t = cfg.architecture.window_frames
    split = split_recordings(recs, cfg.split, gestures=cfg.dataset.gestures, window_frames=t, seed=cfg.seed)
    w = cut_windows(recs, split.train, cfg=cfg.dataset, window_frames=t, split=split, role="train")
    sample = balanced_sample(w, cfg.dataset, np.random.default_rng([seed, 0x0A11]))
    x, _ = materialise(recs, sample.subset(np.arange(min(count, len(sample)))), cfg=cfg.dataset, window_frames=t)
    return x


def quantize_run(
    run_dir: Path,
    *,
    data: Sequence[Path] | None = None,
    cfg: QuantizeConfig | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    load_progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Convert a run to every candidate, score them on the held-out side of its split, run the bit-width
    exploration, and write ``quant_report.md``, ``quant_report.json`` and ``model_int8.tflite`` to ``run_dir``.

    A run trained with split ``none`` (personalisation) has no held-out side: every recording is scored
    instead and the report says the figures are on training-side data (``scored_on: training``); float
    against int8 agreement still holds, the accuracies are optimistic.

    Args:
        data: recordings (default: the run's own ``data``); representative windows come from their
            training side, scores from their test side. Scored files the run was trained or validated on
            (its ``metrics.json``: other data is split again) are listed under ``training_side_files`` and
            the report says their figures are not held out.
        progress, load_progress: wrap the candidates converted and the recordings loaded (e.g. ``tqdm``).

    Raises:
        models.config.RunError: a missing or corrupt run directory.
        models.data.DataError: a missing path in ``data`` (before the model loads); no held-out recording in
            ``data`` under a split other than ``none``.
    """
    qcfg = cfg or QuantizeConfig()
    paths = run_data_paths(Path(run_dir), data)  # before the model: its load imports TensorFlow (seconds)
    model, tcfg = load_run(Path(run_dir))
    recs = load_recordings(paths, cfg=tcfg.dataset, progress=load_progress)
    # split 'none' (a personalised run: README step 3) holds nothing out: score every recording, as
    # `evaluate --split none` does, and say in the report that the figures are on training-side data
    on_training = tcfg.split.kind == "none"
    tcfg.check_rates(recs)
    test = scored_indices(recs, tcfg.split)
    trained_on = training_side_files(Path(run_dir), [recs[i].path.name for i in test])
    t = tcfg.architecture.window_frames
    rep = _representative(tcfg, recs, qcfg.representative_windows, qcfg.seed)
    held = [cut_windows(recs, [i], cfg=tcfg.dataset, window_frames=t) for i in test]
    xs = [materialise(recs, w, cfg=tcfg.dataset, window_frames=t)[0] for w in held]
    x_test = np.concatenate(xs) if xs else np.zeros((0,), dtype=np.float32)
    keras_pred = keras_predictor(model)
    p_float = keras_pred(x_test)

    def score(predict: Predictor) -> dict[str, Any]:
        m = evaluate_recordings(predict, recs, test, cfg=tcfg.dataset, window_frames=t, continuous=True, sweep=False)
        return {
            "accuracy": m["accuracy"],
            "balanced_accuracy": m["balanced_accuracy"],
            "event_accuracy": m["event_accuracy"],
        }

    rows: list[dict[str, Any]] = []
    keras_scores = score(keras_pred)
    rows.append(
        {
            "candidate": "keras_float32",
            "size_bytes": None,
            "io": "float32/float32",
            **keras_scores,
            "agreement": 1.0,
            "max_abs_dp": 0.0,
            "latency_ms": None,
        }
    )
    int8_flatbuffer = b""
    items: Iterable[Any] = progress(CANDIDATES) if progress else CANDIDATES
    for cand in items:
        try:
            fb = convert(model, cand, rep)
        except RuntimeError as exc:
            rows.append({"candidate": cand, "error": str(exc)})
            continue
        tfl = TfliteModel(fb)
        p = tfl(x_test)
        rows.append(
            {
                "candidate": cand,
                "size_bytes": len(fb),
                "io": "/".join(tfl.io_types),
                **score(tfl),
                "agreement": float(np.mean(p.argmax(1) == p_float.argmax(1))) if len(p) else None,
                "max_abs_dp": float(np.abs(p - p_float).max()) if len(p) else None,
                "latency_ms": tfl.latency_ms(x_test if len(x_test) else rep, qcfg.latency_runs),
            }
        )
        if cand == "int8_per_channel":
            int8_flatbuffer = fb
        if log:
            log(f"{cand}: {len(fb)} bytes")
    bits_rows = []
    y_test = np.concatenate([w.label for w in held])
    for scheme in SCHEMES:
        for bits in qcfg.bit_widths:
            fq = _fake_quantized_copy(model, bits, scheme)
            pred = keras_predictor(fq)(x_test)
            bits_rows.append(
                {
                    "scheme": scheme,
                    "bits": bits,
                    "accuracy": float(np.mean(pred.argmax(1) == y_test)),
                    "agreement": float(np.mean(pred.argmax(1) == p_float.argmax(1))),
                    "weight_bytes": int(sum(math.ceil(w.size * bits / 8) for w in _kernels(fq))),
                }
            )
    compression = _compression_rows(model, Path(run_dir), rep, x_test, p_float, score)
    report = {
        "run": str(run_dir),
        "held_out": [] if on_training else [recs[i].path.name for i in test],
        "held_out_windows": len(x_test),
        "scored_on": "training" if on_training else "held_out",
        "scored_files": [recs[i].path.name for i in test],
        "training_side_files": trained_on,
        "representative_windows": len(rep),
        "params": int(model.count_params()),
        "macs": count_macs(model),
        "candidates": rows,
        "bit_widths": bits_rows,
        "compression": compression,
        "qat": _qat_note(Path(run_dir)),
    }
    out = Path(run_dir)
    (out / "quant_report.json").write_text(json.dumps(report, indent=1))
    (out / "quant_report.md").write_text(format_report(report))
    if int8_flatbuffer:
        (out / "model_int8.tflite").write_bytes(int8_flatbuffer)
    return report


def _compression_rows(
    model: keras.Model,
    run_dir: Path,
    rep: npt.NDArray[np.float32],
    x_test: npt.NDArray[np.float32],
    p_float: npt.NDArray[np.float32],
    score: Callable[[Predictor], dict[str, Any]],
) -> list[dict[str, Any]]:
    """The bundle's form (encoder + head int8) after each compression step of the run, scored held-out."""
    # one conversion for both rows: the bundle's form is the converter's output with its names stripped
    named_enc, named_head = _int8_parts(model, rep, seed=0, keep_names=True)
    enc_fb, head_fb = strip_names(named_enc), strip_names(named_head)
    fp = _footprint(model, enc_fb, head_fb, flatbuffers=False)
    named = _footprint(model, named_enc, named_head, flatbuffers=False)

    def row(technique: str, predict: Predictor, flash: int, note: str) -> dict[str, Any]:
        p = predict(x_test)
        agree = float(np.mean(p.argmax(1) == p_float.argmax(1))) if len(p) else None
        return {"technique": technique, "flash_bytes": flash, **score(predict), "agreement": agree, "note": note}

    done = json.loads((run_dir / "metrics.json").read_text()).get("compression", {})
    applied = [k for k in ("distillation", "pruning") if k in done]
    ptq = SplitInt8(enc_fb, head_fb)
    rows = [
        row(
            "PTQ int8 per-channel, names stripped (encoder + head, as bundled)",
            ptq,
            fp["flash_bytes"],
            f"this run's model ({', '.join(applied) if applied else 'no pruning or distillation'}); "
            f"{fp['macs_per_frame']} MACs/frame, {fp['macs_per_hop']} MACs/hop",
        )
    ]
    kept = SplitInt8(named_enc, named_head)
    rows.append(
        row(
            "PTQ int8, tensor names kept (the converter's own output)",
            kept,
            named["flash_bytes"],
            f"the same weights and graph with their strings: +{named['flash_bytes'] - fp['flash_bytes']} B",
        )
    )
    if "pruning" in done:
        pr = done["pruning"]
        rows.append(
            {
                "technique": f"structured pruning (keep {pr['keep']})",
                "flash_bytes": pr["flash_bytes_after"],
                "note": f"from {pr['flash_bytes_before']} B and {pr['macs_per_frame_before']} MACs/frame before "
                f"pruning to {pr['flash_bytes_after']} B and {pr['macs_per_frame_after']}; validation balanced "
                f"accuracy {pr['val_balanced_accuracy_before']:.3f} → {pr['val_balanced_accuracy_pruned']:.3f} "
                f"(pruned) → {pr['val_balanced_accuracy_after']:.3f} (fine-tuned); zeroing the smallest 50 % of "
                f"the final model's weights (unstructured) leaves the flatbuffers at "
                f"{pr['unstructured_50pct']['zeroed_flash_bytes']} B (from {pr['unstructured_50pct']['flash_bytes']})",
            }
        )
    if "distillation" in done:
        d = done["distillation"]
        rows.append(
            {
                "technique": "knowledge distillation",
                "flash_bytes": fp["flash_bytes"],
                "note": f"teacher {d['teacher']} ({d['teacher_params']} params), alpha {d['alpha']}, "
                f"T {d['temperature']}; held-out figures are the PTQ row above",
            }
        )
    qat_enc, qat_head = run_dir / "qat_encoder_int8.tflite", run_dir / "qat_head_int8.tflite"
    if qat_enc.is_file() and qat_head.is_file():
        q = SplitInt8(qat_enc.read_bytes(), qat_head.read_bytes())
        epochs = done.get("qat", {}).get("epochs", "?")
        rows.append(
            row(
                f"QAT int8 ({epochs} epochs, tfmot)",
                q,
                len(q.encoder.flatbuffer) + len(q.head.flatbuffer),
                "quantisation-aware fine-tuning of this run's float model",
            )
        )
    return rows


def _qat_note(run_dir: Path) -> str:
    if (run_dir / "qat_encoder_int8.tflite").is_file():
        return "see the QAT row of the compression table (train --qat-epochs N, the [qat] extra)"
    return (
        "not run for this run (train --qat-epochs N with the [qat] extra: tensorflow-model-optimization 0.8 and "
        "tf_keras 2.21, the latter installed with --no-deps because it declares the full tensorflow wheel)"
    )


def _kernels(model: Any) -> list[npt.NDArray[Any]]:
    return [w for layer in _kernel_layers(model) for w in layer.get_weights()[: _kernel_count(layer)]]


def _fmt(v: Any, spec: str = ".4f") -> str:
    if v is None:
        return "—"
    return format(v, spec) if isinstance(v, float) else str(v)


def format_report(report: dict[str, Any]) -> str:
    """The report as Markdown: the candidates table and the bit-width table."""
    macs = report["macs"]
    if report.get("scored_on") == "training":
        scored = (
            f"No held-out recordings (the run's split is 'none'): every accuracy below is on the run's own "
            f"training-side data, {', '.join(report['scored_files'])} ({report['held_out_windows']} windows), "
            "so it is optimistic; agreement and max |Δp| still compare int8 with float. "
        )
    else:
        scored = f"Held-out files: {', '.join(report['held_out'])} ({report['held_out_windows']} windows)"
        trained = report.get("training_side_files")  # `data` split again can put the run's own training files here
        scored += (
            f", of which {', '.join(trained)} were training files of the run: the figures below are not held out. "
            if trained
            else ". "
        )
    lines = [
        f"# Quantisation report: {report['run']}",
        "",
        f"{scored}"
        f"Representative data: {report['representative_windows']} training windows. "
        f"Parameters: {report['params']}. MACs per window inference: {macs['window']} "
        f"(encoder {macs['encoder_per_frame']} per frame, head {macs['head_per_hop']} per hop).",
        "",
        "| candidate | I/O | size [B] | window acc | balanced acc | event acc | agreement | max abs dp "
        "| latency [ms] |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["candidates"]:
        if "error" in r:
            lines.append(f"| {r['candidate']} | — | — | — | — | — | — | — | {r['error']} |")
            continue
        lines.append(
            f"| {r['candidate']} | {r['io']} | {_fmt(r['size_bytes'])} | {_fmt(r['accuracy'])} | "
            f"{_fmt(r['balanced_accuracy'])} | {_fmt(r['event_accuracy'])} | {_fmt(r['agreement'])} | "
            f"{_fmt(r['max_abs_dp'])} | {_fmt(r['latency_ms'], '.3f')} |"
        )
    lines += [
        "",
        "Latency: LiteRT, one thread, batch 1, median; integer candidates on the builtin kernels the device's "
        "TFLite Micro matches (no XNNPACK), float32 with XNNPACK. Agreement and max |Δp|: against the float Keras "
        "model on the scored windows.",
        "",
        "## Weight bit widths (fake-quantised weights, float activations)",
        "",
        "| scheme | bits | window acc | agreement | kernel bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in report["bit_widths"]:
        lines.append(
            f"| {b['scheme']} | {b['bits']} | {_fmt(b['accuracy'])} | {_fmt(b['agreement'])} | {b['weight_bytes']} |"
        )
    lines += [
        "",
        "## Compression (the bundle's form: encoder and head int8 flatbuffers)",
        "",
        "The candidates above are one flatbuffer each, the whole window model end to end. The bundle runs the "
        "encoder on every frame and the head on the int8 embeddings the encoder wrote, so its figures here differ "
        "from int8_per_channel's by that one requantisation between the two.",
        "",
        "| technique | flash [B] | window acc | event acc | agreement | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for c in report.get("compression", []):
        lines.append(
            f"| {c['technique']} | {_fmt(c.get('flash_bytes'))} | {_fmt(c.get('accuracy'))} | "
            f"{_fmt(c.get('event_accuracy'))} | {_fmt(c.get('agreement'))} | {c.get('note', '')} |"
        )
    lines += ["", f"QAT: {report['qat']}.", ""]
    return "\n".join(lines)
