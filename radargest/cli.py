"""The ``radargest`` command line: parses arguments, builds configs, calls library code.

Every user-facing error is printed as one line (``radargest: error: ...``) with a non-zero exit code,
never as a traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import select
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from radargest import __version__
from radargest.cli_args import (
    Parser,
    check_out_dir,
    check_out_file,
    gesture_list,
    given_values,
    learnable_gesture_list,
    non_negative_float,
    non_negative_int,
    parse_command_line,
    png_path,
    positive_float,
    positive_int,
    progress_bar,
    refuse_unused,
    share_above_zero,
    share_below_one,
)

__all__ = ["add_verbose_argument", "build_parser", "main", "uses_tensorflow"]

EXIT_USAGE = 2


class CliError(Exception):
    """A user error detected by the CLI itself."""


# -- simulate -------------------------------------------------------------------------------------
def _seconds_range(text: str) -> tuple[float, float]:
    """An argparse type: ``MIN,MAX`` seconds with 0 < MIN <= MAX (``--pause-s``, ``--hold-before-s``)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX in seconds, got {text!r}")
    lo, hi = (positive_float(v) for v in parts)
    if not lo <= hi:
        raise argparse.ArgumentTypeError(f"{text!r} must be MIN,MAX with 0 < MIN <= MAX, e.g. 0.1,0.5")
    return lo, hi


def _label_count(path: Path) -> int:
    """The number of gesture labels of a recording, read without its frames."""
    from acquisition.recording import read_label_rows

    return len(read_label_rows(path))


def _cmd_simulate(args: argparse.Namespace) -> int:
    from radargest.simulate_cmd import EverydayJob, SimulateJob, gesture_rate_note, run_everyday, run_simulate

    common: dict[str, Any] = {
        "out_dir": args.out,
        "subjects": args.subjects,
        "first_subject": args.first_subject,
        "sessions_per_subject": args.sessions_per_subject,
        "gestures": args.gestures,
        "preset": args.preset,
        "frame_rate_hz": args.frame_rate_hz,
        "hwaas": args.hwaas,
        "seed": args.seed,
        "overwrite": args.overwrite,
    }
    session_options = ("reps", "blocked", "enter_leave", "pause_s")
    everyday_options = ("minutes", "gesture_rate_per_min", "negatives", "hold_before_s")
    if args.everyday:
        refuse_unused(args, session_options, applies="to gesture sessions, without --everyday")
        everyday = EverydayJob(**common, **given_values(args, *everyday_options))
        note = gesture_rate_note(everyday)
        if note is not None:
            print(f"radargest simulate: note: {note}", file=sys.stderr)
        written = run_everyday(everyday, workers=args.workers, progress=not args.quiet)
        total_min = len(written) * everyday.minutes
        gestures = sum(_label_count(p) for p in written)
        print(
            f"wrote {len(written)} everyday stream(s), {total_min:g} min in all, {gestures} gesture(s) "
            f"({gestures / total_min:.2g}/min), to {args.out}"
        )
        return 0
    refuse_unused(args, everyday_options, applies="with --everyday")
    job = SimulateJob(
        **common,
        shuffle=not args.blocked,
        enter_leave=args.enter_leave,
        **given_values(args, "reps", "pause_s", rename={"reps": "reps_per_gesture"}),
    )
    written = run_simulate(job, workers=args.workers, progress=not args.quiet)
    print(f"wrote {len(written)} session(s) to {args.out}")
    return 0


# -- record ---------------------------------------------------------------------------------------
#: ``record --enrol``'s option defaults, :class:`models.personalise.EnrolConfig`'s (repeated here so that ``--help``
#: imports no TensorFlow); unset (None) they are filled in only with ``--enrol``, so that without it a given one is
#: refused.
ENROL_DEFAULTS: dict[str, Any] = {
    "idle_s": 20.0,
    "enrol_epochs": 12,
    "enrol_rehearsal_share": 0.5,
    "enrol_rehearsal_distill": 0.8,
    "enrol_fine_tune_weight": 0.5,
}


