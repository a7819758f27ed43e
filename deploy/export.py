"""``radargest export``: a trained run → a self-describing embedded bundle (DESIGN §8). Build time only.

This module imports TensorFlow (through :mod:`models`); the runtime (:mod:`deploy.runtime`) does not.

:func:`export_bundle` splits the run's model into the per-frame ``encoder`` and the temporal ``head``
(:func:`models.architectures.encoder_of` / ``head_of``), converts both to full-integer int8 TFLite (int8
I/O; calibration: frames and float-encoder embeddings of *training-side* windows of the run's own split,
never held-out ones), and proves streaming equivalence kws_streaming style: every frame of the
validation-side recordings goes one at a time through the int8 encoder into the runtime's ring buffer,
and at each window end the int8 head must give the float window model's top-1 (``streaming.agreement``,
target >= 99 %). It then writes into ``out_dir``:

``encoder_int8.tflite``, ``head_int8.tflite`` (the converter's form, which LiteRT loads), ``model_data.c/.h``
(16-byte aligned arrays of the same two models in their MCU form, :func:`models.quantize.compact_for_micro`:
smaller, bit-identical in TFLite Micro, refused by LiteRT; the TFLM checks below run this form), the C99
feature, throttle and decision sources with a generated ``config.h``, ``example_main.cc``, ``manifest.json``
(preset and sensor fields, feature config, labels, every I/O scale and zero point read from the
interpreters, versions, sha256 of every other file) and ``report.md`` (flash in both forms, arena, MACs,
latency, MCU estimate, TFLM agreement).
"""

from __future__ import annotations

import dataclasses
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from deploy import tflm
from deploy.c_build import C_HEADERS, C_SOURCES, STRICT_FLAGS, compile_objects, find_compiler, object_size
from deploy.c_config import write_config_h
from deploy.power import throttle_power
from deploy.runtime import (
    BUNDLE_MODELS,
    MANIFEST,
    Int8Model,
    RingBuffer,
    check_sensor_fields,
    sensor_fields,
    sha256_file,
)
from deploy.throttle import ThrottleConfig, idle_geometry
from dsp.decision import DecisionConfig, DecisionPolicy, window_shift_frames

__all__ = [
    "BUNDLE_OUTPUTS",
    "ExportConfig",
    "McuModel",
    "check_stream_recordings",
    "export_bundle",
    "format_report",
    "model_data_c",
]

#: Everything radargest writes into a bundle folder: :func:`export_bundle`'s files, and the firmware project
#: that ``export --target cortex-m4f`` and ``radargest firmware`` build there (from the bundle's models, so
#: stale once they are replaced). What :func:`export_bundle` removes before writing a new bundle
#: (:func:`models.config.clear_outputs`; ``export --overwrite``, ``record --enrol --overwrite``); a name not
#: listed here is never removed.
BUNDLE_OUTPUTS = (
    *BUNDLE_MODELS,
    "model_data.c",
    "model_data.h",
    "config.h",
    *C_SOURCES,
    *C_HEADERS,
    "report.md",
    "example_main.cc",
    MANIFEST,
    "firmware/",
)


@dataclass(frozen=True, kw_only=True)
class McuModel:
    """Assumptions of the MCU estimate (a Cortex-M4F running TFLM with CMSIS-NN kernels).

    Fields:
        clock_hz: core clock [Hz].
        cycles_per_mac: int8 conv/dense inner-loop cost [cycles/MAC]. CMSIS-NN (Lai, Suda, Chandra 2018,
            arXiv:1801.06601) packs two 16-bit MACs per ``SMLAD`` instruction, so the ideal is 0.5; on
            small layers like these the im2col and requantisation overhead dominates, so 2 is assumed.
        op_overhead_cycles: TFLM dispatch and per-operator setup per invoked operator [cycles].
        active_ua_per_mhz: core active current [µA/MHz] (nRF52840 class, DC/DC on, running from flash).
        supply_v: supply voltage [V].
    """

    clock_hz: float = 64e6
    cycles_per_mac: float = 2.0
    op_overhead_cycles: int = 1500
    active_ua_per_mhz: float = 52.0
    supply_v: float = 3.0

    def cycles(self, macs: int, ops: int) -> float:
        return macs * self.cycles_per_mac + ops * self.op_overhead_cycles

    def energy_uj(self, cycles: float) -> float:
        """Energy of ``cycles`` of active core time [µJ]."""
        seconds = cycles / self.clock_hz
        current_a = self.active_ua_per_mhz * 1e-6 * self.clock_hz / 1e6
        return seconds * current_a * self.supply_v * 1e6


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    """Export settings.

    Fields:
        representative_frames: encoder calibration frames from training windows [count].
        representative_windows: head calibration windows from training windows [count].
        check_recordings: validation-side recordings streamed for the equivalence check (0 = all) [count].
        tflm_rows: recorded inputs run in TFLM and LiteRT for the agreement [count].
        arena_search: bisect the TFLM arena in subprocesses (needs ``tflite-micro``).
        arena_granularity: resolution of the arena search [bytes].
        latency_runs: timed LiteRT invocations per model [count].
        throttle: the throttle policy written to ``config.h`` and the manifest (``full_rate_hz`` set from
            the data's frame rate).
        decision: the decision layer written to the manifest (``"decision"``, with the gesture set's
            prefix table; ``min_score`` and the close look are the run's calibrated operating point
            (:func:`models.config.run_decision`), the run's ``prefixes`` are added) and to ``config.h``
            (``RG_DECISION_CONFIG_DEFAULT``, counted at the throttle's idle onset rate, as the device runs it).
        mcu: the MCU estimate's assumptions.
        seed: seeds the choice of calibration windows.
    """

    representative_frames: int = 2000
    representative_windows: int = 300
    check_recordings: int = 0
    tflm_rows: int = 200
    arena_search: bool = True
    arena_granularity: int = 16
    latency_runs: int = 300
    throttle: ThrottleConfig = dataclasses.field(default_factory=ThrottleConfig)
    decision: DecisionConfig = dataclasses.field(default_factory=DecisionConfig)
    mcu: McuModel = dataclasses.field(default_factory=McuModel)
    seed: int = 0


