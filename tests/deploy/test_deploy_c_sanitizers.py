"""The C build under AddressSanitizer and UndefinedBehaviorSanitizer, driven through the ctypes harness.

The feature, onset, throttle and decision sources (and the ahead-of-time compiled models of a bundle) are
built with ``-fsanitize=address,undefined -fno-sanitize-recover=all`` for several geometries and configs,
and ``c_sanitizer_driver.py`` feeds them random frames, NaN and infinity, saturated int16, all-zero and
huge frames, hostile onset powers, throttle states and configs at the int32 limits, and decision streams
with NaN scores, in a subprocess with the ASan runtime preloaded. Any sanitizer report aborts that process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dsp
from deploy import ThrottleConfig, build_shared_library, find_compiler, write_config_h
from deploy.c_build import C_SOURCE_DIR, STRICT_FLAGS

SAN_FLAGS = ("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")
DRIVER = Path(__file__).with_name("c_sanitizer_driver.py")
REPO = Path(__file__).resolve().parents[2]


def _runtime(name: str) -> str | None:
    cc = find_compiler()
    if cc is None:
        return None
    out = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True, check=False).stdout.strip()
    return out if out and Path(out).is_file() else None


ASAN = _runtime("libasan.so")
pytestmark = pytest.mark.skipif(ASAN is None, reason="no C compiler with AddressSanitizer (libasan)")

GEOMETRIES = {
    # the gesture_close preset at its free-running rate
    "gesture_close": dict(sweep_rate_hz=1000.0, sweeps_per_frame=16, start_point=20, num_points=6, step_length=12),
    # the smallest frame with a non-zero Hann window (2 sweeps give an all-zero window, which config.h
    # generation refuses), one point, at a high frame rate
    "tiny": dict(sweep_rate_hz=2000.0, sweeps_per_frame=3, start_point=0, num_points=1, step_length=1),
    # a long frame (odd sweep count) at a slow frame rate
    "long": dict(sweep_rate_hz=500.0, sweeps_per_frame=63, start_point=-10, num_points=40, step_length=24),
}
RATES = {"gesture_close": 57.14, "tiny": 800.0, "long": 5.0}
RD = {
    "gesture_close": dsp.RangeDopplerConfig(),
    "tiny": dsp.RangeDopplerConfig(compression="db", normalisation="none"),
    "long": dsp.RangeDopplerConfig(compression="none", normalisation="none"),
}
THROTTLE = {
    "gesture_close": dict(),
    "tiny": dict(
        idle_decimation=1,
        idle_sweeps=2,
        idle_window="rect",  # a 2-point Hann window is all zeros
        warmup_s=0.0,
        hold_s=0.001,
        cooldown_s=0.0,
        head_hop_frames=1,
    ),
    "long": dict(idle_decimation=7, hold_s=20.0, max_active_s=60.0, cooldown_s=30.0, head_hop_frames=9),
}


def _run_driver(spec: dict, tmp: Path) -> dict:
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = dict(os.environ)
    env["LD_PRELOAD"] = str(ASAN)
    env["ASAN_OPTIONS"] = "detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=87"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(spec_path)], capture_output=True, text=True, timeout=600, check=False, env=env
    )
    report = proc.stderr[-4000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr, report
    assert proc.returncode == 0, report
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_c_features_throttle_decision_under_sanitizers(name: str, tmp_path: Path) -> None:
    rate = RATES[name]
    geometry = dsp.FrameGeometry(**GEOMETRIES[name], base_step_length_m=0.0025, frame_rate_hz=rate)
    cfg = ThrottleConfig(full_rate_hz=rate, **THROTTLE[name])
    write_config_h(
        tmp_path / "config.h", geometry=geometry, rd_cfg=RD[name], onset_cfg=dsp.OnsetConfig(), throttle_cfg=cfg
    )
    lib = build_shared_library(tmp_path, flags=SAN_FLAGS)
    oc = dsp.OnsetConfig()
    idle = rate / cfg.idle_decimation
    spec = {
        "lib": str(lib),
        "sweeps": geometry.sweeps_per_frame,
        "points": geometry.num_points,
        "smooth_frames": oc.smoothing_frames(rate),
        "floor_frames": oc.floor_frames(rate),
        "smooth_idle": oc.smoothing_frames(idle),
        "floor_idle": oc.floor_frames(idle),
        "throttle": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "rate": rate,
        "seed": 7,
        "n": 48,
    }
    counts = _run_driver(spec, tmp_path)
    assert (
        counts["features"] > 0 and counts["idle_maps"] > 0 and counts["throttle"] > 0 and counts["decision_steps"] > 0
    )
    assert counts["onset_refused"] >= 3  # windows beyond the compiled capacity or < 1 are refused


def test_aot_models_under_sanitizers(tiny_bundle: Path, tmp_path: Path) -> None:
    from deploy.aot import NN_FLAGS, NN_SOURCES, compile_models
    from deploy.runtime import BUNDLE_MODELS

    fbs = {Path(n).stem.replace("_int8", ""): (tiny_bundle / n).read_bytes() for n in BUNDLE_MODELS}
    compiled = compile_models(fbs, tmp_path)
    for name in NN_SOURCES:
        (tmp_path / name).write_bytes((C_SOURCE_DIR / name).read_bytes())
    lib = tmp_path / "libradargest_models_san.so"
    cmd = [str(find_compiler()), *STRICT_FLAGS, *NN_FLAGS, *SAN_FLAGS, "-shared", "-fPIC"]
    cmd += [str(tmp_path / "radargest_nn.c"), str(tmp_path / "radargest_models.c"), "-o", str(lib), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    # the feature library is needed by the driver too: build the default one
    geometry = dsp.FrameGeometry(**GEOMETRIES["gesture_close"], base_step_length_m=0.0025, frame_rate_hz=57.14)
    cfg = ThrottleConfig(full_rate_hz=57.14)
    write_config_h(
        tmp_path / "config.h",
        geometry=geometry,
        rd_cfg=dsp.RangeDopplerConfig(),
        onset_cfg=dsp.OnsetConfig(),
        throttle_cfg=cfg,
    )
    features = build_shared_library(tmp_path, flags=SAN_FLAGS)
    oc = dsp.OnsetConfig()
    spec = {
        "lib": str(features),
        "sweeps": 16,
        "points": 6,
        "smooth_frames": oc.smoothing_frames(57.14),
        "floor_frames": oc.floor_frames(57.14),
        "smooth_idle": oc.smoothing_frames(57.14 / cfg.idle_decimation),
        "floor_idle": oc.floor_frames(57.14 / cfg.idle_decimation),
        "throttle": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "rate": 57.14,
        "seed": 11,
        "n": 16,
        "aot": {"lib": str(lib), "models": {n: [c.input_size, c.output_size] for n, c in compiled.items()}},
    }
    counts = _run_driver(spec, tmp_path)
    assert counts["aot_invocations"] >= 8
