"""``radargest features FILE.h5 --png OUT``: one figure of everything the DSP sees in a recording.

Top row, range-Doppler maps (distance × velocity) on one colour scale: the mean over the segmented
events, the mean over the rest (the still hand), and the frame with the most motion energy. Below,
sharing the time axis: the velocity-time waterfall (maximum over range) with the file's labels, and the
onset metric against its adaptive floor with the segmenter's thresholds and events.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from acquisition import Session
from radargest.cli_args import png_path
from radargest.pipeline import PipelineConfig, SessionFeatures, session_features
from radargest.plots import (
    draw_label_spans,
    frame_edges_s,
    gesture_colors,
    load_to_draw,
    plot_onset,
    plot_range_doppler,
    plot_velocity_time,
)

__all__ = ["event_window", "plot_comparison", "plot_features", "write_features_png"]

#: One column of :func:`plot_comparison`: a name (e.g. "real") and a session with its features.
Example = tuple[str, Session, SessionFeatures]


def _mean_map(rd: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    if not mask.any():
        return None
    return np.asarray(rd[mask].mean(axis=0), dtype=np.float64)  # callers leave bad (NaN) frames out


def plot_features(fig: Figure, session: Session, feats: SessionFeatures, *, cfg: PipelineConfig) -> None:
    """Draw the features figure of ``session`` on ``fig`` (see the module docstring)."""
    g = feats.geometry
    times = session.times_s
    n = session.num_frames
    in_event = np.zeros(n, dtype=bool)
    for s, e in feats.events:
        in_event[s:e] = True
    metric = feats.onset.metric
    peak = int(np.nanargmax(metric)) if np.isfinite(metric).any() else 0
    panels = [
        (f"mean over events ({int(in_event.sum())} frames)", _mean_map(feats.rd, in_event & ~feats.bad)),
        (f"mean outside events ({int((~in_event).sum())} frames)", _mean_map(feats.rd, ~in_event & ~feats.bad)),
        (f"most motion: frame {peak} (t = {times[peak]:.2f} s)", np.asarray(feats.rd[peak], dtype=np.float64)),
    ]
    finite = [p[np.isfinite(p)] for _, p in panels if p is not None]
    values = np.concatenate(finite) if finite else np.zeros(1)
    vmin, vmax = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)

    grid = fig.add_gridspec(3, 4, height_ratios=(1.1, 1.0, 0.8), width_ratios=(1, 1, 1, 0.05))
    image = None
    for i, (title, rd) in enumerate(panels):
        ax = fig.add_subplot(grid[0, i])
        if rd is None:
            ax.text(0.5, 0.5, "no frames", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            image = plot_range_doppler(
                ax, rd, distances_m=g.distances_m, velocities_m_s=g.velocities_m_s, vmin=vmin, vmax=vmax
            )
            if i:
                ax.set_ylabel("")
        ax.set_title(f"range-Doppler: {title}", fontsize=10)
    if image is not None:
        fig.colorbar(image, cax=fig.add_subplot(grid[0, 3]), label=f"{cfg.range_doppler.compression} magnitude")

    ax_vt = fig.add_subplot(grid[1, :3])
    vt_image = plot_velocity_time(ax_vt, feats.vt, times_s=times, velocities_m_s=g.velocities_m_s)
    fig.colorbar(vt_image, cax=fig.add_subplot(grid[1, 3]), label="max over range")
    labels = sorted(session.labels)
    if labels:
        draw_label_spans(
            ax_vt,
            labels,
            times_s=times,
            highlight=None,
            colors=gesture_colors(sorted({lb.gesture for lb in labels})),
            names=len(labels) <= 80,
        )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(Counter(lb.gesture for lb in labels).items()))
    ax_vt.set_title(f"velocity-time (max over range); labels: {counts or 'none'}", fontsize=10, loc="left")
    ax_vt.set_xlabel("")

    ax_on = fig.add_subplot(grid[2, :3], sharex=ax_vt)
    eps = cfg.onset.metric_eps
    plot_onset(
        ax_on,
        times_s=times,
        level_db=10.0 * np.log10(metric + eps),
        floor_db=feats.onset.floor,
        on_db=cfg.segment.on_db,
        off_db=cfg.segment.off_db,
        events=feats.events,
        bad=feats.bad,
    )
    ax_on.set_title(
        f"onset metric and adaptive floor; {len(feats.events)} segmented events (green); "
        f"{int(feats.bad.sum())} bad frames",
        fontsize=10,
        loc="left",
    )
    edges = frame_edges_s(times)
    ax_vt.set_xlim(edges[0], edges[-1])
    meta = session.meta
    who = f"subject {meta.subject}, preset {meta.preset}" if meta is not None else "plain record"
    fig.suptitle(
        f"{session.path.name}  ({who}; {n} frames, {g.frame_rate_hz:.1f} Hz, {session.duration_s:.1f} s)",
        fontsize=12,
    )


def write_features_png(path: Path, png: Path, *, cfg: PipelineConfig | None = None, dpi: int = 100) -> Path:
    """Load ``path``, compute its features and write the figure to ``png``; returns the file written
    (``png`` plus ``.png`` when it has no suffix, as matplotlib saves it).

    Raises:
        acquisition.AcquisitionError: unreadable recording.
        radargest.pipeline.ConfigMismatchError: the recording is not of ``cfg.preset``.
        OSError: the PNG cannot be written.
    """
    cfg = cfg or PipelineConfig()
    session = load_to_draw(Path(path))  # a label past the end is no reason not to draw the features
    feats = session_features(session, cfg=cfg)
    width_in = float(np.clip(session.duration_s / 5.0, 14.0, 32.0))
    fig = Figure(figsize=(width_in, 11.0), layout="constrained")
    plot_features(fig, session, feats, cfg=cfg)
    png = png_path(png)
    fig.savefig(png, dpi=dpi)
    return png


def event_window(
    feats: SessionFeatures, num_frames: int, *, window_s: float = 2.0, index: int = 0, background: bool = False
) -> tuple[int, int]:
    """Frames ``[start, end)`` of a ``window_s`` window centred on segmented event ``index`` or, with
    ``background``, on the middle of the longest stretch without events (the still hand)."""
    half = max(1, round(window_s * feats.geometry.frame_rate_hz / 2))
    ev = feats.events
    if background or len(ev) == 0:
        bounds = np.concatenate(([0], ev.ravel(), [num_frames])).reshape(-1, 2)  # gaps between events
        gap = int(np.argmax(bounds[:, 1] - bounds[:, 0]))
        centre = int(bounds[gap].mean())
    else:
        s, e = ev[min(index, len(ev) - 1)]
        centre = (int(s) + int(e)) // 2
    start = int(np.clip(centre - half, 0, max(0, num_frames - 2 * half)))
    return start, min(num_frames, start + 2 * half)


def plot_comparison(
    fig: Figure,
    rows: list[tuple[str, list[Example]]],
    *,
    window_s: float = 2.0,
    background_rows: frozenset[str] = frozenset({"still hand"}),
) -> None:
    """Side-by-side features: one row per class, per example a velocity-time window and the maximum
    range-Doppler map over that window. Each panel has its own colour scale (the velocity-time map from
    its session's median, the still-hand level, to the session's 99.5th percentile), since real and
    simulated amplitudes differ.

    Args:
        rows: ``(row name, examples)``; rows named in ``background_rows`` show the longest event-free window.
        window_s: window length [s].
    """
    ncols = 2 * max((len(ex) for _, ex in rows), default=1)
    grid = fig.add_gridspec(len(rows), ncols, width_ratios=[2.2, 1.0] * (ncols // 2))
    for r, (name, examples) in enumerate(rows):
        for c, (source, session, feats) in enumerate(examples):
            s, e = event_window(feats, session.num_frames, window_s=window_s, background=name in background_rows)
            g = feats.geometry
            ax_vt = fig.add_subplot(grid[r, 2 * c])
            t = session.times_s[s:e]
            vt = feats.vt
            lo, hi = float(np.nanmedian(vt)), float(np.nanpercentile(vt, 99.5))
            plot_velocity_time(ax_vt, vt[s:e], times_s=t - t[0], velocities_m_s=g.velocities_m_s, vmin=lo, vmax=hi)
            ax_vt.set_title(f"{name}: {source}, velocity-time", fontsize=9)
            ax_rd = fig.add_subplot(grid[r, 2 * c + 1])
            ok = ~feats.bad[s:e]
            rd = feats.rd[s:e][ok].max(axis=0) if ok.any() else np.full(feats.rd.shape[1:], np.nan)
            lo, hi = float(np.nanpercentile(feats.rd, 1.0)), float(np.nanpercentile(feats.rd, 99.9))
            plot_range_doppler(ax_rd, rd, distances_m=g.distances_m, velocities_m_s=g.velocities_m_s, vmin=lo, vmax=hi)
            ax_rd.set_title(f"{source}, range-Doppler (max)", fontsize=9)
            ax_rd.set_ylabel("")
            if r < len(rows) - 1:
                ax_vt.set_xlabel("")
                ax_rd.set_xlabel("")