def _cmd_record(args: argparse.Namespace) -> int:
    from acquisition.sources import parse_source
    from radargest.record_cmd import run_enrol, run_record

    if args.enrol:  # checks --preset and --frame-rate-hz against the run and records the idle part with them
        args.preset = args.preset or "gesture_close"
        args.reps = args.reps or 3
        for name, value in ENROL_DEFAULTS.items():
            if getattr(args, name) is None:
                setattr(args, name, value)
        return run_enrol(args)
    refuse_unused(args, ("init", *ENROL_DEFAULTS, "enrol_keep_prefix_wait", "overwrite"), applies="with --enrol")
    if parse_source(args.source).kind == "replay":
        refuse_unused(args, ("preset", "frame_rate_hz"), applies="to a live source or the simulator, not a replay")
    args.preset = args.preset or "gesture_close"
    if args.gestures is None:
        raise CliError("--gestures is required (or --enrol --init RUN to record a run's gestures)")
    args.reps = args.reps or 10
    return run_record(args)


# -- label ----------------------------------------------------------------------------------------
def _cmd_label(args: argparse.Namespace) -> int:
    from radargest.label_ui import run_label

    return run_label(args.file, png=args.png, gestures=args.gestures or ())


def _cmd_labels_export(args: argparse.Namespace) -> int:
    import h5py

    from acquisition import load_session, write_labels_csv
    from acquisition.labels import check_label_rows
    from acquisition.recording import is_unimported_gesture_control, read_label_rows

    to_stdout = str(args.csv) == "-"
    if to_stdout and args.overwrite:
        raise ValueError("--overwrite applies only to a CSV file, not to - (standard output)")
    if not to_stdout:
        if args.csv.exists() and args.csv.resolve() == args.file.resolve():
            raise ValueError(f"{args.csv}: is the recording itself; give the CSV another name")
        if args.csv.is_file() and h5py.is_hdf5(args.csv):  # a recording typed in the CSV's place: never replaced
            raise ValueError(f"{args.csv}: is an HDF5 file (a recording?), not a labels CSV; give the CSV another name")
        check_out_file(args.csv, overwrite=args.overwrite, what="labels CSV")  # it may hold hand edits
    # every stored row, the ones training refuses too, so that the CSV can repair them with nothing lost
    session = load_session(args.file, labels="ignore")
    rows = read_label_rows(args.file)
    _, problems = check_label_rows(rows, num_frames=session.num_frames)
    for problem in problems:
        print(f"warning: {args.file}: {problem}", file=sys.stderr)
    if is_unimported_gesture_control(args.file):  # its labels live in its name: an empty table says nothing
        print(
            f"warning: {args.file}: an Acconeer gesture-control recording that was not imported; its labels are in its "
            "file name: run 'radargest import acconeer-gesture-control' first and export from the file it writes",
            file=sys.stderr,
        )
    if problems:
        print(
            f"warning: {len(problems)} bad label(s) exported as they are (label N is the CSV's line N + 1): fix them "
            "in the CSV, then 'radargest labels import'",
            file=sys.stderr,
        )
    if to_stdout:
        sys.stdout.write(write_labels_csv(rows))
        return 0
    write_labels_csv(rows, args.csv)
    print(f"wrote {len(rows)} label(s) to {args.csv}")
    return 0


def _warn_unknown_gestures(names: Iterable[str], *, where: str) -> None:
    """Say on stderr which label names the simulator's vocabulary (``acquisition.sim.GESTURES``) lacks: most
    likely typos, which ``train`` would learn as background (it treats the gestures it is not asked for so)."""
    from acquisition.sim import GESTURES

    unknown = sorted(set(names) - set(GESTURES))
    if unknown:
        print(
            f"warning: {where}: unknown gesture name(s) {', '.join(unknown)} (known: {', '.join(GESTURES)}); "
            "a typo? train learns only its --gestures and takes other labels' frames as background",
            file=sys.stderr,
        )


def _cmd_labels_import(args: argparse.Namespace) -> int:
    from acquisition import load_session, read_labels_csv, save_labels

    # its frame count first, so that a row past the end is named by its CSV line; its labels are being replaced
    num_frames = load_session(args.file, labels="ignore").num_frames
    labels = read_labels_csv(args.csv, num_frames=num_frames)
    if not labels and not args.allow_empty:  # a header-only CSV would silently delete every label
        raise ValueError(
            f"{args.csv}: no label rows; importing it deletes every label of {args.file} (use --allow-empty to)"
        )
    save_labels(args.file, labels)
    print(f"stored {len(labels)} label(s) in {args.file}")
    _warn_unknown_gestures((lab.gesture for lab in labels), where=str(args.csv))
    return 0


