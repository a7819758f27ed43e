"""Throttle trade-off of a bundle on labelled streams: event accuracy, latency and utilisation over a grid
of throttle settings, against the same bundle always-on (DESIGN §8).

Scoring, per stream, of detections against true events ``[start, end)`` with a gesture each:

- a true event is *found* when a detection overlaps it, and *correct* when the detection overlapping it
  most has its gesture (each detection counts for one true event at most);
- *event accuracy* is correct over true events, so a missed event counts as wrong;
- a detection overlapping no true event is *false*; *false per hour* is over the streams' total duration;
- the *latency* of a correct event is the decision frame minus the true end [ms]; the *added latency* of a
  setting is, over the events correct both throttled and always-on, the throttled minus the always-on
  latency of the same event.

Every run also reports its energy (:mod:`deploy.power`): the A121's average current from exptool's power
model with the exact configurations of each throttle state, integrated over the stream as the throttle ran
it, plus the MCU estimate and battery hours. Always-on runs the sensor as recorded (READY between sweeps);
the grid's points use the preset's low-power states. Two more rows: the bundle's own throttle (its manifest's,
what ``detect`` runs; ``bundle_default``), and :data:`PRE_ISSUE_11`, the throttle before the IDLE
configuration existed (issue 11): decimation 3, IDLE frames of 16 sweeps as long as full ones, the recorded
idle states.

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
from acquisition.presets import AS_RECORDED, SensorStates
from deploy.power import EnergyReport, PowerConfig, run_energy
from deploy.runtime import Bundle, Detection, DetectResult, detect_frames
from deploy.throttle import ThrottleConfig

__all__ = [
    "BUNDLE_DEFAULT",
    "PRE_ISSUE_11",
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


#: The name of the row with the throttle before issue 11 (16 IDLE sweeps, READY between sweeps).
PRE_ISSUE_11 = "before issue 11: 16 IDLE sweeps"
#: The name of the row with the bundle's own throttle (the manifest's, which ``detect`` runs) starts so.
BUNDLE_DEFAULT = "bundle default"


def _point_name(thr: ThrottleConfig) -> str:
    """``D<decimation> S<sweeps>[ P<step>[+<offset>]] H<hold>``, e.g. ``D3 S5 P2 H0.3``."""
    k, o = thr.idle_point_step, thr.idle_point_offset
    pts = (f" P{k}" if k != 1 else "") + (f"+{o}" if o else "")
    return f"D{thr.idle_decimation} S{thr.idle_sweeps}{pts} H{thr.hold_s:g}"


@dataclass(frozen=True, kw_only=True)
class SweepConfig:
    """The grid: every ``idle_decimation`` × ``idle_sweeps`` × ``idle_point_steps`` × ``hold_s`` setting with
    the preset's low-power sensor states, other fields from the bundle's throttle, plus (``pre_issue_11``)
    the throttle as it was before IDLE had its own configuration and (``bundle``) the bundle's own.

    Fields:
        idle_decimations: full-rate frame periods per idle frame [frames].
        idle_sweeps: sweeps per IDLE frame [count].
        idle_point_steps: an IDLE sweep measures every this-th distance point [count]; a step other than 1
            shows as ``P<step>`` in the point's name.
        idle_point_offsets: the full point the IDLE points start at [count]; each step takes the offsets below
            it, and an offset other than 0 shows as ``+<offset>`` after its step (``P2+1``).
        hold_s: time awake without motion or decision before returning to idle [s].
        pre_issue_11: add :data:`PRE_ISSUE_11`: decimation 3, 16 sweeps (Hann window, the feature's), onset
            6 dB, release 3 dB, hold 0.3 s, no back-off, with the recorded idle states: the throttle before IDLE
            had its own configuration (issue 11), not the bundle's.
        bundle: add the bundle's own throttle with the preset's states (:data:`BUNDLE_DEFAULT`), what
            ``detect`` and ``demo`` run, whether or not the grid holds it.
        power: assumptions of the energy figures.
    """

    idle_decimations: tuple[int, ...] = (3, 4, 6, 8)
    idle_sweeps: tuple[int, ...] = (4, 8)
    idle_point_steps: tuple[int, ...] = (1,)
    idle_point_offsets: tuple[int, ...] = (0,)
    hold_s: tuple[float, ...] = (0.3,)
    pre_issue_11: bool = True
    bundle: bool = True
    power: PowerConfig = field(default_factory=PowerConfig)

    def __post_init__(self) -> None:
        if not self.idle_decimations or any(d < 1 for d in self.idle_decimations):
            raise dsp.ParameterError(f"idle_decimations must be integers >= 1, got {self.idle_decimations}")
        if not self.idle_sweeps or any(n < 2 for n in self.idle_sweeps):
            raise dsp.ParameterError(f"idle_sweeps must be integers >= 2, got {self.idle_sweeps}")
        if not self.idle_point_steps or any(k < 1 for k in self.idle_point_steps):
            raise dsp.ParameterError(f"idle_point_steps must be integers >= 1, got {self.idle_point_steps}")
        if not self.idle_point_offsets or any(o < 0 for o in self.idle_point_offsets):
            raise dsp.ParameterError(f"idle_point_offsets must be integers >= 0, got {self.idle_point_offsets}")
        if min(self.idle_point_offsets) >= max(self.idle_point_steps):
            raise dsp.ParameterError(
                f"idle_point_offsets {self.idle_point_offsets} leave no point: an offset must be below its step "
                f"(steps {self.idle_point_steps})"
            )
        if not self.hold_s or any(not (h > 0 and math.isfinite(h)) for h in self.hold_s):
            raise dsp.ParameterError(f"hold_s must be finite and > 0, got {self.hold_s}")

    def settings(self, base: ThrottleConfig) -> list[tuple[str, ThrottleConfig, SensorStates | None]]:
        """``(name, throttle, states)`` of every point; ``states`` None means the preset's."""
        out: list[tuple[str, ThrottleConfig, SensorStates | None]] = []
        if self.bundle:
            out.append((f"{BUNDLE_DEFAULT} ({_point_name(base)})", base, None))
        if self.pre_issue_11:
            before = dataclasses.replace(
                base,
                idle_decimation=3,
                idle_sweeps=16,
                idle_point_step=1,
                idle_point_offset=0,
                idle_window="hann",
                onset_db=6.0,
                release_db=3.0,
                hold_s=0.3,
                backoff_s=0.0,
            )
            out.append((PRE_ISSUE_11, before, AS_RECORDED))
        for d in self.idle_decimations:
            for n in self.idle_sweeps:
                for k in self.idle_point_steps:
                    for o in (o for o in self.idle_point_offsets if o < k):
                        for h in self.hold_s:
                            thr = dataclasses.replace(
                                base, idle_decimation=d, idle_sweeps=n, idle_point_step=k, idle_point_offset=o, hold_s=h
                            )
                            out.append((_point_name(thr), thr, None))
        return out


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
    seconds: float = 0.0
    sensor_mas: float = 0.0  # mA·s
    switch_mas: float = 0.0
    mcu_mas: float = 0.0
    battery_mah: float = 60.0
    switches: int = 0

    def add_energy(self, e: EnergyReport, switches: int) -> None:
        self.seconds += e.seconds
        self.sensor_mas += e.sensor_ma * e.seconds
        self.switch_mas += e.switch_ma * e.seconds
        self.mcu_mas += e.mcu_ma * e.seconds
        self.battery_mah = e.battery_mah
        self.switches += switches

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

        sec = self.seconds
        sensor = self.sensor_mas / sec if sec else None
        mcu = self.mcu_mas / sec if sec else None
        total = sensor + mcu if sensor is not None and mcu is not None else None
        return {
            "truth": self.truth,
            "found": self.found,
            "correct": self.correct,
            "false": self.false,
            "hours": sec / 3600.0,
            "false_per_h": self.false / (sec / 3600.0) if sec else None,
            "sensor_ma": sensor,
            "switch_ma": self.switch_mas / sec if sec else None,
            "mcu_ma": mcu,
            "total_ma": total,
            "battery_h": self.battery_mah / total if total else None,
            "switches": self.switches,
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
    """Run ``bundle`` always-on and at every setting of ``cfg`` over ``streams``.

    Returns:
        ``{"always_on": summary, "points": [summary + name, idle_decimation, idle_rate_hz, idle_sweeps, hold_s,
        states, bundle_default, compute_vs_always_on], "configs", "streams", "throttle"}``, where a summary holds
        the counts, ``event_accuracy``, ``recall``, ``false_per_h``, ``sensor_share`` (frames sensed over the
        stream's frames), ``mac_share`` (MACs run over encoder-every-frame plus head-every-hop streaming), the
        latency percentiles (see the module docstring) and the energy (``sensor_ma`` from exptool's power model,
        ``switch_ma`` of it, ``mcu_ma``, ``total_ma``, ``battery_h``). ``compute_vs_always_on`` is a point's MACs
        over the always-on run's; ``configs`` holds each setting's sensor configurations and currents at the first
        stream's rate.
    """
    settings = cfg.settings(bundle.throttle)
    base = _Tally()
    tallies = [_Tally() for _ in settings]
    configs: dict[str, Any] = {}
    items: Iterable[LabelledStream] = progress(streams) if progress else streams
    for st in items:
        rate = st.geometry.frame_rate_hz
        res = detect_frames(st.frames, bundle, geometry=st.geometry, always_on=True)
        m = match_events(res.events, st.truth)
        base_lat = _latencies(res, m, st.truth, rate)
        base.add(res, m, base_lat, base_lat)
        e, pw = run_energy(
            res.utilisation,
            manifest=bundle.manifest,
            geometry=st.geometry,
            onset_cfg=bundle.onset,
            throttle=bundle.throttle,
            always_on=True,
            cfg=cfg.power,
        )
        base.add_energy(e, 0)
        configs.setdefault("always_on", pw.to_dict()["full"])
        for (name, thr, states), tally in zip(settings, tallies, strict=True):
            r = detect_frames(st.frames, bundle, geometry=st.geometry, throttle=thr)
            mt = match_events(r.events, st.truth)
            tally.add(r, mt, _latencies(r, mt, st.truth, rate), base_lat)
            e, pw = run_energy(
                r.utilisation,
                manifest=bundle.manifest,
                geometry=st.geometry,
                onset_cfg=bundle.onset,
                throttle=thr,
                always_on=False,
                states=states,
                cfg=cfg.power,
            )
            tally.add_energy(e, r.utilisation.switches)
            configs.setdefault(name, pw.to_dict())
    rate0 = streams[0].geometry.frame_rate_hz if streams else math.nan
    points = [
        {
            "name": name,
            "idle_decimation": thr.idle_decimation,
            "idle_rate_hz": round(rate0 / thr.idle_decimation, 2),
            "idle_sweeps": thr.idle_sweeps,
            "idle_point_step": thr.idle_point_step,
            "idle_point_offset": thr.idle_point_offset,
            "hold_s": thr.hold_s,
            "states": "as_recorded" if states is not None else "preset",
            "bundle_default": name.startswith(BUNDLE_DEFAULT),
            **t.summary(),
            "compute_vs_always_on": t.macs / base.macs if base.macs else None,
        }
        for (name, thr, states), t in zip(settings, tallies, strict=True)
    ]
    return {
        "always_on": base.summary(),
        "points": points,
        "configs": configs,
        "power_assumptions": dataclasses.asdict(cfg.power),
        "streams": [st.name for st in streams],
        "throttle": dataclasses.asdict(bundle.throttle),
    }


def sweep_table(result: dict[str, Any]) -> str:
    """A markdown table of :func:`throttle_sweep`'s result, always-on first."""

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{100 * v:.1f} %"

    def ms(v: float | None) -> str:
        return "—" if v is None else f"{v:.0f}"

    def ma(v: float | None) -> str:
        return "—" if v is None else f"{v:.3f}"

    def num(v: float | None, fmt: str = ".1f") -> str:
        return "—" if v is None else format(v, fmt)

    rows = [
        "| setting | idle Hz | idle sweeps | hold s | event accuracy | recall | false | false/h | A121 mA | "
        "MCU mA | battery h (60 mAh) | switches | sensor frames | compute vs always-on | latency p50 / p90 ms | "
        "added p50 / p90 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    a = result["always_on"]
    rows.append(
        f"| always-on (as recorded) | – | – | – | {pct(a['event_accuracy'])} | {pct(a['recall'])} | {a['false']} | "
        f"{num(a.get('false_per_h'))} | {ma(a.get('sensor_ma'))} | {ma(a.get('mcu_ma'))} | "
        f"{num(a.get('battery_h'))} | 0 | {pct(a['sensor_share'])} | 100 % | {ms(a['latency_ms_p50'])} / "
        f"{ms(a['latency_ms_p90'])} | 0 / 0 |"
    )
    for p in result["points"]:
        rows.append(
            f"| {p.get('name', '')} | {p['idle_rate_hz']:.1f} | {p.get('idle_sweeps', '–')} | {p['hold_s']:g} | "
            f"{pct(p['event_accuracy'])} | {pct(p['recall'])} | {p['false']} | {num(p.get('false_per_h'))} | "
            f"{ma(p.get('sensor_ma'))} | {ma(p.get('mcu_ma'))} | {num(p.get('battery_h'))} | "
            f"{p.get('switches', '–')} | {pct(p['sensor_share'])} | {pct(p['compute_vs_always_on'])} | "
            f"{ms(p['latency_ms_p50'])} / {ms(p['latency_ms_p90'])} | {ms(p['added_latency_ms_p50'])} / "
            f"{ms(p['added_latency_ms_p90'])} |"
        )
    # the two columns are easily mixed up: evaluate --continuous calls the first one recall
    rows += [
        "",
        "Event accuracy: the labelled gestures decided as their own class (what `radargest evaluate --continuous` "
        "calls recall). Recall: the labelled gestures with any decision on them, whatever its class. False: "
        "decisions on no labelled gesture.",
    ]
    return "\n".join(rows) + "\n"


def plain_log_x(ax: Any) -> None:
    """Make ``ax``'s x axis logarithmic with readable plain-number labels (``2``, ``50``, ``1.45``).

    Call it after plotting (it reads the autoscaled limits). Major ticks sit at 1-2-5 of each decade
    (1 alone over more than 2.5 decades); when fewer than two of those fall inside a narrow axis, about
    four evenly spaced ticks are used instead. Minor ticks carry no labels: matplotlib's default log axis
    labels them as ``2×10⁰ 3×10⁰ ...``, which overlap."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    if not 0.0 < lo < hi:  # nothing plotted: keep matplotlib's default
        return
    subs = (1.0, 2.0, 5.0) if math.log10(hi / lo) <= 2.5 else (1.0,)
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    inside = [m * 10.0**e for e in decades for m in subs if lo <= m * 10.0**e <= hi]
    if len(inside) >= 2:
        ax.xaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(lo, hi)


def plot_throttle_sweep(result: dict[str, Any], path: Path) -> None:
    """Event accuracy and recall against the average A121 current (log axis, exptool's power model):
    always-on as recorded, the bundle's own throttle, the one before issue 11 and every grid point; a second
    panel shows added latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = result["points"]
    a = result["always_on"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    grid = [p for p in pts if p.get("states") != "as_recorded" and not p.get("bundle_default")]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, sweeps in enumerate(sorted({p.get("idle_sweeps", 0) for p in grid})):
        c = colours[i % len(colours)]
        sel = sorted((p for p in grid if p.get("idle_sweeps", 0) == sweeps), key=lambda p: p["sensor_ma"] or 0)
        x = [p["sensor_ma"] or np.nan for p in sel]
        acc = [100 * (p["event_accuracy"] or 0) for p in sel]
        ax1.plot(x, acc, "o-", color=c, label=f"accuracy, IDLE {sweeps} sweeps")
        ax1.plot(x, [100 * (p["recall"] or 0) for p in sel], "s:", color=c, label=f"recall, IDLE {sweeps} sweeps")
        lat = [p["added_latency_ms_p90"] if p["added_latency_ms_p90"] is not None else np.nan for p in sel]
        ax2.plot(x, lat, "o-", color=c, label=f"IDLE {sweeps} sweeps")
        for p, xi, yi in zip(sel, x, acc, strict=True):
            ax1.annotate(f"D{p['idle_decimation']}", (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    for p in pts:
        if p.get("states") == "as_recorded" or p.get("bundle_default"):
            mark, c = ("P", "tab:green") if p.get("bundle_default") else ("D", "tab:red")
            label = p["name"] if p.get("bundle_default") else "before issue 11 (16 IDLE sweeps, READY)"
            ax1.plot([p["sensor_ma"]], [100 * (p["event_accuracy"] or 0)], mark, color=c, label=label)
            ax1.plot([p["sensor_ma"]], [100 * (p["recall"] or 0)], mark, mfc="none", color=c, label="  its recall")
    if a.get("sensor_ma") is not None and a["event_accuracy"] is not None:
        ax1.plot([a["sensor_ma"]], [100 * a["event_accuracy"]], "*", ms=12, color="k", label="always-on (as recorded)")
        ax1.plot([a["sensor_ma"]], [100 * (a["recall"] or 0)], "*", ms=12, mfc="none", color="k", label="  its recall")
        ax1.axhline(100 * a["event_accuracy"] - 1, color="k", ls=":", lw=1, label="always-on accuracy − 1 point")
    plain_log_x(ax1)
    ax1.set(xlabel="average A121 current, mA (exptool power model)", ylabel="%", title="accuracy and recall vs current")
    plain_log_x(ax2)
    ax2.axhline(100, color="r", ls=":", lw=1)
    ax2.set(xlabel="average A121 current, mA", ylabel="added decision latency p90, ms", title="latency")
    ax1.legend(fontsize=6)
    ax2.legend(fontsize=7)
    fig.suptitle(f"throttle sweep over {len(result['streams'])} stream(s), {a['truth']} events")
    fig.savefig(path, dpi=110)
    plt.close(fig)
