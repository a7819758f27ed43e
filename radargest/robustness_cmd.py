"""``radargest robustness RUN_DIR``: the robustness map of a trained run (DESIGN §6.5, :mod:`models.robustness`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from radargest.cli_args import (
    given_values,
    name_list,
    non_negative_int,
    positive_int,
    probability,
    progress_bar,
    refuse_unused,
    share_above_zero,
)

__all__ = ["add_robustness_command", "cmd_robustness"]


def cmd_robustness(args: argparse.Namespace) -> int:
    """``radargest robustness`` (TensorFlow's own lines: the command's quiet lid, ``radargest.quiet``)."""
    from models.robustness import (
        FACTOR_NAMES,
        RobustnessConfig,
        robustness_run,
        write_robustness,
    )

    if args.personalise:
        refuse_unused(
            args,
            ["factors", "subjects", "reps_per_gesture", "levels", "compare", "min_score"],
            applies="to the map, without --personalise (the curve's sizes are fixed; --quick shrinks them)",
        )
    sizes: dict[str, Any] = {
        "factors": args.factors or FACTOR_NAMES,
        "first_subject": args.first_subject,
        **given_values(args, "subjects", "reps_per_gesture", "levels"),
    }
    cfg = RobustnessConfig.quick(**sizes) if args.quick else RobustnessConfig(**sizes)
    compare = None
    if args.compare is not None:
        try:
            compare = json.loads(args.compare.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{args.compare}: cannot read a robustness.json ({exc})") from None

    bar = progress_bar("robustness", "point", hidden=args.quiet)

    out = args.out if args.out is not None else args.run_dir
    if args.personalise:
        return _personalise(args, out)
    refuse_unused(args, ["enrol_fine_tune_weight"], applies="with --personalise")

    _warn_training_side(args.run_dir, cfg.subject_seeds)  # said before the map's minutes
    result = robustness_run(args.run_dir, cfg=cfg, min_score=args.min_score, progress=bar)
    jpath, ppath = write_robustness(result, out, compare=compare, title=args.run_dir.name)
    explain = False
    for name, f in result["factors"].items():
        cells = " ".join(
            f"{p['level']:g}:{'—' if p['event_accuracy'] is None else format(p['event_accuracy'], '.2f')}"
            for p in f["points"]
        )
        print(f"{name:>15}  {cells}")
        lost = " ".join(
            f"{p['level']:g}:{o['wrong_class']}/{o['rejected']}/{o['no_candidate']}"
            for p in f["points"]
            if (o := p["outcomes"])["right"] < p["truth"]
        )
        if lost:
            print(f"{'lost w/r/n':>15}  {lost}")
            explain = True
    if explain:
        print("(lost w/r/n: true events decided as another gesture / rejected / never proposed, where any was lost)")
    checks = result["checks"]
    for key, value in checks["values"].items():
        ok = checks["passed"][key]
        verdict = "—" if ok is None else ("pass" if ok else "FAIL")
        recall = checks["recall"][key]
        print(
            f"{key:>18}  {'—' if value is None else format(value, '.3f')} (bar {checks['bars'][key]}) {verdict}"
            + ("" if recall is None else f"; lowest recall there {recall:.3f}")
        )
    print(f"wrote {jpath} and {ppath}")
    return 0


def _warn_training_side(run_dir: Path, seeds: Iterable[int]) -> None:
    """Say on stderr which rendered subject ``seeds`` ``run_dir`` trained or validated on (the figures on them
    are not held out)."""
    from models.robustness import training_side_subjects

    trained = training_side_subjects(run_dir, seeds)
    if trained:
        print(
            f"warning: {len(trained)} rendered subject(s) were on {run_dir}'s training side (seeds "
            f"{', '.join(map(str, trained))}): these figures are not held out; choose another --first-subject",
            file=sys.stderr,
        )


def _personalise(args: argparse.Namespace, out: Path) -> int:
    from models.personalise import (
        OTHER_SUBJECTS,
        EnrolConfig,
        personalisation_curve,
        personalisation_seeds,
        write_personalisation,
    )

    bar = progress_bar("personalise", "run", hidden=args.quiet)

    enrol = {} if args.enrol_fine_tune_weight is None else {"fine_tune_weight": args.enrol_fine_tune_weight}
    quick = {
        "reps": (0, 1),
        "other_subjects": 1,
        "test_reps": 1,
        "cfg": EnrolConfig(epochs=1, windows_per_class=4, **enrol),
    }
    kwargs: dict[str, Any] = quick if args.quick else {"cfg": EnrolConfig(**enrol)}
    kwargs["others_first_subject"] = args.first_subject  # the map's subjects; the edges follow 100 seeds on
    _warn_training_side(
        args.run_dir,
        personalisation_seeds(
            others_first_subject=args.first_subject, other_subjects=kwargs.get("other_subjects", OTHER_SUBJECTS)
        ),
    )
    result = personalisation_curve(args.run_dir, out / "personalised_runs", progress=bar, **kwargs)
    jpath, ppath = write_personalisation(result, out)
    base = result["others_base"]["event_accuracy"]
    print(f"other subjects (from seed {args.first_subject}), shipped model: event accuracy {_f(base)}")
    for name, e in result["edges"].items():
        reps = "  ".join(f"{p['reps']}:{_f(p['event_accuracy'])}" for p in e["points"])
        print(
            f"{name:>10}  median self {_f(e['median']['event_accuracy'])}  by enrolment reps {reps}  "
            f"gap closed at 3: {_f(e['gap_closed_at_3'])}  drop on others at 3: {_f(e['others_drop_at_3'])}, "
            f"worst: {_f(e['worst_others_drop'])}"
        )
    print(f"wrote {jpath} and {ppath}")
    return 0


def _f(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def add_robustness_command(subparsers: Any) -> None:
    """Register ``robustness`` on the main parser's subparsers."""
    p = subparsers.add_parser(
        "robustness",
        help="event accuracy against tempo, hand, distance and sensor factors on held-out simulated subjects",
        description="Renders held-out simulated subjects (seeds from --first-subject; the default recipe trains on "
        "seeds 0-15; a seed whose files the run trained or validated on, by its metrics.json, is named in a "
        "warning and under training_side_subjects in robustness.json) in memory while sweeping one factor at a "
        "time, with everything else as each subject drew it: tempo x0.6-1.6 of the median subject, double-tap "
        "gap, tap depth, hand size, fingers leading a tap, distance over the preset's range, angle off boresight, "
        "sensor gain, noise and leakage, frame jitter and dropped frames. Each session runs through the continuous "
        "detector at the run's operating point (or --min-score), as 'evaluate --continuous' does. Writes "
        "robustness.json and robustness.png (event accuracy and recall against each factor) to --out (default "
        "RUN_DIR) and prints the table and the bars (tempo x0.7-1.4 and distance >= 0.95, tempo ends >= 0.90).",
    )
    p.add_argument("run_dir", type=Path, help="run directory written by radargest train")
    p.add_argument("--out", type=Path, default=None, help="output folder (default RUN_DIR)")
    p.add_argument(
        "--factors",
        type=name_list("factor", example="distance,tempo"),
        default=None,
        help="comma-separated factor names (default all)",
    )
    p.add_argument("--subjects", type=positive_int, default=None, help="held-out subjects per point, >= 1 (default 4)")
    p.add_argument(
        "--reps",
        dest="reps_per_gesture",
        type=positive_int,
        default=None,
        help="repetitions per gesture, >= 1 (default 4)",
    )
    p.add_argument(
        "--levels",
        type=non_negative_int,
        default=None,
        help="keep only this many levels per factor, >= 0 (its ends and evenly spaced ones between; default and 0: "
        "all)",
    )
    p.add_argument(
        "--first-subject",
        type=non_negative_int,
        default=9000,
        help="seed of the first held-out subject, >= 0 (default 9000); with --personalise the other subjects "
        "start there and the edge subjects 100 seeds on (default 9100)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke-test size: 1 subject, 1 rep, the ends of each factor; --subjects, --reps and --levels given "
        "explicitly win over it",
    )
    p.add_argument("--compare", type=Path, default=None, help="a robustness.json to draw behind in grey (before)")
    p.add_argument(
        "--min-score",
        type=probability,
        default=None,
        help="decide at this operating point instead of the run's calibrated min_score, in [0, 1] (0: arg-max): "
        "to compare runs at the thresholds where the same everyday streams give them equal false activations "
        "(evaluate --continuous --json, recall_at_fa_per_hour), so that a more permissive threshold is not read "
        "as robustness",
    )
    p.add_argument(
        "--personalise",
        action="store_true",
        help="instead of the map: the personalisation curve (edge subjects fast, slow, small hand and far, "
        "enrolled with 0, 1, 3, 5 and 10 repetitions per gesture plus 20 s of idle hands; event accuracy on "
        "fresh sessions and on the other held-out subjects); writes personalisation.json and .png",
    )
    p.add_argument(
        "--enrol-fine-tune-weight",
        type=share_above_zero,
        default=None,
        help="--personalise: share of the fine-tuned weights in each personalised model, the rest the shipped "
        "model's, in (0, 1] (default: record --enrol's)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from radargest.cli import uses_tensorflow

    uses_tensorflow(p)
    p.set_defaults(func=cmd_robustness)
