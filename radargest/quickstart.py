"""``radargest quickstart``: the pipeline that exists so far, on the simulator, in one command.

Today: simulate a small labelled dataset → a guided recording with the simulated subject performing
the prompts → overview plots. Training, quantisation, export and the demo join as they land.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from acquisition import SessionMeta, get_preset, load_session, record_session
from acquisition.guided import GuidedConfig, GuidedSession
from acquisition.sim import SimClient, Subject, still_scene
from radargest.simulate_cmd import SimulateJob, run_simulate

__all__ = ["run_quickstart"]


def run_quickstart(out: Path, *, subjects: int = 4, reps: int = 5, progress: bool = True) -> dict[str, Path]:
    """Run every stage that exists into ``out``; returns the artefacts by name."""
    from radargest.label_ui import run_label

    out = Path(out)
    artefacts: dict[str, Path] = {}
    t0 = time.perf_counter()

    print(f"[1/3] simulating {subjects} subjects x {reps} reps of 4 gestures ...", flush=True)
    sim_dir = out / "sim"
    files = run_simulate(
        SimulateJob(out_dir=sim_dir, subjects=subjects, reps_per_gesture=reps, overwrite=True),
        progress=progress,
    )
    artefacts["simulated sessions"] = sim_dir

    print("[2/3] guided recording with the simulated subject (unpaced) ...", flush=True)
    rec_dir = out / "recorded"
    rec_dir.mkdir(parents=True, exist_ok=True)
    rec_path = rec_dir / "sim-guided.h5"
    rec_path.unlink(missing_ok=True)
    subject = Subject.from_seed(100)
    client = SimClient(still_scene(subject, duration_s=float("inf"), seed=100))
    guided = GuidedSession(
        cfg=GuidedConfig(gestures=("tap_in", "wiggle"), reps=3, countdown_s=1.0),
        say=lambda line: None,
        on_go=client.perform,
    )
    outcome = record_session(
        client,
        rec_path,
        sensor_config=get_preset("gesture_close").sensor_config,
        meta=lambda: SessionMeta(subject=subject.subject_id, preset="gesture_close", simulator=client.scene.to_json()),
        on_frame=guided,
        labels=lambda n: guided.labels,
    )
    if outcome.error is not None:
        raise RuntimeError(f"guided recording failed: {outcome.error}")
    artefacts["guided recording"] = rec_path

    print("[3/3] plotting label overviews ...", flush=True)
    for path in (files[0], rec_path):
        png = out / "plots" / f"{path.stem}_labels.png"
        png.parent.mkdir(parents=True, exist_ok=True)
        run_label(path, png=png)
        artefacts[f"labels plot ({path.stem})"] = png

    n_frames = sum(load_session(p).num_frames for p in files)
    print(f"\ndone in {time.perf_counter() - t0:.0f} s; {len(files)} sessions, {n_frames} simulated frames.")
    for name, path in artefacts.items():
        print(f"  {name:32s} {path}")
    print("\nnext: radargest label FILE.h5 to review labels; radargest record --source usb to use an EVK.")
    return artefacts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("out/quickstart"), help="artefact folder")
    parser.add_argument("--subjects", type=int, default=4, help="simulated subjects (default 4)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each gesture (default 5)")
