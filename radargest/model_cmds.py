"""``radargest train | evaluate | quantize``: thin commands over :mod:`models` (DESIGN §6, §7).

Each command parses its arguments, builds a frozen config and calls the library. ``add_model_commands``
registers them on the main parser's subparsers; errors are raised as exceptions whose first line the
main CLI prints (``models.data.DataError`` is a ``ValueError``, ``models.config.RunError`` too).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from radargest.cli_args import (
    check_out_dir,
    float_above,
    given_options,
    int_at_least,
    learnable_gesture_list,
    non_negative_float,
    non_negative_int,
    number_list,
    positive_float,
    positive_int,
    progress_bar,
    refuse_unused,
    share,
    share_above_zero,
    share_below_one,
    training_seed,
)
from radargest.decision_args import (
    DECISION_OPTIONS,
    add_decision_arguments,
    decision_from_args,
    refuse_other_streams_gate,
    warn_operating_point_drift,
)

__all__ = ["add_model_commands", "cmd_evaluate", "cmd_quantize", "cmd_train", "train_config_from_args"]

DEFAULT_GESTURES = "tap_in,tap_out,double_tap_in,wiggle"
#: ``--fragment-share``'s default, :data:`models.data.FRAGMENT_SHARE` (repeated here so that ``--help`` imports no
#: models; a test keeps the two equal).
FRAGMENT_SHARE = 0.2
#: ``--background-per-class``' default, :attr:`models.data.DatasetConfig.background_per_class` (repeated for the
#: same reason; a test keeps the two equal).
BACKGROUND_PER_CLASS = 1.5
#: ``--window-s``' range, :data:`models.data.WINDOW_S_RANGE` (repeated for the same reason; the test of train's
#: ranges keeps the two equal).
WINDOW_S_RANGE = (0.3, 5.0)
#: ``--gestures``' help (train and search).
GESTURES_HELP = f"gestures to learn, comma-separated; names a model can learn (default {DEFAULT_GESTURES})"
#: ``--split``'s syntax (train, evaluate and search).
SPLIT_SYNTAX = "day[:DAYS] | subject[:IDS] | files:PATTERNS | none"


def preset_help() -> str:
    """``--preset``'s help (train and search): the presets by name and the default."""
    from acquisition.presets import PRESETS

    return f"sensor preset the data must match: {', '.join(PRESETS)} (default gesture_close)"


def _needs_tensorflow(command: str) -> None:
    """One line naming the ``[train]`` extra when TensorFlow is not installed. TensorFlow's own lines are the
    command's quiet lid's (``radargest.quiet``), so that ``--verbose`` brings them back."""
    from radargest.extras import require_extra

    require_extra("train", what=f"radargest {command}")


def _prefix_pair(text: str) -> tuple[str, str]:
    parts = text.split(":")
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected PREFIX:LONGER, e.g. tap_in:double_tap_in, got {text!r}")
    return parts[0], parts[1]


