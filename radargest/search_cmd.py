"""``radargest search``: a thin command over :mod:`models.search` (DESIGN §8c)."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path
from typing import Any, Literal

__all__ = ["add_search_command", "cmd_search", "parse_bytes"]

_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000_000, "mib": 1024 * 1024}


def parse_bytes(text: str) -> int:
    """``16KiB``, ``16384``, ``12 kib``, ``41KB`` → bytes."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 16KiB, 12000, 41KB)")
    size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if size < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1 byte")
    return size


def cmd_search(args: argparse.Namespace) -> int:
    """``radargest search``."""
    from radargest.cli_args import given_options, progress_bar, refuse_unused

    if args.no_ray:
        refuse_unused(args, ("workers",), applies="with Ray, without --no-ray (Optuna alone runs one trial at a time)")
    if not args.init:
        refuse_unused(args, ("prune_finetune_epochs",), applies="with --init (the pruned family)")
    if not args.rehearsal_data:
        refuse_unused(args, ("rehearsal_share",), applies="with --rehearsal-data")
    from radargest.extras import MissingExtraError, missing_extra_message, require_extra

    require_extra("train", what="radargest search")
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise MissingExtraError(missing_extra_message("search", what="radargest search", module="optuna")) from None
    from models.architectures import ArchitectureConfig
    from models.compress import CompressionConfig
    from models.config import TrainConfig, fine_tune_settings
    from models.data import ROBUST_AUGMENT, AugmentConfig, DatasetConfig, WindowConfig
    from models.search import SearchConfig, run_search

    backend: Literal["auto", "ray", "optuna"] = "optuna" if args.no_ray else ("ray" if args.ray else "auto")
    scfg = SearchConfig(
        budget_flash_bytes=args.budget_flash,
        budget_macs_per_frame=args.budget_macs_per_frame,
        trials=args.trials,
        epochs=args.epochs,
        seed=args.seed,
        backend=backend,
        **given_options(args, "workers"),
        ray_address=args.ray or "",
        tolerance=args.tolerance,
        any_ops=args.any_ops,
        reference=not args.no_reference,
    )
    named = {"robust": ROBUST_AUGMENT, "default": AugmentConfig()}
    if args.init:  # the pruned family: as train --init, the run's window, features, augmentation and classes
        if args.window_s:
            raise ValueError("--window-s: with --init the window is the initial run's")
        inherited = fine_tune_settings(args.init, args.gestures)  # trials do not average
        dataset, arch, lr = inherited.dataset, inherited.architecture, inherited.learning_rate
        augment = named[args.augment] if args.augment else inherited.augment
    else:
        window = WindowConfig(window_s=args.window_s) if args.window_s else WindowConfig()
        dataset = DatasetConfig(gestures=args.gestures, preset=args.preset, window=window)
        arch = ArchitectureConfig(num_classes=len(args.gestures) + 1)
        augment, lr = named[args.augment or "default"], TrainConfig.learning_rate
    split = args.split if args.val_mode == "auto" else dataclasses.replace(args.split, val_mode=args.val_mode)
    base = TrainConfig(
        data=tuple(str(Path(p).resolve()) for p in args.data),
        dataset=dataset,
        split=split,
        architecture=arch,
        seed=args.seed,
        augment=augment,
        learning_rate=lr,
        init=str(Path(args.init).resolve()) if args.init else "",
        compression=CompressionConfig(**given_options(args, "prune_finetune_epochs")),
        rehearsal_data=tuple(str(Path(p).resolve()) for p in args.rehearsal_data),
        **given_options(args, "rehearsal_share"),
    )

    bar = progress_bar("load", "file", hidden=args.quiet)

    summary = run_search(base, scfg, args.out, log=print, progress=bar)
    c = summary["chosen"]
    if c:
        print(
            f"chosen: trial {c['number']}, score {c['val_score']:.3f}, {c['flash_bytes']} B int8 "
            f"({c.get('mcu_flash_bytes', '—')} B on the MCU), "
            f"{c['macs_per_frame']} MACs/frame; train it: radargest train "
            + (f"--init {args.init} " if args.init else "")
            + f"--from-search {args.out} --data ..."
        )
    else:
        print(summary["nothing_chosen"])
    return 0


