"""int8 conversion, interpreter scaling, fake quantisation and the quantisation report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.architectures import ArchitectureConfig, build, encoder_of
from models.quantize import SCHEMES, TfliteModel, convert, fake_quantize, quantize_run


@pytest.fixture(scope="module")
def small_model_and_data() -> tuple:
    cfg = ArchitectureConfig(window_frames=10, conv_channels=(3, 4), embedding=5, head_channels=6, head_kernel=3)
    import keras

    keras.utils.set_random_seed(0)  # the same weights whatever ran before
    model = build(cfg)
    logits = model.get_layer("head").get_layer("logits")
    kernel, bias = logits.get_weights()
    logits.set_weights([kernel * 30.0, bias])  # an untrained model is near uniform; make decisions clear
    x = np.random.default_rng(0).random((300, 10, 16, 6), dtype=np.float32)
    return model, x


def test_int8_io_and_agreement(small_model_and_data: tuple) -> None:
    model, x = small_model_and_data
    fb = convert(model, "int8_per_channel", x[:32])
    tfl = TfliteModel(fb)
    assert tfl.io_types == ("int8", "int8")
    scale, zero = tfl.input["quantization"]
    assert scale > 0 and -128 <= zero <= 127
    p = tfl(x[32:])
    ref = np.asarray(model(x[32:]))
    assert np.abs(p - ref).mean() < 0.02  # an untrained model: max |dp| is scored on real runs instead
    margin = np.sort(ref, axis=1)[:, -1] - np.sort(ref, axis=1)[:, -2]
    clear = margin > 0.05  # ties may flip under int8
    assert clear.sum() >= 20
    assert np.mean(p.argmax(1)[clear] == ref.argmax(1)[clear]) >= 0.97  # toy model; real runs: quant_report


def test_names_stripped_by_default_with_bit_identical_outputs(small_model_and_data: tuple) -> None:
    """Every conversion strips the flatbuffer's strings: smaller, and the int8 outputs are the same to the bit."""
    model, x = small_model_and_data
    stripped = convert(model, "int8_per_channel", x[:32])
    kept = convert(model, "int8_per_channel", x[:32], keep_names=True)
    assert len(stripped) < len(kept) - 200
    assert b"serving_default" in kept and b"serving_default" not in stripped  # the signature key went too
    a, b = TfliteModel(stripped), TfliteModel(kept)
    for i in range(0, 40, 4):
        q = a._quantise(x[32 + i : 33 + i])
        outs = []
        for m in (a, b):
            m.interpreter.set_tensor(m.input["index"], q)
            m.interpreter.invoke()
            outs.append(m.interpreter.get_tensor(m.output["index"]).copy())
        assert outs[0].dtype == np.int8 and np.array_equal(outs[0], outs[1])


def test_encoder_exports_alone(small_model_and_data: tuple) -> None:
    model, x = small_model_and_data
    frames = x[:16].reshape(-1, 16, 6, 1)
    tfl = TfliteModel(convert(encoder_of(model), "int8_per_channel", frames[:64]))
    assert tuple(tfl.input["shape"]) == (1, 16, 6, 1)


def test_integer_candidates_need_data(small_model_and_data: tuple) -> None:
    from models.data import DataError

    with pytest.raises(DataError):
        convert(small_model_and_data[0], "int8_per_tensor", None)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_fake_quantize_levels(scheme: str) -> None:
    w = np.random.default_rng(2).standard_normal((3, 3, 4, 8)).astype(np.float32)
    for bits in (8, 4):
        q = fake_quantize(w, bits=bits, scheme=scheme)  # type: ignore[arg-type]
        assert q.shape == w.shape
        for c in range(w.shape[-1]):
            assert np.unique(q[..., c]).size <= 2**bits
    q8 = fake_quantize(w, bits=8, scheme=scheme)  # type: ignore[arg-type]
    tol = 0.5 if scheme == "power_of_two" else 0.02
    assert np.abs(q8 - w).max() <= tol * np.abs(w).max()


def test_quantize_report(tiny_run: Path) -> None:
    from models.quantize import QuantizeConfig

    report = quantize_run(tiny_run, cfg=QuantizeConfig(representative_windows=16, latency_runs=3, bit_widths=(8, 4)))
    names = [r["candidate"] for r in report["candidates"]]
    assert names[:4] == ["keras_float32", "float32", "int8_per_channel", "int8_per_tensor"]
    for row in report["candidates"]:
        if "error" not in row:
            assert {"size_bytes", "accuracy", "agreement", "max_abs_dp", "latency_ms"} <= set(row)
    assert len(report["bit_widths"]) == 2 * len(SCHEMES)
    assert json.loads((tiny_run / "quant_report.json").read_text())["params"] == report["params"]
    assert "| int8_per_channel | int8/int8 |" in (tiny_run / "quant_report.md").read_text()
    assert (tiny_run / "model_int8.tflite").stat().st_size < 32 * 1024
