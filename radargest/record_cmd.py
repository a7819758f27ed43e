"""``radargest record``: guided recording from any source."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from acconeer.exptool import a121

from acquisition import SessionMeta, open_client, record_session, sensor_config_from_args
from acquisition.guided import GuidedConfig, GuidedSession
from acquisition.presets import preset_for_config
from acquisition.sim import GESTURES, SimClient
from acquisition.sources import ReplayClient

__all__ = ["run_record"]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "subject"


def _refine(path: Path) -> int:
    """Snap the prompt labels of a finished recording to its segmented motion; returns how many moved."""
    from acquisition import load_session, save_labels
    from radargest.pipeline import PipelineConfig, refine_prompt_labels, session_events

    session = load_session(path)
    events = session_events(session, cfg=PipelineConfig(preset=None))
    refined = refine_prompt_labels(session.labels, events, lead_frames=round(0.3 * session.frame_rate_hz))
    if refined != session.labels:
        save_labels(path, refined)
    return sum(a != b for a, b in zip(refined, session.labels, strict=True))


def run_record(args: argparse.Namespace) -> int:
    """Run a guided recording described by the ``record`` arguments; returns the exit code."""
    from radargest.cli import install_stop_handler

    cfg = GuidedConfig(
        gestures=tuple(args.gestures),
        reps=args.reps,
        countdown_s=args.countdown_s,
        window_s=args.window_s,
        pause_s=args.pause_s,
        shuffle=args.shuffle,
    )
    fast = bool(args.fast)
    client = open_client(args.source, realtime=not fast)
    if isinstance(client, SimClient):
        unknown = [g for g in cfg.gestures if g not in GESTURES]
        if unknown:
            client.close()
            raise ValueError(f"the simulator cannot perform {', '.join(unknown)}; it knows {', '.join(GESTURES)}")
    if fast and not isinstance(client, (SimClient, ReplayClient)):
        client.close()
        raise ValueError("--fast works only with --source sim or replay:FILE")
    sensor_config = client.recorded_sensor_config if isinstance(client, ReplayClient) else sensor_config_from_args(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = args.out / f"{_safe(args.subject)}_{stamp}.h5"

    def say(line: str) -> None:
        print(line, flush=True)

    guided = GuidedSession(cfg=cfg, say=say, on_go=client.perform if isinstance(client, SimClient) else None)
    install_stop_handler(lambda: setattr(guided, "stop_requested", True))
    say(f"Recording {len(cfg.gestures) * cfg.reps} prompts to {path} (Ctrl-C stops and keeps what was recorded)")

    def meta() -> SessionMeta:
        return SessionMeta(
            subject=args.subject,
            preset=preset_for_config(sensor_config) or "custom",
            notes=args.notes,
            simulator=client.scene.to_json() if isinstance(client, SimClient) else "",
        )

    try:
        outcome = record_session(
            client,
            path,
            sensor_config=sensor_config,
            meta=meta,
            on_frame=guided,
            labels=lambda n: guided.labels,
        )
    finally:
        if client.connected:
            client.close()
    print(f"wrote {outcome.num_frames} frames and {len(outcome.labels)} label(s) to {path}")
    if args.refine and outcome.labels:
        refined = _refine(path)
        print(f"refined {refined} of {len(outcome.labels)} label(s) to the onset-segmented motion")
    if outcome.error is not None and not isinstance(outcome.error, a121.ClientError | KeyboardInterrupt):
        print(f"radargest: error: recording stopped early: {outcome.error}", file=sys.stderr)
        return 1
    if guided.stop_requested:
        print("stopped by user; the file holds every frame recorded before the stop")
        return 130
    return 0
