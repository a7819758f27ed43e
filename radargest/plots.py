"""Reusable matplotlib drawing for recordings: velocity-time images and label spans.

The time axis is built from frame *edges*: frame ``i`` covers ``[edges[i], edges[i + 1])`` seconds, so a
label span ``[start_frame, end_frame)`` covers ``[edges[start_frame], edges[end_frame])`` and lines up
exactly with the image pixels. Matplotlib is imported here and in the UI only, never in ``dsp`` or
``acquisition`` (DESIGN §1, §5).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.colors as mcolors
import matplotlib.transforms as mtransforms
import numpy as np
import numpy.typing as npt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from acquisition import Label, Session, load_session

__all__ = [
    "VELOCITY_LABEL",
    "draw_event_spans",
    "draw_label_spans",
    "frame_at_time",
    "frame_edges_s",
    "gesture_colors",
    "load_to_draw",
    "open_window",
    "plot_onset",
    "plot_range_doppler",
    "plot_velocity_time",
]


def load_to_draw(path: Path, *, left_out: str = "not drawn") -> Session:
    """A recording loaded to be drawn: labels that training refuses (e.g. past the last frame) are left out, each
    named on stderr with ``left_out``, so that a picture can still show what is wrong
    (:func:`acquisition.load_session` ``labels="lenient"``).

    Raises:
        acquisition.RecordingError: not a readable recording.
    """

    def warn(problem: str) -> None:
        print(f"warning: {path}: {problem}: {left_out}", file=sys.stderr)

    return load_session(path, labels="lenient", on_label_problem=warn)


def open_window(figsize_in: tuple[float, float], *, instead: str) -> Figure:
    """A new pyplot figure that shows as a window, for the interactive commands (``label``, ``demo``).

    Without a display (or with a non-interactive ``MPLBACKEND``) no window can ever open, and a command that waits
    for its close would wait forever: refuse that instead, before any work.

    Raises:
        ValueError: the backend shows no window; the message ends with ``instead``, what to use.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize_in)
    if type(fig.canvas).required_interactive_framework is None:
        plt.close(fig)
        raise ValueError(
            f"no interactive display (matplotlib backend {matplotlib.get_backend()!r} opens no window); {instead}"
        )
    return fig


#: y-axis label of every velocity plot; negative velocities approach the sensor.
VELOCITY_LABEL = "velocity [m/s]  (− approaching)"

_PALETTE = (
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:red",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
)