def _split(text: str) -> Any:
    from models.data import DataError, parse_split

    try:
        return parse_split(text)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def train_config_from_args(args: argparse.Namespace) -> Any:
    """The frozen :class:`models.config.TrainConfig` of ``radargest train`` arguments.

    With ``--init``, the dataset, architecture and augmentation come from the initial run (only the
    gestures, data, split, seed, epochs, learning rate, rehearsal and a named ``--augment`` are taken from
    the command line); its weight averaging and its prefix pairs too, unless ``--weight-average-decay`` or
    ``--prefix`` is given; and its fitted ``min_prefix_wait_s`` (:func:`models.config.fine_tune_settings`).
    """
    import dataclasses

    from models.architectures import NONE_SUBCLASSES, ArchitectureConfig
    from models.config import RejectionConfig, TrainConfig, fine_tune_settings
    from models.data import ROBUST_AUGMENT, AugmentConfig, DatasetConfig, WindowConfig

    gestures: tuple[str, ...] = args.gestures
    unknown = sorted({g for pair in getattr(args, "prefix", None) or () for g in pair} - set(gestures))
    if unknown:  # the decision layer would ignore the pair: a misspelt name must not go unnoticed
        raise ValueError(f"--prefix names {', '.join(unknown)}, not among the gestures ({', '.join(gestures)})")
    if args.init:
        refuse_unused(
            args,
            ("arch", "none_subclasses", "head_strides"),
            applies="without --init (the initial run's architecture is fine-tuned)",
        )
        inherited = fine_tune_settings(args.init, gestures)
        dataset, arch, decay = inherited.dataset, inherited.architecture, inherited.weight_average_decay
        augment: AugmentConfig | None = inherited.augment
        if getattr(args, "augment", None) is not None:  # named on the command line: replaces the init run's
            augment = ROBUST_AUGMENT if args.augment == "robust" else AugmentConfig()
        lr = args.learning_rate if args.learning_rate is not None else inherited.learning_rate
        prefixes, min_prefix_wait_s = inherited.prefixes, inherited.min_prefix_wait_s
    else:
        if (getattr(args, "arch", None) or "cnn_tcn") != "cnn_tcn":
            refuse_unused(args, ("head_strides",), applies="to the cnn_tcn head (its temporal convolutions)")
        window_s = getattr(args, "window_s", None)
        window = WindowConfig(window_s=window_s) if window_s is not None else WindowConfig()
        dataset = DatasetConfig(gestures=gestures, preset=args.preset, window=window)
        arch = ArchitectureConfig(
            name=getattr(args, "arch", None) or "cnn_tcn",
            num_classes=len(gestures) + 1,
            none_subclasses=getattr(args, "none_subclasses", None) or NONE_SUBCLASSES,
            **given_options(args, "head_strides"),
        )
        augment = ROBUST_AUGMENT if getattr(args, "augment", None) == "robust" else None
        lr = args.learning_rate if args.learning_rate is not None else 3e-3
        decay = TrainConfig.weight_average_decay
        prefixes, min_prefix_wait_s = (), TrainConfig.min_prefix_wait_s
    if getattr(args, "prefix", None):  # named on the command line: replaces the init run's
        prefixes = tuple(args.prefix)
    if getattr(args, "weight_average_decay", None) is not None:
        decay = args.weight_average_decay
    if getattr(args, "fragment_share", None) is not None:  # also with --init: fragments do not change the model
        window = dataclasses.replace(dataset.window, fragment_share=args.fragment_share)
        dataset = dataclasses.replace(dataset, window=window)
    if getattr(args, "fragment_close_look", None) is not None:  # also with --init, as --fragment-share
        window = dataclasses.replace(dataset.window, fragment_close_look=args.fragment_close_look == "on")
        dataset = dataclasses.replace(dataset, window=window)
    if getattr(args, "background_per_class", None) is not None:  # also with --init, as --fragment-share
        dataset = dataclasses.replace(dataset, background_per_class=args.background_per_class)
    prune_keep = getattr(args, "prune_channels", None)
    if getattr(args, "from_search", None) is not None:  # a pruned point: --init pruned to the chosen width
        refuse_unused(args, ("head_strides",), applies="without --from-search (the search chose the architecture)")
        from models.search import apply_chosen

        arch, dataset, prune_keep = apply_chosen(
            args.from_search, arch, dataset, init=bool(args.init), prune_keep=prune_keep
        )
    if getattr(args, "wake_history", None) is not None:  # also with --init: the view the device gives the model
        augment = dataclasses.replace(augment or AugmentConfig(), wake_history=args.wake_history)
    kwargs: dict[str, Any] = {}
    if augment is not None:
        kwargs["augment"] = augment
    rejection = RejectionConfig(
        calibration_data=tuple(str(Path(p).resolve()) for p in getattr(args, "calibration_data", ()) or ()),
        **({"budget_fa_per_hour": args.fa_budget} if getattr(args, "fa_budget", None) is not None else {}),
        **_rule_changes(args),
    )
    if getattr(args, "no_rejection", False):
        refuse_unused(
            args,
            ("fa_budget", "calibration_data", *RULE_OPTIONS),
            applies="without --no-rejection (it chooses no operating point)",
        )
        rejection = dataclasses.replace(rejection, calibrate=False, mining_every_epochs=0)
    from models.compress import CompressionConfig

    if prune_keep is None:
        refuse_unused(args, ("prune_finetune_epochs",), applies="with --prune-channels (or a pruned --from-search)")
    if not getattr(args, "distill_from", None):
        refuse_unused(args, ("distill_alpha", "distill_temperature"), applies="with --distill-from")
    if not getattr(args, "rehearsal_data", None):
        refuse_unused(args, ("rehearsal_share", "rehearsal_distill"), applies="with --rehearsal-data")
    if getattr(args, "no_early_stopping", False):
        refuse_unused(args, ("patience",), applies="with early stopping (without --no-early-stopping)")
    compression = CompressionConfig(
        prune_keep=1.0 if prune_keep is None else prune_keep,
        distill_from=str(Path(args.distill_from).resolve()) if getattr(args, "distill_from", None) else "",
        qat_epochs=getattr(args, "qat_epochs", 0),
        **given_options(args, "prune_finetune_epochs", "distill_alpha", "distill_temperature"),
    )
    split = args.split
    if getattr(args, "val_mode", "auto") != "auto":
        split = dataclasses.replace(split, val_mode=args.val_mode)
    # without early stopping the whole schedule runs; else the given patience, or the config's
    patience = args.epochs if getattr(args, "no_early_stopping", False) else getattr(args, "patience", None)
    return TrainConfig(
        data=tuple(str(Path(p).resolve()) for p in args.data),
        dataset=dataset,
        split=split,
        architecture=arch,
        rejection=rejection,
        seed=args.seed,
        epochs=args.epochs,
        **({"patience_epochs": patience} if patience is not None else {}),
        restore_best=not getattr(args, "no_early_stopping", False),
        learning_rate=lr,
        init=str(Path(args.init).resolve()) if args.init else "",
        prefixes=prefixes,
        min_prefix_wait_s=min_prefix_wait_s,
        compression=compression,
        rehearsal_data=tuple(str(Path(p).resolve()) for p in getattr(args, "rehearsal_data", ()) or ()),
        **given_options(args, "rehearsal_share", "rehearsal_distill"),
        weight_average_decay=decay,
        **kwargs,
    )


