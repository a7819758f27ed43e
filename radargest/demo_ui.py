"""``radargest demo``: the live window and the headless mode over :mod:`deploy.live`.

**Headless** (``--headless``): the frame loop runs in the main thread and prints one JSON object per
recognised gesture on stdout (the ``detect --json`` contract, DESIGN §2); a summary line (frames, frames/s,
dropped frames, utilisation, and with a scripted simulator the performed gestures) goes to stderr.

**Window**: the frame loop runs in a worker thread, so every frame is processed at sensor rate; the main
thread redraws from :meth:`deploy.live.LiveRun.snapshot` about ``--fps`` times a second (it may be slower
than the sensor). Panels: the range-Doppler map, a velocity–time waterfall, the class probabilities of the
head's last run, the throttle state with a rolling utilisation meter, the log of recognised gestures and a
dropped-frames counter. Closing the window or Ctrl-C stops the loop and exits cleanly.

Nothing here imports TensorFlow: the bundle runs in LiteRT (:mod:`deploy.runtime`).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radargest.cli_args import gesture_list, non_negative_int, positive_float, refuse_unused
from radargest.decision_args import add_decision_arguments, decision_from_args, refuse_other_streams_gate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["add_demo_arguments", "run_demo"]


def add_demo_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``radargest demo``."""
    p.add_argument(
        "--source",
        default="sim",
        help="where frames come from: sim[:SEED], replay:FILE.h5, mock, usb[:SERIAL], serial:PORT, "
        "socket:HOST[:PORT] (default sim)",
    )
    p.add_argument("--model", type=Path, required=True, help="bundle folder from 'radargest export'")
    p.add_argument("--headless", action="store_true", help="no window: one JSON line per recognised gesture")
    p.add_argument("--fast", action="store_true", help="sim/replay: run unpaced, as fast as the CPU allows")
    p.add_argument(
        "--script", type=gesture_list, default=None, help="sim: gestures to perform in order, e.g. tap_in,wiggle"
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=None, help="sim: seed of the random gesture sequence, >= 0 (default 0)"
    )
    p.add_argument("--always-on", action="store_true", help="no throttle: full rate, encoder on every frame")
    add_decision_arguments(p)
    p.add_argument(
        "--seconds",
        type=positive_float,
        default=None,
        help="stop after this much sensor time [s], > 0 (default: until Ctrl-C, the window closes or the replay ends)",
    )
    p.add_argument(
        "--fps",
        type=positive_float,
        default=None,
        help="window redraws per second, > 0 (default 10; not with --headless)",
    )
    p.add_argument(
        "--preset", default=None, help="sensor preset for live sources and sim (default: the bundle's; not with replay)"
    )


#: Window redraws per second without --fps.
_WINDOW_FPS = 10.0


