"""Drive the C build compiled with ``-fsanitize=address,undefined`` through the ctypes harness.

Run by ``test_deploy_c_sanitizers.py`` in a subprocess with the ASan runtime preloaded (a ctypes-loaded
ASan library needs it first in the process). Argument: a JSON spec with the library, its geometry and
configs, and optionally the ahead-of-time compiled models. Any sanitizer report aborts the process
(``halt_on_error``); otherwise it checks that outputs of finite inputs are finite, and prints a JSON
summary of the calls made.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np

import dsp
from deploy import ThrottleConfig
from deploy.c_binding import CLibrary
from deploy.throttle import Phase


def frames_of(rng: np.random.Generator, kind: str, n: int, s: int, p: int) -> np.ndarray:
    """``(n, s, p)`` complex frames of one hostile kind."""
    shape = (n, s, p)
    if kind == "random":
        return rng.normal(0, 300, shape) + 1j * rng.normal(0, 300, shape)
    if kind == "huge":
        return rng.normal(0, 1e30, shape) + 1j * rng.normal(0, 1e30, shape)
    if kind == "tiny":
        return rng.normal(0, 1e-30, shape) + 1j * rng.normal(0, 1e-30, shape)
    if kind == "zero":
        return np.zeros(shape, dtype=complex)
    if kind == "saturated":
        v = rng.choice([-32768.0, 32767.0], size=(*shape, 2))
        return v[..., 0] + 1j * v[..., 1]
    x = rng.normal(0, 300, shape) + 1j * rng.normal(0, 300, shape)
    bad = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[kind]
    mask = rng.random(shape) < 0.2
    mask[:, 0, 0] = True
    x[mask] = bad + 1j * bad if kind == "nan" else complex(bad, 0.0)
    return x


FINITE_KINDS = ("random", "tiny", "zero", "saturated")
KINDS = (*FINITE_KINDS, "huge", "nan", "inf", "-inf")


def run_features(
    lib: CLibrary, rng: np.random.Generator, n: int, counts: dict[str, int], idle_frame: tuple[int, int] | None = None
) -> None:
    """The feature entry points on every kind of frame; ``idle_frame``: (IDLE sweeps, point step) for the IDLE map."""
    for kind in KINDS:
        x = frames_of(rng, kind, n, lib.sweeps, lib.points)
        maps, power = lib.features(x)
        _, idle = lib.features(x, with_map=False)
        assert maps is not None
        if kind in FINITE_KINDS:
            assert np.all(np.isfinite(maps)) and np.all(np.isfinite(power)), kind
            assert np.array_equal(power, idle)
        if kind in ("saturated", "zero", "random"):
            q = np.round(np.clip(x.real, -32768, 32767)) + 1j * np.round(np.clip(x.imag, -32768, 32767))
            maps16, p16 = lib.features(q, int16=True)
            assert maps16 is not None and np.all(np.isfinite(maps16)) and np.all(np.isfinite(p16)), kind
        lib.idle_power(x) if hasattr(lib, "idle_power") else None
        counts["features"] += 3 * n
        if idle_frame is not None:  # the IDLE map (ThrottleConfig.idle_history), from a full and from an IDLE frame
            sweeps, step = idle_frame
            full_map = lib.idle_map(x)
            idle_frame_map = lib.idle_map(x[:, :sweeps, ::step], full=False)
            if kind in FINITE_KINDS:
                assert np.all(np.isfinite(full_map)) and np.array_equal(full_map, idle_frame_map), kind
            if kind in ("saturated", "zero", "random"):
                assert np.all(np.isfinite(lib.idle_map(q, int16=True))), kind
            counts["idle_maps"] += 2 * n


def run_onset(lib: CLibrary, spec: dict[str, Any], rng: np.random.Generator, n: int, counts: dict[str, int]) -> None:
    smooth, floor = spec["smooth_frames"], spec["floor_frames"]
    for bad in (math.nan, math.inf, -math.inf, 0.0, 3.4e38, -1.0):
        st = lib.new_onset(smooth, floor)
        powers = rng.exponential(1e4, n).astype(np.float32)
        powers[rng.random(n) < 0.3] = bad
        for v in powers.tolist():
            metric, floor_db, ratio = lib.onset_process(st, v)
            counts["onset"] += 1
        # the state recovers: after the windows have seen only finite powers, the outputs are finite again
        for _ in range(smooth + floor + 2):
            metric, floor_db, ratio = lib.onset_process(st, float(rng.exponential(1e4)))
            counts["onset"] += 1
        assert all(math.isfinite(v) for v in (metric, floor_db, ratio)), (bad, metric, floor_db, ratio)
    for s_, f_ in ((0, 1), (1, 0), (-5, 3), (smooth + 10**6, floor), (2**31 - 1, 2**31 - 1)):
        try:
            lib.new_onset(s_, f_)
        except ValueError:
            counts["onset_refused"] += 1


def run_throttle(lib: CLibrary, rng: np.random.Generator, n: int, counts: dict[str, int]) -> None:
    """``rg_throttle_step`` on raw C configs and states at the int32 limits, with NaN/inf observations."""
    import ctypes

    from deploy.c_binding import CThrottleConfig, CThrottleState, _CActions, _CObs

    big = 2**31 - 1
    ints = [0, 1, 3, big - 1, big, -1, -big - 1]
    floats = [math.nan, math.inf, -math.inf, 0.0, 6.0, -3.4e38, 3.4e38]
    for _ in range(n):
        cfg = CThrottleConfig.of(ThrottleConfig(full_rate_hz=57.0))
        for field, ctype in CThrottleConfig._fields_:
            setattr(cfg, field, float(rng.choice(floats)) if ctype is ctypes.c_float else int(rng.choice(ints)))
        st = CThrottleState()
        lib.lib.rg_throttle_init(ctypes.byref(st))
        for field, _ in CThrottleState._fields_:
            setattr(st, field, int(rng.choice([0, 5, big - 1, big])))
        st.phase = int(rng.integers(0, len(Phase)))
        act = _CActions()
        for _ in range(8):
            obs = _CObs(float(rng.choice(floats)), int(rng.random() < 0.3))
            lib.lib.rg_onset_state_bytes()
            due = lib.lib.rg_throttle_onset_due(ctypes.byref(st), ctypes.byref(cfg))
            lib.lib.rg_throttle_step(ctypes.byref(st), ctypes.byref(obs), ctypes.byref(cfg), ctypes.byref(act))
            assert st.phase in {int(p) for p in Phase}, st.phase
            assert due in (0, 1)
            counts["throttle"] += 1


def run_emulate(lib: CLibrary, spec: dict[str, Any], rng: np.random.Generator, n: int, counts: dict[str, int]) -> None:
    cfg = ThrottleConfig(**spec["throttle"])
    x = np.concatenate([frames_of(rng, k, n // len(KINDS) + 1, lib.sweeps, lib.points) for k in KINDS])
    trace = lib.emulate(x, cfg=cfg, smooth_frames=spec["smooth_idle"], floor_frames=spec["floor_idle"])
    counts["emulate_frames"] += len(trace.phase)


def run_decision(lib: CLibrary, spec: dict[str, Any], rng: np.random.Generator, n: int, counts: dict[str, int]) -> None:
    classes = ("none", "tap_in", "tap_out", "double_tap_in", "wiggle")
    rate = spec["rate"]
    for i in range(6):
        cfg = dsp.DecisionConfig(min_score=float(rng.choice([0.0, 0.5, 0.99])))
        seg = dsp.SegmentConfig(
            merge_gap_s=float(rng.choice([0.0, 0.5, 5.0])), min_duration_s=float(rng.choice([0.0, 0.2]))
        )
        policy = dsp.DecisionPolicy(
            cfg=cfg,
            segment=seg,
            classes=classes,
            frame_rate_hz=rate,
            window_frames=int(rng.choice([1, 50, 500])),
            end_pad_frames=int(rng.choice([0, 6])),
            pre_frames=int(rng.choice([0, 3])),
        )
        ratios = rng.normal(0, 8, n).astype(np.float32)
        ratios[rng.random(n) < 0.1] = rng.choice([np.nan, np.inf, -np.inf, 3.4e38])

        def classify(start: int, end: int, window_end: int, i: int = i) -> np.ndarray:
            p = rng.dirichlet(np.ones(len(classes))).astype(np.float32)
            if i % 3 == 1:
                p[int(rng.integers(len(classes)))] = rng.choice([np.nan, np.inf, -1.0, 2.0])
            return p

        records = lib.decide(ratios, classify, policy=policy)
        counts["decision_steps"] += n
        counts["decision_records"] += len(records)


def run_aot(spec: dict[str, Any], rng: np.random.Generator, n: int, counts: dict[str, int]) -> None:
    """The ahead-of-time compiled models (``rg_<name>_input/invoke/output``) on random and extreme int8."""
    import ctypes

    aot = spec["aot"]
    lib = ctypes.CDLL(aot["lib"])
    for name, (size_in, size_out) in aot["models"].items():
        getattr(lib, f"rg_{name}_input").restype = ctypes.POINTER(ctypes.c_int8)
        getattr(lib, f"rg_{name}_output").restype = ctypes.POINTER(ctypes.c_int8)
        for kind in ("random", "min", "max", "zero"):
            for _ in range(max(1, n // 8)):
                if kind == "random":
                    x = rng.integers(-128, 128, size_in, dtype=np.int8)
                else:
                    x = np.full(size_in, {"min": -128, "max": 127, "zero": 0}[kind], dtype=np.int8)
                ctypes.memmove(getattr(lib, f"rg_{name}_input")(), x.ctypes.data, size_in)
                getattr(lib, f"rg_{name}_invoke")()
                y = np.ctypeslib.as_array(getattr(lib, f"rg_{name}_output")(), shape=(size_out,)).copy()
                assert y.dtype == np.int8
                counts["aot_invocations"] += 1


def main() -> int:
    spec = json.loads(open(sys.argv[1]).read())
    rng = np.random.default_rng(spec["seed"])
    n = spec["n"]
    counts: dict[str, int] = dict.fromkeys(
        [
            "features",
            "idle_maps",
            "onset",
            "onset_refused",
            "throttle",
            "emulate_frames",
            "decision_steps",
            "decision_records",
            "aot_invocations",
        ],
        0,
    )
    lib = CLibrary(spec["lib"], sweeps=spec["sweeps"], points=spec["points"])
    thr = spec["throttle"]
    run_features(lib, rng, n, counts, idle_frame=(thr["idle_sweeps"], thr["idle_point_step"]))
    run_onset(lib, spec, rng, n, counts)
    run_throttle(lib, rng, n, counts)
    run_emulate(lib, spec, rng, 4 * n, counts)
    run_decision(lib, spec, rng, 4 * n, counts)
    if spec.get("aot"):
        run_aot(spec, rng, n, counts)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
