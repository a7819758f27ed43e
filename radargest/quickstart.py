"""``radargest quickstart``: the whole pipeline on the simulator, in one command (DESIGN §9).

1. simulate a small labelled dataset (training subjects) and held-out subjects, and everyday streams (hands
   hovering, scratching, grabbing the earcup, with a sparse gesture about once a minute) of some training
   subjects, of separate calibration subjects and of the held-out subjects;
2. train the default CNN + temporal-convolution model for a few epochs (the held-out subjects are never seen),
   with the training subjects' everyday streams as hard negatives, and choose its operating point
   (``min_score``) on the calibration subjects' streams, as ``radargest train --calibration-data`` does. It takes
   the recipe's robust window, augmentation and ``none`` share (:data:`NONE_PER_GESTURE`);
3. quantise (the candidate table, int8 per-channel is the deployable one);
4. export the embedded bundle (int8 encoder + head, C sources, ``report.md``);
5. detect on the held-out subjects' sessions with the bundle and print the recall (right / true gestures, as
   ``radargest evaluate`` names it) and the false events against the simulator's ground truth, then the false
   activations per hour on the held-out subjects' everyday streams;
6. run the demo on a replayed held-out session: a window when ``$DISPLAY`` is set, else headless.

Sizes are chosen so that the whole command, installation included, stays within ten minutes on a 2-core
laptop; ``--epochs``, ``--subjects``, ``--reps`` and ``--everyday-minutes`` trade time for accuracy. Minutes of
everyday streams cannot show a budget of one false activation per hour (the recipe calibrates on hours); they
show what the rejection stage does, against a quickstart without it (``--everyday-minutes 0``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

from dsp.text import plural

__all__ = ["add_arguments", "demo_on_replay", "run_quickstart"]

GESTURES = ("tap_in", "tap_out", "double_tap_in", "wiggle")
HELD_OUT_FIRST = 1000  # seeds of held-out subjects, far from the training seeds
CALIBRATION_FIRST = 100  # seeds of the calibration subjects' everyday streams (the recipe's everyday_cal)
EVERYDAY_SUBJECTS = 8  # training subjects that also get an everyday stream (at most --subjects)
CALIBRATION_SUBJECTS = 4
SCORED_STREAM_SCALE = 2  # calibration and held-out streams are this many times --everyday-minutes long
#: Training epochs of the quickstart's model (``--epochs``' default).
DEFAULT_EPOCHS = 40
#: ``none`` windows drawn per epoch for each gesture class's windows. With the recipe's 1.4 s window
#: (:data:`models.data.ROBUST_WINDOW_S`), robust augmentation and 40 epochs, the quickstart's model made 13-22 times
#: fewer false activations than the plain default's 20 epochs on three fresh training-side sets, with about as many
#: gestures right (STUDY186-188, docs/results_rejection.md "The quickstart's model").
NONE_PER_GESTURE = 3.0


def demo_on_replay(replay: Path, bundle_dir: Path, *, headless: bool) -> int:
    """Stage 6: ``radargest demo --source replay:REPLAY`` (headless: ``--headless --fast``), its options parsed by
    the demo's own parser, so that they are what the command would get (a namespace built by hand here once set
    ``--seed`` with a replay, which the demo refuses)."""
    from radargest.demo_ui import add_demo_arguments, run_demo

    parser = argparse.ArgumentParser(prog="radargest demo")
    add_demo_arguments(parser)
    argv = ["--source", f"replay:{replay}", "--model", str(bundle_dir)] + (["--headless", "--fast"] if headless else [])
    return run_demo(parser.parse_args(argv))


def run_quickstart(
    out: Path,
    *,
    subjects: int = 16,
    held_out: int = 2,
    reps: int = 6,
    epochs: int = DEFAULT_EPOCHS,
    everyday_minutes: float = 5.0,
    demo: bool = True,
    progress: bool = True,
) -> dict[str, Path]:
    """Run the pipeline into ``out``; returns the artefacts by name (see the module docstring).

    ``everyday_minutes`` is the length of each training subject's everyday stream [min]; the calibration and
    held-out subjects' streams are :data:`SCORED_STREAM_SCALE` times as long. 0 simulates no everyday streams, so
    the model learns no hard negatives and keeps arg-max decisions (``min_score`` 0).

    Raises:
        ValueError: a count below 1, more than :data:`CALIBRATION_FIRST` subjects (their seeds would be the
            calibration subjects') or negative minutes (checked before anything is simulated).
    """
    for name, value in (("subjects", subjects), ("held_out", held_out), ("reps", reps), ("epochs", epochs)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if not everyday_minutes >= 0:
        raise ValueError(f"everyday_minutes must be >= 0, got {everyday_minutes}")
    if subjects > CALIBRATION_FIRST:  # seeds 0..subjects-1 would reach the calibration (and held-out) subjects'
        raise ValueError(
            f"subjects must be <= {CALIBRATION_FIRST}, got {subjects}: the training subjects are seeds 0 to "
            f"subjects-1, the calibration subjects' start at {CALIBRATION_FIRST} and the held-out ones' at "
            f"{HELD_OUT_FIRST}"
        )
    from radargest.simulate_cmd import EverydayJob, SimulateJob, run_everyday, run_simulate

    out = Path(out)
    artefacts: dict[str, Path] = {}
    t0 = time.perf_counter()

    def stage(i: int, text: str) -> None:
        print(f"[{i}/6 {time.perf_counter() - t0:5.0f} s] {text}", flush=True)

    stage(
        1,
        f"simulating {plural(subjects, 'training subject')} and {plural(held_out, 'held-out subject')}, "
        f"{plural(reps, 'rep')} of 4 gestures"
        + (f", and everyday streams ({everyday_minutes:g} min per training subject)" if everyday_minutes > 0 else ""),
    )
    sim_dir, test_dir = out / "sim" / "train", out / "sim" / "held_out"
    train_files = run_simulate(
        SimulateJob(out_dir=sim_dir, subjects=subjects, reps_per_gesture=reps, gestures=GESTURES, overwrite=True),
        progress=progress,
    )
    test_files = run_simulate(
        SimulateJob(
            out_dir=test_dir,
            subjects=held_out,
            first_subject=HELD_OUT_FIRST,
            reps_per_gesture=reps,
            gestures=GESTURES,
            seed=7,
            overwrite=True,
        ),
        progress=progress,
    )
    artefacts["simulated training sessions"] = sim_dir
    artefacts["simulated held-out sessions"] = test_dir
    everyday_dirs = {k: out / "sim" / f"everyday_{k}" for k in ("train", "calibration", "held_out")}
    streams: dict[str, list[Path]] = {k: [] for k in everyday_dirs}
    if everyday_minutes > 0:
        jobs = {  # seeds of the stream timelines differ from the gesture sessions'
            "train": (min(subjects, EVERYDAY_SUBJECTS), 0, everyday_minutes, 3),
            "calibration": (CALIBRATION_SUBJECTS, CALIBRATION_FIRST, SCORED_STREAM_SCALE * everyday_minutes, 4),
            "held_out": (held_out, HELD_OUT_FIRST, SCORED_STREAM_SCALE * everyday_minutes, 7),
        }
        for kind, (n, first, minutes, seed) in jobs.items():
            streams[kind] = run_everyday(
                EverydayJob(
                    out_dir=everyday_dirs[kind],
                    subjects=n,
                    first_subject=first,
                    minutes=minutes,
                    seed=seed,
                    overwrite=True,
                ),
                progress=progress,
            )
            artefacts[f"everyday streams, {kind.replace('_', '-')}"] = everyday_dirs[kind]
    held_everyday = streams["held_out"]

    held_ids = [f"sim-s{HELD_OUT_FIRST + i:03d}" for i in range(held_out)]
    stage(2, f"training the model ({plural(epochs, 'epoch')}; the held-out subjects are the test side of the split)")
    from models.architectures import NONE_SUBCLASSES, ArchitectureConfig
    from models.config import RejectionConfig, TrainConfig
    from models.data import ROBUST_AUGMENT, ROBUST_WINDOW_S, DatasetConfig, WindowConfig, parse_split
    from models.train import judges_budget, train

    run_dir = out / "run"
    # the files this run wrote, not their folders: an earlier run's with more subjects may still lie there, and
    # a held-out subject of that run beyond this run's split would be trained on
    cfg = TrainConfig(
        data=tuple(str(p.resolve()) for p in (*train_files, *test_files, *streams["train"])),
        dataset=DatasetConfig(
            gestures=GESTURES, window=WindowConfig(window_s=ROBUST_WINDOW_S), background_per_class=NONE_PER_GESTURE
        ),
        augment=ROBUST_AUGMENT,
        split=parse_split("subject:" + ",".join(held_ids)),  # never trained or validated on
        architecture=ArchitectureConfig(num_classes=len(GESTURES) + 1, none_subclasses=NONE_SUBCLASSES),
        epochs=epochs,
        patience_epochs=epochs,
        seed=0,
        rejection=RejectionConfig(calibration_data=tuple(str(p.resolve()) for p in streams["calibration"])),
    )
    # an earlier quickstart's reports go too; the log gives the epochs and the operating point
    result = train(cfg, run_dir, progress=progress, overwrite=True, log=lambda line: print(f"    {line}"))
    cal = result.metrics.get("calibration", {})
    if cal and not judges_budget(cal["background_h"], cal["budget_fa_per_hour"]):  # as the log line above says
        print(  # in the quickstart, --everyday-minutes is what gives the calibration streams
            f"    (in the quickstart: the calibration subjects' streams are {SCORED_STREAM_SCALE} x --everyday-minutes "
            "long each)"
            if everyday_minutes > 0
            else "    (in the quickstart: --everyday-minutes above 0 adds calibration streams)"
        )
    val = result.metrics["validation"]
    print(f"    validation accuracy {val['accuracy']:.3f} (balanced {val['balanced_accuracy']:.3f})")
    artefacts["training run"] = run_dir

    stage(3, "quantising (float32, int8 per-channel and per-tensor, ...)")
    from models.quantize import QuantizeConfig, quantize_run

    quantize_run(run_dir, cfg=QuantizeConfig(representative_windows=100, latency_runs=30, bit_widths=(8, 4)))
    artefacts["quantisation report"] = run_dir / "quant_report.md"

    stage(4, "exporting the embedded bundle")
    from deploy.export import ExportConfig, export_bundle
    from radargest.deploy_cmds import arena_words

    bundle_dir = out / "bundle"
    manifest = export_bundle(
        run_dir, bundle_dir, cfg=ExportConfig(latency_runs=50, tflm_rows=50, arena_granularity=64, check_recordings=2)
    )
    r = manifest["report"]
    print(f"    flash {r['flash_total_bytes']} B (models + C), {arena_words(r, searched=True)}")
    artefacts["bundle"] = bundle_dir
    artefacts["bundle report"] = bundle_dir / "report.md"

    stage(5, f"detecting on {plural(len(test_files), 'held-out session')} with the bundle (throttled, no TensorFlow)")
    from deploy.runtime import load_bundle

    bundle = load_bundle(bundle_dir)
    score = _detect_all(test_files, bundle)
    recall = score["correct"] / max(score["truth"], 1)
    print(  # the names of `radargest evaluate`: recall is right / true gestures
        f"    held-out subjects: recall {recall:.3f} ({score['correct']} of {score['truth']} gestures right, "
        f"{score['found']} answered with some gesture), {score['false']} false events; throttle used "
        f"{100 * score['sensed'] / max(score['frames'], 1):.0f} % of sensor frames and "
        f"{100 * score['macs'] / max(score['macs_always_on'], 1):.0f} % of the compute of the same bundle always-on"
    )
    if held_everyday:
        day = _detect_all(held_everyday, bundle)
        hours = day["seconds"] / 3600
        print(
            f"    held-out everyday streams ({60 * hours:.0f} min of hovering, scratching, earcup grabs, ... with "
            f"{plural(int(day['truth']), 'sparse gesture')}): {day['false']} false activations "
            f"({day['false'] / hours:.0f} per hour), {day['correct']} of {day['truth']} gestures right; "
            f"by cause (the float model, always-on): radargest evaluate {run_dir} --data {everyday_dirs['held_out']} "
            "--split none --continuous"
        )

    replay = Path(test_files[0])
    headless = not os.environ.get("DISPLAY")
    if demo:
        stage(6, f"demo on a replayed held-out session ({'headless' if headless else 'window'}): {replay.name}")
        demo_on_replay(replay, bundle_dir, headless=headless)

    print(f"\ndone in {time.perf_counter() - t0:.0f} s. Artefacts:")
    for name, path in artefacts.items():
        print(f"  {name:30s} {path}")
    b = bundle_dir
    print(
        "\nnext:\n"
        f"  radargest demo --source sim --model {b}                       live window, random gestures\n"
        f"  radargest demo --source sim --model {b} --script tap_in,wiggle  a scripted sequence\n"
        f"  radargest demo --source replay:{replay} --model {b} --headless  JSON lines\n"
        f"  radargest detect FILE.h5 --model {b} --json                  events of a recording\n"
        f"  radargest bench all --model {b}                                 timings and ratios\n"
        "  with an EVK: radargest record --source usb ..., radargest label, radargest train --init "
        f"{run_dir}, export, demo --source usb (see README)",
        file=sys.stdout,
    )
    return artefacts


def _detect_all(paths: list[Path], bundle: Any) -> dict[str, float]:
    """The bundle's throttled detections on each recording, matched to its labels and summed: ``truth``,
    ``found``, ``correct``, ``false`` (:func:`deploy.sweep.match_events`), sensor ``frames`` and those ``sensed``,
    ``macs`` executed and ``macs_always_on`` (the same bundle unthrottled), and the recordings' ``seconds``.
    Prints one line per recording."""
    from acquisition import load_session
    from deploy.runtime import detect_frames, session_stream
    from deploy.sweep import match_events

    tot: dict[str, float] = dict.fromkeys(("truth", "found", "correct", "false", "sensed", "frames", "macs"), 0)
    tot["macs_always_on"] = 0
    tot["seconds"] = 0.0
    for path in paths:
        session = load_session(path)  # read once: throttled, always-on and the labels
        stream, geometry = session_stream(session, bundle)
        res = detect_frames(stream, bundle, geometry=geometry)
        truth = [(lb.start_frame, lb.end_frame, lb.gesture) for lb in session.labels]
        sc = dataclasses.asdict(match_events(res.events, truth))
        for k in ("truth", "found", "correct", "false"):
            tot[k] += sc[k]
        tot["sensed"] += res.utilisation.sensor_frames
        tot["frames"] += res.utilisation.frames
        tot["macs"] += res.macs_executed
        tot["macs_always_on"] += detect_frames(stream, bundle, geometry=geometry, always_on=True).macs_executed
        tot["seconds"] += res.utilisation.frames / geometry.frame_rate_hz
        print(f"    {Path(path).name}: {sc['correct']}/{sc['truth']} correct, {sc['false']} false")
    return tot


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from radargest.cli_args import float_above, positive_int

    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out/quickstart"),
        help="artefact folder; a rerun replaces the artefacts it wrote there (default out/quickstart)",
    )
    parser.add_argument(
        "--subjects",
        type=positive_int,
        default=16,
        help=f"simulated training subjects (seeds 0 to N-1), in [1, {CALIBRATION_FIRST}] (default 16)",
    )
    parser.add_argument(
        "--held-out",
        type=positive_int,
        default=2,
        help=f"simulated held-out subjects (seeds {HELD_OUT_FIRST} on), >= 1 (default 2)",
    )
    parser.add_argument(
        "--reps", type=positive_int, default=6, help="repetitions of each gesture per session, >= 1 (default 6)"
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=DEFAULT_EPOCHS, help=f"training epochs, >= 1 (default {DEFAULT_EPOCHS})"
    )
    parser.add_argument(
        "--everyday-minutes",
        type=float_above(0.0, inclusive=True),
        default=5.0,
        help=f"minutes of everyday stream (hovering, scratching, ...; a gesture about once a minute) for each of "
        f"up to {EVERYDAY_SUBJECTS} training subjects, learned as hard negatives; the operating point is chosen on "
        f"{CALIBRATION_SUBJECTS} calibration subjects' streams (seeds {CALIBRATION_FIRST} on) and the held-out "
        f"subjects' streams are scored, each {SCORED_STREAM_SCALE} times as long; 0 skips them all: no rejection "
        "(default 5)",
    )
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="skip the demo stage")
