"""Model selection on the training days only: two validation folds over the training-side recordings.

The held-out test set of the Acconeer data (the ``2022-07-27`` day and ``static_hand_idx_1``) is dropped
by :func:`training_side` before anything is loaded, so no choice made here can see it. The rest is split
into two folds by recording day:

- fold ``A`` validates on the ``2022-07-25`` day (``tap_in_idx_2``, ``tap_out_idx_2``, ``wiggle_idx_2``) and
  trains on the ``2022-07-14`` and ``2022-08-24`` days, ``dynamic_hand`` and ``tap_in_idx_1``;
- fold ``B`` validates on the ``2022-07-14`` day (``double_tap_in_idx_1/2``, ``tap_out_idx_1``,
  ``wiggle_idx_1``) plus ``tap_in_idx_1``, and trains on the ``2022-07-25`` day (less ``tap_in_idx_1``),
  the ``2022-08-24`` day and ``dynamic_hand``.

``tap_in`` was recorded on one training day only (``2022-07-25``), so a pure leave-one-day-out split
would leave fold A without a single ``tap_in`` example; its two recordings are therefore split between
the folds (leave-one-recording-out for that class). Every training-side gesture recording is validated
exactly once.

Scores of a candidate (a training config plus test-time options) over its fold models:

- ``event_accuracy``: continuous event accuracy on the fold's validation streams (as in
  :mod:`models.evaluate`); the selection score is its mean over the two folds;
- ``dynamic_events``: candidates the model accepts as a gesture on ``dynamic_hand`` (a training file);
- ``pause_false``: still-hand windows in the pauses of the validation streams (the *background* windows
  of :func:`models.data.cut_windows`) that the model classifies as a gesture, and ``pause_windows``.

Run: ``python -m models.select --data DIR --candidate NAME --seeds 0 1 --out DIR`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dsp.decision import DecisionConfig
from models.architectures import ArchitectureConfig
from models.config import TrainConfig
from models.data import (
    ACCONEER_TEST_DAYS,
    ACCONEER_TEST_FILES,
    DatasetConfig,
    Recording,
    SplitConfig,
    collect_files,
    cut_windows,
    load_recordings,
    materialise,
    recording_day,
)
from models.evaluate import Predictor, continuous_metrics, stream_decisions

__all__ = ["CANDIDATES", "FOLDS", "fold_split", "score_fold", "training_side"]

#: Validation recordings of each fold (file names without ``.h5``).
FOLDS: dict[str, tuple[str, ...]] = {
    "A": ("label_tap_in_idx_2", "label_tap_out_idx_2", "label_wiggle_idx_2"),
    "B": (
        "label_double_tap_in_idx_1",
        "label_double_tap_in_idx_2",
        "label_tap_out_idx_1",
        "label_wiggle_idx_1",
        "label_tap_in_idx_1",
    ),
}

GESTURES = ("tap_in", "tap_out", "double_tap_in", "wiggle")


def training_side(paths: Sequence[Path]) -> list[Path]:
    """The recordings under ``paths`` that are not on the held-out test day nor a held-out test file."""
    out = []
    for p in collect_files(paths):
        if p.stem in ACCONEER_TEST_FILES or recording_day(p) in ACCONEER_TEST_DAYS:
            continue
        out.append(p)
    return out


def fold_split(fold: str) -> SplitConfig:
    """The split of one fold: its validation recordings are the held-out side of a ``files`` split."""
    return SplitConfig(kind="files", test=FOLDS[fold])


def _frame_max(cfg: TrainConfig) -> TrainConfig:
    feats = dataclasses.replace(cfg.dataset.features, normalisation="frame_max")
    return dataclasses.replace(cfg, dataset=dataclasses.replace(cfg.dataset, features=feats))


def _kernel3(cfg: TrainConfig) -> TrainConfig:
    return dataclasses.replace(cfg, architecture=dataclasses.replace(cfg.architecture, head_kernel=3))


def _more_negatives(cfg: TrainConfig) -> TrainConfig:
    return dataclasses.replace(cfg, dataset=dataclasses.replace(cfg.dataset, background_per_class=3.0))


#: Training-side candidates: a change applied to the default config.
CANDIDATES: dict[str, Callable[[TrainConfig], TrainConfig]] = {
    "baseline": lambda cfg: cfg,
    "frame_max": _frame_max,
    "kernel3": _kernel3,
    "more_negatives": _more_negatives,
}


def base_config(data: Sequence[Path], fold: str, seed: int) -> TrainConfig:
    """The default training config on ``data`` with the split of ``fold``."""
    return TrainConfig(
        data=tuple(str(p) for p in data),
        dataset=DatasetConfig(gestures=GESTURES),
        split=fold_split(fold),
        architecture=ArchitectureConfig(num_classes=len(GESTURES) + 1),
        seed=seed,
    )


def score_fold(
    predict: Predictor,
    recs: Sequence[Recording],
    *,
    cfg: DatasetConfig,
    window_frames: int,
    val: Sequence[int],
    negatives: Sequence[int],
    shifts_s: Sequence[float] = (0.0,),
    threshold: float = 0.0,
) -> dict[str, Any]:
    """The selection scores (module docstring) of one fold's predictor (events decided by the pre-decision-layer
    rule, ``DecisionConfig(early=False)``, with which the selection was made)."""
    decision = DecisionConfig(min_score=threshold, early=False)
    on_truth = correct = 0
    per_file: dict[str, float | None] = {}
    pause_false = pause_windows = 0
    for i in val:
        dec = stream_decisions(
            predict, recs, i, cfg=cfg, window_frames=window_frames, decision=decision, shifts_s=shifts_s
        )
        c = continuous_metrics(recs[i], dec, classes=cfg.classes)
        on_truth += c["candidates_on_truth"]
        correct += c["candidates_correct"]
        per_file[recs[i].name] = c["event_accuracy"]
        w = cut_windows(recs, [i], cfg=cfg, window_frames=window_frames)
        w = w.subset(w.kind == 2)
        x, _ = materialise(recs, w, cfg=cfg, window_frames=window_frames)
        if len(x):
            p = predict(x)
            gesture = (p.argmax(axis=1) > 0) & (p.max(axis=1) >= threshold)
            pause_false += int(gesture.sum())
            pause_windows += len(x)
    dynamic = 0
    for i in negatives:
        dec = stream_decisions(
            predict, recs, i, cfg=cfg, window_frames=window_frames, decision=decision, shifts_s=shifts_s
        )
        dynamic += continuous_metrics(recs[i], dec, classes=cfg.classes)["events"]
    return {
        "event_accuracy": correct / on_truth if on_truth else None,
        "per_file": per_file,
        "dynamic_events": dynamic,
        "pause_false": pause_false,
        "pause_windows": pause_windows,
    }


def _train_or_load(cfg: TrainConfig, recs: list[Recording], out: Path) -> Any:
    from models.config import load_run
    from models.train import train_recordings

    if (out / "model.keras").is_file():
        model, _ = load_run(out)
        return model
    return train_recordings(cfg, recs, out, progress=False, overwrite=True).model  # a run cut short: again


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.select", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="the real recordings (all of them)")
    parser.add_argument("--candidate", choices=sorted(CANDIDATES), default="baseline")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--folds", nargs="+", default=sorted(FOLDS))
    parser.add_argument("--shifts", nargs="+", default=["0"], help="test-time shift sets, e.g. 0 -0.05,0,0.05")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.0])
    parser.add_argument("--init", type=Path, default=None, help="fine-tune this run's model (lr / 3), e.g. sim")
    parser.add_argument("--out", type=Path, required=True, help="folder for the fold runs and log.jsonl")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from models.evaluate import ensemble_predictor, keras_predictor

    files = training_side(args.data)
    name = args.candidate + ("+init" if args.init else "")

    def config(fold: str, seed: int) -> TrainConfig:
        cfg = CANDIDATES[args.candidate](base_config(files, fold, seed))
        if args.init:
            cfg = dataclasses.replace(cfg, init=str(args.init.resolve()), learning_rate=cfg.learning_rate / 3.0)
        return cfg

    proto = config(args.folds[0], args.seeds[0])
    recs = load_recordings(files, cfg=proto.dataset)
    names = [r.name for r in recs]
    shift_sets = [tuple(float(v) for v in s.split(",")) for s in args.shifts]
    results: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for fold in args.folds:
        predictors = []
        cfg, t = proto, 0
        for seed in args.seeds:
            cfg = config(fold, seed)
            model = _train_or_load(cfg, recs, args.out / f"{name}_{fold}_s{seed}")
            predictors.append(keras_predictor(model))
            t = int(model.input.shape[1])
        val = [names.index(n) for n in FOLDS[fold]]
        negatives = [i for i, r in enumerate(recs) if not r.labels]
        members: list[tuple[str, Predictor]] = [(f"s{s}", p) for s, p in zip(args.seeds, predictors, strict=True)]
        if len(predictors) > 1:
            members.append(("ensemble", ensemble_predictor(predictors)))
        for who, pred in members:
            for shifts in shift_sets:
                for thr in args.thresholds:
                    r = score_fold(
                        pred,
                        recs,
                        cfg=cfg.dataset,
                        window_frames=t,
                        val=val,
                        negatives=negatives,
                        shifts_s=shifts,
                        threshold=thr,
                    )
                    key = ("ensemble" if who == "ensemble" else "single", shifts, thr)
                    results.setdefault(key, []).append({"fold": fold, "member": who, **r})
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "log.jsonl").open("a") as log:
        for (kind, shifts, thr), rows in results.items():
            accs = {}
            for fold in args.folds:
                fold_rows = [r["event_accuracy"] for r in rows if r["fold"] == fold]
                accs[fold] = float(np.mean(fold_rows))
            entry = {
                "candidate": name,
                "kind": kind,
                "seeds": args.seeds,
                "shifts_s": list(shifts),
                "threshold": thr,
                "score": float(np.mean(list(accs.values()))),
                "fold_accuracy": accs,
                "dynamic_events": float(np.mean([r["dynamic_events"] for r in rows])),
                "pause_false": float(np.mean([r["pause_false"] for r in rows])),
                "pause_windows": float(np.mean([r["pause_windows"] for r in rows])),
                "rows": rows,
            }
            log.write(json.dumps(entry) + "\n")
            print(
                f"{name:>15} {kind:>8} shifts={','.join(map(str, shifts)):<22} thr={thr:.2f} "
                f"score={entry['score']:.3f} " + " ".join(f"{k}={v:.3f}" for k, v in accs.items()) + " "
                f"dyn={entry['dynamic_events']:.1f} pause={entry['pause_false']:.1f}/{entry['pause_windows']:.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