def model_data_c(arrays: dict[str, bytes], *, header: str = "model_data.h") -> tuple[str, str]:
    """C source and header holding each flatbuffer as a 16-byte aligned ``const unsigned char`` array."""
    h = [
        "/* model_data.h: generated by radargest export; do not edit. */",
        "#ifndef RADARGEST_MODEL_DATA_H",
        "#define RADARGEST_MODEL_DATA_H",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
    ]
    c = [
        "/* model_data.c: generated by radargest export; do not edit. TFLM needs 16-byte aligned models. */",
        f'#include "{header}"',
        "",
        "#if defined(__GNUC__) || defined(__clang__)",
        "#define RG_ALIGNED __attribute__((aligned(16)))",
        "#else",
        "#define RG_ALIGNED",
        "#endif",
        "",
    ]
    for name, data in arrays.items():
        h += [f"extern const unsigned char {name}[];", f"extern const unsigned int {name}_len;", ""]
        c.append(f"const unsigned char {name}[] RG_ALIGNED = {{")
        for i in range(0, len(data), 16):
            c.append("    " + ", ".join(f"0x{b:02x}" for b in data[i : i + 16]) + ",")
        c += ["};", f"const unsigned int {name}_len = {len(data)}u;", ""]
    h += ["#ifdef __cplusplus", "}", "#endif", "", "#endif /* RADARGEST_MODEL_DATA_H */", ""]
    return "\n".join(c), "\n".join(h)


