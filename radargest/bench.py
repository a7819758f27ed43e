"""``radargest bench``: measured figures, as ratios against a reference timed in the same run."""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from acquisition import get_preset
from acquisition.sim import EverydayPlan, Renderer, SessionPlan, Subject, plan_session
from acquisition.simulate import simulate_everyday, simulate_session

__all__ = ["bench_all", "bench_sim", "format_bench_all", "machine_info", "write_json"]


def machine_info() -> dict[str, Any]:
    """The CPU and Python the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__}


def bench_sim(*, sim_hours: float = 1.0, record_minutes: float = 5.0, chunk_frames: int = 2048) -> dict[str, Any]:
    """Simulator throughput on one core for the ``gesture_close`` preset.

    Renders ``sim_hours`` of a mixed-gesture session (the physics only), then writes ``record_minutes``
    through the full path (``SimClient`` → ``a121.H5Recorder`` → file) to show the recording overhead,
    and as long an everyday stream (``simulate --everyday``: negatives, cause labels, one gesture a
    minute). Ratios are simulated seconds per wall second: 1.0 is real time; the everyday figure also
    gives simulated seconds per CPU second of this process, which a busy machine does not change.
    """
    config = get_preset("gesture_close").sensor_config
    subject = Subject.from_seed(0)
    reps = max(1, int(np.ceil(sim_hours * 3600 / 4 / 2.0)))  # enough: a gesture cycle lasts over 2 s
    plan = SessionPlan(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"), reps_per_gesture=reps)
    scene = plan_session(plan, subject=subject, seed=0)
    renderer = Renderer(scene, config, base_step_length_m=0.0025)
    n_total = int(min(renderer.num_frames_total_or_inf, sim_hours * 3600 / renderer.period_s))
    t0 = time.perf_counter()
    done = 0
    while done < n_total:
        n = min(chunk_frames, n_total - done)
        renderer.render(n)
        done += n
    render_s = time.perf_counter() - t0
    simulated_s = n_total * renderer.period_s

    rec_plan = SessionPlan(gestures=plan.gestures, reps_per_gesture=max(1, int(record_minutes * 60 / 4 / 3.5)))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        frames, _ = simulate_session(
            Path(tmp) / "bench.h5",
            plan=rec_plan,
            subject=subject,
            seed=1,
            sensor_config=config,
            preset="gesture_close",
        )
        record_s = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        ev_frames, _, _ = simulate_everyday(
            Path(tmp) / "everyday.h5",
            plan=EverydayPlan(duration_s=record_minutes * 60.0),
            subject=subject,
            seed=2,
            sensor_config=config,
            preset="gesture_close",
        )
        ev_wall_s, ev_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    ev_simulated_s = ev_frames * renderer.period_s
    return {
        "preset": "gesture_close",
        "frame_rate_hz": 1.0 / renderer.period_s,
        "render": {
            "frames": n_total,
            "simulated_s": simulated_s,
            "wall_s": render_s,
            "x_realtime": simulated_s / render_s,
            "wall_s_per_simulated_hour": render_s * 3600 / simulated_s,
        },
        "render_and_record": {
            "frames": frames,
            "simulated_s": frames * renderer.period_s,
            "wall_s": record_s,
            "x_realtime": frames * renderer.period_s / record_s,
        },
        "everyday_render_and_record": {
            "frames": ev_frames,
            "simulated_s": ev_simulated_s,
            "wall_s": ev_wall_s,
            "cpu_s": ev_cpu_s,
            "x_realtime": ev_simulated_s / ev_wall_s,
            "x_realtime_cpu": ev_simulated_s / ev_cpu_s,
        },
        "machine": machine_info(),
    }


def write_json(result: dict[str, Any], path: Path | None) -> str:
    """Pretty JSON of ``result``, also written to ``path`` when given."""
    text = json.dumps(result, indent=2)
    if path is not None:
        path.write_text(text + "\n")
    return text


# -- bench all ------------------------------------------------------------------------------------
def _time_per_call(fn: Any, *, runs: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` over ``runs`` calls [s]."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _model_latency(run_dir: Path, bundle: Any, *, runs: int) -> dict[str, Any]:
    """Keras float vs TFLite float (LiteRT) vs the bundle's int8 models, per frame and per hop [s].

    Keras is timed as an eager call on one input (what a Python loop pays per frame); TFLite float runs
    with LiteRT's default XNNPACK delegate; int8 runs as :class:`deploy.runtime.Int8Model` does, builtin
    kernels without XNNPACK (they agree with TFLite Micro), one thread.
    """
    import keras
    from ai_edge_litert.interpreter import Interpreter

    from models.architectures import custom_objects, encoder_of, head_of
    from models.quantize import convert

    model = keras.models.load_model(run_dir / "model.keras", custom_objects=custom_objects(), compile=False)
    out: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    for part, sub, i8 in (("frame", encoder_of(model), bundle.encoder), ("hop", head_of(model), bundle.head)):
        shape = (1, *(int(d) for d in sub.input.shape[1:]))
        x = rng.standard_normal(shape).astype(np.float32)
        keras_s = _time_per_call(lambda sub=sub, x=x: sub(x, training=False), runs=runs)
        interp = Interpreter(model_content=convert(sub, "float32"), num_threads=1)
        interp.allocate_tensors()
        idx = interp.get_input_details()[0]["index"]

        def tfl(interp: Any = interp, idx: int = idx, x: Any = x) -> None:
            interp.set_tensor(idx, x)
            interp.invoke()

        tflite_s = _time_per_call(tfl, runs=runs)
        q = i8.quantise(x[0])
        int8_s = _time_per_call(lambda i8=i8, q=q: i8.invoke_int8(q), runs=runs)
        out[part] = {"keras_float_s": keras_s, "tflite_float_s": tflite_s, "litert_int8_s": int8_s}
    return out


def _decision_latency(res: Any, labels: Any, rate: float, wall_s_per_frame: float) -> dict[str, Any]:
    """End-to-end decision latency on a labelled stream: from the simulator's motion end (a label's
    ``end_frame``) to the end of the frame the decision is made at, plus that frame's mean processing time,
    over the correctly detected events, per gesture and overall [ms]."""
    from deploy.sweep import match_events

    truth = [(la.start_frame, la.end_frame, la.gesture) for la in labels]
    m = match_events(res.events, truth)
    by: dict[str, list[float]] = {}
    for (_, end, g), j in zip(truth, m.correct_detection, strict=True):
        if j >= 0:
            by.setdefault(g, []).append((res.decided_at[j] + 1 - end) / rate * 1000.0 + wall_s_per_frame * 1000.0)
    every = [v for vs in by.values() for v in vs]

    def pct(v: list[float]) -> dict[str, Any]:
        return {"p50": float(np.percentile(v, 50)), "p90": float(np.percentile(v, 90)), "n": len(v)} if v else {}

    return {"all": pct(every), "by_class": {g: pct(v) for g, v in sorted(by.items())}, "truth": len(truth)}


def _streaming(bundle: Any, *, seconds: float) -> dict[str, Any]:
    """Real-time factor of the whole streaming path (features, onset, throttle, int8 networks), the
    throttle's utilisation and the end-to-end decision latency, on a simulated session, throttled and
    always-on."""
    from acquisition import load_session
    from deploy.runtime import detect_frames
    from radargest.pipeline import geometry_of

    plan = SessionPlan(
        gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"), reps_per_gesture=max(1, round(seconds / 4 / 3.0))
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.h5"
        simulate_session(
            path,
            plan=plan,
            subject=Subject.from_seed(2000),
            seed=5,
            sensor_config=get_preset("gesture_close").sensor_config,
            preset="gesture_close",
        )
        session = load_session(path)
    geometry = geometry_of(session)
    out: dict[str, Any] = {"frames": int(session.num_frames), "sensor_s": session.num_frames / geometry.frame_rate_hz}
    for name, always in (("throttled", False), ("always_on", True)):
        t0 = time.perf_counter()
        res = detect_frames(session.frames, bundle, geometry=geometry, always_on=always)
        wall = time.perf_counter() - t0
        out[name] = {
            "wall_s": wall,
            "s_per_frame": wall / session.num_frames,
            "x_realtime": out["sensor_s"] / wall,
            "sensor_share": res.utilisation.sensor_share,
            "mac_share": res.mac_share,
            "events": len(res.events),
            "decision_latency_ms": _decision_latency(
                res, session.labels, geometry.frame_rate_hz, wall / session.num_frames
            ),
        }
    return out


def bench_all(
    bundle_dir: Path, *, run_dir: Path | None = None, runs: int = 200, seconds: float = 120.0
) -> dict[str, Any]:
    """Everything of DESIGN §10 in one run (see ``radargest bench all --help``).

    Args:
        bundle_dir: an export bundle (``radargest quickstart`` writes one to ``out/quickstart/bundle``).
        run_dir: its training run, for the Keras and TFLite-float figures (default: the manifest's ``run``;
            those figures are left out when the run is not found).
        runs: timed invocations per model.
        seconds: simulated stream length for the real-time factor [s].

    Raises:
        ValueError: ``run_dir`` is a run of other classes than the bundle's (its latency would be another model's).
    """
    from deploy.runtime import load_bundle
    from radargest.bench_dsp import bench_dsp_file

    bundle = load_bundle(bundle_dir)
    if run_dir is not None:
        from models.config import read_run_config

        classes = read_run_config(Path(run_dir)).dataset.classes
        if tuple(classes) != tuple(bundle.classes):
            raise ValueError(
                f"{run_dir}: a run of {', '.join(classes)}, not of the bundle's {', '.join(bundle.classes)}; give the "
                f"run it was exported from ({bundle.manifest.get('run')})"
            )
    m = bundle.manifest
    r = m["report"]
    result: dict[str, Any] = {"bundle": str(bundle_dir), "machine": machine_info()}
    d = bench_dsp_file(frames=2000, repeats=2)
    result["dsp"] = {
        k: d[k] for k in ("stream_s_per_frame", "sparse_iq_s_per_frame", "sparse_iq_over_stream", "frames", "source")
    }
    run = Path(run_dir) if run_dir is not None else Path(str(m.get("run", "")))
    if (run / "model.keras").is_file():
        result["model"] = _model_latency(run, bundle, runs=runs)
    else:
        result["model"] = None
        result["model_skipped"] = f"no model.keras in {run} (give --run RUN_DIR)"
    result["streaming"] = _streaming(bundle, seconds=seconds)
    arena = {k: v["bytes"] for k, v in (r.get("arena") or {}).items()}
    result["size"] = {
        "tflite_bytes": r["flash"]["tflite_bytes"],
        "mcu_flatbuffer_bytes": r["flash"].get("mcu_flatbuffer_bytes"),
        "flash_total_bytes": r["flash_total_bytes"],
        "arena_bytes": arena or None,
        "macs": r["macs"],
    }
    return result


def format_bench_all(result: dict[str, Any]) -> str:
    """The table of :func:`bench_all`: absolute figures and ratios."""
    us = 1e6
    m = result["machine"]
    d = result["dsp"]
    rows = [
        f"machine: {m['cpu']} ({m['cores']} cores), Python {m['python']}; bundle {result['bundle']}",
        f"{'figure':50s} {'value':>14s}  ratio",
        f"{'DSP per frame (streaming RD + onset)':50s} {d['stream_s_per_frame'] * us:11.1f} us  "
        f"{d['sparse_iq_over_stream']:.1f}x faster than exptool sparse_iq ({d['sparse_iq_s_per_frame'] * us:.1f} us)",
    ]
    if result.get("model"):
        for part in ("frame", "hop"):
            x = result["model"][part]
            name = "encoder, per frame" if part == "frame" else "head, per hop"
            rows.append(
                f"{'model ' + name + ': Keras float (eager)':50s} {x['keras_float_s'] * us:11.1f} us  1.0x (reference)"
            )
            rows.append(
                f"{'model ' + name + ': TFLite float (XNNPACK)':50s} {x['tflite_float_s'] * us:11.1f} us  "
                f"{x['keras_float_s'] / x['tflite_float_s']:.1f}x faster than Keras"
            )
            rows.append(
                f"{'model ' + name + ': LiteRT int8 (builtin)':50s} {x['litert_int8_s'] * us:11.1f} us  "
                f"{x['keras_float_s'] / x['litert_int8_s']:.1f}x faster than Keras, "
                f"{x['tflite_float_s'] / x['litert_int8_s']:.2f}x vs TFLite float"
            )
    else:
        rows.append(f"model latency: skipped ({result.get('model_skipped')})")
    s = result["streaming"]
    for name in ("throttled", "always_on"):
        x = s[name]
        rows.append(
            f"{'streaming pipeline, ' + name.replace('_', '-'):50s} {x['s_per_frame'] * us:11.1f} us  "
            f"{x['x_realtime']:.0f}x real time ({s['sensor_s']:.0f} s of frames)"
        )
    for name in ("throttled", "always_on"):
        lat = s[name].get("decision_latency_ms", {})
        if lat.get("all"):
            per = ", ".join(f"{g} {v['p50']:.0f}" for g, v in lat["by_class"].items())
            rows.append(
                f"{'decision latency, motion end to decision, ' + name.replace('_', '-'):50s} "
                f"{lat['all']['p50']:11.0f} ms p50, {lat['all']['p90']:.0f} ms p90 over "
                f"{lat['all']['n']}/{lat['truth']} correct events (p50: {per})"
            )
    t = s["throttled"]
    compute = t["mac_share"] / s["always_on"]["mac_share"] if s["always_on"]["mac_share"] else math.nan
    rows.append(
        f"{'throttle utilisation (sim stream)':50s} {100 * t['sensor_share']:10.1f} %   of always-on sensor frames; "
        f"{100 * compute:.1f} % of the always-on run's MACs ({100 * t['mac_share']:.1f} % of head-every-hop streaming)"
    )
    z = result["size"]
    arena = z["arena_bytes"]
    rows.append(f"{'int8 models (flatbuffers, converter form, LiteRT)':50s} {z['tflite_bytes']:11d} B")
    if z.get("mcu_flatbuffer_bytes"):
        rows.append(f"{'int8 models (flatbuffers, MCU form, model_data.c)':50s} {z['mcu_flatbuffer_bytes']:11d} B")
    flash = f"{z['flash_total_bytes']:11d} B  of 64 KiB budget"
    rows.append(f"{'flash, models + C features/throttle/decision':50s} {flash}")
    if arena:
        rows.append(
            f"{'tensor arena (TFLM), encoder + head':50s} {sum(arena.values()):11d} B  of 32 KiB budget ({arena})"
        )
    mac = z["macs"]
    rows.append(
        f"{'MACs per frame (encoder) / per hop (head)':50s} {mac['encoder_per_frame']:11d}    / {mac['head_per_hop']}"
    )
    return "\n".join(rows)
