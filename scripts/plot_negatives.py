"""Velocity-time maps of every registered everyday negative, with the onset segmenter's events shaded.

    python scripts/plot_negatives.py [--subject 7] [--out docs/negatives.png]

Each panel is one draw of one negative (``acquisition.sim.NEGATIVES``) by one simulated subject, between
2 s of empty field, rendered for ``gesture_close``; a ``tap_in`` and a ``wiggle`` are drawn last for
comparison. Shaded spans are the events of :func:`dsp.segment` with its default config: what a model
downstream of the segmenter would be asked to classify.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import dsp
from acquisition import get_preset
from acquisition._client import make_metadata
from acquisition.sim import GESTURES, NEGATIVES, MotionEvent, Renderer, Subject, still_scene
from acquisition.sim.client import BASE_STEP_LENGTH_M
from acquisition.sim.negatives import sample_hover
from radargest.plots import draw_event_spans, plot_velocity_time

LEAD_S = 2.0
MAX_SHOWN_S = 14.0


def _panel(ax: plt.Axes, name: str, subject: Subject, rng: np.random.Generator) -> None:
    config = get_preset("gesture_close").sensor_config
    if name in NEGATIVES:
        params = NEGATIVES[name].sample(rng, subject)
        if name == "empty":
            params["duration_s"] = 8.0
        elif name == "hover":
            params = sample_hover(rng, subject, hold_s=6.0)
        events = [MotionEvent(kind="negative", name=name, start_s=LEAD_S, params=params)]
        dur = params["duration_s"]
    else:  # a gesture, performed from a hover as in an everyday stream
        g = GESTURES[name].sample(rng, subject)
        hover = sample_hover(rng, subject, hold_s=1.5 + g["duration_s"])
        hover |= {"z_m": subject.distance_m, "x_m": 0.0, "tilt_deg": 0.0}
        events = [
            MotionEvent(kind="negative", name="hover", start_s=LEAD_S, params=hover),
            MotionEvent(kind="gesture", name=name, start_s=LEAD_S + hover["in_s"] + 0.8, params=g),
        ]
        dur = hover["duration_s"]
    empty = [MotionEvent(kind="negative", name="empty", start_s=0.0, params={"duration_s": LEAD_S})]
    tail = [MotionEvent(kind="negative", name="empty", start_s=LEAD_S + dur, params={"duration_s": LEAD_S})]
    total = min(LEAD_S * 2 + dur, MAX_SHOWN_S)
    scene = still_scene(subject, duration_s=total, seed=subject.seed).with_events(empty + events + tail)
    renderer = Renderer(scene, config, base_step_length_m=BASE_STEP_LENGTH_M)
    frames, _, _ = renderer.render(int(renderer.num_frames_total_or_inf))
    metadata = make_metadata(config, base_step_length_m=BASE_STEP_LENGTH_M, tick_period=0)
    geometry = dsp.FrameGeometry.from_sensor_config(config, metadata, frame_rate_hz=1.0 / renderer.period_s)
    times = np.arange(frames.shape[0]) * renderer.period_s
    vt = dsp.velocity_time(dsp.range_doppler(frames, cfg=dsp.RangeDopplerConfig()))
    plot_velocity_time(ax, vt, times_s=times, velocities_m_s=geometry.velocities_m_s)
    ax.set_ylabel("v [m/s]")
    ratio = dsp.onset_metric(frames, cfg=dsp.OnsetConfig(), geometry=geometry).ratio_db
    events_found = dsp.segment(ratio, cfg=dsp.SegmentConfig(), frame_rate_hz=geometry.frame_rate_hz)
    draw_event_spans(ax, events_found, times_s=times)
    kind = "negative" if name in NEGATIVES else "gesture"
    ax.set_title(f"{name} ({kind}): {len(events_found)} segmenter event(s)", fontsize=9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subject", type=int, default=7, help="simulated subject seed (default 7)")
    ap.add_argument("--out", type=Path, default=Path("docs/negatives.png"), help="output PNG")
    args = ap.parse_args()
    names = [*NEGATIVES, "tap_in", "wiggle"]
    subject = Subject.from_seed(args.subject)
    rng = np.random.default_rng(args.subject)
    cols = 2
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.2 * rows), constrained_layout=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        _panel(ax, name, subject, rng)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(f"everyday negatives of simulated subject {subject.subject_id} (gesture_close)", fontsize=10)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
