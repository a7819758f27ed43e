"""Ahead-of-time compiler: the bundle's int8 TFLite flatbuffers → plain C99 (DESIGN §8b).

:func:`compile_models` reads the encoder and head flatbuffers (parsed with the TFLite schema module that
ships with LiteRT, ``ai_edge_litert.schema_py_generated``; no interpreter) and writes
``radargest_models.c/.h``: every weight, bias and quantisation parameter as a ``const`` array, one function
per model (``rg_encoder_invoke``, ``rg_head_invoke``) that calls the int8 kernels of
``deploy/c/radargest_nn.c`` with shapes fixed at compile time, and one static arena shared by both models
(they never run at the same time). No heap, no interpreter, no op resolver.

**Operators.** Exactly those radargest's architectures produce: ``CONV_2D`` (per-channel), ``MAX_POOL_2D``,
``FULLY_CONNECTED`` (per-channel or per-tensor), ``MEAN`` over one axis, ``SOFTMAX``, and the shape-only
``RESHAPE``, ``SQUEEZE``, ``EXPAND_DIMS`` (aliases, no code). Anything else is refused with an
:class:`AotError` naming the operator.

**Arithmetic** is TFLite's integer semantics as LiteRT's builtin kernels run them: the fixed-point
multipliers are computed here exactly as TFLite's ``QuantizeMultiplier`` does (double precision
``input_scale * filter_scale / output_scale`` split into a Q31 significand and an exponent), activation
ranges as ``CalculateActivationRangeQuantized``, the softmax exp table with the C library's ``expf`` on
float32 arguments, the final rounding shift of convolutions and fully connected layers with ties
toward +infinity as LiteRT's ruy kernels do (TFLite Micro's reference rounds those ties away from zero:
``-DRG_NN_TIES_AWAY_FROM_ZERO``), ``MEAN`` in integers as both run it (:func:`mean_multiplier`, ties away
from zero); so the C output equals LiteRT's to the bit (tests/deploy/test_deploy_aot.py: 0 LSB).

**Buffers** are planned ahead of time from tensor lifetimes: each activation tensor lives from the operator
that writes it to the last one that reads it (model outputs to the end); a reshape shares its input's
buffer. Tensors are placed greedily, largest first, at the lowest offset free over their lifetime.
The model input is written by the caller through ``rg_<model>_input()`` before each invoke (the arena
reuses it afterwards); the output is read through ``rg_<model>_output()`` after it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "SUPPORTED_OPS",
    "AotError",
    "AotLibrary",
    "CompiledModel",
    "Graph",
    "build_host_library",
    "compile_models",
    "mean_multiplier",
    "parse_model",
    "plan_arena",
    "quantize_multiplier",
]

SUPPORTED_OPS = (
    "CONV_2D",
    "MAX_POOL_2D",
    "FULLY_CONNECTED",
    "MEAN",
    "SOFTMAX",
    "RESHAPE",
    "SQUEEZE",
    "EXPAND_DIMS",
)
_ALIAS_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
_ALIGN = 4


class AotError(ValueError):
    """A model the compiler cannot translate; the message is one line naming the model and the reason."""


# -- parsing --------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Tensor:
    """One tensor of the graph: shape, type name, quantisation and constant data (None for activations)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    data: bytes | None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def array(self) -> npt.NDArray[Any]:
        """The constant data as a numpy array of the tensor's shape."""
        if self.data is None:
            raise AotError(f"tensor {self.name!r} has no constant data")
        dt = {"INT8": np.int8, "INT32": np.int32, "INT64": np.int64, "FLOAT32": np.float32}[self.dtype]
        return np.frombuffer(self.data, dtype=np.dtype(dt).newbyteorder("<")).reshape(self.shape)


