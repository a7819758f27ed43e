"""``radargest bench dsp`` and ``radargest bench segment``: DSP speed and segmentation accuracy.

``dsp`` times, on the same frames, the streaming path (``RangeDopplerProcessor`` + ``OnsetProcessor``
per frame), the batch path (``range_doppler`` + ``onset_metric`` on the whole array) and exptool's own
``sparse_iq`` processor (:func:`dsp.bench.bench_dsp`). The frames are a real training recording when one
is found (or ``--file``), else a simulated session.

``segment`` scores the default segmenter on simulated sessions with ground truth
(:func:`radargest.segeval.evaluate_segmentation_sim`).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from acquisition import get_preset, load_session, simulate_session
from acquisition.sim import SessionPlan, Subject
from dsp.bench import bench_dsp
from radargest.bench import machine_info
from radargest.datasets import acconeer_file
from radargest.pipeline import geometry_of
from radargest.segeval import SimSegmentationConfig, evaluate_segmentation_sim

__all__ = ["bench_dsp_file", "bench_segmentation", "format_bench_dsp", "format_bench_segmentation"]

DEFAULT_REAL_FILE = "tap_in_idx_1"  # a training-day file


def bench_dsp_file(path: Path | None = None, *, frames: int = 4000, repeats: int = 3) -> dict[str, Any]:
    """Time the DSP paths on up to ``frames`` frames of ``path`` (see the module docstring).

    Returns:
        :func:`dsp.bench.bench_dsp` figures plus ``source``, ``frame_rate_hz`` and ``machine``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if path is None:
            path = acconeer_file(DEFAULT_REAL_FILE)
        if path is None:
            path = Path(tmp) / "bench_dsp_sim.h5"
            simulate_session(
                path,
                plan=SessionPlan(gestures=("tap_in", "tap_out", "double_tap_in", "wiggle"), reps_per_gesture=8),
                subject=Subject.from_seed(0),
                seed=0,
                sensor_config=get_preset("gesture_close").sensor_config,
                preset="gesture_close",
            )
            source = "simulated session (real data not found)"
        else:
            source = str(path)
        session = load_session(Path(path))
    geometry = geometry_of(session)
    x = session.frames[:frames]
    result: dict[str, Any] = dict(bench_dsp(x, geometry=geometry, sensor_config=session.sensor_config, repeats=repeats))
    result.update(source=source, frame_rate_hz=geometry.frame_rate_hz, machine=machine_info())
    return result


def format_bench_dsp(result: dict[str, Any]) -> str:
    """The figures of :func:`bench_dsp_file` as a few lines of text."""
    us = 1e6
    m = result["machine"]
    return "\n".join(
        [
            f"machine: {m['cpu']} ({m['cores']} cores); {int(result['frames'])} frames of {result['source']}",
            f"streaming range_doppler + onset : {result['stream_s_per_frame'] * us:8.1f} us/frame"
            f"  ({result['sparse_iq_over_stream']:.1f}x faster than sparse_iq)",
            f"streaming, shared spectrum      : {result['stream_shared_s_per_frame'] * us:8.1f} us/frame"
            f"  ({result['sparse_iq_over_stream_shared']:.1f}x faster than sparse_iq)",
            f"batch range_doppler + onset     : {result['batch_s_per_frame'] * us:8.1f} us/frame"
            f"  ({result['batch_realtime_factor']:.0f}x real time at {result['frame_rate_hz']:.1f} Hz)",
            f"exptool sparse_iq processor     : {result['sparse_iq_s_per_frame'] * us:8.1f} us/frame",
        ]
    )


def bench_segmentation(*, subjects: int = 8) -> dict[str, Any]:
    """Segmentation figures on ``subjects`` simulated subjects (one gesture and one still session each)."""
    cfg = SimSegmentationConfig(subjects=subjects)
    t0 = time.perf_counter()
    total, rows = evaluate_segmentation_sim(cfg=cfg)
    return {
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(cfg).items()},
        "total": total.summary(),
        "minutes": sum(r["minutes"] for r in rows),
        "sessions": rows,
        "wall_s": time.perf_counter() - t0,
    }


def format_bench_segmentation(result: dict[str, Any]) -> str:
    """The figures of :func:`bench_segmentation` as a few lines of text."""
    t = result["total"]
    return "\n".join(
        [
            f"simulated: {result['config']['subjects']} subjects, {result['minutes']:.1f} min "
            f"({t['background_min']:.1f} min background), {int(t['truth'])} gesture events",
            f"event recall        : {t['recall']:.3f} ({int(t['found'])}/{int(t['truth'])})",
            f"false events        : {int(t['false'])} ({t['false_per_10_min']:.2f} per 10 min of background)",
            f"start within ±{t['tolerance_s'] * 1000:.0f} ms : {t['start_within']:.3f}"
            f" (median error {t['start_error_median_s'] * 1000:+.0f} ms)",
            f"end within ±{t['tolerance_s'] * 1000:.0f} ms   : {t['end_within']:.3f}"
            f" (median error {t['end_error_median_s'] * 1000:+.0f} ms)",
            f"both within         : {t['both_within']:.3f}",
        ]
    )