def add_search_command(subparsers: Any) -> None:
    """Register ``search`` on the main parser's subparsers."""
    from radargest.cli import uses_tensorflow
    from radargest.cli_args import (
        learnable_gesture_list,
        non_negative_int,
        positive_float,
        positive_int,
        share,
        share_below_one,
        training_seed,
    )
    from radargest.model_cmds import DEFAULT_GESTURES, GESTURES_HELP, SPLIT_SYNTAX, _split, preset_help

    p = subparsers.add_parser(
        "search",
        help="budgeted architecture search (Optuna; Ray Tune for parallel trials)",
        description="Searches the default model family: the default architecture at a width multiplier (what "
        "structured pruning makes of it), and free candidates (encoder widths and kernel, full / separable / "
        "network-in-network 1x1 blocks, embedding, head width, kernel and depth, window length, input "
        "resolution) for the Pareto front of validation score, int8 flash and MACs per frame. Each candidate's "
        "int8 size (real converter, encoder + head flatbuffers, strings stripped) and MACs are measured before "
        "training and candidates over --budget-flash or --budget-macs-per-frame are pruned untrained. The score "
        "is measured on the TRAINING side only: the held-out side of --split is dropped on loading; on the "
        "Acconeer files a training day validates (as in models.select). The Optuna study (NSGA-II) is kept in "
        "OUT/study.db, so the same command resumes it. Trials run in parallel as Ray Tune trials (ray.init() "
        "here with --workers CPUs, or an existing cluster with --ray ADDRESS); without Ray installed, or with "
        "--no-ray, they run one at a time with Optuna alone. Writes OUT/search.md, pareto.png, search.json "
        "and chosen.json; 'radargest train --from-search OUT' trains the chosen point with the full recipe. "
        "With --init RUN the space is instead RUN pruned to a width multiplier (the recipe as the proxy): each "
        "trial does what 'radargest train --init RUN --prune-channels WIDTH' does (RUN's window, features, "
        "augmentation; --epochs of fine-tuning with hard-negative mining, structured pruning, "
        "--prune-finetune-epochs more), the reference is RUN fine-tuned without pruning, and 'radargest train "
        "--init RUN --from-search OUT' prunes to the chosen width. The reference is always trained and is "
        "chosen like any candidate when it is within both budgets (flash in the MCU form, as export writes "
        "model_data.c). Needs the [search] extra.",
    )
    p.add_argument("--data", type=Path, nargs="+", required=True, help="recordings or folders of recordings")
    p.add_argument("--gestures", type=learnable_gesture_list, default=DEFAULT_GESTURES, help=GESTURES_HELP)
    p.add_argument(
        "--split", type=_split, default="day", help=f"held-out split, never searched on: {SPLIT_SYNTAX} (default day)"
    )
    p.add_argument(
        "--val-mode",
        choices=("auto", "tail", "recording"),
        default="auto",
        help="each trial's own validation part of its training side, as train (with the Acconeer files, the "
        "trials are scored on the same five held-back training files either way)",
    )
    p.add_argument(
        "--budget-flash",
        type=parse_bytes,
        default="16KiB",
        help="int8 flash budget: the encoder + head flatbuffers as they go to the MCU (model_data.c, "
        "the compacted form; at least 1 byte; default 16KiB)",
    )
    p.add_argument(
        "--budget-macs-per-frame", type=positive_int, default=30000, help="encoder MACs per frame, >= 1 (default 30000)"
    )
    p.add_argument(
        "--trials",
        type=positive_int,
        default=40,
        help="candidates to train, resumed studies included, >= 1 (default 40)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=12,
        help="training epochs per candidate, no early stopping, >= 1 (default 12; with --init, the fine-tune before "
        "pruning)",
    )
    p.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="RUN",
        help="search RUN pruned to a width multiplier, each trial fine-tuned from RUN as 'train --init' does",
    )
    p.add_argument(
        "--prune-finetune-epochs",
        type=non_negative_int,
        default=None,
        help="with --init: fine-tuning epochs after pruning, as train, >= 0 (default 10)",
    )
    p.add_argument(
        "--rehearsal-data",
        type=Path,
        nargs="+",
        default=(),
        help="training-side recordings replayed in every trial's training, as train (with --init: the "
        "pretraining's own training data)",
    )
    p.add_argument(
        "--rehearsal-share",
        type=share(below_one=False),
        default=None,
        help="share of every gesture class's windows drawn from --rehearsal-data, in [0, 1] (default 0.5)",
    )
    p.add_argument("--out", type=Path, required=True, help="search directory (created; an existing one resumes)")
    backend = p.add_mutually_exclusive_group()
    backend.add_argument("--ray", default=None, metavar="ADDRESS", help="run the trials on this Ray cluster")
    p.add_argument(
        "--workers", type=positive_int, default=None, help="parallel Ray trials, one CPU each, >= 1 (default 2)"
    )
    backend.add_argument(
        "--no-ray", action="store_true", help="Optuna alone, one trial at a time, even with Ray installed"
    )
    p.add_argument(
        "--tolerance",
        type=share_below_one,
        default=0.0,
        help="score the chosen point may give up for a smaller flash, in [0, 1) (default 0: the best score within "
        "budget, ties to the smaller flash)",
    )
    p.add_argument("--any-ops", action="store_true", help="also choose graphs the ahead-of-time C build cannot run")
    p.add_argument(
        "--no-reference",
        action="store_true",
        help="do not train the reference (the default architecture, or RUN not pruned); it is "
        "otherwise trained whatever the budgets and chosen when within them",
    )
    p.add_argument(
        "--seed", type=training_seed, default=0, help="sampler and training seed, in [0, 2**32 - 1] (default 0)"
    )
    p.add_argument(
        "--window-s",
        type=positive_float,
        default=None,
        help="window [s], > 0, of the reference and of the 'scaled' family (the default architecture at a width "
        "multiplier; 'free' candidates sample their own); default 0.875, as train; with --init the initial run's",
    )
    p.add_argument(
        "--augment",
        choices=("default", "robust"),
        default=None,
        help="augmentation of every trial, as train (default: default, or with --init the initial run's)",
    )
    p.add_argument("--preset", default="gesture_close", help=preset_help())
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_search)