@dataclass(frozen=True, kw_only=True)
class Op:
    """One operator: builtin name, input and output tensor indices (-1 = absent), options as a dict."""

    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Graph:
    """The first subgraph of a flatbuffer."""

    name: str
    tensors: tuple[Tensor, ...]
    ops: tuple[Op, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def parse_model(flatbuffer: bytes, *, name: str = "model") -> Graph:
    """Parse an int8 TFLite flatbuffer into a :class:`Graph` (one subgraph, one input, one output).

    Raises:
        AotError: not a TFLite model, several subgraphs or I/O tensors.
    """
    from ai_edge_litert import schema_py_generated as schema

    op_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    type_names = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    if not schema.Model.ModelBufferHasIdentifier(flatbuffer, 0):
        raise AotError(f"{name}: not a TFLite flatbuffer")
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)
    except Exception as exc:  # a damaged flatbuffer raises whatever the generated reader hits
        raise AotError(f"{name}: unreadable flatbuffer ({type(exc).__name__})") from None
    if not model.subgraphs or len(model.subgraphs) != 1:
        raise AotError(f"{name}: expected one subgraph, found {len(model.subgraphs or [])}")
    g = model.subgraphs[0]
    tensors = []
    for i, t in enumerate(g.tensors):
        q = t.quantization
        scale = tuple(float(s) for s in (q.scale if q is not None and q.scale is not None else ()))
        zero = tuple(int(z) for z in (q.zeroPoint if q is not None and q.zeroPoint is not None else ()))
        buf = model.buffers[t.buffer] if t.buffer < len(model.buffers) else None
        data: bytes | None = None
        if buf is not None and buf.data is not None and len(buf.data):
            data = bytes(np.asarray(buf.data, dtype=np.uint8))
        elif buf is not None and getattr(buf, "offset", 0) > 1:
            data = bytes(flatbuffer[buf.offset : buf.offset + buf.size])
        tensors.append(
            Tensor(
                index=i,
                name=(t.name or b"").decode("utf-8", "replace"),
                shape=tuple(int(d) for d in (t.shape if t.shape is not None else ())),
                dtype=type_names.get(t.type, str(t.type)),
                scale=scale,
                zero_point=zero,
                data=data,
            )
        )
    ops = []
    for op in g.operators or ():
        code = model.operatorCodes[op.opcodeIndex]
        kind = op_names.get(max(int(code.builtinCode), int(code.deprecatedBuiltinCode)), f"CUSTOM({code.customCode!r})")
        opts = {k: v for k, v in vars(op.builtinOptions).items()} if op.builtinOptions is not None else {}
        ops.append(
            Op(
                kind=kind,
                inputs=tuple(int(v) for v in (op.inputs if op.inputs is not None else ())),
                outputs=tuple(int(v) for v in (op.outputs if op.outputs is not None else ())),
                options=opts,
            )
        )
    ins = tuple(int(v) for v in g.inputs)
    outs = tuple(int(v) for v in g.outputs)
    if len(ins) != 1 or len(outs) != 1:
        raise AotError(f"{name}: expected one input and one output, found {len(ins)} and {len(outs)}")
    return Graph(name=name, tensors=tuple(tensors), ops=tuple(ops), inputs=ins, outputs=outs)


