"""int8 conversion, interpreter scaling, fake quantisation and the quantisation report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.architectures import ArchitectureConfig, build, encoder_of, head_of
from models.quantize import (
    SCHEMES,
    TfliteModel,
    compact_for_micro,
    convert,
    fake_quantize,
    has_integer_tensors,
    quantize_run,
)


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


def _schema_model(flatbuffer: bytes):
    from ai_edge_litert import schema_py_generated as schema

    return schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)


def _pack(model) -> bytes:
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _zero_point_addresses(flatbuffer: bytes) -> list[int]:
    """Where each single-value zero-point vector lies in the flatbuffer (an address into one buffer)."""
    from ai_edge_litert import schema_py_generated as schema

    buf = bytearray(flatbuffer)
    sg = schema.Model.GetRootAs(buf, 0).Subgraphs(0)
    out = []
    for i in range(sg.TensorsLength()):
        q = sg.Tensors(i).Quantization()
        if q is not None and q.ZeroPointLength() == 1:
            out.append(q.ZeroPointAsNumpy().ctypes.data)
    return out


def _zero_points(flatbuffer: bytes) -> list[list[int] | None]:
    out = []
    for t in _schema_model(flatbuffer).subgraphs[0].tensors:
        zp = None if t.quantization is None else t.quantization.zeroPoint
        out.append(None if zp is None else [int(v) for v in zp])
    return out


@pytest.fixture(scope="module")
def split_flatbuffers(small_model_and_data: tuple) -> dict[str, tuple[bytes, np.ndarray]]:
    """The small model's encoder and head as the bundle converts them, with random int8 inputs."""
    model, x = small_model_and_data
    frames = x[:32].reshape(-1, 16, 6, 1)
    emb = np.asarray(encoder_of(model).predict(frames, verbose=0)).reshape(32, 10, -1)
    rng = np.random.default_rng(1)
    out = {}
    for name, sub, rep in (("encoder", encoder_of(model), frames[:200]), ("head", head_of(model), emb)):
        fb = convert(sub, "int8_per_channel", rep)
        shape = tuple(int(d) for d in TfliteModel(fb).input["shape"][1:])
        out[name] = (fb, rng.integers(-128, 128, size=(40, *shape)).astype(np.int8))
    return out


def test_compact_for_micro_is_smaller_and_tflm_runs_it_bit_identically(split_flatbuffers: dict) -> None:
    """The MCU form: per-channel zero points become one 0, no converter metadata, no empty buffers; TFLite Micro
    gives the same int8 outputs to the bit, LiteRT refuses it (so the bundle's .tflite files keep the converter's
    form)."""
    from deploy import tflm

    for name, (fb, xs) in split_flatbuffers.items():
        small = compact_for_micro(fb)
        assert len(small) < len(fb) - 100, name
        before, after = _zero_points(fb), _zero_points(small)
        per_channel = [i for i, zp in enumerate(before) if zp is not None and len(zp) > 1]
        assert per_channel, f"{name}: the converter wrote no per-channel zero points"
        assert all(after[i] == [0] for i in per_channel)
        assert [zp for i, zp in enumerate(after) if i not in per_channel] == [
            zp for i, zp in enumerate(before) if i not in per_channel
        ]  # activations keep their zero points
        m = _schema_model(small)
        assert not m.metadata and len(m.buffers) < len(_schema_model(fb).buffers)
        assert all(m.buffers[t.buffer].data is not None or t.buffer == 0 for t in m.subgraphs[0].tensors)
        assert compact_for_micro(small) == small  # nothing left to drop
        zero = [
            a
            for a, zp in zip(_zero_point_addresses(small), (z for z in after if z and len(z) == 1), strict=True)
            if zp == [0]
        ]
        assert len(zero) > 1 and len(set(zero)) == 1  # every zero point [0] is one shared vector
        TfliteModel(fb)  # the converter's form loads in LiteRT ...
        with pytest.raises(ValueError, match="zero_point"):
            TfliteModel(small)  # ... the MCU form does not
        if tflm.tflm_available():
            assert np.array_equal(tflm.tflm_invoke(small, xs), tflm.tflm_invoke(fb, xs)), name
    if not tflm.tflm_available():
        pytest.skip("tflite-micro not installed: sizes checked, TFLM outputs not")