def cmd_train(args: argparse.Namespace) -> int:
    """``radargest train``."""
    _needs_tensorflow("train")
    from models.config import refuse_mixed_folder
    from models.train import train

    cfg = train_config_from_args(args)
    refuse_mixed_folder(args.out, writing="run")  # first: --overwrite would not help there
    check_out_dir(args.out, overwrite=args.overwrite, what="run directory")
    result = train(cfg, args.out, progress=not args.quiet, log=print, overwrite=args.overwrite)
    val = result.metrics["validation"]
    print(
        f"validation ({result.metrics['split']['val_mode']}): accuracy {val['accuracy']:.3f}, "
        f"balanced {val['balanced_accuracy']:.3f}; {result.metrics['params']} params, "
        f"{result.metrics['macs']['window']} MACs per window"
    )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``radargest calibrate``: choose a finished run's operating point again (no retraining)."""
    _needs_tensorflow("calibrate")
    import dataclasses

    from dsp import DecisionConfig
    from models.config import read_run_config
    from models.train import calibrate_run

    rej = read_run_config(args.run_dir).rejection
    changes = _rule_changes(args)
    if args.fa_budget is not None:
        changes["budget_fa_per_hour"] = args.fa_budget
    if args.calibration_data is not None:
        changes["calibration_data"] = tuple(str(Path(p).resolve()) for p in args.calibration_data)
    calibrate_run(
        args.run_dir,
        rejection=dataclasses.replace(rej, **changes),
        decision=DecisionConfig(close_look=not args.no_close_look),
        progress=not args.quiet,
        log=print,
    )
    return 0


def cmd_soup(args: argparse.Namespace) -> int:
    """``radargest soup``: average the weights of fine-tunes that differ only in their seed, then calibrate."""
    _needs_tensorflow("soup")
    from models.config import refuse_mixed_folder
    from models.soup import soup_runs

    refuse_mixed_folder(args.out, writing="run")  # first: --overwrite would not help there
    check_out_dir(args.out, overwrite=args.overwrite, what="run directory")
    soup_runs(
        args.run_dirs,
        args.out,
        fine_tune_weight=args.fine_tune_weight,
        overwrite=args.overwrite,
        progress=not args.quiet,
        log=print,
    )
    return 0


def _warn_training_side(run_dir: Path, names: list[str]) -> None:
    """Say on stderr which scored files ``run_dir`` was trained or validated on: never silently held-out figures."""
    if names:
        shown = ", ".join(Path(n).stem for n in names)
        print(
            f"warning: {len(names)} scored file(s) were on {run_dir}'s training side ({shown}): these figures are "
            "not held out",
            file=sys.stderr,
        )