# -- TFLite quantisation arithmetic ---------------------------------------------------------------
def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's ``QuantizeMultiplier``: ``real ≈ m * 2^(shift - 31)`` with a Q31 significand ``m``.

    ``frexp`` splits the double into [0.5, 1) × 2^shift; the significand is rounded half away from zero to
    31 bits (a carry to 2^31 halves it and bumps the exponent); a shift below -31 flushes to zero.
    """
    if real == 0.0:
        return 0, 0
    frac, shift = math.frexp(real)
    q = math.floor(abs(frac) * (1 << 31) + 0.5) * (1 if frac > 0 else -1)
    if abs(q) == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if not -31 <= shift <= 30:
        raise AotError(f"rescale factor {real!r} is out of the int8 kernels' range")
    return int(q), int(shift)


def mean_multiplier(input_scale: float, output_scale: float, n: int) -> tuple[int, int]:
    """The fixed-point rescale of TFLite's int8 ``MEAN`` over ``n`` values: ``(multiplier, shift)``.

    LiteRT's builtin kernel (and TFLite Micro's reference) takes :func:`quantize_multiplier` of
    ``input_scale / output_scale`` (double precision) and folds the division by ``n`` into it: the Q31
    significand is shifted left by ``floor(log2 n)`` (at most 32, and at most ``31 + shift`` so the result
    stays a valid right shift), divided by ``n`` with truncation, and the exponent lowered by as much. The
    mean is then ``mul_q31(sum - n * input_zero, multiplier, shift) + output_zero`` in integers, with
    TFLite's two roundings (the doubling high multiply, then the shift with ties away from zero), whatever
    the quantisation (equal scales and zero points included). A float mean, ``round(sum / n * scale -
    input_zero * scale)``, which older TFLite ran, differs by 1 LSB on 13-16 % of the sums
    (tests/deploy/test_deploy_aot.py).
    """
    if n <= 0:
        raise AotError(f"MEAN over {n} values")
    mult, shift = quantize_multiplier(float(input_scale) / float(output_scale))
    k = min(n.bit_length() - 1, 32, 31 + shift)
    mult = (mult << k) // n if k >= 0 else mult
    shift -= max(k, 0)
    if not -31 <= shift <= 30:
        raise AotError(f"MEAN rescale {input_scale!r} / {output_scale!r} over {n} values is out of range")
    return int(mult), int(shift)


def _f32(x: float) -> float:
    return float(np.float32(x))


def _activation_range(fused: int, scale: float, zero: int) -> tuple[int, int]:
    """``CalculateActivationRangeQuantized`` for int8: NONE, RELU, RELU_N1_TO_1, RELU6."""

    def q(v: float) -> int:
        r = float(np.float32(v) / np.float32(scale))
        return zero + int(math.floor(abs(r) + 0.5) * (1 if r >= 0 else -1))

    if fused == 0:
        return -128, 127
    if fused == 1:
        return max(-128, q(0.0)), 127
    if fused == 2:
        return max(-128, q(-1.0)), min(127, q(1.0))
    if fused == 3:
        return max(-128, q(0.0)), min(127, q(6.0))
    raise AotError(f"fused activation {fused} is not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)")


def _same_padding(in_size: int, k: int, stride: int, dil: int, out_size: int) -> int:
    """TFLite's ``ComputePaddingWithOffset``: the leading padding (the odd pixel goes to the end)."""
    eff = (k - 1) * dil + 1
    return max(0, (out_size - 1) * stride + eff - in_size) // 2


_libm: Any = None


def _expf(x: float) -> float:
    """The C library's single-precision ``expf`` (what LiteRT's softmax table uses)."""
    global _libm
    if _libm is None:
        lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        lib.expf.restype = ctypes.c_float
        lib.expf.argtypes = [ctypes.c_float]
        _libm = lib
    return float(_libm.expf(ctypes.c_float(x)))


# -- planning -------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Plan:
    """Arena offsets [bytes] of the activation tensors (aliases share their root's offset) and the size."""

    offsets: dict[int, int]
    arena_bytes: int
    lifetimes: dict[int, tuple[int, int]] = field(default_factory=dict)


def _alias_roots(g: Graph) -> dict[int, int]:
    root: dict[int, int] = {}
    for op in g.ops:
        if op.kind in _ALIAS_OPS:
            src = op.inputs[0]
            root[op.outputs[0]] = root.get(src, src)
    return root


