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
from acquisition.presets import get_preset, preset_for_config
from acquisition.sim import SimClient, check_gestures
from acquisition.sim.scene import frame_period_s
from acquisition.sources import ReplayClient, refuse_fast
from dsp.text import plural
from radargest.cli_args import check_out_dir

__all__ = ["run_enrol", "run_record"]


def _safe(text: str) -> str:
    """``text`` as a file-name stem: other characters become ``-``, and no leading dot (a hidden file)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "subject"


def new_recording_path(folder: Path, stem: str) -> Path:
    """``folder/STEM_YYYYmmdd-HHMMSS.h5``, with ``-2``, ``-3``, ... added when a recording of that second exists
    (a restart within the same second would otherwise be refused by the recorder, which never overwrites)."""
    base = f"{_safe(stem)}_{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    path, n = folder / f"{base}.h5", 2
    while path.exists():
        path, n = folder / f"{base}-{n}.h5", n + 1
    return path


def _refine(path: Path) -> int:
    """Snap the prompt labels of a finished recording to its segmented motion; returns how many moved."""
    from acquisition import load_session, save_labels
    from radargest.pipeline import LABELLING_SEGMENT, PipelineConfig, refine_prompt_labels, session_events

    session = load_session(path)
    events = session_events(session, cfg=PipelineConfig(preset=None, segment=LABELLING_SEGMENT))
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
    refuse_fast(args.source, fast=fast)  # before a sensor is opened
    client = open_client(args.source, realtime=not fast)
    if isinstance(client, SimClient):
        try:
            check_gestures(cfg.gestures)
        except ValueError:
            client.close()
            raise
    if isinstance(client, ReplayClient):
        print(
            f"warning: {args.source}: nobody performs the prompts, so the replay's own motion is stored under the "
            "prompted gestures' labels (source=prompt); this tests the recorder, it is no labelled recording",
            file=sys.stderr,
        )
        sensor_config = client.recorded_sensor_config
    else:
        sensor_config = sensor_config_from_args(args)
    args.out.mkdir(parents=True, exist_ok=True)
    path = new_recording_path(args.out, args.subject)

    def say(line: str) -> None:
        print(line, flush=True)

    guided = GuidedSession(cfg=cfg, say=say, on_go=client.perform if isinstance(client, SimClient) else None)
    install_stop_handler(lambda: setattr(guided, "stop_requested", True))
    prompts = plural(len(cfg.gestures) * cfg.reps, "prompt")
    say(f"Recording {prompts} to {path} (Ctrl-C stops and keeps what was recorded)")

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


def _idle_prompt(client: a121.Client, idle_s: float, seed: int) -> str:
    """What the user is asked to do during the idle part; the simulator's subject does it."""
    if isinstance(client, SimClient):
        from acquisition.sim import EverydayPlan, MotionEvent, plan_everyday

        plan = EverydayPlan(duration_s=idle_s, gesture_rate_per_min=0.0, gap_s=(0.5, 3.0))
        scene = plan_everyday(plan, subject=client.scene.subject, seed=seed)
        now = client.now_s
        client.add_events(
            [MotionEvent(kind=e.kind, name=e.name, start_s=e.start_s + now, params=e.params) for e in scene.events]
        )
    return (
        f"For {idle_s:g} s: keep your hands near the sensor and move as you normally would (adjust the earcup, "
        "scratch, wave past), but make no gesture."
    )


def run_enrol(args: argparse.Namespace) -> int:
    """``radargest record --enrol --init RUN``: guided enrolment of a new user, fine-tuning and export.

    Records ``--reps`` prompted repetitions of every gesture of the run, then ``--idle-s`` of hands doing
    nothing in particular (unlabelled background), fine-tunes the run on both (:func:`models.personalise.
    personalise`) into ``OUT/run`` and exports the bundle to ``OUT/bundle``.
    """
    from models.config import read_run_config  # TensorFlow's own lines: the command's quiet lid (radargest.quiet)

    if args.init is None:
        raise ValueError("--enrol needs --init RUN_DIR: the shipped model to personalise")
    base = read_run_config(args.init)
    gestures = tuple(args.gestures) if args.gestures else base.dataset.gestures
    if set(gestures) != set(base.dataset.gestures):
        raise ValueError(f"--enrol records the run's gestures ({', '.join(base.dataset.gestures)}); drop --gestures")
    args.gestures = list(base.dataset.gestures)
    if args.preset != base.dataset.preset:
        raise ValueError(f"the run was trained on preset {base.dataset.preset!r}; use --preset {base.dataset.preset}")
    _check_enrol_frame_rate(args, run_hz=base.trained_rate_hz)
    for name in ("run", "bundle"):  # before the user performs anything
        check_out_dir(args.out / name, overwrite=args.overwrite, what=f"enrolment's {name} folder")
    earlier = _earlier_recordings(args.out) if args.overwrite else []
    args.out.mkdir(parents=True, exist_ok=True)
    before = set(args.out.glob("*.h5"))
    code = run_record(args)
    if code != 0:
        return code
    gesture_file = sorted(set(args.out.glob("*.h5")) - before)[-1]
    client = open_client(args.source, realtime=not args.fast)
    sensor_config = sensor_config_from_args(args)
    idle_path = new_recording_path(args.out, f"{args.subject}_idle")
    try:
        print(_idle_prompt(client, args.idle_s, seed=len(before)), flush=True)
        meta = SessionMeta(
            subject=args.subject, preset=preset_for_config(sensor_config) or "custom", notes="enrolment: idle hands"
        )
        frames = int(args.idle_s / frame_period_s(sensor_config))
        outcome = record_session(client, idle_path, sensor_config=sensor_config, meta=meta, max_frames=frames)
    finally:
        if client.connected:
            client.close()
    if outcome.error is not None and not isinstance(outcome.error, a121.ClientError):
        raise ValueError(f"idle recording stopped early: {outcome.error}")
    print(f"wrote {outcome.num_frames} frames of idle hands to {idle_path}")
    return _personalise_and_export(args, [gesture_file, idle_path], earlier=earlier)