def _fmt(v: Any) -> str:
    return "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``radargest evaluate``."""
    from models.evaluate import evaluate_run, to_json

    bar = progress_bar("load", "file", hidden=args.quiet or args.json)

    if args.throttle_sweep is not None:
        refuse_unused(args, ("continuous",), applies="without --throttle-sweep (the sweep is continuous already)")
        refuse_unused(
            args, DECISION_OPTIONS, applies="without --throttle-sweep (the sweep runs the bundle's decision layer)"
        )
        return _throttle_sweep(args)
    refuse_unused(
        args,
        ("idle_decimations", "idle_sweeps", "idle_point_steps", "idle_point_offsets", "hold_s"),
        applies="with --throttle-sweep",
    )
    if not args.continuous:
        refuse_unused(args, DECISION_OPTIONS, applies="with --continuous (the window scores have no decision layer)")
        refuse_unused(args, ("out",), applies="with --continuous or --throttle-sweep (the window scores write no file)")
    refuse_other_streams_gate(args, idle_stream=False)
    _needs_tensorflow("evaluate")
    decision = decision_from_args(args)
    if args.continuous and args.min_score is None:  # a --min-score given is the user's, not the run's
        warn_operating_point_drift(args.run_dir, decision)
    m = evaluate_run(
        args.run_dir,
        args.data,
        split=args.split,
        continuous=args.continuous,
        threshold=args.min_score,
        prefix_wait_s=args.prefix_wait_s,
        decision=decision,
        progress=bar,
    )
    _warn_training_side(args.run_dir, m["training_side_files"])
    det = None
    if args.continuous:
        from models.plots import plot_det

        out = args.out if args.out is not None else args.run_dir
        out.mkdir(parents=True, exist_ok=True)
        det = out / "det.png"
        plot_det(
            m["operating_curve"],
            det,
            chosen_min_score=m["min_score"],
            chosen_point=(m["false_activations_per_hour"], m["recall"]) if m.get("recall") is not None else None,
            title=f"DET: {args.run_dir.name}",
        )
    if args.json:
        print(to_json(m))
        if det is not None:
            print(f"wrote {det}", file=sys.stderr)
        return 0
    print(f"windows: accuracy {_fmt(m['accuracy'])}, balanced accuracy {_fmt(m['balanced_accuracy'])}")
    classes = list(m["per_class"])
    print("confusion (rows true, columns predicted): " + ", ".join(classes))
    for name, row in zip(classes, m["confusion"], strict=True):
        print(f"  {name:>14} " + " ".join(f"{v:5d}" for v in row))
    if args.continuous:
        print(
            f"continuous: {m['events']} events accepted, {m['correct']} right of {m['truth']} gestures, event accuracy "
            f"{_fmt(m['event_accuracy'])}, precision "
            f"{_fmt(m['precision'])}, recall {_fmt(m['recall'])}, F1 {_fmt(m['f1'])}, false activations "
            f"{_fmt(m['false_activations_per_hour'])}/h (at most {_fmt(m['false_activations_per_hour_upper95'])}/h "
            f"at 95 % confidence), latency p50 {_fmt(m['latency_ms_p50'])} ms, "
            f"p90 {_fmt(m['latency_ms_p90'])} ms"
        )
        print(
            "latency by gesture (p50/p90 ms): "
            + ", ".join(f"{g} {_fmt(v['p50'])}/{_fmt(v['p90'])}" for g, v in m["latency_ms_by_class"].items())
        )
        o = m["outcomes"]
        print(
            f"the {m['truth']} gestures: {o['right']} right, {o['wrong_class']} taken for another gesture, "
            f"{o['rejected']} rejected, {o['no_candidate']} never proposed by the segmenter"
        )
        for f in m["per_file"]:
            print(
                f"  {f['file']}: event accuracy {_fmt(f['event_accuracy'])}, {f['events']} events "
                f"({f['events_per_minute']:.1f}/min), {f['false_activations']} false"
            )
            for e in f["false_activation_events"]:
                print(
                    f"    false {e['gesture']} {e['score']:.3f} at {e['start_s']:.2f}-{e['end_s']:.2f} s "
                    f"(decided {e['decided_s']:.2f} s): {e['cause']}"
                )
        print(f"false activations by cause (min_score {m['min_score']:.3g}): count, per hour of background")
        by_cause = m["false_activations_by_cause"]
        width = max(map(len, by_cause), default=0)  # enter_stop_leave ran past a fixed 14
        for cause, v in by_cause.items():
            print(f"  {cause:>{width}} {v['false_activations']:5d} {_fmt(v['per_hour'])}")
        at = m["recall_at_fa_per_hour"]
        print("recall at " + ", ".join(f"{b} FA/h: {_fmt(v['recall'])}" for b, v in at.items()))
        print(f"wrote {det}")
    return 0


def _throttle_sweep(args: argparse.Namespace) -> int:
    """``evaluate --throttle-sweep BUNDLE``: never loads the Keras model, so never imports TensorFlow."""
    from deploy.sweep import sweep_table
    from radargest.sweep_cmd import run_throttle_sweep

    bar = progress_bar("sweep", "stream", hidden=args.quiet or args.json)

    import dataclasses

    from deploy.sweep import SweepConfig

    grid = SweepConfig()
    for name, value in (
        ("idle_decimations", args.idle_decimations),
        ("idle_sweeps", args.idle_sweeps),
        ("idle_point_steps", args.idle_point_steps),
        ("idle_point_offsets", args.idle_point_offsets),
        ("hold_s", args.hold_s),
    ):
        if value is not None:
            grid = dataclasses.replace(grid, **{name: value})
    result, files = run_throttle_sweep(
        args.run_dir, args.data, args.throttle_sweep, split=args.split, out_dir=args.out, grid=grid, progress=bar
    )
    _warn_training_side(args.run_dir, result["training_side_files"])
    if result["bundle_run"] and Path(result["bundle_run"]).resolve() != Path(args.run_dir).resolve():
        print(
            f"warning: {args.throttle_sweep} was exported from {result['bundle_run']}, not {args.run_dir}: the sweep "
            "scores that bundle's model on the streams this run's split holds out",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result))
        return 0
    print(sweep_table(result))
    if not result["always_on"]["truth"]:
        print("note: the held-out streams carry no labelled events, so only utilisation is measured", file=sys.stderr)
    print("wrote " + ", ".join(str(p) for p in files.values()))
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    """``radargest quantize``."""
    _needs_tensorflow("quantize")
    from models.quantize import QuantizeConfig, quantize_run

    cfg = QuantizeConfig(representative_windows=args.representative, latency_runs=args.latency_runs)
    report = quantize_run(
        args.run_dir,
        data=args.data,
        cfg=cfg,
        progress=progress_bar("convert", "model", hidden=args.quiet),
        load_progress=progress_bar("load", "file", hidden=args.quiet),
    )
    _warn_training_side(args.run_dir, report["training_side_files"])
    print((Path(args.run_dir) / "quant_report.md").read_text())
    print(f"wrote {Path(args.run_dir) / 'quant_report.md'}, quant_report.json and model_int8.tflite")
    return 0


#: The operating point's rule options that ``train`` and ``calibrate`` share: each is the ``RejectionConfig`` field
#: of the same name (``--max-recall-loss`` sets ``max_recall_loss``).
RULE_OPTIONS = (
    "max_recall_loss",
    "knee_recall_per_fa_per_hour",
    "source_guard",
    "source_min_events",
    "source_max_recall_loss",
)