def test_compact_for_micro_leaves_non_zero_zero_points_and_other_metadata(split_flatbuffers: dict) -> None:
    """A per-channel zero-point vector with any non-zero value stays whole (TFLM would read its first value for
    every channel), and metadata other than the converter's (e.g. TFLM's OfflineMemoryAllocation) is kept."""
    from ai_edge_litert import schema_py_generated as schema

    fb = split_flatbuffers["encoder"][0]
    model = _schema_model(fb)
    tensors = model.subgraphs[0].tensors
    per_channel = [i for i, zp in enumerate(_zero_points(fb)) if zp is not None and len(zp) > 1]
    first, *rest = per_channel
    zp = np.zeros(len(tensors[first].quantization.zeroPoint), dtype=np.int64)
    zp[-1] = 3  # only the last channel: a check of the first value alone would miss it
    tensors[first].quantization.zeroPoint = zp
    extra = schema.BufferT()
    extra.data = np.frombuffer(b"radargest", dtype=np.uint8)
    model.buffers.append(extra)
    meta = schema.MetadataT()
    meta.name, meta.buffer = "radargest_test", len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), meta]
    small = compact_for_micro(_pack(model))
    after = _zero_points(small)
    assert after[first] == [int(v) for v in zp]
    assert rest and all(after[i] == [0] for i in rest)
    m = _schema_model(small)
    assert [bytes(x.name) for x in m.metadata] == [b"radargest_test"]
    assert bytes(m.buffers[m.metadata[0].buffer].data) == b"radargest"


def test_compact_for_micro_refuses_what_is_not_a_flatbuffer() -> None:
    with pytest.raises(ValueError, match="TFLite flatbuffer"):
        compact_for_micro(b"not a model at all")


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


def test_quantize_split_none_scores_training_side(sim_dir: Path, tmp_path: Path) -> None:
    """A personalised run (split none, README step 3) quantizes: scored on its own recordings, and said so."""
    from tiny_models import tiny_config

    from models.data import parse_split
    from models.quantize import QuantizeConfig
    from models.train import train

    train(tiny_config(sim_dir, split=parse_split("none"), epochs=1), tmp_path, progress=False)  # type: ignore[arg-type]
    report = quantize_run(tmp_path, cfg=QuantizeConfig(representative_windows=16, latency_runs=2, bit_widths=(8,)))
    assert report["scored_on"] == "training" and report["held_out"] == [] and report["held_out_windows"] > 0
    assert len(report["scored_files"]) == len(list(sim_dir.rglob("*.h5")))
    assert (tmp_path / "model_int8.tflite").is_file()
    text = (tmp_path / "quant_report.md").read_text()
    assert "No held-out recordings" in text and "training-side" in text


def test_integer_graphs_are_scored_on_the_devices_kernels(small_model_and_data: tuple, split_flatbuffers: dict) -> None:
    """The report's int8 figures come from the builtin kernels the runtime (and TFLite Micro) use, not LiteRT's
    default XNNPACK delegate, which rounds int8 differently; a float graph keeps the delegate."""
    from deploy.runtime import Int8Model

    for name, (fb, q) in split_flatbuffers.items():
        tfl, dev = TfliteModel(fb), Int8Model(fb, name=name)
        assert has_integer_tensors(fb), name
        assert "DELEGATE" not in {d["op_name"] for d in tfl.interpreter._get_ops_details()}
        for x in q:
            tfl.interpreter.set_tensor(tfl.input["index"], x[None])
            tfl.interpreter.invoke()
            assert np.array_equal(tfl.interpreter.get_tensor(tfl.output["index"])[0], dev.invoke_int8(x)), name
    model, x = small_model_and_data
    float_fb = convert(model, "float32")
    assert not has_integer_tensors(float_fb)
    with pytest.raises(ValueError, match="not a valid Flatbuffer"):  # the interpreter's own refusal, not a parse error
        TfliteModel(b"abc")
    flt = TfliteModel(float_fb)
    assert "DELEGATE" in {d["op_name"] for d in flt.interpreter._get_ops_details()}


def test_quantize_names_scored_files_that_were_trained_on(tiny_run: Path, tmp_path: Path) -> None:
    """Other --data is split again: a training file of the run that lands on the test side is named in the
    report's held-out line as a training file, not passed as held out."""
    import shutil

    import h5py

    from models.config import read_config
    from models.quantize import QuantizeConfig

    trained = json.loads((tiny_run / "metrics.json").read_text())["split"]["train"][0]
    source = next(Path(read_config(tiny_run / "config.toml").data[0]).rglob(trained))
    shutil.copy(source, tmp_path / trained)
    shutil.copy(source, tmp_path / "other.h5")
    with h5py.File(tmp_path / "other.h5", "r+") as f:  # a subject sorted first: the trained file is held out
        f["radargest"].attrs["subject"] = "aaa"
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    cfg = QuantizeConfig(representative_windows=8, latency_runs=1, bit_widths=(8,))
    report = quantize_run(run, data=[tmp_path / trained, tmp_path / "other.h5"], cfg=cfg)
    assert report["held_out"] == [trained] and report["training_side_files"] == [trained]
    assert f"of which {trained} were training files of the run" in (run / "quant_report.md").read_text()