def plan_arena(g: Graph, scratch: Mapping[int, int] | None = None) -> Plan:
    """Place every activation tensor of ``g`` in one arena (see the module docstring).

    ``scratch`` maps an operator index to the bytes of a scratch buffer live during that operator only
    (the padded input of a convolution); its offset is returned under the key ``-1 - op_index``.
    """
    root = _alias_roots(g)
    sizes = {t.index: t.size for t in g.tensors}
    life: dict[int, list[int]] = {}

    def touch(t: int, at: int) -> None:
        r = root.get(t, t)
        span = life.setdefault(r, [at, at])
        span[0] = min(span[0], at)
        span[1] = max(span[1], at)

    touch(g.inputs[0], -1)
    for i, op in enumerate(g.ops):
        for t in op.inputs:
            if t >= 0 and g.tensors[t].data is None:
                touch(t, i)
        for t in op.outputs:
            touch(t, i)
    touch(g.outputs[0], len(g.ops))
    for n, nbytes in (scratch or {}).items():
        life[-1 - n] = [n, n]
        sizes[-1 - n] = nbytes
    placed: list[tuple[int, int, int, int]] = []  # offset, size, first, last
    offsets: dict[int, int] = {}
    order = sorted(life, key=lambda t: (-sizes[t], life[t][0]))
    for t in order:
        size = -(-sizes[t] // _ALIGN) * _ALIGN
        first, last = life[t]
        busy = sorted((o, o + s) for o, s, f, la in placed if not (la < first or f > last))
        at = 0
        for lo, hi in busy:
            if at + size <= lo:
                break
            at = max(at, hi)
        placed.append((at, size, first, last))
        offsets[t] = at
    for t, r in root.items():
        offsets[t] = offsets[r]
    total = max((o + s for o, s, _, _ in placed), default=0)
    return Plan(offsets=offsets, arena_bytes=total, lifetimes={t: (s[0], s[1]) for t, s in life.items()})


# -- code generation ------------------------------------------------------------------------------
def _hexf(x: float) -> str:
    """A C99 hex float literal holding exactly ``float32(x)``."""
    v = _f32(x)
    if not math.isfinite(v):
        raise AotError(f"non-finite constant {x!r}")
    return ("-" if v < 0 else "") + float.hex(abs(v)) + "f" if v != 0 else "0.0f"


def _array(ctype: str, name: str, values: npt.ArrayLike, per_line: int = 24) -> str:
    flat = [int(v) for v in np.asarray(values).ravel()]
    lines = [f"static const {ctype} {name}[{len(flat)}] = {{"]
    for i in range(0, len(flat), per_line):
        lines.append("    " + ", ".join(str(v) for v in flat[i : i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def _float_array(name: str, values: list[float], per_line: int = 6) -> str:
    lines = [f"static const float {name}[{len(values)}] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(_hexf(v) for v in values[i : i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class CompiledModel:
    """One model's generated C: constant definitions, the body of its invoke function and its figures."""

    prefix: str
    graph: Graph
    plan: Plan
    consts: str
    body: str
    macs: int
    weight_bytes: int
    input_size: int
    output_size: int
    input_quant: tuple[float, int]
    output_quant: tuple[float, int]


def _require(cond: bool, g: Graph, op: Op, what: str) -> None:
    if not cond:
        raise AotError(f"{g.name}: {op.kind} {what} is not supported by the AOT compiler")


def _rescale(g: Graph, op: Op, x: Tensor, w: Tensor, y: Tensor, channels: int) -> tuple[list[int], list[int]]:
    _require(x.dtype == "INT8" and w.dtype == "INT8" and y.dtype == "INT8", g, op, "with non-int8 tensors")
    _require(len(x.scale) == 1 and len(y.scale) == 1, g, op, "with per-channel activations")
    _require(len(w.scale) in (1, channels), g, op, "with this weight quantisation")
    _require(all(z == 0 for z in w.zero_point), g, op, "with non-zero weight zero points")
    mults, shifts = [], []
    for s in w.scale:
        m, e = quantize_multiplier(float(np.float32(x.scale[0])) * float(np.float32(s)) / float(np.float32(y.scale[0])))
        mults.append(m)
        shifts.append(e)
    return mults, shifts


def _conv_geometry(g: Graph, op: Op) -> tuple[int, int, int, int, int]:
    """``(pad_top, pad_left, padded_h, padded_w, scratch_bytes)`` of a CONV_2D: the scratch holds one
    output position's patch (padding taps filled with the input zero point)."""
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    o = op.options
    _, kh, kw, _ = w.shape
    sh, sw = int(o["strideH"]), int(o["strideW"])
    dh, dw = int(o["dilationHFactor"]), int(o["dilationWFactor"])
    same = int(o["padding"]) == 0
    pt = _same_padding(x.shape[1], kh, sh, dh, y.shape[1]) if same else 0
    pl = _same_padding(x.shape[2], kw, sw, dw, y.shape[2]) if same else 0
    ph = (y.shape[1] - 1) * sh + (kh - 1) * dh + 1
    pw = (y.shape[2] - 1) * sw + (kw - 1) * dw + 1
    return pt, pl, ph, pw, kh * kw * x.shape[3]


def _folded_bias(g: Graph, op: Op, w: Tensor, bias: Tensor | None, in_zero: int) -> npt.NDArray[np.int64]:
    """``bias - in_zero * sum(w)`` per output channel: the input zero point moved out of the inner loop."""
    sums = w.array().reshape(w.shape[0], -1).astype(np.int64).sum(axis=1)
    b = bias.array().astype(np.int64).ravel() if bias is not None else np.zeros(w.shape[0], np.int64)
    out = b - int(in_zero) * sums
    _require(bool(np.all(np.abs(out) < 2**31)), g, op, "with a bias that overflows int32 after folding")
    return out


def _compile_graph(g: Graph, prefix: str) -> CompiledModel:
    for op in g.ops:
        if op.kind not in SUPPORTED_OPS:
            raise AotError(
                f"{g.name}: operator {op.kind} is not supported by the AOT compiler "
                f"(supported: {', '.join(SUPPORTED_OPS)}); use --backend tflm for this model"
            )
    t = g.tensors
    x_in, y_out = t[g.inputs[0]], t[g.outputs[0]]
    if x_in.dtype != "INT8" or y_out.dtype != "INT8":
        raise AotError(f"{g.name}: model input and output must be int8, got {x_in.dtype} and {y_out.dtype}")
    geom = {n: _conv_geometry(g, op) for n, op in enumerate(g.ops) if op.kind == "CONV_2D"}
    plan = plan_arena(g, {n: c[4] for n, c in geom.items() if c[4]})
    consts: list[str] = []
    body: list[str] = []
    macs = 0
    weight_bytes = 0

    def buf(i: int) -> str:
        return f"RG_ARENA + {plan.offsets[i]}"

    for n, op in enumerate(g.ops):
        tag = f"{prefix}_{n}"
        o = op.options
        if op.kind in _ALIAS_OPS:
            a, b = t[op.inputs[0]], t[op.outputs[0]]
            _require(a.size == b.size and a.scale == b.scale and a.zero_point == b.zero_point, g, op, "changing data")
            body.append(f"    /* {n}: {op.kind} {list(a.shape)} -> {list(b.shape)} (shares the buffer) */")
            continue
        if op.kind == "CONV_2D":
            x, w, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
            bias = t[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            _require(len(x.shape) == 4 and x.shape[0] == 1 and len(w.shape) == 4, g, op, "with this shape")
            _require(w.shape[3] == x.shape[3], g, op, "grouped")
            oc, kh, kw, _ = w.shape
            mults, shifts = _rescale(g, op, x, w, y, oc)
            sh, sw = int(o["strideH"]), int(o["strideW"])
            dh, dw = int(o["dilationHFactor"]), int(o["dilationWFactor"])
            pt, pl, ph, pw, _ = geom[n]
            amin, amax = _activation_range(int(o["fusedActivationFunction"]), y.scale[0], y.zero_point[0])
            consts.append(_array("int8_t", f"{tag}_w", w.array()))
            consts.append(_array("int32_t", f"{tag}_b", _folded_bias(g, op, w, bias, x.zero_point[0])))
            consts.append(_array("int32_t", f"{tag}_m", mults if len(mults) == oc else mults * oc))
            consts.append(_array("int8_t", f"{tag}_s", shifts if len(shifts) == oc else shifts * oc))
            consts.append(
                f"static const rg_conv_params {tag}_p = {{{x.shape[1]}, {x.shape[2]}, {x.shape[3]}, {y.shape[1]}, "
                f"{y.shape[2]}, {y.shape[3]}, {kh}, {kw}, {sh}, {sw}, {dh}, {dw}, {pt}, {pl}, {ph}, {pw}, "
                f"{x.zero_point[0]}, {y.zero_point[0]}, {amin}, {amax}}};"
            )
            scr = f"RG_ARENA + {plan.offsets[-1 - n]}"
            body.append(
                f"    rg_conv2d_s8(&{tag}_p, {buf(x.index)}, {scr}, {tag}_w, {tag}_b, {tag}_m, "
                f"{tag}_s, {buf(y.index)}); /* {n}: CONV_2D {list(x.shape)} -> {list(y.shape)} */"
            )
            macs += y.size * kh * kw * x.shape[3]
            weight_bytes += w.size + 9 * oc
            continue
        if op.kind == "FULLY_CONNECTED":
            x, w, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
            bias = t[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            _require(int(o.get("weightsFormat", 0)) == 0, g, op, "with shuffled weights")
            _require(len(w.shape) == 2 and x.size == w.shape[1], g, op, "with a batch > 1")
            out_n, in_n = w.shape
            mults, shifts = _rescale(g, op, x, w, y, out_n)
            amin, amax = _activation_range(int(o["fusedActivationFunction"]), y.scale[0], y.zero_point[0])
            consts.append(_array("int8_t", f"{tag}_w", w.array()))
            consts.append(_array("int32_t", f"{tag}_b", _folded_bias(g, op, w, bias, x.zero_point[0])))
            consts.append(_array("int32_t", f"{tag}_m", mults))
            consts.append(_array("int8_t", f"{tag}_s", shifts))
            consts.append(
                f"static const rg_fc_params {tag}_p = {{{in_n}, {out_n}, {len(mults)}, "
                f"{y.zero_point[0]}, {amin}, {amax}}};"
            )
            body.append(
                f"    rg_fc_s8(&{tag}_p, {buf(x.index)}, {tag}_w, {tag}_b, {tag}_m, {tag}_s, "
                f"{buf(y.index)}); /* {n}: FULLY_CONNECTED {in_n} -> {out_n} */"
            )
            macs += in_n * out_n
            weight_bytes += w.size + 4 * out_n + 5 * len(mults)
            continue
        if op.kind == "MAX_POOL_2D":
            x, y = t[op.inputs[0]], t[op.outputs[0]]
            _require(len(x.shape) == 4 and x.shape[0] == 1, g, op, "with this shape")
            _require(x.scale == y.scale and x.zero_point == y.zero_point, g, op, "with requantisation")
            kh, kw = int(o["filterHeight"]), int(o["filterWidth"])
            sh, sw = int(o["strideH"]), int(o["strideW"])
            same = int(o["padding"]) == 0
            pt = _same_padding(x.shape[1], kh, sh, 1, y.shape[1]) if same else 0
            pl = _same_padding(x.shape[2], kw, sw, 1, y.shape[2]) if same else 0
            amin, amax = _activation_range(int(o["fusedActivationFunction"]), y.scale[0], y.zero_point[0])
            consts.append(
                f"static const rg_pool_params {tag}_p = {{{x.shape[1]}, {x.shape[2]}, {x.shape[3]}, {y.shape[1]}, "
                f"{y.shape[2]}, {kh}, {kw}, {sh}, {sw}, {pt}, {pl}, {amin}, {amax}}};"
            )
            body.append(
                f"    rg_maxpool_s8(&{tag}_p, {buf(x.index)}, {buf(y.index)}); "
                f"/* {n}: MAX_POOL_2D {list(x.shape)} -> {list(y.shape)} */"
            )
            continue
        if op.kind == "MEAN":
            x, axis_t, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
            _require(axis_t.data is not None, g, op, "with a non-constant axis")
            axes = sorted({int(a) % len(x.shape) for a in axis_t.array().ravel()})
            _require(len(axes) == 1, g, op, f"over axes {axes} (one axis is)")
            _require(x.dtype == "INT8" and y.dtype == "INT8", g, op, "with non-int8 tensors")
            keep = bool(o.get("keepDims", False))
            _require(not (keep and len(x.shape) == 4 and axes in ([1], [2])), g, op, "keeping 4-D dims")
            ax = axes[0]
            outer = int(np.prod(x.shape[:ax], dtype=np.int64))
            inner = int(np.prod(x.shape[ax + 1 :], dtype=np.int64))
            mult, shift = mean_multiplier(x.scale[0], y.scale[0], x.shape[ax])
            consts.append(
                f"static const rg_mean_params {tag}_p = {{{outer}, {x.shape[ax]}, {inner}, {x.zero_point[0]}, "
                f"{mult}, {shift}, {y.zero_point[0]}}};"
            )
            body.append(f"    rg_mean_s8(&{tag}_p, {buf(x.index)}, {buf(y.index)}); /* {n}: MEAN axis {ax} */")
            continue
        if op.kind == "SOFTMAX":
            x, y = t[op.inputs[0]], t[op.outputs[0]]
            _require(x.dtype == "INT8" and y.dtype == "INT8", g, op, "with non-int8 tensors")
            depth = x.shape[-1]
            beta = np.float32(o.get("beta", 1.0))
            k = np.float32(-np.float32(x.scale[0])) * beta
            table = [0.0] * 256
            for v in range(256):
                table[255 - v] = _expf(float(k * np.float32(v)))
            consts.append(_float_array(f"{tag}_t", table))
            consts.append(
                f"static const rg_softmax_params {tag}_p = {{{x.size // depth}, {depth}, {_hexf(y.scale[0])}, "
                f"{y.zero_point[0]}}};"
            )
            body.append(f"    rg_softmax_s8(&{tag}_p, {tag}_t, {buf(x.index)}, {buf(y.index)}); /* {n}: SOFTMAX */")
            weight_bytes += 4 * 256
            continue
        raise AotError(f"{g.name}: operator {op.kind} has no code generator")  # pragma: no cover
    return CompiledModel(
        prefix=prefix,
        graph=g,
        plan=plan,
        consts="\n".join(consts),
        body="\n".join(body),
        macs=macs,
        weight_bytes=weight_bytes,
        input_size=x_in.size,
        output_size=y_out.size,
        input_quant=(x_in.scale[0], x_in.zero_point[0]),
        output_quant=(y_out.scale[0], y_out.zero_point[0]),
    )


def compile_models(
    flatbuffers: Mapping[str, bytes], out_dir: str | Path, *, stem: str = "radargest_models"
) -> dict[str, CompiledModel]:
    """Compile ``{"encoder": fb, "head": fb}`` (any names) to ``out_dir/<stem>.c`` and ``.h``.

    The header defines, per model ``NAME`` (upper case): ``RG_NAME_INPUT_SIZE``, ``RG_NAME_OUTPUT_SIZE``,
    ``RG_NAME_IN_SCALE`` / ``RG_NAME_IN_ZERO`` / ``RG_NAME_OUT_SCALE`` / ``RG_NAME_OUT_ZERO`` (read from
    the flatbuffer) and declares ``rg_name_input()``, ``rg_name_output()``, ``rg_name_invoke()``;
    ``RG_ARENA_BYTES`` is the one arena both models share.

    Raises:
        AotError: an unsupported operator (named), tensor type or quantisation.
    """
    compiled = {name: _compile_graph(parse_model(fb, name=name), f"rg_{name}") for name, fb in flatbuffers.items()}
    arena = max(-(-c.plan.arena_bytes // _ALIGN) * _ALIGN for c in compiled.values())
    h = [
        f"/* {stem}.h: generated by radargest (deploy.aot) from the bundle's int8 flatbuffers; do not edit. */",
        "#ifndef RADARGEST_MODELS_H",
        "#define RADARGEST_MODELS_H",
        "",
        "#include <stdint.h>",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        f"#define RG_ARENA_BYTES {arena} /* one arena shared by every model (they never run at once) */",
        "",
    ]
    c = [
        f"/* {stem}.c: generated by radargest (deploy.aot); do not edit. */",
        f'#include "{stem}.h"',
        "",
        "#include <stddef.h>",
        "",
        '#include "radargest_nn.h"',
        "",
        "/* the activation arena; int32 members only align it */",
        "static union {",
        "    int32_t align;",
        "    int8_t bytes[RG_ARENA_BYTES];",
        "} rg_arena;",
        "#define RG_ARENA (rg_arena.bytes)",
        "",
    ]
    for name, cm in compiled.items():
        up = name.upper()
        (si, zi), (so, zo) = cm.input_quant, cm.output_quant
        h += [
            f"/* {name}: {len(cm.graph.ops)} operators, {cm.macs} MACs, arena {cm.plan.arena_bytes} B */",
            f"#define RG_{up}_INPUT_SIZE {cm.input_size}",
            f"#define RG_{up}_OUTPUT_SIZE {cm.output_size}",
            f"#define RG_{up}_IN_SCALE {_hexf(si)} /* {si!r} */",
            f"#define RG_{up}_IN_ZERO {zi}",
            f"#define RG_{up}_OUT_SCALE {_hexf(so)} /* {so!r} */",
            f"#define RG_{up}_OUT_ZERO {zo}",
            f"int8_t *rg_{name}_input(void);",
            f"const int8_t *rg_{name}_output(void);",
            f"void rg_{name}_invoke(void);",
            "",
        ]
        g = cm.graph
        c += [
            f"/* ---- {name} ---- */",
            cm.consts,
            "",
            f"int8_t *rg_{name}_input(void)",
            "{",
            f"    return RG_ARENA + {cm.plan.offsets[g.inputs[0]]};",
            "}",
            "",
            f"const int8_t *rg_{name}_output(void)",
            "{",
            f"    return RG_ARENA + {cm.plan.offsets[g.outputs[0]]};",
            "}",
            "",
            f"void rg_{name}_invoke(void)",
            "{",
            cm.body,
            "}",
            "",
        ]
    h += ["#ifdef __cplusplus", "}", "#endif", "", "#endif /* RADARGEST_MODELS_H */", ""]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.h").write_text("\n".join(h), encoding="utf-8")
    (out / f"{stem}.c").write_text("\n".join(c), encoding="utf-8")
    return compiled


# -- host build (ctypes) --------------------------------------------------------------------------
NN_SOURCES = ("radargest_nn.c", "radargest_nn.h")
"""The kernel sources (``deploy/c``) the generated model code calls."""

NN_FLAGS = ("-ffp-contract=off",)
"""No fused multiply-add: the float step (softmax) must round as LiteRT's does, on the host and on
the Cortex-M4F (whose FPU has VFMA)."""


class AotLibrary:
    """The compiled models built into a host shared library, called through ctypes (parity tests)."""

    def __init__(self, path: str | Path, compiled: Mapping[str, CompiledModel]) -> None:
        self.lib = ctypes.CDLL(str(path))
        self.compiled = dict(compiled)
        for name in self.compiled:
            getattr(self.lib, f"rg_{name}_input").restype = ctypes.POINTER(ctypes.c_int8)
            getattr(self.lib, f"rg_{name}_output").restype = ctypes.POINTER(ctypes.c_int8)

    def invoke(self, name: str, x: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """One invocation of model ``name`` on an int8 input of its size; the int8 output (flat)."""
        cm = self.compiled[name]
        q = np.ascontiguousarray(np.asarray(x, dtype=np.int8).ravel())
        if q.size != cm.input_size:
            raise AotError(f"{name}: input of {q.size} values, the model takes {cm.input_size}")
        ctypes.memmove(getattr(self.lib, f"rg_{name}_input")(), q.ctypes.data, q.size)
        getattr(self.lib, f"rg_{name}_invoke")()
        out = getattr(self.lib, f"rg_{name}_output")()
        return np.ctypeslib.as_array(out, shape=(cm.output_size,)).astype(np.int8).copy()


def build_host_library(flatbuffers: Mapping[str, bytes], out_dir: str | Path) -> AotLibrary:
    """Compile the models (:func:`compile_models`) and build them with the system C compiler into a shared
    library in ``out_dir``."""
    import shutil

    from deploy.c_build import C_SOURCE_DIR, STRICT_FLAGS, CBuildError, find_compiler

    out = Path(out_dir)
    compiled = compile_models(flatbuffers, out)
    for name in NN_SOURCES:
        shutil.copyfile(C_SOURCE_DIR / name, out / name)
    cc = find_compiler()
    if cc is None:
        raise CBuildError("no C compiler found (set $CC or install cc/gcc/clang)")
    lib = out / "libradargest_models.so"
    cmd = [cc, *STRICT_FLAGS, *NN_FLAGS, "-O2", "-shared", "-fPIC", str(out / "radargest_nn.c")]
    cmd += [str(out / "radargest_models.c"), "-o", str(lib), "-lm"]
    import subprocess

    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CBuildError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return AotLibrary(lib, compiled)