def _summary(run: Any, stats: Any) -> dict[str, Any]:
    det = run.detector
    res = det.result(max(stats.frames, 1))
    out: dict[str, Any] = {
        "frames": stats.frames,
        "frames_per_s": round(stats.frames_per_s, 1),
        "sensor_rate_hz": round(run.geometry.frame_rate_hz, 2),
        "dropped": stats.dropped,
        "events": stats.events,
        "ended": stats.ended,
        "sensor_share": round(res.utilisation.sensor_share, 4),
        "mac_share": round(res.mac_share, 4),
    }
    if stats.frames > 0:
        from deploy.power import run_energy

        energy, _ = run_energy(
            res.utilisation,
            manifest=run.bundle.manifest,
            geometry=run.geometry,
            onset_cfg=run.bundle.onset,
            throttle=det.throttle,
            always_on=det.always_on,
        )
        out["sensor_ma"] = round(energy.sensor_ma, 4)
        out["battery_h"] = round(energy.battery_h, 1)
    if run.script is not None:
        out["performed_count"] = run.script.count
        if run.script.script is not None:
            out["performed"] = [g for g, _, _ in run.script.performed]
    return out


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo from parsed arguments (see :func:`add_demo_arguments`)."""
    from acquisition.sources import parse_source, refuse_fast
    from deploy.live import open_live
    from deploy.runtime import load_bundle
    from radargest.plots import open_window

    refuse_fast(args.source, fast=args.fast)  # a sensor or the mock client run at their own rate
    kind = parse_source(args.source).kind
    if kind != "sim":
        refuse_unused(args, ("seed",), applies="with --source sim (the simulator's random gestures)")
    if kind == "replay":
        refuse_unused(args, ("preset",), applies="to a live source or the simulator, not a replay")
    if args.headless:
        refuse_unused(args, ("fps",), applies="to the window (without --headless)")
    refuse_other_streams_gate(args, idle_stream=not args.always_on)
    bundle = load_bundle(args.model)
    # the window first: without a display it would never open, and the demo would wait for its close forever
    fig = None if args.headless else open_window(_WINDOW_SIZE_IN, instead="use --headless for JSON lines")
    run = open_live(
        args.source,
        bundle,
        fast=args.fast,
        script=args.script,
        seed=args.seed if args.seed is not None else 0,
        always_on=args.always_on,
        decision=decision_from_args(args, bundle.decision),
        preset=args.preset,
    )
    max_frames = None if args.seconds is None else max(1, round(args.seconds * run.geometry.frame_rate_hz))
    until = 1.5 if args.script else None
    if fig is None:
        return _headless(run, max_frames=max_frames, until=until)
    return _window(run, fig, max_frames=max_frames, until=until, fps=args.fps or _WINDOW_FPS, source=args.source)


def _install_stop(run: Any) -> None:
    def handler(signum: int, frame: Any) -> None:
        if run.stop_event.is_set():
            raise KeyboardInterrupt
        run.stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _latency(e: Any) -> str:
    """The decision's latency after the sensed motion ended, as the log shows it."""
    return "" if e.latency_ms is None else f"  +{e.latency_ms:.0f} ms"


def _headless(run: Any, *, max_frames: int | None, until: float | None) -> int:
    _install_stop(run)

    def emit(ev: Any) -> None:
        print(ev.to_json(), flush=True)

    stats = run.run(on_event=emit, max_frames=max_frames, until_script_done_s=until)
    print(json.dumps({"summary": _summary(run, stats)}), file=sys.stderr)
    return 0


# -- window ---------------------------------------------------------------------------------------
#: size of the demo window [inches]
_WINDOW_SIZE_IN = (14.0, 8.5)