def frame_edges_s(times_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Frame edges in seconds, shape ``(frames + 1,)``, from frame start times of shape ``(frames,)``.

    The last frame gets the median frame period (1 s for a single frame), so the edges are strictly
    usable as an image extent and as span limits.
    """
    t = np.asarray(times_s, dtype=np.float64).reshape(-1)
    if t.size == 0:
        raise ValueError("times_s is empty")
    period = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    if not np.isfinite(period) or period <= 0:
        period = 1.0
    return np.append(t, t[-1] + period)


def frame_at_time(times_s: npt.ArrayLike, t_s: float) -> int:
    """The frame whose span holds time ``t_s``, clamped to ``[0, frames - 1]``.

    Inverse of the time axis used by :func:`plot_velocity_time`; used to map a mouse position to a frame.
    """
    edges = frame_edges_s(times_s)
    idx = int(np.searchsorted(edges, float(t_s), side="right")) - 1
    return int(np.clip(idx, 0, edges.size - 2))


def gesture_colors(gestures: Iterable[str]) -> dict[str, str]:
    """A stable colour per gesture name, in the order given (the palette repeats after nine names)."""
    out: dict[str, str] = {}
    for name in gestures:
        if name not in out:
            out[name] = _PALETTE[len(out) % len(_PALETTE)]
    return out


def plot_velocity_time(
    ax: Axes,
    vt: npt.ArrayLike,
    *,
    times_s: npt.ArrayLike,
    velocities_m_s: npt.ArrayLike,
    cmap: str = "Greys",
    vmin: float | None = None,
    vmax: float | None = None,
    zero_line: bool = True,
) -> AxesImage:
    """Draw a velocity-time map as an image: time on x [s], radial velocity on y [m/s].

    Args:
        ax: target axes.
        vt: ``(frames, doppler_bins)`` map, e.g. :func:`dsp.velocity_time` of :func:`dsp.range_doppler`.
        times_s: ``(frames,)`` start time of each frame [s] (``Session.times_s``).
        velocities_m_s: ``(doppler_bins,)`` bin centres [m/s], evenly spaced, fftshift order
            (``dsp.FrameGeometry.velocities_m_s``); negative means approaching.
        cmap: colour map; the default grey keeps coloured label spans legible on top.
        vmin, vmax: colour limits; by default the median (the still-hand noise floor of a typical
            session maps to white) and the 99.5th percentile of the finite values, so a few saturated
            frames do not wash out the rest.
        zero_line: draw a thin dotted line at 0 m/s.

    Returns:
        The image, e.g. for ``fig.colorbar``.
    """
    img = np.asarray(vt, dtype=np.float64)
    t = np.asarray(times_s, dtype=np.float64).reshape(-1)
    v = np.asarray(velocities_m_s, dtype=np.float64).reshape(-1)
    if img.ndim != 2 or img.shape != (t.size, v.size):
        raise ValueError(f"vt must have shape (frames, doppler_bins) = ({t.size}, {v.size}), got shape {img.shape}")
    edges = frame_edges_s(t)
    dv = float(v[1] - v[0]) if v.size > 1 else 1.0
    finite = img[np.isfinite(img)]
    if vmin is None:
        vmin = float(np.median(finite)) if finite.size else 0.0
    if vmax is None:
        vmax = float(np.percentile(finite, 99.5)) if finite.size else 1.0
    if vmax <= vmin:
        vmax = vmin + 1.0
    image = ax.imshow(
        img.T,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        extent=(float(edges[0]), float(edges[-1]), float(v[0] - dv / 2), float(v[-1] + dv / 2)),
    )
    if zero_line:
        ax.axhline(0.0, color="0.5", linewidth=0.6, linestyle=":", zorder=1.5)
    ax.set_xlabel("time [s]")
    ax.set_ylabel(VELOCITY_LABEL)
    return image


def draw_label_spans(
    ax: Axes,
    labels: Sequence[Label],
    *,
    times_s: npt.ArrayLike,
    highlight: int | None,
    colors: Mapping[str, str] | None = None,
    names: bool = True,
    fontsize: float = 9.0,
) -> list[Artist]:
    """Shade each label span ``[start_frame, end_frame)`` and write its gesture name at the top.

    Args:
        ax: target axes (any y scale; spans cover the full height).
        labels: the events; index ``i`` of this sequence is the one ``highlight`` refers to.
        times_s: ``(frames,)`` frame start times [s], the same as given to :func:`plot_velocity_time`.
        highlight: index of the event drawn emphasised (thick outline, stronger fill), or None.
        colors: colour per gesture name; default :func:`gesture_colors` of the sorted names present.
        names: write the gesture names (set False for a thin overview strip).
        fontsize: size of the name text [pt].

    Returns:
        The artists drawn, so an interactive view can remove them before redrawing.
    """
    edges = frame_edges_s(times_s)
    n = edges.size - 1
    palette = dict(colors) if colors is not None else gesture_colors(sorted({lb.gesture for lb in labels}))
    top = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    artists: list[Artist] = []
    for i, label in enumerate(labels):
        t0 = float(edges[min(label.start_frame, n)])
        t1 = float(edges[min(label.end_frame, n)])
        color = palette.get(label.gesture) or gesture_colors([*palette, label.gesture])[label.gesture]
        current = i == highlight
        span = ax.axvspan(
            t0,
            t1,
            facecolor=mcolors.to_rgba(color, 0.35 if current else 0.18),
            edgecolor=mcolors.to_rgba(color, 1.0),
            linewidth=2.5 if current else 1.0,
            zorder=3 if current else 2,
        )
        artists.append(span)
        if names:
            # Stagger neighbouring names in height so short adjacent events stay readable.
            y = 0.97 if i % 2 == 0 else 0.86
            text_kw: dict[str, Any] = {
                "transform": top,
                "ha": "center",
                "va": "top",
                "fontsize": fontsize,
                "fontweight": "bold" if current else "normal",
                "clip_on": True,
                "zorder": 4,
                "bbox": {
                    "boxstyle": "round,pad=0.2",
                    "facecolor": "white",
                    "edgecolor": color,
                    "linewidth": 2.0 if current else 0.8,
                    "alpha": 0.9,
                },
            }
            artists.append(ax.text((t0 + t1) / 2, y, label.gesture, **text_kw))
    return artists


def plot_range_doppler(
    ax: Axes,
    rd: npt.ArrayLike,
    *,
    distances_m: npt.ArrayLike,
    velocities_m_s: npt.ArrayLike,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
) -> AxesImage:
    """Draw one range-Doppler map: distance on x [m], radial velocity on y [m/s].

    Args:
        rd: ``(doppler_bins, points)`` map, e.g. a frame of :func:`dsp.range_doppler` or a mean over frames.
        distances_m: ``(points,)`` point distances [m], evenly spaced (``FrameGeometry.distances_m``).
        velocities_m_s: ``(doppler_bins,)`` bin centres [m/s] (``FrameGeometry.velocities_m_s``).
        vmin, vmax: colour limits (default: the finite minimum and maximum of ``rd``).
    """
    img = np.asarray(rd, dtype=np.float64)
    d = np.asarray(distances_m, dtype=np.float64).reshape(-1)
    v = np.asarray(velocities_m_s, dtype=np.float64).reshape(-1)
    if img.shape != (v.size, d.size):
        raise ValueError(f"rd must have shape (doppler_bins, points) = ({v.size}, {d.size}), got shape {img.shape}")
    dd = float(d[1] - d[0]) if d.size > 1 else 0.01
    dv = float(v[1] - v[0]) if v.size > 1 else 1.0
    finite = img[np.isfinite(img)]
    image = ax.imshow(
        img,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0),
        vmax=vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0),
        extent=(float(d[0] - dd / 2), float(d[-1] + dd / 2), float(v[0] - dv / 2), float(v[-1] + dv / 2)),
    )
    ax.set_xlabel("distance [m]")
    ax.set_ylabel(VELOCITY_LABEL)
    return image


def draw_event_spans(
    ax: Axes, events: npt.ArrayLike, *, times_s: npt.ArrayLike, color: str = "tab:green", alpha: float = 0.25
) -> list[Artist]:
    """Shade segmenter events ``(events, 2)`` ``[start_frame, end_frame)`` over the full axes height."""
    edges = frame_edges_s(times_s)
    n = edges.size - 1
    ev = np.asarray(events, dtype=np.int64).reshape(-1, 2)
    return [
        ax.axvspan(float(edges[min(s, n)]), float(edges[min(e, n)]), color=color, alpha=alpha, linewidth=0, zorder=1)
        for s, e in ev
    ]


def plot_onset(
    ax: Axes,
    *,
    times_s: npt.ArrayLike,
    level_db: npt.ArrayLike,
    floor_db: npt.ArrayLike,
    on_db: float,
    off_db: float,
    events: npt.ArrayLike | None = None,
    bad: npt.ArrayLike | None = None,
) -> None:
    """Draw the onset metric against its adaptive floor, in dB re 1 count².

    Args:
        times_s: ``(frames,)`` frame start times [s].
        level_db: ``(frames,)`` ``10 log10(metric + eps)`` [dB]; NaN for missing frames.
        floor_db: ``(frames,)`` adaptive floor [dB].
        on_db, off_db: the segmenter's thresholds over the floor [dB], drawn as floor + threshold.
        events: ``(events, 2)`` segmenter events, shaded.
        bad: ``(frames,)`` bool, missing (NaN or saturated) frames, marked at the bottom.
    """
    t = np.asarray(times_s, dtype=np.float64)
    level = np.asarray(level_db, dtype=np.float64)
    floor = np.asarray(floor_db, dtype=np.float64)
    if events is not None:
        draw_event_spans(ax, events, times_s=t)
    ax.plot(t, level, color="black", linewidth=0.7, label="motion energy")
    ax.plot(t, floor, color="tab:blue", linewidth=1.2, label="adaptive floor")
    ax.plot(t, floor + on_db, color="tab:red", linewidth=0.8, linestyle="--", label=f"floor + {on_db:g} dB (on)")
    ax.plot(t, floor + off_db, color="tab:orange", linewidth=0.8, linestyle=":", label=f"floor + {off_db:g} dB (off)")
    if bad is not None and np.any(bad):
        b = np.asarray(bad, dtype=bool)
        ax.plot(
            t[b], np.full(int(b.sum()), 0.02), "|", color="tab:red", markersize=8,
            transform=mtransforms.blended_transform_factory(ax.transData, ax.transAxes), label="bad frame",
        )  # fmt: skip
    finite = np.concatenate((level[np.isfinite(level)], floor[np.isfinite(floor)] + on_db))
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        ax.set_ylim(lo - 1.0, hi + 0.3 * (hi - lo) + 1.0)  # headroom for the legend
    ax.set_xlabel("time [s]")
    ax.set_ylabel("dB re 1 count²")
    ax.legend(loc="upper right", fontsize=8, ncol=5, framealpha=0.9)
