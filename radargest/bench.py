"""``radargest bench``: measured figures, as ratios against a reference timed in the same run."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from acquisition import get_preset
from acquisition.sim import Renderer, SessionPlan, Subject, plan_session
from acquisition.simulate import simulate_session

__all__ = ["bench_sim", "machine_info", "write_json"]


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
    through the full path (``SimClient`` → ``a121.H5Recorder`` → file) to show the recording overhead.
    Ratios are simulated seconds per wall second: 1.0 is real time.
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
        "machine": machine_info(),
    }


def write_json(result: dict[str, Any], path: Path | None) -> str:
    """Pretty JSON of ``result``, also written to ``path`` when given."""
    text = json.dumps(result, indent=2)
    if path is not None:
        path.write_text(text + "\n")
    return text