EXAMPLE_MAIN = """\
// example_main.cc: a TFLite Micro main loop for the radargest bundle. Generated by radargest export.
//
// THIS FILE IS BUILT ON THE TARGET, not on the host: compile it with your MCU SDK next to TFLM
// (with CMSIS-NN kernels), radargest_features.c, radargest_throttle.c, radargest_decision.c and model_data.c. The
// sensor_read_frame(), sensor_set_config() and report_gesture() hooks are yours to provide.
// Scales and zero points are read from the interpreters, never hard-coded.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model_data.h"
#include "radargest_decision.h"
#include "radargest_features.h"
#include "radargest_throttle.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#define RG_WINDOW_FRAMES {window_frames}
#define RG_EMBEDDING {embedding}
#define RG_NUM_CLASSES {num_classes}
#define RG_ENCODER_ARENA {encoder_arena}
#define RG_HEAD_ARENA {head_arena}
// the head's probabilities are averaged over the windows ending these many frames from the newest frame (<= 0,
// the manifest's model.window_shifts_s at its frame rate), as the evaluation and the host runtime do
#define RG_HEAD_SHIFTS {head_shifts}
static const int32_t rg_head_shift_frames[RG_HEAD_SHIFTS] = {{{head_shift_frames}}};
#define RG_RING_FRAMES {ring_frames}  // the head's window plus the earliest shift

// a frame of the current config: RG_SWEEPS x RG_POINTS (full) or RG_IDLE_SWEEPS x RG_IDLE_POINTS (IDLE) complex int16
extern "C" int sensor_read_frame(int16_t *iq);  // 0 if none
extern "C" void sensor_set_config(int full);  // new session setup on a change (manifest sensor.states)
extern "C" void report_gesture(int cls, float score);

alignas(16) static uint8_t encoder_arena[RG_ENCODER_ARENA];
alignas(16) static uint8_t head_arena[RG_HEAD_ARENA];
static int8_t ring[RG_RING_FRAMES][RG_EMBEDDING];  // the newest embeddings, the oldest at head_ctx.newest

struct head_ctx {{ tflite::MicroInterpreter *head; int32_t newest; }};

// rg_decision_step's classifier: the head on the last RG_WINDOW_FRAMES embeddings, each window moved by a
// shift, the probabilities averaged (dequantised in float, summed in double in the shifts' order) (the window
// the policy asks for ends at the current frame at a checkpoint; a window on a longer event ends earlier, and
// the host runtime reads it from a longer ring, see deploy/runtime.py).
extern "C" void classify_head(void *ctx, int32_t start, int32_t end, int32_t window_end, float *probs) {{
  (void)start; (void)end; (void)window_end;
  head_ctx *h = (head_ctx *)ctx;
  TfLiteTensor *in = h->head->input(0), *out = h->head->output(0);
  double acc[RG_NUM_CLASSES] = {{0.0}};
  for (int i = 0; i < RG_HEAD_SHIFTS; ++i) {{
    // the window ending `shift` frames before the newest frame's end: its first row is that many rows plus
    // RG_RING_FRAMES - RG_WINDOW_FRAMES after the oldest, ring[h->newest]
    const int32_t first = h->newest + RG_RING_FRAMES - RG_WINDOW_FRAMES + rg_head_shift_frames[i];
    for (int k = 0; k < RG_WINDOW_FRAMES; ++k)
      memcpy(&in->data.int8[k * RG_EMBEDDING], ring[(first + k) % RG_RING_FRAMES], RG_EMBEDDING);
    h->head->Invoke();
    for (int c = 0; c < RG_NUM_CLASSES; ++c)
      acc[c] += (double)(out->params.scale * (float)(out->data.int8[c] - out->params.zero_point));
  }}
  for (int c = 0; c < RG_NUM_CLASSES; ++c) probs[c] = (float)(acc[c] / RG_HEAD_SHIFTS);
}}

static int8_t quantise(float x, const TfLiteTensor *t) {{
  // int8 affine scheme: real = scale * (q - zero_point), so q = round(real / scale) + zero_point
  float q = roundf(x / t->params.scale) + (float)t->params.zero_point;
  return (int8_t)(q < -128.f ? -128 : (q > 127.f ? 127 : q));
}}

int main(void) {{
  static tflite::MicroMutableOpResolver<10> ops;
  ops.AddConv2D(); ops.AddMaxPool2D(); ops.AddReshape(); ops.AddFullyConnected();
  ops.AddExpandDims(); ops.AddMean(); ops.AddSoftmax(); ops.AddSqueeze();
  tflite::MicroInterpreter enc(tflite::GetModel(rg_encoder_model), ops, encoder_arena, RG_ENCODER_ARENA);
  tflite::MicroInterpreter head(tflite::GetModel(rg_head_model), ops, head_arena, RG_HEAD_ARENA);
  if (enc.AllocateTensors() != kTfLiteOk || head.AllocateTensors() != kTfLiteOk) return 1;
  TfLiteTensor *enc_in = enc.input(0), *enc_out = enc.output(0);
  TfLiteTensor *head_in = head.input(0);

  static int16_t iq[RG_SWEEPS * RG_POINTS * 2];
  static float rd[RG_DOPPLER_BINS * RG_POINTS];
  rg_onset_state onset; rg_onset_init_idle(&onset);
  rg_throttle_state st; rg_throttle_init(&st);
  const rg_throttle_config cfg = RG_THROTTLE_CONFIG_DEFAULT;
  static rg_decision_state dec; rg_decision_init(&dec);
  static const rg_decision_config dcfg = RG_DECISION_CONFIG_DEFAULT;  // counts in onset (idle-rate) frames
  head_ctx hctx = {{&head, 0}};
  int32_t newest = 0, decided = 0, block_frames = 0, fill_pending = 0;
  float ratio = NAN;
  float block_power = 0.0f;  // onset powers sensed since the last onset sample (deploy.throttle.OnsetBlock)
  for (;;) {{
    if (!sensor_read_frame(iq)) continue;
    const int full = st.phase == RG_PHASE_ONSET || st.phase == RG_PHASE_ACTIVE;  // this frame's config
    // the IDLE sweeps and points (RG_IDLE_SWEEPS, RG_IDLE_POINTS), in every phase
    float power = full ? rg_features_idle_power_full_i16(iq) : rg_features_idle_power_i16(iq);
    if (full) (void)rg_features_frame_i16(iq, rd);  // range-Doppler map: full frames only
    if (isfinite(power)) {{ block_power += power; ++block_frames; }}
    rg_throttle_obs obs = {{NAN, decided}};
    if (rg_throttle_onset_due(&st, &cfg)) {{
      rg_onset_result r;
      rg_onset_process(&onset, block_frames ? block_power / block_frames : NAN, &r);
      obs.ratio_db = ratio = r.ratio_db;
      block_power = 0.0f; block_frames = 0;
    }} else {{
      ratio = NAN;
    }}
    rg_throttle_actions act; rg_throttle_step(&st, &obs, &cfg, &act);
    sensor_set_config(act.full_rate);
    decided = 0;
    // history = the first frame encoded after a wake (deploy/runtime.py); the IDLE frames have no map
    if (act.reset_head) fill_pending = 1;
    if (act.run_encoder) {{  // full-rate frames only
      for (int i = 0; i < RG_DOPPLER_BINS * RG_POINTS; ++i) enc_in->data.int8[i] = quantise(rd[i], enc_in);
      enc.Invoke();
      for (int j = 0; j < RG_EMBEDDING; ++j) {{  // requantise to the head's input scale
        float real = enc_out->params.scale * (enc_out->data.int8[j] - enc_out->params.zero_point);
        ring[newest][j] = quantise(real, head_in);
      }}
      if (fill_pending) {{
        for (int k = 0; k < RG_RING_FRAMES; ++k)
          if (k != newest) memcpy(ring[k], ring[newest], RG_EMBEDDING);
        fill_pending = 0;
      }}
      newest = (newest + 1) % RG_RING_FRAMES;
    }}
    if (!isnan(ratio)) {{  // the decision layer runs on the onset stream; it calls the head at its checkpoints
      rg_decision out[RG_DECISION_MAX_OUT];
      hctx.newest = newest;
      int32_t k = rg_decision_step(&dec, &dcfg, ratio, classify_head, &hctx, out);
      for (int32_t i = 0; i < k; ++i)
        if (out[i].accepted) {{ report_gesture(out[i].label, out[i].score); decided = 1; }}
    }}
  }}
}}
"""


def _points(sensor_config: dict[str, Any]) -> str:
    """``num_points (step_length)`` of exptool's dict of a one-subsweep sensor config."""
    sub = (sensor_config.get("subsweeps") or [sensor_config])[0]
    return f"{sub.get('num_points', '?')} ({sub.get('step_length', '?')})"


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for dist in ("radargest", "tensorflow-cpu", "tensorflow", "keras", "ai-edge-litert", "tflite-micro", "numpy"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            continue
    return out


def _io(model: Int8Model) -> dict[str, Any]:
    def one(d: dict[str, Any]) -> dict[str, Any]:
        scale, zero = d["quantization"]
        return {
            "shape": [int(s) for s in d["shape"]],
            "dtype": np.dtype(d["dtype"]).name,
            "scale": float(scale),
            "zero_point": int(zero),
        }

    return {"input": one(model.input), "output": one(model.output)}


def _latency_ms(model: Int8Model, x: npt.NDArray[np.int8], runs: int) -> float:
    model.invoke_int8(x)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.interpreter.invoke()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1000.0)