def _add_rule_options(p: argparse.ArgumentParser, *, run_defaults: bool) -> None:
    """The operating point's rule beyond the budget (:class:`models.config.RejectionConfig`), the same options
    for ``train`` and ``calibrate``; ``run_defaults``: unset options keep the run's values (``calibrate``), else
    the config's defaults (``train``)."""

    def default(value: str) -> str:
        return f"default: the run's, else {value}" if run_defaults else f"default {value}"

    p.add_argument(
        "--max-recall-loss",
        type=share(below_one=False),
        default=None,
        metavar="R",
        help=f"recall the threshold may cost against arg-max on the calibration streams, in [0, 1] ({default('0.05')})",
    )
    p.add_argument(
        "--knee-recall-per-fa-per-hour",
        type=non_negative_float,
        default=None,
        metavar="K",
        help="when the budget is not met within the loss: keep the curve's knee, min_score rising only while "
        "each false activation per hour removed costs less than K recall, K >= 0 (0: the fewest false activations; "
        f"{default('0')})",
    )
    p.add_argument(
        "--source-guard",
        choices=["measured", "every", "pooled"],
        default=None,
        help="the recall loss is also guarded on each source folder of calibration streams recorded by a sensor "
        f"(measured), on every folder, or only pooled ({default('measured')})",
    )
    p.add_argument(
        "--source-min-events",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"a source folder with fewer labelled events is guarded only in the pool, >= 1 ({default('20')})",
    )
    p.add_argument(
        "--source-max-recall-loss",
        type=share(below_one=False),
        default=None,
        metavar="L",
        help=f"the recall loss each guarded source folder may take, in [0, 1] ({default('0.02')}; "
        "given --max-recall-loss's value, each folder may lose as much as the pool)",
    )


