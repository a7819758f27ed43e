"""DSP timing against the Exploration Tool's own ``sparse_iq`` processor on the same frames.

This is the one module of :mod:`dsp` that imports exptool's algorithm package, and only inside
:func:`bench_dsp`, so importing :mod:`dsp` stays light.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dsp._checks import as_frames
from dsp.errors import ParameterError
from dsp.features import RangeDopplerConfig, RangeDopplerProcessor, doppler_matrix, range_doppler
from dsp.geometry import FrameGeometry
from dsp.onset import OnsetConfig, OnsetProcessor, onset_metric

__all__ = ["bench_dsp"]


def _best_of(repeats: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def _results_from_frames(frames: npt.NDArray[Any], geometry: FrameGeometry) -> list[list[dict[int, Any]]]:
    """Rebuild exptool extended results (one group, sensor 1) from complex frames."""
    from acconeer.exptool import a121
    from acconeer.exptool.a121._core.entities import ResultContext  # no public constructor exists

    points = geometry.num_points
    metadata = a121.Metadata(
        frame_data_length=geometry.sweeps_per_frame * points,
        sweep_data_length=points,
        subsweep_data_offset=np.array([0]),
        subsweep_data_length=np.array([points]),
        calibration_temperature=25,
        tick_period=0,
        base_step_length_m=geometry.base_step_length_m,
        max_sweep_rate=geometry.sweep_rate_hz,
    )
    ctx = ResultContext(metadata=metadata, ticks_per_second=1_000_000)
    out = []
    for i, frame in enumerate(frames):
        raw = a121.complex_array_to_int16_complex(np.nan_to_num(frame))
        res = a121.Result(
            data_saturated=False,
            frame_delayed=False,
            calibration_needed=False,
            temperature=25,
            frame=raw,
            tick=i,
            context=ctx,
        )
        out.append([{1: res}])
    return out


def bench_dsp(
    frames: npt.ArrayLike,
    *,
    geometry: FrameGeometry,
    sensor_config: Any,
    repeats: int = 3,
    extended_results: Sequence[Any] | None = None,
    rd_cfg: RangeDopplerConfig | None = None,
    onset_cfg: OnsetConfig | None = None,
) -> dict[str, float]:
    """Time the DSP paths and exptool's ``sparse_iq`` processor on the same frames.

    Args:
        frames: ``(frames, sweeps, points)`` complex.
        geometry: axes of the frames.
        sensor_config: the ``a121.SensorConfig`` the frames were recorded with.
        repeats: each path runs this many times; the fastest run counts.
        extended_results: exptool extended results for the same frames, e.g. ``list(rec.extended_results)``
            (each a list of ``{sensor_id: Result}``); rebuilt from ``frames`` when omitted.
        rd_cfg, onset_cfg: feature configs, defaults when omitted.

    Returns:
        Seconds per frame for ``stream_s_per_frame`` (``RangeDopplerProcessor`` + ``OnsetProcessor``),
        ``stream_shared_s_per_frame`` (one spectrum shared by both), ``batch_s_per_frame``
        (``range_doppler`` + ``onset_metric`` on the whole array) and ``sparse_iq_s_per_frame``; the
        ratios ``sparse_iq_over_stream``, ``sparse_iq_over_stream_shared``, ``sparse_iq_over_batch``; and
        ``batch_realtime_factor`` (stream seconds per compute second at ``geometry.frame_rate_hz``).
    """
    from acconeer.exptool import a121
    from acconeer.exptool.a121.algo.sparse_iq import Processor, ProcessorConfig

    x = as_frames(frames, min_ndim=3)
    if x.ndim != 3 or x.shape[0] == 0:
        raise ParameterError(f"frames must have shape (frames, sweeps, points), frames > 0, got {x.shape}")
    if repeats < 1:
        raise ParameterError(f"repeats must be >= 1, got {repeats}")
    rd_cfg = rd_cfg or RangeDopplerConfig()
    onset_cfg = onset_cfg or OnsetConfig()
    n = x.shape[0]
    frame_list = list(x)

    rdp = RangeDopplerProcessor(cfg=rd_cfg)
    onp = OnsetProcessor(cfg=onset_cfg, geometry=geometry)

    def stream() -> None:
        rdp.reset()
        onp.reset()
        for f in frame_list:
            rdp.process(f)
            onp.process(f)

    matrix = doppler_matrix(geometry.sweeps_per_frame)

    def stream_shared() -> None:
        rdp.reset()
        onp.reset()
        for f in frame_list:
            mag = np.abs(matrix @ f)
            rdp.process_magnitude(mag)
            onp.process_magnitude(mag)

    def batch() -> None:
        range_doppler(x, cfg=rd_cfg)
        onset_metric(x, cfg=onset_cfg, geometry=geometry)

    results = list(extended_results) if extended_results is not None else _results_from_frames(x, geometry)
    if len(results) != n:
        raise ParameterError(f"extended_results has {len(results)} entries for {n} frames")
    session_config = a121.SessionConfig(sensor_config)
    proc = Processor(session_config=session_config, processor_config=ProcessorConfig())

    def sparse_iq() -> None:
        for r in results:
            proc.process(r)

    t_stream = _best_of(repeats, stream) / n
    t_shared = _best_of(repeats, stream_shared) / n
    t_batch = _best_of(repeats, batch) / n
    t_sparse = _best_of(repeats, sparse_iq) / n
    return {
        "frames": float(n),
        "stream_s_per_frame": t_stream,
        "stream_shared_s_per_frame": t_shared,
        "batch_s_per_frame": t_batch,
        "sparse_iq_s_per_frame": t_sparse,
        "sparse_iq_over_stream": t_sparse / t_stream,
        "sparse_iq_over_stream_shared": t_sparse / t_shared,
        "sparse_iq_over_batch": t_sparse / t_batch,
        "batch_realtime_factor": 1.0 / (t_batch * geometry.frame_rate_hz),
    }