def _check_enrol_frame_rate(args: argparse.Namespace, *, run_hz: float) -> None:
    """Refuse, before anything is recorded, an enrolment whose sensor config (``--preset``, ``--frame-rate-hz``:
    its set rate, else the nominal free-running one) runs more than :data:`dsp.FRAME_RATE_TOLERANCE` from the rate
    the run's window was sized for (``run_hz``): the fine-tune keeps the window length. A replay records at its
    file's rate, and a sensor free-runs near its nominal rate: :func:`models.personalise.personalise` checks the
    recordings themselves before fine-tuning.

    Raises:
        ValueError: naming both rates and the ``--frame-rate-hz`` that matches the run.
    """
    from dsp import frame_rate_mismatch

    rate_hz = 1.0 / frame_period_s(sensor_config_from_args(args))
    mismatch = frame_rate_mismatch(rate_hz, run_hz, expected="the run's")
    if mismatch is None:
        return
    free_hz = 1.0 / frame_period_s(get_preset(args.preset).sensor_config)
    if args.frame_rate_hz is not None and frame_rate_mismatch(free_hz, run_hz, expected="") is None:
        fix = "drop --frame-rate-hz (the run free-ran)"
    else:
        fix = f"record at the run's rate: --frame-rate-hz {run_hz:.1f}"
    raise ValueError(f"--enrol would record at {mismatch}; {fix}")


def _earlier_recordings(out: Path) -> list[Path]:
    """The recordings of an earlier enrolment into ``out``: the files directly in ``out`` that its run
    (``out/run/config.toml``) was fine-tuned on; none when that run is missing or unreadable (a file this
    cannot tell for the enrolment's is the user's, and stays)."""
    from models.config import RunError, read_config

    try:
        data = read_config(out / "run" / "config.toml").data
    except RunError:
        return []
    folder = out.resolve()
    paths = [Path(p) if Path(p).is_absolute() else Path.cwd() / p for p in data]
    return [out / p.name for p in paths if p.suffix == ".h5" and p.resolve().parent == folder and p.is_file()]


def _personalise_and_export(args: argparse.Namespace, files: list[Path], *, earlier: list[Path]) -> int:
    """Fine-tune ``OUT/run`` on the new enrolment ``files`` and export ``OUT/bundle``; with ``--overwrite``,
    the ``earlier`` enrolment's recordings and radargest's earlier outputs in both folders are removed first
    (:func:`models.config.clear_outputs`; :func:`deploy.export.export_bundle` clears the bundle's), so that
    nothing of the replaced model stays mixed in."""
    from models.config import read_run_config
    from models.data import load_recordings
    from models.personalise import EnrolConfig, personalise

    base = read_run_config(args.init)
    recs = load_recordings(files, cfg=base.dataset)
    run_dir = args.out / "run"
    cfg = EnrolConfig(
        reps_per_gesture=args.reps,
        idle_s=args.idle_s,
        epochs=args.enrol_epochs,
        rehearsal_share=args.enrol_rehearsal_share,
        rehearsal_distill=args.enrol_rehearsal_distill,
        fine_tune_weight=args.enrol_fine_tune_weight,
        fit_prefix_wait=not args.enrol_keep_prefix_wait,
    )
    personalise(Path(args.init), recs, run_dir, cfg=cfg, progress=True, log=print, overwrite=args.overwrite)
    for path in (p for p in earlier if p not in files):
        path.unlink(missing_ok=True)
        print(f"--overwrite: removed the earlier enrolment's recording {path}")
    from deploy.export import ExportConfig, export_bundle

    bundle = args.out / "bundle"
    export_bundle(run_dir, bundle, cfg=ExportConfig(arena_search=False, latency_runs=20, tflm_rows=32))
    print(f"personalised run {run_dir}; bundle {bundle} (radargest detect FILE --model {bundle})")
    return 0