# -- quickstart -----------------------------------------------------------------------------------
def _cmd_quickstart(args: argparse.Namespace) -> int:
    from radargest.extras import require_extra

    require_extra("train", what="radargest quickstart")
    from radargest.quickstart import run_quickstart

    run_quickstart(
        args.out,
        subjects=args.subjects,
        held_out=args.held_out,
        reps=args.reps,
        epochs=args.epochs,
        everyday_minutes=args.everyday_minutes,
        demo=args.demo,
    )
    return 0


# -- import ---------------------------------------------------------------------------------------
def _cmd_import_gesture_control(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from radargest.importers import import_gesture_control

    progress = progress_bar("import", "file", hidden=args.quiet)

    def on_skip(path: Path, reason: str) -> None:
        tqdm.write(f"radargest import: skipped {path}: {reason}", file=sys.stderr)

    report = import_gesture_control(args.dir, args.out, overwrite=args.overwrite, progress=progress, on_skip=on_skip)
    print(report.summary() + (f" -> {args.out}" if report.imported else ""))
    for imported in report.imported:
        if imported.gesture is not None:
            _warn_unknown_gestures([imported.gesture], where=str(imported.source))
    if not report.imported:
        raise CliError(f"nothing imported from {args.dir} ({len(report.skipped)} file(s) skipped)")
    return 0


def _cmd_import_record(args: argparse.Namespace) -> int:
    from radargest.importers import import_record

    result = import_record(args.file, args.out, overwrite=args.overwrite, subject=args.subject)
    print(f"imported {result.source} -> {result.output} ({result.events} label(s))")
    return 0


# -- features -------------------------------------------------------------------------------------
def _cmd_features(args: argparse.Namespace) -> int:
    from radargest.features_cmd import write_features_png
    from radargest.pipeline import PipelineConfig

    check_out_file(png_path(args.png), overwrite=True, what="PNG")  # a missing folder: say so before the work
    png = write_features_png(args.file, args.png, cfg=PipelineConfig(preset=args.preset))
    print(f"wrote {png}")
    return 0


# -- demo ----------------------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace) -> int:
    from radargest.demo_ui import run_demo

    return run_demo(args)


# -- bench ----------------------------------------------------------------------------------------
#: The options of each benchmark (argparse dest names): refused with any other.
_BENCH_OPTIONS = {
    "all": ("model", "run", "runs", "stream_s"),
    "sim": ("hours", "record_minutes"),
    "dsp": ("file", "frames"),
    "segment": ("subjects", "data"),
}


def _cmd_bench(args: argparse.Namespace) -> int:
    from radargest.bench import bench_sim, write_json

    if args.json is not None:  # before the measurement, not after it
        check_out_file(args.json, overwrite=True, what="JSON file")
    for what, options in _BENCH_OPTIONS.items():
        if what != args.what:
            refuse_unused(args, options, applies=f"to bench {what}")
    if args.what == "segment" and args.data is not None:
        refuse_unused(args, ("subjects",), applies="to bench segment without --data (the simulated sessions)")

    if args.what == "all":
        from radargest.extras import require_extra

        require_extra("train", what="radargest bench all")
        from radargest.bench import bench_all, format_bench_all

        if args.model is None:
            raise CliError("bench all needs --model BUNDLE (radargest quickstart writes out/quickstart/bundle)")
        result = bench_all(
            args.model, run_dir=args.run, **given_values(args, "runs", "stream_s", rename={"stream_s": "seconds"})
        )
        print(format_bench_all(result))
        if args.json is None:
            args.json = Path("bench_all.json")
    elif args.what == "dsp":
        from radargest.bench_dsp import bench_dsp_file, format_bench_dsp

        result = bench_dsp_file(args.file, **given_values(args, "frames"))
        print(format_bench_dsp(result))
    elif args.what == "segment":
        from radargest.bench_dsp import bench_segmentation, format_bench_segmentation

        if args.data is not None:
            from models.data import collect_files
            from radargest.segeval import format_events_by_cause, segment_events_by_cause

            result = segment_events_by_cause(collect_files(args.data))
            print(format_events_by_cause(result))
        else:
            result = bench_segmentation(**given_values(args, "subjects"))
            print(format_bench_segmentation(result))
    else:
        result = bench_sim(**given_values(args, "hours", "record_minutes", rename={"hours": "sim_hours"}))
        r, w = result["render"], result["render_and_record"]
        print(f"machine: {result['machine']['cpu']} ({result['machine']['cores']} cores)")
        print(
            f"simulator, physics only : {r['x_realtime']:8.1f} x real time "
            f"({r['wall_s']:.1f} s for {r['simulated_s'] / 3600:.2f} h of {result['preset']} frames, one core)"
        )
        print(f"simulator + H5 recorder : {w['x_realtime']:8.1f} x real time ({w['frames']} frames)")
        e = result["everyday_render_and_record"]
        print(
            f"everyday stream + cause labels + H5 recorder: {e['x_realtime']:8.1f} x real time "
            f"({e['x_realtime_cpu']:.1f} x per CPU second; {e['frames']} frames)"
        )
    write_json(result, args.json)
    if args.json:
        print(f"wrote {args.json}")
    return 0


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from acquisition.presets import PRESETS
    from acquisition.sources import add_source_arguments

    parser = Parser(
        prog="radargest",
        description="Hand-gesture recognition with Acconeer A121 radar: simulate or record, label, "
        "featurise, train, quantise, export.",
    )
    parser.add_argument("--version", action="version", version=f"radargest {__version__}")
    add_verbose_argument(parser, default=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "quickstart",
        help="run the whole pipeline on the simulator",
        description="Runs the pipeline end to end on the simulator (no hardware needed) and prints where "
        "every artefact is and what to run next.",
    )
    from radargest.quickstart import add_arguments as add_quickstart_arguments

    add_quickstart_arguments(p)
    uses_tensorflow(p)
    p.set_defaults(func=_cmd_quickstart)

    p = sub.add_parser(
        "simulate",
        help="write simulated, labelled sessions",
        description="Write labelled sessions from the physics simulator: each subject is a seeded draw of "
        "hand size, distance, speed, tremor and noise; each session is repetitions of the gestures "
        "separated by still-hand pauses. Runs subjects in parallel.",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--subjects", type=positive_int, default=4, help="number of subjects, >= 1 (default 4)")
    p.add_argument(
        "--first-subject", type=non_negative_int, default=0, help="seed of the first subject, >= 0 (default 0)"
    )
    p.add_argument(
        "--sessions-per-subject", type=positive_int, default=1, help="sessions per subject, >= 1 (default 1)"
    )
    p.add_argument(
        "--gestures",
        type=learnable_gesture_list,
        default=("tap_in", "tap_out", "double_tap_in", "wiggle"),
        help="comma-separated gestures (default: tap_in,tap_out,double_tap_in,wiggle)",
    )
    p.add_argument(
        "--reps", type=positive_int, default=None, help="repetitions of each gesture per session, >= 1 (default 10)"
    )
    p.add_argument(
        "--preset", default="gesture_close", help=f"sensor preset: {', '.join(PRESETS)} (default gesture_close)"
    )
    p.add_argument(
        "--frame-rate-hz",
        type=positive_float,
        default=None,
        help="fixed frame rate [Hz], > 0 (default: free-running, about 57 Hz; a model trained at one rate refuses "
        "recordings more than 10%% off it)",
    )
    p.add_argument(
        "--hwaas",
        type=positive_int,
        default=None,
        help="hardware averages per point, 1..511 (default: the preset's, 4 for gesture_close); noise power falls as "
        "1/hwaas and the sensor current rises (exptool's power model); models take the recordings as the preset's",
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the session timelines, >= 0 (default 0)")
    p.add_argument("--blocked", action="store_true", help="perform gestures in blocks, like the real files")
    p.add_argument("--enter-leave", action="store_true", help="start with no hand and let it enter and leave")
    p.add_argument(
        "--pause-s",
        type=_seconds_range,
        default=None,
        metavar="MIN,MAX",
        help="still-hand pause between repetitions [s], 0 < MIN <= MAX (default 1,3; e.g. 5,15 for sparse "
        "sessions; --everyday streams have their own gesture rate)",
    )
    g = p.add_argument_group(
        "everyday streams",
        "--everyday writes long streams of mostly non-gesture activity (hovering, entering and leaving, "
        "passing by, repositioning, earcup grabs, touching and scratching, empty field) with sparse "
        "gestures performed from a hover. Gestures are labelled in /radargest/labels, every non-gesture "
        "with its cause in /radargest/negatives. --reps, --blocked, --enter-leave and --pause-s are for "
        "gesture sessions only, and these options for --everyday only.",
    )
    g.add_argument("--everyday", action="store_true", help="write everyday streams instead of gesture sessions")
    g.add_argument(
        "--minutes",
        type=positive_float,
        default=None,
        help="length of each stream [min], > 0 (default 10)",
    )
    g.add_argument(
        "--gesture-rate-per-min",
        type=non_negative_float,
        default=None,
        help="mean rate of gestures in the stream [1/min], >= 0 (default 1; 0 for negatives only); a gesture starts "
        "only after the activity under way, inside a hover of its own, so a stream holds fewer, at most about 7/min",
    )
    g.add_argument(
        "--negatives",
        type=gesture_list,
        default=None,
        help="comma-separated causes to draw (default: every registered negative)",
    )
    g.add_argument(
        "--hold-before-s",
        type=_seconds_range,
        default=None,
        metavar="MIN,MAX",
        help="hover before each gesture, drawn uniformly in [MIN, MAX] [s], 0 < MIN <= MAX (default 0.6,2.5); a short "
        "one renders users who gesture as the hand arrives",
    )
    p.add_argument("--workers", type=positive_int, default=None, help="parallel processes, >= 1 (default: CPU count)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files (default: refuse)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser(
        "record",
        help="guided recording with prompts and a countdown",
        description="Guided recording: prompts each gesture with a countdown in the terminal and labels it "
        "from the prompt time (source=prompt). With --source sim the simulated subject performs each "
        "prompted gesture. Ctrl-C stops cleanly and keeps every frame and completed label.",
    )
    add_source_arguments(p, frame_rate_type=positive_float)
    p.add_argument(
        "--gestures",
        type=learnable_gesture_list,
        default=None,
        help="gestures to prompt, required without --enrol: comma-separated, e.g. tap_in,wiggle; names a model can "
        "learn, as train's (--enrol: the --init run's)",
    )
    p.add_argument(
        "--reps", type=positive_int, default=None, help="repetitions of each gesture, >= 1 (default 10; --enrol 3)"
    )
    p.add_argument("--subject", required=True, help="free-text id of the person recorded")
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--notes", default="", help="free-text notes stored in the file")
    p.add_argument(
        "--countdown-s", type=non_negative_float, default=3.0, help="countdown before each GO [s], >= 0 (default 3)"
    )
    p.add_argument("--window-s", type=positive_float, default=1.5, help="labelled span after GO [s], > 0 (default 1.5)")
    p.add_argument(
        "--pause-s", type=non_negative_float, default=1.0, help="rest after each window [s], >= 0 (default 1)"
    )
    p.add_argument("--shuffle", action="store_true", help="prompt gestures in random order")
    p.add_argument("--fast", action="store_true", help="sim/replay only: run as fast as possible, unpaced")
    p.add_argument(
        "--no-refine",
        dest="refine",
        action="store_false",
        help="keep the raw prompt spans instead of snapping each label to the onset-segmented motion",
    )
    enrol = p.add_argument_group("enrolment (personalise a shipped model in about a minute)")
    enrol.add_argument(
        "--enrol",
        action="store_true",
        help="guided enrolment of a new user: --reps (default 3) prompts of every gesture of --init, then --idle-s "
        "of hands doing nothing in particular; fine-tunes --init on both into OUT/run, fits how long a tap waits "
        "for a second tap to the user's own pauses and tempo (never shorter than --init's), and exports OUT/bundle",
    )
    enrol.add_argument("--init", type=Path, default=None, help="--enrol: the run directory to personalise")
    enrol.add_argument(
        "--idle-s", type=positive_float, default=None, help="--enrol: idle hands to record [s], > 0 (default 20)"
    )
    enrol.add_argument(
        "--enrol-epochs", type=positive_int, default=None, help="--enrol: fine-tuning epochs, >= 1 (default 12)"
    )
    enrol.add_argument(
        "--enrol-rehearsal-share",
        type=share_below_one,
        default=None,
        help="--enrol: share of every gesture's windows per epoch replayed from the shipped run's own training "
        "recordings, so that the model does not forget other users, in [0, 1) (default 0.5; 0 = the enrolment "
        "alone, when the run's training data is not on this machine)",
    )
    enrol.add_argument(
        "--enrol-rehearsal-distill",
        type=share_below_one,
        default=None,
        help="--enrol: weight of the shipped model's own outputs in the loss of the replayed windows (learning "
        "without forgetting: its confidence on other users is kept), in [0, 1) (default 0.8; 0 = labels only)",
    )
    enrol.add_argument(
        "--enrol-fine-tune-weight",
        type=share_above_zero,
        default=None,
        help="--enrol: share of the fine-tuned weights in the personalised model, the rest the shipped model's "
        "(pulling the weights back toward the shipped ones keeps more of what it did for other users), in (0, 1] "
        "(default 0.5; 1 = the fine-tune as trained)",
    )
    enrol.add_argument(
        "--enrol-keep-prefix-wait",
        action="store_true",
        help="--enrol: keep --init's prefix wait instead of fitting it to the user (a slow user's double taps are "
        "then more often decided as a single tap; a fitted wait decides their single taps later)",
    )
    enrol.add_argument(
        "--overwrite",
        action="store_true",
        help="--enrol: replace an earlier enrolment in OUT (its recordings, and radargest's outputs in OUT/run and "
        "OUT/bundle; other files stay)",
    )
    uses_tensorflow(p)  # --enrol fine-tunes
    p.set_defaults(func=_cmd_record)

    p = sub.add_parser(
        "label",
        help="review and edit the labels of a recording",
        description="Opens a window with the velocity-time map and the label spans. Keys: left/right step "
        "through events, 1-9 relabel, d delete, a add (press at start and at end), [ ] { } nudge, "
        "s save, q quit. --png writes the overview instead of opening a window. Labels training refuses (e.g. past "
        "the last frame) are left out, each named on stderr; 'labels export' keeps them.",
    )
    p.add_argument("file", type=Path, help="recording (.h5)")
    p.add_argument("--png", type=Path, default=None, help="write the overview image here, no window")
    p.add_argument("--gestures", type=gesture_list, default=None, help="extra gesture names for relabelling")
    p.set_defaults(func=_cmd_label)

    p = sub.add_parser("labels", help="export or import labels as CSV for hand editing")
    lsub = p.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    q = lsub.add_parser(
        "export",
        help="write the labels of FILE.h5 to a CSV",
        description="Writes the /radargest labels of a recording as CSV (columns start_frame, end_frame "
        "[exclusive], gesture, source), atomically, for editing and 'labels import'. Every stored row is written, "
        "those training refuses (e.g. past the last frame) too, each named on stderr, so they can be fixed.",
    )
    q.add_argument("file", type=Path, metavar="FILE.h5", help="recording")
    q.add_argument("csv", type=Path, metavar="CSV", help="CSV file to write, or - for standard output")
    q.add_argument("--overwrite", action="store_true", help="replace an existing CSV (default: refuse)")
    q.set_defaults(func=_cmd_labels_export)
    q = lsub.add_parser(
        "import",
        help="replace the labels of FILE.h5 with a CSV (atomically)",
        description="Replaces the /radargest labels of a recording with the rows of a CSV in the format of "
        "'labels export'. The rows are checked against the recording first (names, spans inside the frames); "
        "the file is rewritten atomically, so a failure leaves it as it was.",
    )
    q.add_argument("file", type=Path, metavar="FILE.h5", help="recording whose labels are replaced")
    q.add_argument("csv", type=Path, metavar="CSV", help="labels CSV (start_frame, end_frame, gesture, source)")
    q.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a CSV with no label rows, which deletes every label of FILE.h5 (default: refuse it)",
    )
    q.set_defaults(func=_cmd_labels_import)
    p = sub.add_parser(
        "import",
        help="bring in other tools' recordings",
        description="Import recordings made with other tools as radargest recordings (the Exploration Tool "
        "record is kept; labels go to /radargest).",
    )
    isub = p.add_subparsers(dest="import_command", metavar="KIND", required=True)
    q = isub.add_parser(
        "acconeer-gesture-control",
        help="Acconeer gesture-control files: class from the file name, events auto-segmented",
        description="Imports every label_<gesture>_idx_<n>.h5 under DIR: the gesture comes from the file name, "
        "the events from the segmenter (source=auto). static_hand/dynamic_hand become background sessions "
        "with no events. The gesture-control app's /algo group is left out. Unreadable files are skipped "
        "with a reason; the exit code is non-zero only if nothing was imported.",
    )
    q.add_argument("dir", type=Path, help="folder with the .h5 files (searched recursively)")
    q.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    q.add_argument("--overwrite", action="store_true", help="replace existing output files")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=_cmd_import_gesture_control)
    q = isub.add_parser(
        "record",
        help="a plain Exploration Tool record (copied; label it with 'radargest label')",
        description="Copies an Exploration Tool record and adds an empty /radargest label table with the preset "
        "name ('custom' if the config matches no preset). A record that already holds radargest labels keeps "
        "them and its attributes.",
    )
    q.add_argument("file", type=Path, help="Exploration Tool record (.h5)")
    q.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    q.add_argument("--subject", default="", help="free-text id of the person recorded")
    q.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    q.set_defaults(func=_cmd_import_record)

    p = sub.add_parser(
        "features",
        help="plot the range-Doppler features, onset metric and events of a recording",
        description="Writes one PNG: range-Doppler maps (mean over events, mean outside them, strongest frame), "
        "the velocity-time waterfall with the file's labels, and the onset metric against its adaptive floor "
        "with the segmented events. Recordings whose config differs from the preset are refused.",
    )
    p.add_argument("file", type=Path, help="recording (.h5)")
    p.add_argument("--png", type=Path, required=True, help="output image")
    p.add_argument("--preset", default="gesture_close", help="preset the recording must match (default gesture_close)")
    p.set_defaults(func=_cmd_features)

    from radargest.deploy_cmds import add_deploy_commands
    from radargest.firmware_cmds import add_firmware_commands
    from radargest.model_cmds import add_model_commands

    add_model_commands(sub)
    add_deploy_commands(sub)
    add_firmware_commands(sub)
    from radargest.search_cmd import add_search_command

    add_search_command(sub)

    from radargest.robustness_cmd import add_robustness_command

    add_robustness_command(sub)

    p = sub.add_parser(
        "demo",
        help="live recognition: a window (or JSON lines with --headless) from a sensor, the simulator or a replay",
        description="Runs a bundle live on frames from --source: the simulator performing a random or --script "
        "sequence of gestures, a replayed recording (paced at its recorded rate; --fast unpaced) or an EVK. "
        "The window shows the range-Doppler map, a velocity-time waterfall, class probabilities, the throttle "
        "state with a rolling utilisation meter, the recognised gestures and a dropped-frames counter. "
        "--headless prints one JSON object per gesture (as 'detect --json'); a summary goes to stderr. "
        "Never imports TensorFlow.",
    )
    from radargest.demo_ui import add_demo_arguments

    add_demo_arguments(p)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "bench",
        help="measure throughput, reported as ratios",
        description="Benchmarks. 'sim': simulator throughput on one core as a multiple of real time "
        "(physics only, through the H5 recorder, and an everyday stream with cause labels). 'dsp': streaming "
        "and batch features + onset per frame "
        "against exptool's sparse_iq processor on the same frames (a real recording with --file or when the "
        "Acconeer data is found, else a simulated session). 'segment': segmentation recall, false events and "
        "timing on simulated sessions with ground truth (with --data: segmenter events per hour by cause on "
        "everyday streams). 'all': DSP vs sparse_iq, Keras float vs TFLite float vs "
        "int8 LiteRT per frame and per hop, the real-time factor of the streaming pipeline (throttled and "
        "always-on), size/arena/MACs from the bundle's report and the throttle utilisation; writes one JSON "
        "(--json, default bench_all.json).",
    )
    p.add_argument("what", choices=["all", "sim", "dsp", "segment"], help="what to measure")
    p.add_argument("--model", type=Path, default=None, help="all: bundle folder from 'radargest export'")
    p.add_argument("--run", type=Path, default=None, help="all: its training run (default: the manifest's)")
    # unset (None) options keep the benchmark's own defaults, and one given to another benchmark is refused
    p.add_argument(
        "--runs", type=positive_int, default=None, help="all: timed invocations per model, >= 1 (default 200)"
    )
    p.add_argument(
        "--stream-s",
        type=positive_float,
        default=None,
        help="all: about this length of simulated session to time the streaming pipeline on (subject seed 2000, "
        "session seed 5) [s], > 0 (default 120): whole rounds of the four gestures, about 12 s each, at least one; the "
        "length timed is printed",
    )
    p.add_argument(
        "--hours", type=positive_float, default=None, help="sim: simulated hours to render [h], > 0 (default 1)"
    )
    p.add_argument(
        "--record-minutes",
        type=positive_float,
        default=None,
        help="sim: minutes through the recorder [min], > 0 (default 5)",
    )
    p.add_argument("--file", type=Path, default=None, help="dsp: recording to time (default: a real training file)")
    p.add_argument("--frames", type=positive_int, default=None, help="dsp: frames to time, >= 1 (default 4000)")
    p.add_argument(
        "--subjects",
        type=positive_int,
        default=None,
        help="segment: simulated subjects, seeds 500 on, >= 1 (default 8; not with --data)",
    )
    p.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=None,
        help="segment: instead, onset-segmenter events per hour by cause on these streams "
        "(folders or files of `simulate --everyday` recordings)",
    )
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    uses_tensorflow(p)
    p.set_defaults(func=_cmd_bench)
    return parser