def _rule_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The :data:`RULE_OPTIONS` given on the command line, as ``RejectionConfig`` field changes."""
    return {name: getattr(args, name) for name in RULE_OPTIONS if getattr(args, name, None) is not None}


def add_model_commands(subparsers: Any) -> None:
    """Register ``train``, ``evaluate``, ``calibrate`` and ``quantize`` on the main parser's subparsers."""
    from radargest.cli import uses_tensorflow

    p = subparsers.add_parser(
        "train",
        help="train a gesture model on labelled recordings",
        description="Trains a model for the given gestures (plus the background class 'none') on the training "
        "side of --split; validation (early stopping) comes from the training side only. Writes RUN_DIR with "
        "model.keras, config.toml, history.json, metrics.json, confusion.png and curves.png. --split day holds "
        "out the 2022-07-27 day and static_hand_idx_1 (the Acconeer protocol); day:DAYS, subject[:IDS] (default: "
        "the last quarter of the subjects), files:PATTERNS or none choose otherwise; a split other than none that "
        "holds out none of the recordings (e.g. day on simulated sessions, all one day) is noted before "
        "training. Rejection is on by default: "
        "hard negatives (segmenter candidates and labelled negative spans outside the gestures) are mined "
        "during training, and the operating point (min_score) is chosen on training-side streams (the "
        "validation part plus --calibration-data) as the lowest that keeps false activations within "
        "--fa-budget per hour; it is stored in config.toml and carried into the exported bundle.",
    )
    p.add_argument("--data", type=Path, nargs="+", required=True, help="recordings or folders of recordings")
    p.add_argument("--gestures", type=learnable_gesture_list, default=DEFAULT_GESTURES, help=GESTURES_HELP)
    p.add_argument("--split", type=_split, default="day", help=f"held-out side: {SPLIT_SYNTAX} (default day)")
    p.add_argument("--out", type=Path, required=True, help="run directory to write")
    p.add_argument("--init", type=Path, default=None, help="fine-tune the model of this run directory")
    p.add_argument("--seed", type=training_seed, default=0, help="seed, in [0, 2**32 - 1] (default 0)")
    p.add_argument("--epochs", type=positive_int, default=40, help="maximum epochs, >= 1 (default 40)")
    p.add_argument(
        "--patience",
        type=positive_int,
        default=None,
        help="early-stopping patience in epochs, >= 1 (default 10; not with --no-early-stopping)",
    )
    p.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help="Adam step size at the start (cosine decay to 5 %%), > 0 (default 3e-3, or the init run's / 3)",
    )
    p.add_argument(
        "--no-early-stopping",
        action="store_true",
        help="train every epoch of the cosine schedule and keep the last one's weights instead of the epoch with "
        "the lowest validation loss (on a small, noisy validation set, such as the tails of a few real sessions, "
        "that choice follows the noise); --patience is then unused",
    )
    p.add_argument(
        "--weight-average-decay",
        type=share_below_one,
        default=None,
        metavar="DECAY",
        help="keep an exponential moving average of the weights over epochs (each epoch moves it 1 - DECAY of the "
        "way) and validate, stop early on and save the average, in [0, 1) (default 0: off; with --init, the init "
        "run's)",
    )
    p.add_argument("--arch", default=None, help="architecture: cnn_tcn (default) or cnn_gru; not with --init")
    p.add_argument(
        "--head-strides",
        type=number_list(positive_int, example="2,2,2,2"),
        default=None,
        metavar="S,S,...",
        help="stride of each temporal convolution of the cnn_tcn head; their number is its depth, and with kernel 5 "
        "each output of the last one sees 1 + 4 × (1 + s1 + s1·s2 + ...) frames (default 2,2,2: 29 frames, 0.51 s "
        "of the recipe's 57 Hz windows; 2,2,2,2: 61 frames). Not with --init (the initial run's is kept)",
    )
    p.add_argument(
        "--none-subclasses",
        type=int,
        choices=(1, 3),
        default=None,
        help="3 (default) trains 'none' as three targets (quiet background, hard negative, gesture fragment) summed "
        "back into one output inside the model, so everyday motion is learnt apart from silence; 1 trains a "
        "single 'none'. Not with --init (the initial run's is kept)",
    )
    p.add_argument(
        "--prefix",
        type=_prefix_pair,
        action="append",
        default=None,
        metavar="PREFIX:LONGER",
        help="a gesture that is the start of a longer one (repeatable), for the decision layer: the prefix waits "
        "for the rest. tap_in:double_tap_in and <g>:double_<g>:triple_<g> are known already. With --init the "
        "initial run's pairs (and a personalised run's fitted prefix wait) are kept; --prefix replaces the pairs",
    )
    p.add_argument(
        "--window-s",
        type=float_above(WINDOW_S_RANGE[0], inclusive=True, maximum=WINDOW_S_RANGE[1]),
        default=None,
        help=f"classifier window [s], in [{WINDOW_S_RANGE[0]:g}, {WINDOW_S_RANGE[1]:g}] (default 0.875; 1.4 holds a "
        "whole slow double tap, as the README's recipe uses); with --init the initial run's window is kept",
    )
    p.add_argument(
        "--fragment-share",
        type=share_below_one,
        default=None,
        help="share of each class's training draw taken from fragments: the windows the decision layer "
        "classifies before a gesture's motion is over, labelled none or, for the first tap of a double tap, "
        f"tap_in, in [0, 1) (default {FRAGMENT_SHARE:g}, or with --init the initial run's; 0 = whole "
        "gestures only)",
    )
    p.add_argument(
        "--background-per-class",
        type=positive_float,
        default=None,
        metavar="RATIO",
        help="none windows drawn per epoch for each gesture class's windows, > 0 (default "
        f"{BACKGROUND_PER_CLASS:g}, or with --init the initial run's); the README's sim model takes 3 with "
        "--no-early-stopping: twice the negatives rank everyday motion lower (docs/results_rejection.md)",
    )
    p.add_argument(
        "--fragment-close-look",
        choices=("on", "off"),
        default=None,
        help="cut the fragments at the decision layer's checkpoints with its close look (on: a press-only run's "
        "checkpoint is a fragment too, as the runtime's look sees it) or without (off) (default: off, or with "
        "--init the initial run's)",
    )
    p.add_argument(
        "--augment",
        choices=("default", "robust"),
        default=None,
        help="augmentation: default, or robust (wider gain, noise and speed warp, plus Doppler scaling and range "
        "shift, for users of other tempo, hand and distance); with --init the initial run's unless named here",
    )
    p.add_argument(
        "--wake-history",
        choices=("fill", "idle"),
        default=None,
        help="what the throttled view shows before a wake-up: fill (the first frame encoded after it, repeated: "
        "the plain default) or idle (the default of --augment robust: the maps of the IDLE frames sensed before "
        "it; the bundle's runtime then encodes "
        "them, as does the firmware; the export's example_main.cc does not); with --init the initial run's unless "
        "named here",
    )
    p.add_argument(
        "--from-search",
        type=Path,
        default=None,
        metavar="SEARCH_DIR",
        help="the architecture and window length chosen by 'radargest search' (with --init, they must match the "
        "init run's); a point of a 'search --init' (the init run pruned to a width) needs --init and sets "
        "--prune-channels to the chosen width",
    )
    p.add_argument("--preset", default="gesture_close", help=preset_help())
    p.add_argument(
        "--fa-budget",
        type=non_negative_float,
        default=None,
        metavar="PER_HOUR",
        help="false activations per hour of background the operating point may cost on the training-side "
        "calibration streams, >= 0 (default 0.5)",
    )
    p.add_argument(
        "--calibration-data",
        type=Path,
        nargs="+",
        default=None,
        help="training-side streams used only to choose the operating point (e.g. simulated everyday streams "
        "of training subjects; streams on the held-out side of --split are refused)",
    )
    _add_rule_options(p, run_defaults=False)
    p.add_argument(
        "--no-rejection",
        action="store_true",
        help="no hard-negative mining and no operating point (min_score 0, arg-max decisions): the recipe "
        "without a rejection stage, for comparison",
    )
    p.add_argument(
        "--val-mode",
        choices=("auto", "tail", "recording"),
        default="auto",
        help="validation (early stopping) from the training side: recording = whole recordings, tail = the end of "
        "every recording, auto = recording when every class has enough of them, else tail (default auto)",
    )
    p.add_argument(
        "--rehearsal-data",
        type=Path,
        nargs="+",
        default=(),
        help="recordings replayed in every training epoch but never split, validated or calibrated on: with "
        "--init, the pretraining's own training data (e.g. its simulated training subjects), so the fine-tune "
        "keeps what pretraining taught while it learns the new data",
    )
    p.add_argument(
        "--rehearsal-share",
        type=share(below_one=False),
        default=None,
        help="share of every gesture class's windows per epoch drawn from --rehearsal-data, in [0, 1] (default 0.5)",
    )
    p.add_argument(
        "--rehearsal-distill",
        type=share_below_one,
        default=None,
        metavar="WEIGHT",
        help="learning without forgetting: the replayed windows learn the --init run's own outputs with this "
        "weight (their labels with 1 - WEIGHT), the new data its labels alone, in [0, 1) (default 0: labels only; "
        "what it did to the README's real recipe: docs/results_robustness.md)",
    )
    c = p.add_argument_group("compression (rows of 'radargest quantize')")
    c.add_argument(
        "--prune-channels",
        type=share_above_zero,
        default=None,
        metavar="KEEP",
        help="structured magnitude pruning after training: keep this share of every layer's channels, in (0, 1] "
        "(lowest L1 norms go), then fine-tune; the run's architecture becomes the smaller one (default: no pruning)",
    )
    c.add_argument(
        "--prune-finetune-epochs",
        type=non_negative_int,
        default=None,
        help="fine-tuning epochs after pruning, >= 0 (default 10; only with --prune-channels)",
    )
    c.add_argument(
        "--distill-from",
        type=Path,
        default=None,
        metavar="TEACHER_RUN",
        help="knowledge distillation from this run (a larger model trained on the same split and classes)",
    )
    c.add_argument(
        "--distill-alpha",
        type=share(below_one=False),
        default=None,
        help="weight of the label loss, in [0, 1] (default 0.5; only with --distill-from)",
    )
    c.add_argument(
        "--distill-temperature",
        type=float_above(1.0, inclusive=True),
        default=None,
        help="softening temperature, >= 1 (default 3; only with --distill-from)",
    )
    c.add_argument(
        "--qat-epochs",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="epochs of quantisation-aware fine-tuning after training, >= 0 (default 0: none; needs the [qat] "
        "extra); writes "
        "qat_encoder_int8.tflite and qat_head_int8.tflite to the run",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run in a non-empty --out: radargest's own outputs there (the model and its reports "
        "and plots, e.g. quant_report.*, det.png, robustness.*, throttle.*) are removed before the new run is "
        "written; other files are kept (default: refuse a non-empty --out)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser(
        "evaluate",
        help="score a trained model on held-out recordings",
        description="Scores RUN_DIR on the held-out side of its split (or of --split; 'none' scores every file "
        "given), drawn again in --data: a scored file the run was trained or validated on (its metrics.json) is "
        "named in a warning and under training_side_files in --json. Window mode: accuracy, balanced accuracy, "
        "confusion. --continuous runs the onset detector and "
        "the model over whole streams (probabilities averaged over the windows of the run's "
        "dataset.window.test_shifts_s, by default ending 0.2, 0.1 and 0 s before the nominal end): "
        "event accuracy, precision, recall, F1, false activations per hour and "
        "latency from the end of the motion to the decision (p50/p90, also per gesture), with the decision "
        "layer of dsp.decision (prefix gestures wait --prefix-wait-s for the longer one). --json prints one JSON "
        "object. --throttle-sweep BUNDLE instead runs that exported bundle "
        "(int8, no TensorFlow) always-on (the sensor as recorded), with its own throttle (the manifest's, what "
        "detect runs: the row 'bundle default'), with the first throttle (decimation 3, IDLE frames of "
        "16 sweeps, the recording's idle states) and at a grid of settings (idle decimation x IDLE sweeps x "
        "hold, the preset's low-power states) over the held-out streams, and writes the trade-off (event "
        "accuracy, recall and false activations per hour against the average A121 current from exptool's power "
        "model, with MCU estimate and battery hours) to throttle.json, throttle.md and throttle_curve.png.",
    )
    p.add_argument("run_dir", type=Path, help="run directory written by radargest train")
    p.add_argument("--data", type=Path, nargs="+", required=True, help="recordings or folders of recordings")
    p.add_argument(
        "--split", type=_split, default=None, help=f"override the run's split: {SPLIT_SYNTAX} (default: the run's)"
    )
    p.add_argument("--continuous", action="store_true", help="also evaluate whole streams")
    add_decision_arguments(p)
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument(
        "--throttle-sweep", type=Path, default=None, metavar="BUNDLE", help="sweep the throttle of this bundle"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default RUN_DIR): det.png with --continuous; the sweep's files with --throttle-sweep",
    )
    p.add_argument(
        "--idle-decimations",
        type=number_list(positive_int, example="3,4,6,8"),
        default=None,
        metavar="D,...",
        help="--throttle-sweep grid: full-rate frame periods per idle frame, each >= 1 (default 3,4,6,8)",
    )
    p.add_argument(
        "--idle-sweeps",
        type=number_list(int_at_least(2), example="4,8"),
        default=None,
        metavar="N,...",
        help="--throttle-sweep grid: sweeps per IDLE frame, each >= 2 (default 4,8)",
    )
    p.add_argument(
        "--idle-point-steps",
        type=number_list(positive_int, example="1,2"),
        default=None,
        metavar="K,...",
        help="--throttle-sweep grid: an IDLE sweep measures every K-th distance point, each >= 1 (default 1: all)",
    )
    p.add_argument(
        "--idle-point-offsets",
        type=number_list(non_negative_int, example="0,1"),
        default=None,
        metavar="O,...",
        help="--throttle-sweep grid: the full point the IDLE points start at, each >= 0 and below its step "
        "(default 0: the nearest; with step 2 on gesture_close, 1 measures 0.08/0.14/0.20 m instead of "
        "0.05/0.11/0.17 m)",
    )
    p.add_argument(
        "--hold-s",
        type=number_list(positive_float, example="0.3,0.5"),
        default=None,
        metavar="S,...",
        help="--throttle-sweep grid: time awake without motion or decision before idling [s], each > 0 (default 0.3)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser(
        "calibrate",
        help="choose a trained run's operating point (min_score) again, without retraining",
        description="Re-runs the end of 'radargest train': scores the run's validation streams and its "
        "calibration-only streams (the run's, or --calibration-data), sweeps min_score and keeps the operating "
        "point of the run's rejection rule, changed by the options given, with the decision layer's defaults "
        "(the close look on, also for a run trained before it). Rewrites RUN_DIR/config.toml "
        "(min_score, close_look, [rejection]) and metrics.json['calibration'] in place (copy the run first to keep "
        "it). --calibration-data on the run's held-out side (its metrics.json test files, or its split's held-out "
        "days, subjects or patterns) is refused.",
    )
    p.add_argument("run_dir", type=Path, help="run directory written by radargest train")
    p.add_argument(
        "--fa-budget",
        type=non_negative_float,
        default=None,
        metavar="PER_HOUR",
        help="false activations per hour, >= 0 (default: the run's)",
    )
    _add_rule_options(p, run_defaults=True)
    p.add_argument(
        "--calibration-data", type=Path, nargs="+", default=None, help="calibration-only training-side streams"
    )
    p.add_argument(
        "--no-close-look",
        action="store_true",
        help="calibrate the decision layer without its close look at undecided events (as before it)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_calibrate)

    p = subparsers.add_parser(
        "soup",
        help="one model from the mean of the weights of fine-tunes that differ only in their seed",
        description="Averages the weights of two or more runs of 'radargest train --init RUN' that differ only in "
        "--seed (a model soup: the fine-tunes of one pretrained model stay in one basin, so the mean of their "
        "weights is a model, and it averages out the seed-to-seed spread at the inference cost of one model), "
        "writes it to --out as a run directory (model.keras, config.toml, metrics.json; no training history) and "
        "chooses its operating point again as 'radargest calibrate' does, with the first run's rejection rule and "
        "calibration streams, on the soup's own scores; like every fine-tune's, when those streams (the validation "
        "part plus the runs' --calibration-data) hold too little background to judge the budget, the soup keeps "
        "the --init run's min_score instead ('not calibrated: kept from --init'). "
        "Runs trained from scratch, with the same seed, or with any other option different are refused. The "
        "recipe soups three seeds of its real fine-tunes (scripts/run_model_experiments.sh).",
    )
    p.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR", help="the fine-tunes, two or more")
    p.add_argument("--out", type=Path, required=True, help="run directory to write the soup to")
    p.add_argument(
        "--fine-tune-weight",
        type=share_above_zero,
        default=1.0,
        metavar="W",
        help="the soup's weights are W of the fine-tunes' mean and 1 - W of the run they were fine-tuned from "
        "(their --init, which must still be there): a point on the line back to the pretrained run keeps more of "
        "what it learnt (WiSE-FT; for the recipe, many simulated users), in (0, 1] (default 1: the plain mean)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_soup)

    p = subparsers.add_parser(
        "quantize",
        help="convert a run to int8 TFLite and report size, accuracy, agreement and latency",
        description="Full-integer int8 TFLite with representative windows from the training side; a table of "
        "float32 / int8 per-channel / int8 per-tensor / int16x8 and a weight bit-width exploration, written to "
        "RUN_DIR/quant_report.md and .json, plus RUN_DIR/model_int8.tflite.",
    )
    p.add_argument("run_dir", type=Path, help="run directory written by radargest train")
    p.add_argument(
        "--data",
        type=Path,
        nargs="+",
        default=None,
        help="recordings or folders of recordings (default: the run's --data), split again by the run's split: the "
        "representative windows come from its training side, the scores from its held-out side (each must hold a "
        "recording; a run with split none scores every file); a scored file the run trained or validated on is "
        "named in a warning",
    )
    p.add_argument("--representative", type=positive_int, default=300, help="calibration windows, >= 1 (default 300)")
    p.add_argument(
        "--latency-runs", type=positive_int, default=200, help="timed invocations per candidate, >= 1 (default 200)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_quantize)