def _compile_model_data(out: Path, build: Path) -> int:
    cc = find_compiler()
    if cc is None:
        return -1
    obj = build / "model_data.o"
    import subprocess

    cmd = [cc, *STRICT_FLAGS, "-fno-asynchronous-unwind-tables", "-Os", "-c", str(out / "model_data.c"), "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return object_size(obj).flash


def bundle_throttle(throttle: ThrottleConfig, augment: Any, *, full_rate_hz: float) -> ThrottleConfig:
    """The bundle's throttle: ``throttle`` at the stream's rate, with ``idle_history`` as the run was trained
    (``augment``: the run's :class:`models.data.AugmentConfig`, or None): a model trained on the IDLE frames'
    history needs a runtime that keeps it, and one trained on the fill a runtime that fills.

    Raises:
        ValueError: the run's IDLE history was trained on another IDLE frame than ``throttle`` senses.
    """
    idle = augment is not None and getattr(augment, "wake_history", "fill") == "idle"
    if idle:
        trained = (
            augment.wake_idle_sweeps,
            augment.wake_idle_point_step,
            getattr(augment, "wake_idle_point_offset", 0),
            augment.wake_idle_decimation,
        )
        sensed = (throttle.idle_sweeps, throttle.idle_point_step, throttle.idle_point_offset, throttle.idle_decimation)
        if trained != sensed:
            raise ValueError(
                f"the run was trained on the history of IDLE frames of {trained[0]} sweeps, point step {trained[1]} "
                f"from point {trained[2]}, decimation {trained[3]}; the throttle senses {sensed[0]}, {sensed[1]} from "
                f"{sensed[2]}, {sensed[3]}"
            )
    return dataclasses.replace(throttle, full_rate_hz=full_rate_hz, idle_history=idle)


def check_stream_recordings(run_dir: str | Path, paths: Sequence[str | Path]) -> None:
    """Refuse, before any export work, a recording to stream through the bundle (``export --target cortex-m4f
    --measure`` / ``--everyday``) of another sensor config than the run's preset (the fields the bundle's
    manifest will hold, :func:`deploy.runtime.check_sensor_fields`) or whose frame rate is more than
    :data:`dsp.FRAME_RATE_TOLERANCE` off the rate ``run_dir`` was trained at: the bundle's window is the run's
    number of frames. The firmware measurement (:func:`deploy.firmware.target.add_firmware_target`, through
    :func:`deploy.runtime.session_stream`) would refuse both too, but only after the export.

    Raises:
        models.config.RunError: ``run_dir`` is no training run.
        acquisition.RecordingError: an unreadable recording, or one at another frame rate (naming both rates).
        deploy.runtime.BundleError: a recording of another sensor config (naming the fields that differ).
    """
    import dsp
    from acquisition import RecordingError, load_session
    from models.config import read_run_config

    tcfg = read_run_config(Path(run_dir))
    run_hz = tcfg.trained_rate_hz
    fields = _manifest_sensor_fields(tcfg.dataset.preset)
    for path in paths:
        session = load_session(Path(path))
        check_sensor_fields(session, fields, preset=tcfg.dataset.preset, owner="run")  # as session_stream, in order
        mismatch = dsp.frame_rate_mismatch(session.stream_rate_hz, run_hz, expected="the run's")
        if mismatch:
            raise RecordingError(path, mismatch)


def export_bundle(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    representative: Sequence[str | Path] | None = None,
    cfg: ExportConfig | None = None,
    log: Callable[[str], None] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Export a run directory to a bundle folder (see the module docstring); returns the manifest.

    Args:
        run_dir: a finished ``radargest train`` run.
        out_dir: bundle folder (created; an earlier export's outputs there, :data:`BUNDLE_OUTPUTS` with the
            ``firmware/`` built from its models, are removed first; other files stay and are not in the manifest).
        representative: recordings for calibration and the equivalence check (default: the run's
            ``data``); only the training and validation sides of the run's split are used.
        progress: bars (on stderr) over the recordings loaded and the ones the streaming check runs on.

    Raises:
        models.config.RunError: a bad run directory; ``out_dir`` holds a run.
        models.data.DataError: a missing ``representative`` path (before the model loads); no training windows; a
            recording more than :data:`dsp.FRAME_RATE_TOLERANCE` off the run's frame rate.
    """
    from models.architectures import count_macs, encoder_of, head_of
    from models.config import clear_outputs, load_run, refuse_mixed_folder, run_data_paths, run_decision
    from models.data import (
        DataError,
        balanced_sample,
        cut_windows,
        load_recordings,
        materialise,
        split_recordings,
    )
    from models.quantize import compact_for_micro, convert

    refuse_mixed_folder(Path(out_dir), writing="bundle")  # before the work: a run there would stay beside it
    ecfg = cfg or ExportConfig()
    say = log or (lambda _m: None)
    paths = run_data_paths(Path(run_dir), representative)  # before the model: its load imports TensorFlow
    model, tcfg = load_run(Path(run_dir))
    base_throttle = bundle_throttle(ecfg.throttle, tcfg.augment, full_rate_hz=ecfg.throttle.full_rate_hz)
    enc_k, head_k = encoder_of(model), head_of(model)
    arch = tcfg.architecture
    t = arch.window_frames
    ds = tcfg.dataset
    if max(ds.window.test_shifts_s) > 0:
        raise DataError(
            f"export: test_shifts_s {ds.window.test_shifts_s} holds a positive shift; a device cannot average over "
            "frames it has not sensed yet (use shifts <= 0)"
        )
    decision = run_decision(tcfg, ecfg.decision)

    def bar(items: Iterable[Any], desc: str) -> Iterable[Any]:
        return tqdm(list(items), desc=desc, unit="file", disable=not progress, file=sys.stderr)

    recs = load_recordings(paths, cfg=ds, progress=lambda files: bar(files, "load"))
    tcfg.check_rates(recs)  # calibrated and checked at the run's rate
    split = split_recordings(recs, tcfg.split, gestures=ds.gestures, window_frames=t, seed=tcfg.seed)
    rng = np.random.default_rng([ecfg.seed, 0xE4])
    w = cut_windows(recs, split.train, cfg=ds, window_frames=t, split=split, role="train")
    if len(w) == 0:
        raise DataError("export: no training windows for calibration")
    sample = balanced_sample(w, ds, rng)
    sample = sample.subset(rng.permutation(len(sample))[: ecfg.representative_windows])
    x_rep, _ = materialise(recs, sample, cfg=ds, window_frames=t)
    frames_rep = x_rep.reshape(-1, arch.doppler_bins, arch.points, 1)
    frames_rep = frames_rep[rng.permutation(len(frames_rep))[: ecfg.representative_frames]]
    emb_rep = np.asarray(enc_k.predict(x_rep.reshape(-1, arch.doppler_bins, arch.points, 1), verbose=0, batch_size=512))
    emb_rep = emb_rep.reshape(len(x_rep), t, -1).astype(np.float32)
    say(f"calibration: {len(frames_rep)} frames, {len(emb_rep)} windows from {len(split.train)} training recording(s)")
    enc_fb = convert(enc_k, "int8_per_channel", frames_rep)
    head_fb = convert(head_k, "int8_per_channel", emb_rep)
    enc_q, head_q = Int8Model(enc_fb, name="encoder"), Int8Model(head_fb, name="head")
    say(f"int8: encoder {len(enc_fb)} B, head {len(head_fb)} B")

    # -- streaming equivalence on the validation side (kws_streaming style) -------------------------
    check_idx = list(split.val) or list(split.train)
    if ecfg.check_recordings:
        check_idx = check_idx[: ecfg.check_recordings]
    agree = total = 0
    float_dp = 0.0
    tflm_enc_in: list[npt.NDArray[np.int8]] = []
    tflm_head_in: list[npt.NDArray[np.int8]] = []
    s_out, z_out = enc_q.out_scale, enc_q.out_zero
    s_in, z_in = head_q.in_scale, head_q.in_zero
    for i in bar(check_idx, "streaming check"):
        rec = recs[i]
        cw = cut_windows(recs, [i], cfg=ds, window_frames=t, split=split, role="val" if split.val else "train")
        ends = np.unique(cw.end[cw.end >= t])
        if ends.size == 0:
            continue
        feats = rec.features
        last = int(ends.max())
        ring = RingBuffer(t, int(enc_q.output_shape[-1]))
        want = set(ends.tolist())
        x_win = np.stack([feats[e - t : e] for e in ends])
        p_window = np.asarray(model.predict(x_win, verbose=0, batch_size=256))
        emb_f = np.asarray(enc_k.predict(feats[:last, :, :, None], verbose=0, batch_size=1024))
        p_stream_f = np.asarray(head_k.predict(np.stack([emb_f[e - t : e] for e in ends]), verbose=0))
        float_dp = max(float_dp, float(np.abs(p_stream_f - p_window).max()))
        p_int8 = []
        for n in range(last):  # one frame at a time: encoder → requantise → ring buffer
            qx = enc_q.quantise(feats[n][:, :, None])
            qe = enc_q.invoke_int8(qx)
            real = (qe.astype(np.float32) - z_out) * s_out
            ring.push(n, np.clip(np.round(real / s_in) + z_in, -128, 127).astype(np.int8))
            if len(tflm_enc_in) < ecfg.tflm_rows and n % 7 == 0:
                tflm_enc_in.append(qx)
            if n + 1 in want:
                win = ring.window(n + 1, t)
                p_int8.append(head_q.dequantise(head_q.invoke_int8(win)))
                if len(tflm_head_in) < ecfg.tflm_rows:
                    tflm_head_in.append(win)
        p_int8_a = np.stack(p_int8)
        agree += int(np.sum(p_int8_a.argmax(1) == p_window.argmax(1)))
        total += len(ends)
    streaming = {
        "recordings": [recs[i].path.name for i in check_idx],
        "windows": total,
        "agreement": agree / total if total else None,
        "float_max_abs_dp": float_dp,
    }
    share = "n/a" if streaming["agreement"] is None else f"{streaming['agreement']:.4f}"
    say(f"streaming int8 vs float window top-1 agreement: {share} over {total} windows")

    # -- write the bundle -------------------------------------------------------------------------
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out, BUNDLE_OUTPUTS)  # after the conversion and the check: a failure there keeps the old bundle
    (out / BUNDLE_MODELS[0]).write_bytes(enc_fb)
    (out / BUNDLE_MODELS[1]).write_bytes(head_fb)
    enc_mcu, head_mcu = compact_for_micro(enc_fb), compact_for_micro(head_fb)  # what TFLM runs on the MCU
    c_text, h_text = model_data_c({"rg_encoder_model": enc_mcu, "rg_head_model": head_mcu})
    (out / "model_data.c").write_text(c_text)
    (out / "model_data.h").write_text(h_text)
    rec0 = recs[check_idx[0]] if check_idx else recs[0]
    from acquisition import get_preset, load_session

    session = load_session(rec0.path)
    import dsp

    geometry = dsp.FrameGeometry.from_sensor_config(
        session.sensor_config, session.metadata, frame_rate_hz=float(rec0.frame_rate_hz)
    )
    throttle = dataclasses.replace(base_throttle, full_rate_hz=float(rec0.frame_rate_hz))
    idle_geo = idle_geometry(geometry, cfg=throttle)
    device_policy = DecisionPolicy.on_onset_stream(  # the device's policy is fed the idle-rate onset stream
        cfg=decision,
        segment=ds.segment,
        classes=ds.classes,
        window_frames=t,
        full_rate_hz=float(rec0.frame_rate_hz),
        stream_rate_hz=idle_geo.frame_rate_hz,
        end_pad_s=ds.window.end_pad_s,
        pre_s=ds.window.pre_s,
        point_ranges_m=idle_geo.distances_m,  # the IDLE points the device feeds
        idle=True,
    )
    write_config_h(
        out / "config.h",
        geometry=geometry,
        rd_cfg=ds.features,
        onset_cfg=ds.onset,
        throttle_cfg=throttle,
        decision=device_policy,
    )
    from deploy.c_build import C_SOURCE_DIR

    for name in C_SOURCES + C_HEADERS:
        shutil.copyfile(C_SOURCE_DIR / name, out / name)

    # -- measurements -----------------------------------------------------------------------------
    macs = count_macs(model)
    with tempfile.TemporaryDirectory(prefix="radargest-cbuild-") as tmp:
        c_flash = compile_objects(tmp, ("-Os",), config_h=out / "config.h") if find_compiler() else {}
        model_flash = _compile_model_data(out, Path(tmp))
    liveness = {name: tflm.liveness_peak(fb) for name, fb in (("encoder", enc_fb), ("head", head_fb))}
    arena: dict[str, Any] = {}
    tflm_agree: dict[str, Any] = {}
    if tflm.tflm_available():
        with tempfile.TemporaryDirectory(prefix="radargest-micro-") as micro_tmp:
            for name, fb, rows, q in (
                ("encoder", enc_mcu, tflm_enc_in, enc_q),
                ("head", head_mcu, tflm_head_in, head_q),
            ):
                if ecfg.arena_search:  # on the MCU form, probed from a file in subprocesses
                    low = liveness[name].peak_bytes
                    path = Path(micro_tmp) / f"{name}.tflite"
                    path.write_bytes(fb)
                    s = tflm.find_arena(path, low=low, high=low + 64 * 1024, granularity=ecfg.arena_granularity)
                    arena[name] = {"bytes": s.arena_bytes, "probes": s.probes, "granularity": s.granularity}
                if rows:  # TFLM on the MCU form against LiteRT on the converter's form
                    x = np.stack(rows)
                    micro = tflm.tflm_invoke(fb, x).astype(np.int32)
                    lite = np.stack([q.invoke_int8(r) for r in x]).astype(np.int32)
                    tflm_agree[name] = {"rows": len(x), "max_abs_lsb": int(np.abs(micro - lite).max())}
        say(
            "TFLM: "
            + "; ".join(
                f"{name} arena {arena[name]['bytes']} B" if name in arena else f"{name} arena not searched"
                for name in ("encoder", "head")
            )
            + "".join(
                f"; {name} {a['rows']} rows within {a['max_abs_lsb']} LSB of LiteRT" for name, a in tflm_agree.items()
            )
        )
    latency = {
        "encoder_ms": _latency_ms(enc_q, np.zeros(enc_q.input_shape, np.int8), ecfg.latency_runs),
        "head_ms": _latency_ms(head_q, np.zeros(head_q.input_shape, np.int8), ecfg.latency_runs),
    }
    mcu = ecfg.mcu
    n_ops = {name: liveness[name].ops for name in liveness}
    enc_cycles = mcu.cycles(macs["encoder_per_frame"], n_ops["encoder"])
    head_cycles = mcu.cycles(macs["head_per_hop"], n_ops["head"])
    preset = get_preset(ds.preset)
    manifest: dict[str, Any] = {
        "format": "radargest-bundle",
        "format_version": 1,
        "run": str(Path(run_dir).resolve()),  # absolute: bench and the firmware find it from any folder
        "sensor": {
            "preset": ds.preset,
            "fields": _manifest_sensor_fields(ds.preset),
            "frame_rate_hz": float(rec0.frame_rate_hz),
            # each throttle state's exptool config and its A121 current (exptool's power model)
            "states": throttle_power(throttle, preset=preset).to_dict(),
        },
        "features": {
            "range_doppler": _plain(ds.features),
            "onset": _plain(ds.onset),
            "segment": _plain(ds.segment),
        },
        "window": {"window_s": ds.window.window_s, "end_pad_s": ds.window.end_pad_s, "pre_s": ds.window.pre_s},
        "labels": list(ds.classes),
        "model": {
            "architecture": arch.name,
            "window_frames": t,
            # the device averages the head over the windows moved by these, as the evaluation does
            "window_shifts_s": [float(v) for v in ds.window.test_shifts_s],
            "doppler_bins": arch.doppler_bins,
            "points": arch.points,
            "embedding": int(enc_q.output_shape[-1]),
            "macs": macs,
        },
        "quantization": {"encoder": _io(enc_q), "head": _io(head_q)},
        "throttle": {f.name: getattr(throttle, f.name) for f in dataclasses.fields(throttle)},
        "decision": decision.manifest_section(ds.classes),
        "streaming": streaming,
        "versions": _versions(),
    }
    c_total = sum(c_flash.values())
    # the example loop's head windows: their end offsets at the bundle's rate, and its ring
    shift_frames = window_shift_frames(manifest["model"]["window_shifts_s"], float(rec0.frame_rate_hz))
    ring_frames = t + max(-v for v in shift_frames)
    report = {
        "flash": {
            "models_bytes": model_flash,  # model_data.o: the MCU form
            "tflite_bytes": len(enc_fb) + len(head_fb),  # the converter's form (the .tflite files)
            "mcu_flatbuffer_bytes": len(enc_mcu) + len(head_mcu),  # the MCU form (model_data.c)
            "flatbuffers": {
                "encoder": {"tflite_bytes": len(enc_fb), "mcu_bytes": len(enc_mcu)},
                "head": {"tflite_bytes": len(head_fb), "mcu_bytes": len(head_mcu)},
            },
            "c_objects": c_flash,
        },
        "flash_total_bytes": (model_flash + c_total) if model_flash >= 0 else None,
        "ring_buffer_bytes": ring_frames * int(enc_q.output_shape[-1]),
        "arena": arena,
        "liveness": {k: dataclasses.asdict(v) for k, v in liveness.items()},
        "tflm_vs_litert": tflm_agree,
        "macs": macs,
        "hop_frames": throttle.head_hop_frames,
        "latency": latency,
        "mcu": {
            **dataclasses.asdict(mcu),
            "encoder_cycles": enc_cycles,
            "head_cycles": head_cycles,
            "encoder_us": enc_cycles / mcu.clock_hz * 1e6,
            "head_us": head_cycles / mcu.clock_hz * 1e6,
            "encoder_uj": mcu.energy_uj(enc_cycles),
            "head_uj": mcu.energy_uj(head_cycles),
        },
        "streaming": streaming,
    }
    manifest["report"] = report
    (out / "report.md").write_text(format_report(manifest))
    (out / "example_main.cc").write_text(
        EXAMPLE_MAIN.format(
            window_frames=t,
            embedding=int(enc_q.output_shape[-1]),
            head_shifts=len(shift_frames),
            head_shift_frames=", ".join(map(str, shift_frames)),
            ring_frames=ring_frames,
            num_classes=len(ds.classes),
            encoder_arena=_round_up(arena.get("encoder", {}).get("bytes", 16 * 1024)),
            head_arena=_round_up(arena.get("head", {}).get("bytes", 16 * 1024)),
        )
        if not throttle.idle_history
        else "#error \"this bundle's throttle keeps the IDLE frames' history (ThrottleConfig.idle_history, train "
        "--wake-history idle), which this example loop does not run (it would encode every idle-rate frame's "
        "rg_features_idle_map_i16 into the ring until the next frame, and not refill the ring at a wake); the "
        'firmware does: radargest firmware, deploy/firmware/src/main.c (RG_IDLE_HISTORY)"\n'
    )
    written = sorted(name for name in BUNDLE_OUTPUTS if not name.endswith("/") and name != MANIFEST)
    manifest["files"] = {name: sha256_file(out / name) for name in written}  # never a user's file beside them
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, allow_nan=False))
    return manifest


def _round_up(n: int, to: int = 256) -> int:
    return -(-int(n) // to) * to


def _manifest_sensor_fields(preset: str) -> dict[str, Any]:
    """The manifest's ``sensor.fields``: the feature-relevant fields of ``preset``'s sensor config, which
    :func:`deploy.runtime.check_recording` compares every recording streamed through the bundle with."""
    from acquisition import get_preset
    from acquisition.presets import FEATURE_FIELDS

    return sensor_fields(get_preset(preset).sensor_config, tuple(FEATURE_FIELDS))


def _plain(cfg: Any) -> dict[str, Any]:
    d = dataclasses.asdict(cfg)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items() if v is not None}


def _kib(n: int | None) -> str:
    return "—" if n is None or n < 0 else f"{n} B ({n / 1024:.1f} KiB)"


def format_report(manifest: dict[str, Any]) -> str:
    """``report.md`` of a bundle manifest."""
    r = manifest["report"]
    m = r["macs"]
    hop = r["hop_frames"]
    mcu = r["mcu"]
    arena = r["arena"]
    live = r["liveness"]
    arena_total = sum(a["bytes"] for a in arena.values()) if arena else None
    s = r["streaming"]
    lines = [
        f"# radargest bundle report: {manifest['run']}",
        "",
        f"Preset `{manifest['sensor']['preset']}` at {manifest['sensor']['frame_rate_hz']:.2f} Hz; labels "
        f"{', '.join(manifest['labels'])}; window {manifest['model']['window_frames']} frames; "
        f"embedding {manifest['model']['embedding']}.",
        "",
        "## Budget (Cortex-M4F part: 64 KiB flash, 32 KiB RAM; goals 24 KiB / 8 KiB)",
        "",
        "| item | bytes |",
        "|---|---:|",
        f"| models in flash (model_data.o, -Os) | {_kib(r['flash']['models_bytes'])} |",
        f"| flatbuffers, MCU form (encoder + head in model_data.c; TFLite Micro) | "
        f"{_kib(r['flash'].get('mcu_flatbuffer_bytes'))} |",
        f"| flatbuffers, converter form (encoder_int8.tflite + head_int8.tflite; LiteRT) | "
        f"{_kib(r['flash']['tflite_bytes'])} |",
    ]
    for name, n in r["flash"]["c_objects"].items():
        lines.append(f"| {name}.o (-Os, host ISA) | {_kib(n)} |")
    lines += [
        f"| **flash total (models + C objects)** | **{_kib(r['flash_total_bytes'])}** |",
    ]
    for name, a in arena.items():
        what = f"smallest working, ±{a['granularity']} B, {a['probes']} probes"
        lines.append(f"| TFLM arena, {name} ({what}) | {_kib(a['bytes'])} |")
    lines += [
        f"| **TFLM arena total (two interpreters)** | **{_kib(arena_total)}** |",
        f"| head ring buffer (int8 (T + earliest window shift) × embedding) | {_kib(r['ring_buffer_bytes'])} |",
        "",
        "Flash excludes the TFLM runtime library itself (its size depends on the op resolver and the "
        "toolchain). C object sizes are for the host ISA (x86-64), an upper bound for Thumb-2. The MCU form "
        "(models.quantize.compact_for_micro) stores each all-zero per-channel zero-point vector as one 0, drops the "
        "converter's metadata and the empty buffers, and stores equal arrays once: TFLite Micro runs it "
        "bit-identically (the TFLM checks below run it), LiteRT refuses it, so the .tflite files keep the "
        "converter's form.",
        "",
        "Liveness cross-check (peak of live activation tensors; the arena adds TFLM's persistent structs):",
        "",
        "| model | ops | liveness peak | TFLM arena | persistent overhead |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, lv in live.items():
        a = arena.get(name, {}).get("bytes")
        over = "—" if a is None else str(a - lv["peak_bytes"])
        lines.append(f"| {name} | {lv['ops']} | {lv['peak_bytes']} | {a if a is not None else '—'} | {over} |")
    per_hop = hop * m["encoder_per_frame"] + m["head_per_hop"]
    lines += [
        "",
        "## Compute",
        "",
        f"- MACs per frame (encoder): {m['encoder_per_frame']}",
        f"- MACs per head run: {m['head_per_hop']}",
        f"- MACs per hop of {hop} frames (always-on: {hop} encoder runs + 1 head run): {per_hop}",
        f"- whole-window model, for comparison: {m['window']}",
        f"- host latency (LiteRT int8, one thread, median): encoder {r['latency']['encoder_ms']:.4f} ms, "
        f"head {r['latency']['head_ms']:.4f} ms",
        "",
    ]
    if "firmware" in r:  # export --target cortex-m4f: measured figures replace the estimate
        from deploy.firmware.target import format_firmware_report

        lines += format_firmware_report(manifest)
    else:
        lines += [
            f"## MCU estimate (Cortex-M4F at {mcu['clock_hz'] / 1e6:g} MHz; an estimate, not a measurement)",
            "",
            f"cycles = MACs × {mcu['cycles_per_mac']} cycles/MAC + ops × {mcu['op_overhead_cycles']} cycles; "
            f"energy = cycles / f × {mcu['active_ua_per_mhz']} µA/MHz × f × {mcu['supply_v']} V.",
            "",
            "| inference | cycles | time [µs] | energy [µJ] |",
            "|---|---:|---:|---:|",
            f"| encoder (per frame) | {mcu['encoder_cycles']:.0f} | {mcu['encoder_us']:.1f} | "
            f"{mcu['encoder_uj']:.2f} |",
            f"| head (per run) | {mcu['head_cycles']:.0f} | {mcu['head_us']:.1f} | {mcu['head_uj']:.2f} |",
            "",
            "Assumptions: TFLM with CMSIS-NN int8 kernels. CMSIS-NN (Lai, Suda, Chandra, *CMSIS-NN: Efficient "
            "Neural Network Kernels for Arm Cortex-M CPUs*, arXiv:1801.06601, 2018) computes two 16-bit MACs per "
            "`SMLAD`, an ideal 0.5 cycle/MAC; for layers this small the im2col copies, requantisation and loop "
            f"overhead dominate, so {mcu['cycles_per_mac']} cycles/MAC is assumed, plus {mcu['op_overhead_cycles']} "
            "cycles of TFLM dispatch per operator. Active current: nRF52840-class M4F from flash with the DC/DC "
            f"converter ({mcu['active_ua_per_mhz']} µA/MHz at {mcu['supply_v']} V). Sensor, feature extraction "
            "and radio energy are not included. Validate on hardware with a cycle counter (DWT->CYCCNT).",
            "",
        ]
    states = manifest["sensor"].get("states")
    if states:
        lines += ["", "## Sensor configuration per throttle state (A121 current: exptool's power model)", ""]
        lines += [
            "| state | sweeps | points (step) | frame rate Hz | between sweeps | between frames | A121 mA |",
            "|---|---:|---:|---:|---|---|---:|",
        ]
        for name, label in (("full", "ONSET / ACTIVE"), ("idle", "IDLE, COOLDOWN")):
            st = states[name]
            sc = st["sensor_config"]
            between = "HIBERNATE" if st["hibernate"] else sc["inter_frame_idle_state"]
            lines.append(
                f"| {label} | {sc['sweeps_per_frame']} | {_points(sc)} | {sc['frame_rate']:.2f} | "
                f"{sc['inter_sweep_idle_state']} | "
                f"{between} | {st['current_ma']:.3f} |"
            )
        lines += [""]
    lines += [
        "## Verification",
        "",
        f"- Streaming (frame by frame through the int8 encoder, ring buffer and int8 head) vs the float window "
        f"model: top-1 agreement **{_pct(s['agreement'])}** over {s['windows']} validation-side windows "
        f"({', '.join(s['recordings'])}); float encoder+head vs float window model: max |Δp| "
        f"{s['float_max_abs_dp']:.2e}.",
    ]
    for name, a in r["tflm_vs_litert"].items():
        lines.append(
            f"- TFLM vs LiteRT, {name}: max {a['max_abs_lsb']} LSB over {a['rows']} recorded inputs (bound: 2 LSB)."
        )
    if not r["tflm_vs_litert"]:
        lines.append("- TFLM not run (tflite-micro not installed).")
    lines += ["", f"Versions: {', '.join(f'{k} {v}' for k, v in manifest['versions'].items())}.", ""]
    return "\n".join(lines)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.2f} %"
