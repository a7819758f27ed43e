"""Throttle trade-off of a bundle on labelled streams: event accuracy, latency and utilisation over a grid
of throttle settings, against the same bundle always-on (DESIGN §8).

Scoring, per stream, of detections against true events ``[start, end)`` with a gesture each:

- a true event is *found* when a detection overlaps it, and *correct* when the detection overlapping it
  most has its gesture (each detection counts for one true event at most);
- *event accuracy* is correct over true events, so a missed event counts as wrong;
- a detection overlapping no true event is *false*;
- the *latency* of a correct event is the decision frame minus the true end [ms]; the *added latency* of a
  setting is, over the events correct both throttled and always-on, the throttled minus the always-on
  latency of the same event.

Pure: streams come in as arrays, so the composition (which files, which split) stays with the caller.
Never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import dsp
from deploy.runtime import Bundle, Detection, DetectResult, detect_frames

__all__ = [
    "EventMatch",
    "LabelledStream",
    "SweepConfig",
    "match_events",
    "plot_throttle_sweep",
    "sweep_table",
    "throttle_sweep",
]


@dataclass(frozen=True, kw_only=True)
class EventMatch:
    """Detections matched to the true events of one stream (see the module docstring).

    Fields:
        truth: true events [count].
        found: true events overlapped by a detection [count].
        correct: true events whose best-overlapping detection has their gesture [count].
        false: detections overlapping no true event [count].
        correct_detection: ``(truth,)`` index of the correct detection of each true event, -1 if none.
    """

    truth: int
    found: int
    correct: int
    false: int
    correct_detection: tuple[int, ...]


def match_events(events: Sequence[Detection], truth: Sequence[tuple[int, int, str]]) -> EventMatch:
    """Match detections to true events ``(start_frame, end_frame, gesture)`` by largest frame overlap."""
    used: set[int] = set()
    found = correct = 0
    correct_detection: list[int] = []
    for s, e, g in truth:
        best, best_overlap = -1, 0
        for j, ev in enumerate(events):
            overlap = min(e, ev.end_frame) - max(s, ev.start_frame)
            if overlap > best_overlap and j not in used:
                best, best_overlap = j, overlap
        hit = -1
        if best >= 0:
            found += 1
            used.add(best)
            if events[best].gesture == g:
                correct += 1
                hit = best
        correct_detection.append(hit)
    false = sum(
        1
        for j, ev in enumerate(events)
        if j not in used and not any(min(e, ev.end_frame) > max(s, ev.start_frame) for s, e, _ in truth)
    )
    return EventMatch(
        truth=len(truth), found=found, correct=correct, false=false, correct_detection=tuple(correct_detection)
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class LabelledStream:
    """One fixed-rate recording with its true events.

    Fields:
        name: shown in reports.
        frames: ``(frames, sweeps, points)`` complex, bad frames already NaN.
        geometry: the stream's frame geometry (its ``frame_rate_hz`` is the full rate).
        truth: ``(start_frame, end_frame, gesture)`` of each true event.
    """

    name: str
    frames: npt.NDArray[Any]
    geometry: dsp.FrameGeometry
    truth: tuple[tuple[int, int, str], ...]


@dataclass(frozen=True, kw_only=True)
class SweepConfig:
    """The grid: every ``idle_decimation`` × ``hold_s`` pair, other fields from the bundle's throttle (the
    default grid holds the default throttle, decimation 3 with hold 0.3 s).

    Fields:
        idle_decimations: full-rate frame periods per idle frame [frames].
        hold_s: time awake without motion or decision before returning to idle [s].
    """

    idle_decimations: tuple[int, ...] = (2, 3, 4, 6, 8)
    hold_s: tuple[float, ...] = (0.3, 0.5)

    def __post_init__(self) -> None:
        if not self.idle_decimations or any(d < 1 for d in self.idle_decimations):
            raise dsp.ParameterError(f"idle_decimations must be integers >= 1, got {self.idle_decimations}")
        if not self.hold_s or any(not (h > 0 and math.isfinite(h)) for h in self.hold_s):
            raise dsp.ParameterError(f"hold_s must be finite and > 0, got {self.hold_s}")


@dataclass
class _Tally:
    truth: int = 0
    found: int = 0
    correct: int = 0
    false: int = 0
    frames: int = 0
    sensor_frames: int = 0
    macs: int = 0
    macs_always_on: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    added_ms: list[float] = field(default_factory=list)

    def add(self, res: DetectResult, m: EventMatch, latencies: list[float | None], base: list[float | None]) -> None:
        self.truth += m.truth
        self.found += m.found
        self.correct += m.correct
        self.false += m.false
        self.frames += res.utilisation.frames
        self.sensor_frames += res.utilisation.sensor_frames
        self.macs += res.macs_executed
        self.macs_always_on += res.macs_always_on
        self.latencies_ms += [v for v in latencies if v is not None]
        self.added_ms += [a - b for a, b in zip(latencies, base, strict=True) if a is not None and b is not None]

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            return round(float(np.percentile(values, q)), 1) if values else None

        return {
            "truth": self.truth,
            "found": self.found,
            "correct": self.correct,
            "false": self.false,
            "event_accuracy": self.correct / self.truth if self.truth else None,
            "recall": self.found / self.truth if self.truth else None,
            "sensor_share": self.sensor_frames / self.frames if self.frames else None,
            "mac_share": self.macs / self.macs_always_on if self.macs_always_on else None,
            "latency_ms_p50": pct(self.latencies_ms, 50),
            "latency_ms_p90": pct(self.latencies_ms, 90),
            "added_latency_ms_p50": pct(self.added_ms, 50),
            "added_latency_ms_p90": pct(self.added_ms, 90),
        }


def _latencies(
    res: DetectResult, m: EventMatch, truth: Sequence[tuple[int, int, str]], rate: float
) -> list[float | None]:
    """Per true event, the decision latency of its correct detection [ms] (None when not correct)."""
    out: list[float | None] = []
    for (_, end, _), j in zip(truth, m.correct_detection, strict=True):
        out.append(None if j < 0 else (res.decided_at[j] + 1 - end) / rate * 1000.0)
    return out


def throttle_sweep(
    bundle: Bundle,
    streams: Sequence[LabelledStream],
    *,
    cfg: SweepConfig,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> dict[str, Any]:
    """Run ``bundle`` always-on and at every grid point over ``streams``.

    Returns:
        ``{"always_on": summary, "points": [summary + idle_decimation, idle_rate_hz, hold_s,
        compute_vs_always_on], "streams", "throttle"}``, where a summary holds the counts, ``event_accuracy``,
        ``recall``, ``sensor_share`` (frames sensed over the stream's frames), ``mac_share`` (MACs run over
        encoder-every-frame plus head-every-hop streaming) and the latency percentiles (see the module
        docstring). ``compute_vs_always_on`` is a point's MACs over the always-on run's.
    """
    grid = [(d, h) for d in cfg.idle_decimations for h in cfg.hold_s]
    base = _Tally()
    tallies = [_Tally() for _ in grid]
    items: Iterable[LabelledStream] = progress(streams) if progress else streams
    for st in items:
        rate = st.geometry.frame_rate_hz
        res = detect_frames(st.frames, bundle, geometry=st.geometry, always_on=True)
        m = match_events(res.events, st.truth)
        base_lat = _latencies(res, m, st.truth, rate)
        base.add(res, m, base_lat, base_lat)
        for (d, h), tally in zip(grid, tallies, strict=True):
            thr = dataclasses.replace(bundle.throttle, idle_decimation=d, hold_s=h)
            r = detect_frames(st.frames, bundle, geometry=st.geometry, throttle=thr)
            mt = match_events(r.events, st.truth)
            tally.add(r, mt, _latencies(r, mt, st.truth, rate), base_lat)
    rate0 = streams[0].geometry.frame_rate_hz if streams else math.nan
    points = [
        {
            "idle_decimation": d,
            "idle_rate_hz": round(rate0 / d, 2),
            "hold_s": h,
            **t.summary(),
            "compute_vs_always_on": t.macs / base.macs if base.macs else None,
        }
        for (d, h), t in zip(grid, tallies, strict=True)
    ]
    return {
        "always_on": base.summary(),
        "points": points,
        "streams": [st.name for st in streams],
        "throttle": dataclasses.asdict(bundle.throttle),
    }


def sweep_table(result: dict[str, Any]) -> str:
    """A markdown table of :func:`throttle_sweep`'s result, always-on first."""

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{100 * v:.1f} %"

    def ms(v: float | None) -> str:
        return "—" if v is None else f"{v:.0f}"

    rows = [
        "| idle decimation | idle Hz | hold s | event accuracy | recall | false | sensor frames | "
        "compute vs always-on | MACs vs every-hop streaming | latency p50 / p90 ms | added p50 / p90 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    a = result["always_on"]
    rows.append(
        f"| always-on | – | – | {pct(a['event_accuracy'])} | {pct(a['recall'])} | {a['false']} | "
        f"{pct(a['sensor_share'])} | 100 % | {pct(a['mac_share'])} | {ms(a['latency_ms_p50'])} / "
        f"{ms(a['latency_ms_p90'])} | 0 / 0 |"
    )
    for p in result["points"]:
        rows.append(
            f"| {p['idle_decimation']} | {p['idle_rate_hz']:.1f} | {p['hold_s']:g} | {pct(p['event_accuracy'])} | "
            f"{pct(p['recall'])} | {p['false']} | {pct(p['sensor_share'])} | {pct(p['compute_vs_always_on'])} | "
            f"{pct(p['mac_share'])} | "
            f"{ms(p['latency_ms_p50'])} / {ms(p['latency_ms_p90'])} | {ms(p['added_latency_ms_p50'])} / "
            f"{ms(p['added_latency_ms_p90'])} |"
        )
    return "\n".join(rows) + "\n"


def plot_throttle_sweep(result: dict[str, Any], path: Path) -> None:
    """Two panels against utilisation (compute and sensor frames, share of the always-on run): event
    accuracy, and added decision latency; the always-on accuracy is a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = result["points"]
    a = result["always_on"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for hold in sorted({p["hold_s"] for p in pts}):
        sel = [p for p in pts if p["hold_s"] == hold]
        for key, marker in (("compute_vs_always_on", "o"), ("sensor_share", "s")):
            x = [100 * p[key] for p in sel]
            what = "compute" if key == "compute_vs_always_on" else "sensor frames"
            acc = [100 * (p["event_accuracy"] or 0.0) for p in sel]
            ax1.plot(x, acc, marker=marker, label=f"{what}, hold {hold:g} s")
            lat = [p["added_latency_ms_p90"] if p["added_latency_ms_p90"] is not None else np.nan for p in sel]
            ax2.plot(x, lat, marker=marker, label=f"{what}, hold {hold:g} s")
            for p, xi, yi in zip(sel, x, acc, strict=True):
                ax1.annotate(
                    f"D{p['idle_decimation']}", (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points"
                )
    if a["event_accuracy"] is not None:
        ax1.axhline(100 * a["event_accuracy"], color="k", ls="--", lw=1, label="always-on")
        ax1.axhline(100 * a["event_accuracy"] - 1, color="k", ls=":", lw=1, label="always-on − 1 point")
    ax1.set(xlabel="utilisation, % of always-on", ylabel="event accuracy, %", title="accuracy vs utilisation")
    ax2.axhline(100, color="r", ls=":", lw=1, label="100 ms")
    ax2.set(xlabel="utilisation, % of always-on", ylabel="added decision latency p90, ms", title="latency")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.suptitle(f"throttle sweep over {len(result['streams'])} stream(s), {a['truth']} events")
    fig.savefig(path, dpi=110)
    plt.close(fig)
