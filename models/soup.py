"""Model soups: one model from the mean of the weights of fine-tunes that differ only in their seed.

Fine-tunes that start from one pretrained run and differ only in their seed stay in one basin of the loss, so the
mean of their weights is a working model (Wortsman et al. 2022, "Model soups"). It averages out the seed-to-seed
spread of the fine-tunes, which on the real days is as large as the effects the recipe's rules compare, at the
inference cost of one model. The recipe's real fine-tunes are three seeds of the fixed schedule, souped
(docs/results_rejection.md, "Soups of the fine-tunes").

A soup may also be pulled back toward the run its members were fine-tuned from (``fine_tune_weight`` below 1):
the straight line between a pretrained model and its fine-tune keeps much of the pretrained model's robustness to
data the fine-tune never saw (Wortsman et al. 2022, "Robust fine-tuning of zero-shot models", WiSE-FT); here the
pretrained model has seen many simulated users and the fine-tunes one real person.

A soup is written as a run directory (``model.keras``, ``config.toml``, ``metrics.json``) that every command
reading a run accepts; it has no training history. Its operating point is chosen again on its own scores
(:func:`models.train.calibrate_run`), as the members' were.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import dsp
from models.config import RunError, TrainConfig, load_run, read_run_config, write_config

__all__ = ["SOUP_FILES", "average_weights", "check_members", "soup_runs"]

#: The files of a soup's run directory.
SOUP_FILES = ("model.keras", "config.toml", "metrics.json")


def average_weights(members: Sequence[Sequence[npt.NDArray[Any]]]) -> list[npt.NDArray[Any]]:
    """The element-wise mean of each weight tensor over ``members`` (each a model's ``get_weights()`` list).

    Summed in float64 and returned in each tensor's own dtype.

    Raises:
        RunError: fewer than two members, or members whose tensors differ in number or shape.
    """
    if len(members) < 2:
        raise RunError(f"a soup needs at least two models, got {len(members)}")
    first = members[0]
    for k, other in enumerate(members[1:], start=1):
        if not _same_tensors(first, other):
            raise RunError(f"model {k} does not have the weight tensors of model 0 (another architecture?)")
    return [
        np.mean(np.stack([np.asarray(m[i], dtype=np.float64) for m in members]), axis=0).astype(first[i].dtype)
        for i in range(len(first))
    ]


def _same_tensors(a: Sequence[npt.NDArray[Any]], b: Sequence[npt.NDArray[Any]]) -> bool:
    """Whether two ``get_weights()`` lists hold tensors of the same number and shapes (one architecture)."""
    return len(a) == len(b) and all(x.shape == y.shape for x, y in zip(a, b, strict=True))


def _without_seed(cfg: TrainConfig) -> TrainConfig:
    """``cfg`` with what may differ between soup members (the seed, the operating point) set to one value."""
    return dataclasses.replace(cfg, seed=0, min_score=0.0, close_look=True)


def check_members(configs: Sequence[TrainConfig], names: Sequence[str]) -> None:
    """Refuse members that are not fine-tunes of one run differing only in their seed.

    Raises:
        RunError: fewer than two members; a member trained from scratch (its weights share no start with the
            others, and their mean is not a model); two members with the same seed; a member trained on another
            preset, or at a frame rate more than :data:`dsp.FRAME_RATE_TOLERANCE` off the first member's (named as
            such); or a member whose config differs from the first member's in anything but the seed and the
            operating point.
    """
    if len(configs) < 2:
        raise RunError(f"a soup needs at least two runs, got {len(configs)}")
    for cfg, name in zip(configs, names, strict=True):
        if not cfg.init:
            raise RunError(
                f"{name}: trained from scratch; a soup averages fine-tunes of one run (radargest train --init), "
                "whose weights start from the same point"
            )
    seeds = [cfg.seed for cfg in configs]
    if len(set(seeds)) != len(seeds):
        raise RunError(f"two runs have the same seed ({', '.join(map(str, seeds))}): they are one model twice")
    base = _without_seed(configs[0])
    first, first_hz = configs[0].dataset.preset, configs[0].trained_rate_hz
    same = "a soup's runs share their preset and frame rate (fine-tunes of one run, differing only in --seed)"
    for cfg, name in zip(configs[1:], names[1:], strict=True):
        # named first: the generic difference below would say only "dataset" or "architecture"
        if cfg.dataset.preset != first:
            raise RunError(f"{name}: trained on preset {cfg.dataset.preset!r}, {names[0]} on {first!r}; {same}")
        mismatch = dsp.frame_rate_mismatch(cfg.trained_rate_hz, first_hz, expected=f"{names[0]}'s")
        if mismatch:
            raise RunError(f"{name}: trained at {mismatch}; {same}")
        mine = _without_seed(cfg)
        if mine != base:
            differ = [f.name for f in dataclasses.fields(mine) if getattr(mine, f.name) != getattr(base, f.name)]
            raise RunError(
                f"{name}: differs from {names[0]} in {', '.join(differ)}; a soup's runs differ only in --seed"
            )


def soup_runs(
    run_dirs: Sequence[Path],
    out_dir: Path,
    *,
    fine_tune_weight: float = 1.0,
    overwrite: bool = False,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the soup of ``run_dirs`` (see the module docstring) to ``out_dir`` and calibrate its operating point.

    ``fine_tune_weight`` w: the soup's weights are ``w * mean(members) + (1 - w) * init``, where init is the run the
    members were fine-tuned from (their ``--init``), in (0, 1]; 1 is the plain mean.

    The soup's ``config.toml`` is the first run's, with its ``min_score`` chosen again by the runs' own rejection
    rule; ``metrics.json`` lists the members and their seeds (``soup``, with the weight and the init run) and holds
    the calibration.

    Returns:
        The calibration (as ``metrics.json["calibration"]``).

    Raises:
        RunError: a missing or corrupt run, runs that cannot be souped (:func:`check_members`), a
            ``fine_tune_weight`` outside (0, 1] or, below 1, an init run that is missing or of other weight tensors,
            or an ``out_dir`` that holds a run, unless ``overwrite``.
    """
    from models.architectures import count_macs
    from models.train import calibrate_run, clear_earlier_run, refuse_existing_run

    if not 0.0 < fine_tune_weight <= 1.0:
        raise RunError(f"fine_tune_weight must be in (0, 1] (1: the plain mean), got {fine_tune_weight!r}")

    run_dirs = [Path(p) for p in run_dirs]
    out_dir = Path(out_dir)
    if any(out_dir.resolve() == p.resolve() for p in run_dirs):
        raise RunError(f"{out_dir}: is one of the soup's runs; write the soup to another folder")
    names = [str(p) for p in run_dirs]
    check_members([read_run_config(p) for p in run_dirs], names)
    refuse_existing_run(out_dir, overwrite=overwrite)
    loaded = [load_run(p) for p in run_dirs]
    model, cfg = loaded[0]
    weights = average_weights([m.get_weights() for m, _ in loaded])
    init = Path(cfg.init).resolve() if fine_tune_weight < 1 else None
    if init is not None:
        from models.personalise import interpolate_to_shipped  # the enrolment's pull-back, the same line

        try:
            pretrained = load_run(init)[0].get_weights()
        except RunError as e:
            raise RunError(f"--fine-tune-weight {fine_tune_weight:g} needs the members' --init run: {e}") from e
        if not _same_tensors(pretrained, weights):
            raise RunError(f"{init}: the --init run does not have the members' weight tensors (another architecture?)")
        weights = interpolate_to_shipped(pretrained, weights, fine_tune_weight=fine_tune_weight)
    model.set_weights(weights)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # built and calibrated beside out_dir, then moved in: an interrupted soup leaves no uncalibrated run behind
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.soup-", dir=out_dir.parent))
    try:
        model.save(work / "model.keras")
        write_config(dataclasses.replace(cfg, min_score=0.0), work / "config.toml")
        metrics = {
            "soup": {
                "members": [str(p.resolve()) for p in run_dirs],
                "seeds": [c.seed for _, c in loaded],
                **({"fine_tune_weight": fine_tune_weight, "init": str(init)} if init is not None else {}),
            },
            "params": int(model.count_params()),
            "macs": count_macs(model),
            "window_frames": cfg.architecture.window_frames,
            "classes": list(cfg.dataset.classes),
        }
        (work / "metrics.json").write_text(json.dumps(metrics, indent=1))
        if log:
            log(f"souped {len(run_dirs)} runs (seeds {', '.join(str(c.seed) for _, c in loaded)}) into {out_dir}")
            if init is not None:
                log(f"soup weights: {fine_tune_weight:g} of the fine-tunes' mean, {1 - fine_tune_weight:g} of {init}")
        calibration = calibrate_run(work, progress=progress, log=log)
        if overwrite:
            clear_earlier_run(out_dir, log=log)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in SOUP_FILES:
            os.replace(work / name, out_dir / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return calibration