def _window(run: Any, fig: Figure, *, max_frames: int | None, until: float | None, fps: float, source: str) -> int:
    import matplotlib.pyplot as plt

    geo = run.geometry
    bundle = run.bundle
    classes = list(bundle.classes)
    v = geo.velocities_m_s
    r = geo.distances_m
    box: dict[str, Any] = {}

    def loop() -> None:
        try:
            box["stats"] = run.run(max_frames=max_frames, until_script_done_s=until)
        except Exception as exc:  # shown in the window and re-raised in the main thread
            box["error"] = exc

    worker = threading.Thread(target=loop, name="radargest-demo-frames", daemon=True)

    fig.canvas.manager.set_window_title(f"radargest demo: {source}")  # type: ignore[union-attr]
    gs = fig.add_gridspec(3, 3, width_ratios=(1.0, 1.6, 1.3), height_ratios=(1.0, 1.0, 0.7))
    ax_rd = fig.add_subplot(gs[0:2, 0])
    ax_wf = fig.add_subplot(gs[0, 1])
    ax_pr = fig.add_subplot(gs[1, 1])
    ax_th = fig.add_subplot(gs[2, 0:2])
    ax_log = fig.add_subplot(gs[:, 2])

    d = bundle.encoder.input_shape[1]
    p = bundle.encoder.input_shape[2]
    im_rd = ax_rd.imshow(
        np.zeros((d, p)),
        aspect="auto",
        origin="lower",
        extent=(float(r[0]), float(r[-1]), float(v[0]), float(v[-1])),
        cmap="viridis",
    )
    ax_rd.set(title="range-Doppler map", xlabel="distance [m]", ylabel="velocity [m/s]")
    n_wf = run.snapshot().waterfall.shape[0]
    im_wf = ax_wf.imshow(
        np.zeros((d, n_wf)),
        aspect="auto",
        origin="lower",
        extent=(-n_wf / geo.frame_rate_hz, 0.0, float(v[0]), float(v[-1])),
        cmap="magma",
    )
    ax_wf.set(title="velocity-time waterfall (max over distance)", xlabel="time [s]", ylabel="velocity [m/s]")
    bars = ax_pr.bar(range(len(classes)), np.zeros(len(classes)), color="tab:blue")
    ax_pr.set_xticks(range(len(classes)), classes)
    ax_pr.set(ylim=(0, 1), title="class probabilities (head's last run)")
    ax_th.set(xlim=(0, 1), ylim=(-0.5, 1.5), yticks=[0, 1], yticklabels=["MACs", "sensor frames"])
    th_bars = ax_th.barh([1, 0], [0, 0], color=["tab:green", "tab:orange"])
    ax_th.set_xlabel("rolling share of always-on (10 s)")
    th_title = ax_th.set_title("throttle")
    ax_log.axis("off")
    ax_log.set_title("recognised gestures")
    log_text = ax_log.text(
        0.02, 0.98, "", va="top", ha="left", family="monospace", fontsize=10, transform=ax_log.transAxes
    )
    status = fig.text(0.01, 0.005, "", fontsize=10, family="monospace")
    fig.tight_layout(rect=(0, 0.03, 1, 1))

    closed = threading.Event()
    fig.canvas.mpl_connect("close_event", lambda e: closed.set())
    _install_stop(run)
    worker.start()
    wall0 = time.perf_counter()
    final_drawn = False  # after the source ends, draw its last state once, then only keep the window open
    try:
        while not closed.is_set():
            if final_drawn:
                if run.stop_event.is_set():  # Ctrl-C
                    break
                # keep the window responsive without plt.pause, which re-shows the figure each call (about half a
                # core under TkAgg even when nothing changed)
                fig.canvas.flush_events()
                time.sleep(0.1)
                continue
            final_drawn = not worker.is_alive()
            s = run.snapshot()
            if s.rd is not None:
                im_rd.set_data(s.rd)
                im_rd.set_clim(float(np.min(s.rd)), float(np.max(s.rd)) + 1e-6)
            wf = np.nan_to_num(
                s.waterfall.T, nan=float(np.nanmin(s.waterfall)) if np.isfinite(s.waterfall).any() else 0.0
            )
            im_wf.set_data(wf)
            im_wf.set_clim(float(np.min(wf)), float(np.max(wf)) + 1e-6)
            if s.probabilities is not None:
                k = int(np.argmax(s.probabilities))
                for i, (b, pv) in enumerate(zip(bars, s.probabilities, strict=False)):
                    b.set_height(float(pv))
                    b.set_color("tab:red" if i == k else "tab:blue")
            sens = 0.0 if math.isnan(s.sensor_share) else s.sensor_share
            macs = 0.0 if math.isnan(s.mac_share) else s.mac_share
            th_bars[0].set_width(sens)
            th_bars[1].set_width(macs)
            amps = "—" if math.isnan(s.sensor_ma) else f"{s.sensor_ma:.2f} mA"
            th_title.set_text(
                f"throttle: {s.phase}   A121 {amps}   sensor frames {100 * sens:.0f} %   MACs {100 * macs:.0f} %"
            )
            lines = [f"{e.t_s:7.1f} s  {e.gesture:<14s} {e.score:.2f}{_latency(e)}" for e in s.events[-28:]]
            if s.performed:
                lines += ["", f"performed (last {min(len(s.performed), 8)}):"] + [f"  {g}" for g, _ in s.performed[-8:]]
            log_text.set_text("\n".join(lines) if lines else "(none yet)")
            t_sensor = s.frame / geo.frame_rate_hz
            status.set_text(
                f"frame {s.frame}  sensor time {t_sensor:6.1f} s  wall {time.perf_counter() - wall0:6.1f} s  "
                f"rate {geo.frame_rate_hz:.1f} Hz  dropped frames: {s.dropped}  events: {len(s.events)}"
                + ("   [source ended]" if not worker.is_alive() else "")
            )
            if "error" in box:
                break
            if run.stop_event.is_set() and not worker.is_alive():
                break
            plt.pause(1.0 / max(fps, 0.5))
    except KeyboardInterrupt:
        pass
    finally:
        run.stop()
        worker.join(timeout=5.0)
        plt.close("all")
    if "error" in box:
        raise box["error"]
    stats = box.get("stats") or run.stats()
    print(json.dumps({"summary": _summary(run, stats)}), file=sys.stderr)
    return 0
