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
