"""The ahead-of-time compiled models (deploy.aot) against LiteRT's builtin int8 kernels: 0 LSB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dsp
from deploy import find_compiler
from deploy.aot import AotError, build_host_library, compile_models, parse_model, plan_arena, quantize_multiplier
from deploy.runtime import BUNDLE_MODELS, Int8Model, RingBuffer


@pytest.fixture(scope="module")
def aot(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory):
    if find_compiler() is None:
        pytest.skip("no C compiler")
    fbs = {
        "encoder": (tiny_bundle / BUNDLE_MODELS[0]).read_bytes(),
        "head": (tiny_bundle / BUNDLE_MODELS[1]).read_bytes(),
    }
    lib = build_host_library(fbs, tmp_path_factory.mktemp("aot"))
    return lib, {k: Int8Model(v, name=k) for k, v in fbs.items()}


def _recorded_inputs(frames: np.ndarray, enc: Int8Model, head: Int8Model, *, features: dsp.RangeDopplerConfig, n: int):
    """Encoder inputs of ``n`` recorded frames and the head windows the runtime would build from them."""
    with np.errstate(invalid="ignore"):
        rd = np.nan_to_num(dsp.range_doppler(frames[:n], cfg=features)).astype(np.float32)
    xs = [enc.quantise(r.reshape(enc.input_shape[1:])) for r in rd]
    t = head.input_shape[1]
    ring = RingBuffer(t, head.input_shape[2])
    windows = []
    for i, x in enumerate(xs):
        real = (enc.invoke_int8(x).astype(np.float32) - enc.out_zero) * enc.out_scale
        ring.push(i, np.clip(np.round(real / head.in_scale) + head.in_zero, -128, 127).astype(np.int8))
        if i % 5 == 4:
            windows.append(ring.window(i + 1, t))
    return xs, windows


@pytest.mark.parametrize("source", ["sim", "real"])
def test_aot_models_bit_exact_on_recorded_inputs(aot, tiny_bundle, sim_stream, real_stream, source) -> None:
    from deploy.runtime import load_bundle

    lib, models = aot
    frames, _ = sim_stream if source == "sim" else real_stream("tap_in_idx_1")
    bundle = load_bundle(tiny_bundle)
    xs, windows = _recorded_inputs(frames, models["encoder"], models["head"], features=bundle.features, n=300)
    assert len(windows) > 30
    for name, rows in (("encoder", xs), ("head", windows)):
        got = np.stack([lib.invoke(name, r) for r in rows]).astype(np.int32)
        want = np.stack([models[name].invoke_int8(r).ravel() for r in rows]).astype(np.int32)
        assert np.abs(got - want).max() == 0, name
        assert len(np.unique(np.stack(rows))) > 2  # recorded inputs, not a constant


def test_aot_models_bit_exact_on_random_inputs(aot) -> None:
    lib, models = aot
    rng = np.random.default_rng(5)
    for name, m in models.items():
        for _ in range(50):
            x = rng.integers(-128, 128, size=m.input_shape, dtype=np.int8)
            assert np.array_equal(lib.invoke(name, x), m.invoke_int8(x).ravel()), name


def _mean_flatbuffer(n: int, inner: int, *, in_q: tuple[float, int], out_q: tuple[float, int]) -> bytes:
    """A one-operator int8 model: MEAN over axis 1 of an ``(1, n, inner)`` input, built with the schema."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as fbs

    code = fbs.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fbs.BuiltinOperator.MEAN
    code.version = 2
    buffers = [fbs.BufferT() for _ in range(4)]
    buffers[2].data = list(np.array([1], "<i4").tobytes())  # the axis

    def tensor(name: str, shape: tuple[int, ...], kind: int, buf: int, q: tuple[float, int] | None) -> object:
        t = fbs.TensorT()
        t.name, t.shape, t.type, t.buffer = name, list(shape), kind, buf
        if q is not None:
            t.quantization = fbs.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [q[0]], [q[1]]
        return t

    op = fbs.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1], [2]
    op.builtinOptionsType, op.builtinOptions = fbs.BuiltinOptions.ReducerOptions, fbs.ReducerOptionsT()
    g = fbs.SubGraphT()
    g.tensors = [
        tensor("x", (1, n, inner), fbs.TensorType.INT8, 1, in_q),
        tensor("axis", (1,), fbs.TensorType.INT32, 2, None),
        tensor("y", (1, inner), fbs.TensorType.INT8, 3, out_q),
    ]
    g.operators, g.inputs, g.outputs = [op], [0], [2]
    model = fbs.ModelT()
    model.version, model.operatorCodes, model.buffers, model.subgraphs = 3, [code], buffers, [g]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@pytest.mark.parametrize(
    ("in_q", "out_q"),
    [
        # the head's temporal mean of the tiny model trained with AugmentConfig(wake_exact=True) at 20569fa
        ((0.00026749272365123034, -128), (0.00013499522174242884, -128)),
        ((0.02, 3), (0.013, -5)),  # negative sums: the final shift rounds ties away from zero
        ((0.02, 5), (0.02, 5)),  # equal quantisation in and out goes the same integer way
    ],
)
def test_mean_equals_litert_on_every_sum(tmp_path: Path, in_q, out_q) -> None:
    """MEAN is integer arithmetic in LiteRT (and TFLite Micro): ``mul_q31(sum - n * zero, M, s)`` with 1/n
    folded into the multiplier and two roundings. The float mean the AOT code used before,
    ``round(sum / n * scale - zero * scale)``, is 1 LSB off on 13-16 % of the sums (for the first case
    sum - n * zero = 51 gives 14.44: 14 in float, 15 in LiteRT), which turned into a 1-LSB head output
    difference on recorded inputs. The output depends on the sum only, so every sum is checked."""
    if find_compiler() is None:
        pytest.skip("no C compiler")
    n, inner = 7, 64
    fb = _mean_flatbuffer(n, inner, in_q=in_q, out_q=out_q)
    lib, ref = build_host_library({"m": fb}, tmp_path), Int8Model(fb, name="m")
    # one column per reachable sum: n values spread as evenly as the int8 range allows
    sums = np.arange(-128 * n, 127 * n + 1)
    cols = (sums // n + (np.arange(n)[:, None] < sums % n)).astype(np.int8)  # (n, sums)
    assert np.array_equal(cols.astype(np.int64).sum(axis=0), sums)
    cols = np.pad(cols, ((0, 0), (0, -cols.shape[1] % inner)), constant_values=-128)
    got, want = [], []
    for k in range(0, cols.shape[1], inner):
        x = cols[:, k : k + inner][None]
        got.append(lib.invoke("m", x))
        want.append(ref.invoke_int8(x).ravel())
    diff = np.abs(np.concatenate(got).astype(np.int32) - np.concatenate(want).astype(np.int32))
    assert diff.max() == 0, f"{int((diff > 0).sum())} of {diff.size} sums differ"


def test_arena_plan_reuses_memory_and_never_overlaps_live_tensors(tiny_bundle) -> None:
    g = parse_model((tiny_bundle / BUNDLE_MODELS[1]).read_bytes(), name="head")
    plan = plan_arena(g)
    acts = list(plan.lifetimes)
    total = sum(g.tensors[t].size for t in acts)
    assert plan.arena_bytes < total  # buffers are shared over time
    for i, a in enumerate(acts):
        for b in acts[i + 1 :]:
            (fa, la), (fb, lb) = plan.lifetimes[a], plan.lifetimes[b]
            if la < fb or lb < fa:
                continue  # never live together
            oa, ob = plan.offsets[a], plan.offsets[b]
            assert oa + g.tensors[a].size <= ob or ob + g.tensors[b].size <= oa


def test_unsupported_operator_is_refused_by_name(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    inp = tf.keras.Input((8,))
    model = tf.keras.Model(inp, tf.keras.layers.Activation("tanh")(tf.keras.layers.Dense(4)(inp)))

    def rep():
        for _ in range(8):
            yield [np.random.default_rng(0).normal(size=(1, 8)).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with pytest.raises(AotError, match="operator TANH is not supported"):
        compile_models({"m": conv.convert()}, tmp_path)


def test_not_a_flatbuffer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AotError, match="not a TFLite flatbuffer"):
        compile_models({"m": b"garbage-bytes"}, tmp_path)


@pytest.mark.parametrize("real", [0.5, 0.75, 1e-3, 2.0**-20, 0.9999999999])
def test_quantize_multiplier_represents_the_scale(real: float) -> None:
    m, shift = quantize_multiplier(real)
    assert 1 << 30 <= m < 1 << 31
    assert m * 2.0 ** (shift - 31) == pytest.approx(real, rel=1e-9)