def add_verbose_argument(parser: argparse.ArgumentParser, *, default: object = argparse.SUPPRESS) -> None:
    """``--verbose``: let TensorFlow's own log lines through (accepted before or after the command)."""
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=default,
        help="show TensorFlow's and absl's own log lines (hidden by default)",
    )


def uses_tensorflow(parser: argparse.ArgumentParser) -> None:
    """Mark a command that may import TensorFlow: it runs under :func:`radargest.quiet.quiet_tensorflow`."""
    add_verbose_argument(parser)
    parser.set_defaults(tensorflow=True)


def _stdout_closed() -> bool:
    """True if stdout is a pipe whose reader has gone (poll reports an error on it); stdout then goes to the null
    device, so that the interpreter's own flush at exit does not fail again with a traceback."""
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        closed = any(event & select.POLLERR for _, event in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or no real stdout
        return False
    if closed:
        os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
    return closed


def _user_errors() -> tuple[type[BaseException], ...]:
    from acquisition import AcquisitionError
    from dsp import ParameterError
    from radargest.extras import MissingExtraError

    errors: list[type[BaseException]] = [
        AcquisitionError,
        ParameterError,
        CliError,
        MissingExtraError,
        ValueError,
        OSError,
    ]
    return tuple(errors)


def _line_buffered_stdout() -> None:
    """Flush standard output at every line, as standard error already is: with both sent to one file (``cmd >log
    2>&1``), a block-buffered stdout would land after the progress lines printed later."""
    if isinstance(sys.stdout, io.TextIOWrapper) and not sys.stdout.line_buffering:
        sys.stdout.reconfigure(line_buffering=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``radargest`` console script."""
    _line_buffered_stdout()
    parser = build_parser()
    if not list(sys.argv[1:] if argv is None else argv):  # nothing asked: the commands, not a missing COMMAND
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args = parse_command_line(parser, argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        if isinstance(getattr(args, "out", None), Path):  # every command's --out is a folder: say so before any work
            check_out_dir(args.out, overwrite=True, what="--out")
        if getattr(args, "tensorflow", False):
            from radargest.quiet import quiet_tensorflow

            with quiet_tensorflow(verbose=args.verbose):
                return func(args)
        return func(args)
    except ModuleNotFoundError as exc:
        from radargest.extras import extra_for_module, missing_extra_message

        extra = extra_for_module(exc.name)
        if extra is None:
            raise
        what = f"radargest {args.command}"
        print(f"radargest: error: {missing_extra_message(extra, what=what, module=str(exc.name))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError as exc:
        if _stdout_closed():  # its reader has gone (`detect --json | head`): stop quietly, as a Unix filter does
            return 128 + signal.SIGPIPE
        print(f"radargest: error: {exc}", file=sys.stderr)  # another pipe, e.g. a socket to the sensor
        return EXIT_USAGE
    except _user_errors() as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"radargest: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("radargest: interrupted", file=sys.stderr)
        return 130


def install_stop_handler(stop: Callable[[], None]) -> None:
    """Route the first Ctrl-C (and SIGTERM) to ``stop`` so loops can finish cleanly; a second one aborts."""
    calls = {"n": 0}

    def handler(signum: int, frame: FrameType | None) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    sys.exit(main())
