"""Budgeted, multi-objective architecture search over the default model family (DESIGN §8c).

Without an initial run, a candidate is a point of the ``cnn_tcn`` family (:func:`suggest`), from one of two
sub-families:

- ``scaled``: the default architecture itself at a width multiplier (:data:`WIDTHS`; every layer that
  structured pruning narrows keeps that share of its channels, :func:`models.architectures.scale_widths`);
- ``free``: encoder widths and kernel, the encoder's second convolution and the head's temporal
  convolutions each built ``full``, ``separable`` or as a network-in-network 1×1 replacement block (``nin``),
  embedding size, head width, kernel and depth (its strides), window length, and the input resolution in
  Doppler and distance (a max-pool of each frame).

With an initial run (``radargest search --init RUN``, ``TrainConfig.init`` of the base config), the space is the
``pruned`` family instead: **the recipe itself as the proxy.** A candidate is RUN's architecture at a width
multiplier (:data:`WIDTHS`), and a trial is what ``radargest train --init RUN --prune-channels WIDTH`` does on
the trial's training side: RUN's model (window, features, augmentation and classes carried over as by
``train --init``: :func:`models.config.fine_tune_settings`) fine-tuned, with the recipe's hard-negative mining,
then structurally pruned to the width (:func:`models.compress.prune_channels`: the lowest-L1 channels go) and
fine-tuned again for ``compression.prune_finetune_epochs``. Its flash and MACs are those of
``scale_widths(RUN's architecture, width)``, which pruning produces. The reference is RUN fine-tuned the same way
without pruning (width 1), the space's widest point. Training from scratch for a few epochs ranks candidates no
better than chance (docs/results_search.md); the recipe fine-tunes a pretrained model, so the proxy does too.

Each candidate goes through three steps:

1. **Budget, before training.** The model is built with random (non-degenerate) weights, its MACs per
   frame come from :func:`models.architectures.count_macs` and its int8 flash from the real TFLite
   converter (encoder and head flatbuffers, int8 per-channel, strings stripped, as the bundle exports them). The
   flash budget applies to what goes to flash on the MCU: the two flatbuffers in their MCU form
   (``mcu_flash_bytes``, :func:`models.quantize.compact_for_micro`, the arrays of the bundle's ``model_data.c``).
   The converter's form (``flash_bytes``, the ``.tflite`` files LiteRT loads, a few hundred bytes more) stays the
   second objective and the size on the plot. Over either budget, the Optuna trial is pruned and nothing is
   trained.
2. **Training** with the training recipe (:func:`models.train.train_recordings`) for a few epochs
   (``SearchConfig.epochs``) without early stopping, ending with the last epoch's weights, and without
   operating-point calibration (it moves ``min_score`` only; the score below decides by arg-max); from scratch
   without hard-negative mining, or (``pruned``) from RUN with the mining of the base config, then pruning and
   its fine-tune. No early stopping keeps fold ``B`` a clean score: only the trial's own validation part
   (inside the training side) could stop it, and a fixed length makes every candidate's cost the same.
3. **Scoring on the training side only.** The held-out side of ``--split`` is dropped as soon as the
   recordings are loaded. On the Acconeer data the validation is a whole training day, as in
   :mod:`models.select` (fold ``B``: ``double_tap_in_idx_1/2``, ``tap_out_idx_1``, ``wiggle_idx_1`` and
   ``tap_in_idx_1``): the score is the continuous event accuracy on those streams. On other data it is the
   balanced window accuracy on the training side's own validation part (whole recordings or tails). The
   trained model is converted again: its converter's form is step 1's size to the byte (checked in the
   tests); its MCU form (``mcu_flash_bytes_trained``) can differ from step 1's by a few bytes, since which
   arrays are equal, and stored once, depends on the values. The chosen point's budget is judged on it.

Objectives (Optuna, NSGA-II): maximise the validation score, minimise int8 flash bytes, minimise MACs per
frame. The study lives in ``SEARCH_DIR/study.db`` (SQLite), so running the same command again resumes it
until ``trials`` candidates are trained. Trials run in-process with Optuna alone, or as Ray Tune trials
(``ray.init()`` on this machine with ``workers`` CPUs, or ``ray_address`` for a cluster): a Ray
:class:`~ray.tune.search.Searcher` asks the same Optuna study for each candidate and tells it the result,
so the two paths share the sampler, the storage and the budget check.

The **chosen point** is the smallest-flash trial on the Pareto front whose score is within ``tolerance``
of the best score within budget (by default ``tolerance`` 0: the best score within budget, ties to the
smaller flash), among candidates whose int8 operators the ahead-of-time C build supports
(:data:`C_BUILD_OPS`; ``separable`` blocks need ``DEPTHWISE_CONV_2D``) unless ``any_ops``. The reference is
trained whatever the budgets (the comparison every candidate is read against) and competes like any candidate
when it is within them: when the unpruned model fits, nothing needs to be cut.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from models.architectures import BLOCKS, ArchitectureConfig, build, count_macs, scale_widths
from models.config import RejectionConfig, TrainConfig
from models.data import DataError, DatasetConfig, Recording, SplitConfig, held_out_indices, load_recordings
from models.quantize import C_BUILD_OPS, int8_footprint

if TYPE_CHECKING:
    import keras
    import optuna

__all__ = [
    "ANCHORS",
    "C_BUILD_OPS",
    "WIDTHS",
    "SearchConfig",
    "SearchError",
    "apply_chosen",
    "apply_params",
    "candidate_architecture",
    "choosable",
    "choose",
    "chosen_architecture",
    "load_chosen",
    "nothing_chosen",
    "pareto_front",
    "run_search",
    "suggest",
]

#: Published model sizes for comparison on the flash axis [bytes]: name → (bytes, what).
ANCHORS: dict[str, tuple[int, str]] = {
    "TinyRadarNN": (41_000, "41 KB int8"),
    "TinyssimoRadar": (36 * 1024, "36 KiB int8"),
    "Acconeer LSTM": (43 * 1024, "43 KiB float"),
}

#: Validation recordings of the training-side fold used when the Acconeer files are given (see module doc).
ACCONEER_FOLD = "B"

Backend = Literal["auto", "ray", "optuna"]


class SearchError(DataError):
    """A bad search config, a missing optional dependency, or a search directory without a result."""


@dataclass(frozen=True, kw_only=True)
class SearchConfig:
    """One search.

    Fields:
        budget_flash_bytes: the int8 flatbuffers (encoder + head) in their MCU form (``mcu_flash_bytes``) must fit
            in this [bytes].
        budget_macs_per_frame: encoder multiply-accumulates per frame must fit in this [MACs].
        trials: trained candidates to reach (over-budget ones are pruned and not counted); a resumed
            study only trains the missing ones [count].
        epochs: training epochs of one candidate (``pruned``: of the fine-tune before pruning; the pruning
            fine-tune adds the base config's ``compression.prune_finetune_epochs``), without early stopping
            [count].
        seed: seeds the sampler and every candidate's training.
        backend: ``ray`` (Ray Tune), ``optuna`` (in-process) or ``auto`` (Ray when it is installed).
        workers: parallel Ray trials; each gets one CPU [count].
        ray_address: an existing Ray cluster (``ray.init(address=...)``); "" starts Ray on this machine.
        population: NSGA-II population size [count].
        tolerance: the chosen point may lose this much validation score against the best within budget [0..1].
        any_ops: also choose candidates whose int8 graph the ahead-of-time C build cannot run.
        max_pruned_per_trial: give up when this many candidates in a row are over budget or already seen [count].
        reference: also train the given architecture (the default one; with an initial run, that run not pruned)
            once, whatever the budgets; it is chosen like any candidate when within them.
    """

    budget_flash_bytes: int = 16 * 1024
    budget_macs_per_frame: int = 30_000
    trials: int = 40
    epochs: int = 12
    seed: int = 0
    backend: Backend = "auto"
    workers: int = 2
    ray_address: str = ""
    population: int = 10
    tolerance: float = 0.0
    any_ops: bool = False
    max_pruned_per_trial: int = 50
    reference: bool = True

    def __post_init__(self) -> None:
        for name in ("budget_flash_bytes", "budget_macs_per_frame", "trials", "epochs", "workers", "population"):
            if int(getattr(self, name)) < 1:
                raise SearchError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.backend not in ("auto", "ray", "optuna"):
            raise SearchError(f"backend must be auto, ray or optuna, got {self.backend!r}")
        if not 0 <= self.tolerance < 1:
            raise SearchError(f"tolerance must be in [0, 1), got {self.tolerance}")


# -- the search space ---------------------------------------------------------------------------------
def _pair(text: str) -> tuple[int, int]:
    a, b = text.split("x")
    return int(a), int(b)


#: Width multipliers of the ``scaled`` and ``pruned`` families: the base (default, or the initial run's)
#: architecture with this share of its channels.
WIDTHS = (0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9)


def suggest(trial: optuna.Trial, *, pruned: bool = False) -> dict[str, Any]:
    """Sample one candidate (plain values; pairs and strides as strings for the storage).

    Two families, the first choice of every trial: ``scaled`` is the base (default) architecture itself at a
    width multiplier (:func:`models.architectures.scale_widths`, what structured pruning makes of it: every
    other choice stays the default's); ``free`` samples every dimension of the family. With ``pruned`` (a
    search with an initial run) the only family is ``pruned``: the initial run pruned to a width multiplier.
    """
    if pruned:
        trial.suggest_categorical("family", ["pruned"])
        return {"family": "pruned", "width": trial.suggest_categorical("width", list(WIDTHS))}
    if trial.suggest_categorical("family", ["scaled", "free"]) == "scaled":
        return {"family": "scaled", "width": trial.suggest_categorical("width", list(WIDTHS))}
    return {
        "family": "free",
        "conv1": trial.suggest_categorical("conv1", [4, 6, 8]),
        "conv2": trial.suggest_categorical("conv2", [4, 6, 8, 12]),
        "conv_kernel": trial.suggest_categorical("conv_kernel", ["3x3", "5x3", "3x1"]),
        "encoder_block": trial.suggest_categorical("encoder_block", list(BLOCKS)),
        "input_pool": trial.suggest_categorical("input_pool", ["1x1", "2x1", "1x2", "2x2"]),
        "embedding": trial.suggest_categorical("embedding", [8, 12, 16]),
        "head_channels": trial.suggest_categorical("head_channels", [8, 12, 16, 24]),
        "head_kernel": trial.suggest_categorical("head_kernel", [3, 5]),
        "head_strides": trial.suggest_categorical("head_strides", ["2,2", "2,2,2", "4,2"]),
        "head_block": trial.suggest_categorical("head_block", list(BLOCKS)),
        "nin_channels": trial.suggest_categorical("nin_channels", [4, 8]),
        "window_s": trial.suggest_categorical("window_s", [0.7, 0.875, 1.4]),
    }


def apply_params(cfg: TrainConfig, params: dict[str, Any]) -> TrainConfig:
    """``cfg`` with the architecture and window length of a candidate (``params`` as from :func:`suggest`;
    without ``family``, a ``free`` one, as the studies before the ``scaled`` family wrote them).

    A ``pruned`` candidate keeps ``cfg``'s (the initial run's) architecture and sets the compression's prune
    share to its width: the model trained is the initial one, pruned at the end (:func:`candidate_architecture`).
    """
    if params.get("family") == "pruned":
        if not cfg.init:
            raise SearchError("a pruned candidate needs an initial run (--init)")
        width = float(params["width"])
        return dataclasses.replace(cfg, compression=dataclasses.replace(cfg.compression, prune_keep=min(width, 1.0)))
    if params.get("family") == "scaled":
        return dataclasses.replace(cfg, architecture=scale_widths(cfg.architecture, float(params["width"])))
    arch = dataclasses.replace(
        cfg.architecture,
        conv_channels=(int(params["conv1"]), int(params["conv2"])),
        conv_kernel=_pair(params["conv_kernel"]),
        encoder_block=params["encoder_block"],
        input_pool=_pair(params["input_pool"]),
        embedding=int(params["embedding"]),
        head_channels=int(params["head_channels"]),
        head_kernel=int(params["head_kernel"]),
        head_strides=tuple(int(s) for s in str(params["head_strides"]).split(",")),
        head_block=params["head_block"],
        nin_channels=int(params["nin_channels"]),
    )
    window = dataclasses.replace(cfg.dataset.window, window_s=float(params["window_s"]))
    return dataclasses.replace(cfg, architecture=arch, dataset=dataclasses.replace(cfg.dataset, window=window))


def params_of(cfg: TrainConfig) -> dict[str, Any]:
    """Inverse of :func:`apply_params` for a ``free`` candidate (the reference point as a candidate)."""
    a = cfg.architecture
    return {
        "family": "free",
        "conv1": a.conv_channels[0],
        "conv2": a.conv_channels[1],
        "conv_kernel": "x".join(map(str, a.conv_kernel)),
        "encoder_block": a.encoder_block,
        "input_pool": "x".join(map(str, a.input_pool)),
        "embedding": a.embedding,
        "head_channels": a.head_channels,
        "head_kernel": a.head_kernel,
        "head_strides": ",".join(map(str, a.head_strides)),
        "head_block": a.head_block,
        "nin_channels": a.nin_channels,
        "window_s": cfg.dataset.window.window_s,
    }


def candidate_architecture(cfg: TrainConfig) -> ArchitectureConfig:
    """The architecture a training config ends with: ``cfg.architecture``, scaled by the compression's prune
    share when it prunes (:func:`models.compress.prune_channels` gives this architecture)."""
    if cfg.compression.prune:
        return scale_widths(cfg.architecture, cfg.compression.prune_keep)
    return cfg.architecture


# -- size and MACs --------------------------------------------------------------------------------------
def _randomise(model: keras.Model, seed: int) -> None:
    """Non-degenerate random weights (zero biases would let the converter share their buffers)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])


def budget_check(cfg: TrainConfig, scfg: SearchConfig, *, convert: bool = False) -> tuple[dict[str, Any], str]:
    """The footprint of an untrained candidate and why it is over budget ("" when within).

    Flash is measured on random weights: a trained model of the same architecture converts to a flatbuffer
    of the same size to the byte in the converter's form (every tensor's shape is fixed), and to within a
    few bytes in the MCU form (:func:`mcu_flash`). ``convert`` measures flash even when the MACs are already
    over budget.
    """
    model = build(candidate_architecture(cfg))
    macs = count_macs(model)["encoder_per_frame"]
    if macs > scfg.budget_macs_per_frame and not convert:  # no conversion needed to reject it
        return {"macs_per_frame": int(macs), "param_count": int(model.count_params())}, (
            f"{macs} MACs/frame > {scfg.budget_macs_per_frame}"
        )
    _randomise(model, scfg.seed)
    fp = int8_footprint(model, seed=scfg.seed)
    if macs > scfg.budget_macs_per_frame:
        return fp, f"{macs} MACs/frame > {scfg.budget_macs_per_frame}"
    if fp["mcu_flash_bytes"] > scfg.budget_flash_bytes:
        return fp, f"{fp['mcu_flash_bytes']} B MCU flash > {scfg.budget_flash_bytes}"
    return fp, ""


# -- one trial ------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, eq=False)
class _Problem:
    """What every trial needs: the base config, the training-side recordings and the validation plan."""

    base: TrainConfig
    recs: list[Recording]
    val: tuple[int, ...]  # fold validation recordings (empty: the split's own validation part)
    out_dir: Path
    scfg: SearchConfig
    rehearsal: list[Recording] = dataclasses.field(default_factory=list)  # base.rehearsal_data, loaded

    @property
    def pruned(self) -> bool:
        """Whether the space is the ``pruned`` family (the base config fine-tunes an initial run)."""
        return bool(self.base.init)


def _trial_config(problem: _Problem, params: dict[str, Any]) -> TrainConfig:
    from models.select import fold_split

    cfg = apply_params(problem.base, params)
    # from scratch: no mining (a few epochs); a fine-tune: the recipe's mining. Never a calibration: the score
    # decides by arg-max, and min_score changes nothing else
    if problem.pruned:
        rej = dataclasses.replace(cfg.rejection, calibrate=False)
    else:
        rej = RejectionConfig(calibrate=False, mining_every_epochs=0)
    # the held-out side is already dropped: the rest is all training side, validated by its own part
    split = (
        dataclasses.replace(fold_split(ACCONEER_FOLD), val_mode=cfg.split.val_mode)
        if problem.val
        else SplitConfig(kind="none", val_mode=cfg.split.val_mode)
    )
    epochs = problem.scfg.epochs
    return dataclasses.replace(
        cfg,
        split=split,
        rejection=rej,
        epochs=epochs,
        # no early stop (neither before nor after pruning) and the last epoch's weights: a short run's lowest
        # validation loss is often its first epoch's
        patience_epochs=max(epochs, cfg.compression.prune_finetune_epochs),
        restore_best=False,
        seed=problem.scfg.seed,
    )


def run_trial(
    problem: _Problem, params: dict[str, Any], number: int, footprint: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train one candidate and score it on the training side; the result row (also ``trial.json``).

    ``footprint``: the candidate's :func:`budget_check` measurement (converted here after training if None).
    """
    from models.evaluate import keras_predictor
    from models.quantize import _representative
    from models.select import score_fold
    from models.train import train_recordings

    t0 = time.perf_counter()
    cfg = _trial_config(problem, params)
    out = problem.out_dir / "trials" / f"{number:04d}"
    # overwrite: a run there is this trial number's own, left by a session stopped before the trial reported
    res = train_recordings(cfg, problem.recs, out, progress=False, rehearsal_recs=problem.rehearsal, overwrite=True)
    t = res.config.architecture.window_frames
    if problem.val:
        s = score_fold(
            keras_predictor(res.model), problem.recs, cfg=res.config.dataset, window_frames=t, val=problem.val,
            negatives=[],
        )  # fmt: skip
        score = float(s["event_accuracy"] or 0.0)
        metric = f"event accuracy, fold {ACCONEER_FOLD}"
    else:
        score = float(res.metrics["validation"]["balanced_accuracy"])
        metric = f"balanced window accuracy, {res.metrics['split']['val_mode']} validation"
    # the trained model's own conversion, calibrated on its training windows as export does, next to the budget
    # check's (random weights and inputs): the converter's form is the same size to the byte, the MCU form can
    # differ by a few bytes (which arrays are equal, and stored once, depends on the values)
    rep = _representative(res.config, problem.recs, 64, problem.scfg.seed)
    trained = int8_footprint(res.model, rep, seed=problem.scfg.seed)
    fp = {
        **(footprint or trained),
        "flash_bytes_trained": int(trained["flash_bytes"]),
        "mcu_flash_bytes_trained": int(trained["mcu_flash_bytes"]),
    }
    pruning = res.metrics["compression"].get("pruning")
    if pruning:
        fp["pruning"] = pruning
    row = {
        "number": number,
        "params": params,
        "family": params.get("family", "free"),
        **(
            {
                "init": problem.base.init,
                "init_architecture": dataclasses.asdict(problem.base.architecture),
                "prune_finetune_epochs": cfg.compression.prune_finetune_epochs,
            }
            if problem.pruned
            else {}
        ),
        "architecture": dataclasses.asdict(res.config.architecture),
        "val_score": score if math.isfinite(score) else 0.0,
        "val_metric": metric,
        "val_balanced_accuracy": float(res.metrics["validation"]["balanced_accuracy"]),
        "epochs_run": int(res.metrics["epochs_run"]),
        "window_frames": t,
        "trial_s": time.perf_counter() - t0,
        **fp,
    }
    (out / "trial.json").write_text(json.dumps(row, indent=1))
    return row


# -- the study ------------------------------------------------------------------------------------------
def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise SearchError("radargest search needs the [search] extra: pip install 'radargest[search]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _ray_available() -> bool:
    if os.environ.get("RADARGEST_NO_RAY"):  # simulate an install without Ray (tests, comparisons)
        return False
    try:
        import ray  # noqa: F401
        from ray import tune  # noqa: F401
    except ImportError:
        return False
    return True


def _study(out_dir: Path, scfg: SearchConfig) -> Any:
    optuna = _optuna()
    out_dir.mkdir(parents=True, exist_ok=True)
    sampler = optuna.samplers.NSGAIISampler(population_size=scfg.population, seed=scfg.seed)
    return optuna.create_study(
        study_name="radargest-search",
        storage=f"sqlite:///{(out_dir / 'study.db').resolve()}",
        directions=["maximize", "minimize", "minimize"],
        sampler=sampler,
        load_if_exists=True,
    )


#: SearchConfig fields a resumed study must share with the session that started it: how a trial is trained, scored
#: and judged against the budget (``trials``, ``workers``, ``backend``, ``tolerance`` and the rest may change).
RESUME_FIELDS = ("epochs", "seed", "population", "budget_flash_bytes", "budget_macs_per_frame")


def _check_resumed_settings(study: Any, base: TrainConfig, scfg: SearchConfig) -> None:
    """Record the settings a study's trials depend on, or refuse a resumed session whose settings differ: its
    trials would be trained or judged otherwise than the earlier ones, and one report would mix them."""
    settings = {
        **{name: getattr(scfg, name) for name in RESUME_FIELDS},
        "data": sorted(str(Path(p).resolve()) for p in base.data),
        "gestures": list(base.dataset.gestures),
        "split": json.loads(json.dumps(dataclasses.asdict(base.split), default=str)),
        "init": base.init,
        "rehearsal_data": sorted(str(Path(p).resolve()) for p in base.rehearsal_data),
    }
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", settings)
        return
    changed = [k for k in settings if stored.get(k) != settings[k]]
    if changed:
        raise SearchError(
            f"this search folder's study was started with other {', '.join(changed)} "
            f"({'; '.join(f'{k} {stored.get(k)!r}' for k in changed)}): resume it with the same options, or search "
            "into another --out folder"
        )


class _Driver:
    """Asks the study for in-budget candidates, tells it the results, and prints the progress."""

    def __init__(self, study: Any, problem: _Problem, log: Callable[[str], None]) -> None:
        self.study = study
        self.problem = problem
        self.log = log
        self.t0 = time.perf_counter()
        self.reference_asked = False

    def __getstate__(self) -> dict[str, Any]:
        """The driver without its study, for Ray Tune: a Tuner pickles its search algorithm (and so this driver)
        into ``tuner.pkl`` for ``Tuner.restore``, which a search never uses (it resumes from its Optuna study,
        and the file is deleted), and the study holds locks that cannot be pickled (Optuna 5.1)."""
        return {k: v for k, v in self.__dict__.items() if k != "study"}

    def completed(self) -> list[Any]:
        optuna = _optuna()
        return [t for t in self.study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]

    def remaining(self) -> int:
        done = [t for t in self.completed() if not t.user_attrs.get("reference")]
        return max(0, self.problem.scfg.trials - len(done))

    def reference_needed(self) -> bool:
        done = any(t.user_attrs.get("reference") for t in self.completed())
        return self.problem.scfg.reference and not done and not self.reference_asked

    def ask(self) -> tuple[Any, dict[str, Any], dict[str, Any]] | None:
        """An in-budget candidate and its footprint (over-budget ones are told PRUNED), or None after too many
        in a row."""
        optuna = _optuna()
        if self.reference_needed():
            trial = self.study.ask()
            # the initial run fine-tuned without pruning, or the default architecture from scratch
            params = {"family": "pruned", "width": 1.0} if self.problem.pruned else params_of(self.problem.base)
            self.reference_asked = True
            trial.set_user_attr("reference", True)
            trial.set_user_attr("reference_params", params)
            fp, _ = budget_check(_trial_config(self.problem, params), self.problem.scfg, convert=True)
            return trial, params, fp
        for _ in range(self.problem.scfg.max_pruned_per_trial):
            trial = self.study.ask()
            params = suggest(trial, pruned=self.problem.pruned)
            if self.seen(params, trial.number):  # the same candidate again (the scaled and pruned families have few)
                trial.set_user_attr("duplicate", True)
                self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                continue
            fp, why = budget_check(_trial_config(self.problem, params), self.problem.scfg)
            if not why:
                return trial, params, fp
            trial.set_user_attr("over_budget", why)
            for k in ("flash_bytes", "mcu_flash_bytes", "macs_per_frame", "param_count"):
                if k in fp:
                    trial.set_user_attr(k, fp[k])
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        self.log(f"{self.problem.scfg.max_pruned_per_trial} candidates in a row over budget or already seen: stopping")
        return None

    def seen(self, params: dict[str, Any], number: int) -> bool:
        """Whether another trained, running or over-budget trial already had these parameters."""
        optuna = _optuna()
        for t in self.study.get_trials(deepcopy=False):
            if t.number == number or t.user_attrs.get("duplicate") or t.state == optuna.trial.TrialState.FAIL:
                continue
            if t.params == params:
                return True
        return False

    def tell(self, trial: Any, row: dict[str, Any] | None, error: str = "") -> None:
        optuna = _optuna()
        if row is None:
            trial.set_user_attr("error", error[:500])
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            self.log(f"trial {trial.number} failed: {error.splitlines()[0] if error else '?'}")
            return
        for k, v in row.items():
            if k not in ("params", "number"):
                trial.set_user_attr(k, v)
        self.study.tell(trial, [row["val_score"], row["flash_bytes"], row["macs_per_frame"]])
        self.progress(row)

    def progress(self, row: dict[str, Any]) -> None:
        trials = self.study.get_trials(deepcopy=False)
        rows = [_row_of(t) for t in self.completed()]
        pruned = sum(1 for t in trials if t.user_attrs.get("over_budget"))
        within = [r for r in rows if _within(r, self.problem.scfg)]
        eligible = [r for r in rows if choosable(r, self.problem.scfg)]  # as the final choice (choose)
        best = max(eligible, key=lambda r: (r["val_score"], -r["flash_bytes"])) if eligible else None  # ties: smaller
        front = pareto_front(within)
        el = time.perf_counter() - self.t0
        self.log(
            f"trial {row['number']}: score {row['val_score']:.3f}, {row['flash_bytes']} B, "
            f"{row['macs_per_frame']} MACs/frame, {row['trial_s']:.0f} s | trained {len(rows)} "
            f"(over budget {pruned}), {el / 60:.1f} min | best "
            + (
                f"{best['val_score']:.3f} at {best['flash_bytes']} B (trial {best['number']})"
                if best
                else "—" + (f" ({nothing_chosen(rows, self.problem.scfg)})" if within else "")
            )
            + " | front: "
            + ", ".join(f"{r['val_score']:.3f}/{r['flash_bytes']}B/{r['macs_per_frame']}" for r in front)
        )


def _row_of(trial: Any) -> dict[str, Any]:
    row = {"number": trial.number, "params": dict(trial.params), **trial.user_attrs}
    if not row["params"] and row.get("reference"):
        row["params"] = row.get("reference_params", {})
    return row


def mcu_flash(row: dict[str, Any]) -> int:
    """A trial's flash on the MCU: its trained model's MCU form (``mcu_flash_bytes_trained``), else the budget
    check's (``mcu_flash_bytes``, random weights: an over-budget candidate is never trained), else, for trials
    from before the MCU form was measured, the converter's size (larger, so the budget stays safe)."""
    return int(row.get("mcu_flash_bytes_trained", row.get("mcu_flash_bytes", row["flash_bytes"])))


def _within(row: dict[str, Any], scfg: SearchConfig) -> bool:
    return mcu_flash(row) <= scfg.budget_flash_bytes and row["macs_per_frame"] <= scfg.budget_macs_per_frame


def choosable(row: dict[str, Any], scfg: SearchConfig) -> bool:
    """Whether a trained trial may be chosen: within both budgets (:func:`mcu_flash`, MACs per frame) and, unless
    ``scfg.any_ops``, its int8 graph runs in the ahead-of-time C build (``c_build``). The one rule of
    :func:`choose` and of the running best a search prints after each trial."""
    return _within(row, scfg) and bool(scfg.any_ops or row.get("c_build"))


def nothing_chosen(rows: Sequence[dict[str, Any]], scfg: SearchConfig) -> str:
    """Why :func:`choose` chooses none of the trained ``rows`` (empty when it chooses one): no trained candidate,
    none within budget, or none within budget that the ahead-of-time C build runs (``--any-ops`` allows them)."""
    within = [r for r in rows if _within(r, scfg)]
    if any(choosable(r, scfg) for r in within):
        return ""
    if within:
        return (
            f"no trained candidate within budget that the ahead-of-time C build can run ({len(within)} within "
            "budget, none C-buildable: --any-ops allows them)"
        )
    return "no trained candidate within budget" if rows else "no trained candidate"


def pareto_front(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows not dominated on (higher ``val_score``, lower ``flash_bytes``, lower ``macs_per_frame``), by flash."""

    def dominates(a: dict[str, Any], b: dict[str, Any]) -> bool:
        ka = (-a["val_score"], a["flash_bytes"], a["macs_per_frame"])
        kb = (-b["val_score"], b["flash_bytes"], b["macs_per_frame"])
        return all(x <= y for x, y in zip(ka, kb, strict=True)) and ka != kb

    front = [r for r in rows if not any(dominates(o, r) for o in rows)]
    return sorted(front, key=lambda r: (r["flash_bytes"], -r["val_score"]))


def choose(rows: Sequence[dict[str, Any]], scfg: SearchConfig) -> dict[str, Any] | None:
    """The chosen point (module docstring), or None when no trained candidate is within budget."""
    ok = [r for r in rows if choosable(r, scfg)]
    if not ok:
        return None
    best = max(r["val_score"] for r in ok)
    near = [r for r in pareto_front(ok) if r["val_score"] >= best - scfg.tolerance - 1e-12]
    return min(near, key=lambda r: (r["flash_bytes"], r["macs_per_frame"], -r["val_score"]))


# -- running ----------------------------------------------------------------------------------------------
#: Failed trials in a row after which a search stops (the data, not the candidate, is the problem).
MAX_FAILURES_IN_A_ROW = 3


def _run_optuna(driver: _Driver) -> None:
    failures = 0
    while driver.remaining() > 0 or driver.reference_needed():
        asked = driver.ask()
        if asked is None:
            return
        trial, params, fp = asked
        try:
            row = run_trial(driver.problem, params, trial.number, fp)
        except Exception as exc:  # a candidate the converter or trainer refuses is a failed trial
            error = f"{type(exc).__name__}: {exc}"
            driver.tell(trial, None, error)
            failures += 1
            if failures >= MAX_FAILURES_IN_A_ROW:
                raise SearchError(f"{failures} trials in a row failed, the last with {error}") from None
            continue
        failures = 0
        driver.tell(trial, row)


def _ray_trial(config: dict[str, Any], problem: _Problem) -> None:
    """A Ray Tune function trainable: one candidate, one report."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from ray import tune

    try:  # one core per trial (Ray sets OMP_NUM_THREADS; TensorFlow needs telling)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this worker
    row = run_trial(problem, config["params"], int(config["number"]), config.get("footprint"))
    tune.report({"val_score": row["val_score"], "row": json.dumps(row)})


def _run_ray(driver: _Driver, scfg: SearchConfig) -> None:
    import ray
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter, Searcher

    problem = driver.problem

    class StudySearcher(Searcher):
        """Ray Tune's search algorithm: the Optuna study (ask → suggest, result → tell)."""

        def __init__(self) -> None:
            super().__init__(metric="val_score", mode="max")
            self.live: dict[str, Any] = {}
            self.left = driver.remaining() + (1 if driver.reference_needed() else 0)
            self.failures = 0

        def suggest(self, trial_id: str) -> Any:
            if self.left <= 0:
                return Searcher.FINISHED
            asked = driver.ask()
            if asked is None:
                return Searcher.FINISHED
            self.left -= 1
            trial, params, fp = asked
            self.live[trial_id] = trial
            return {"params": params, "number": trial.number, "footprint": fp}

        def on_trial_complete(self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False) -> None:
            trial = self.live.pop(trial_id, None)
            if trial is None:
                return
            if error or not result or "row" not in result:
                driver.tell(trial, None, "the Ray trial raised (see SEARCH_DIR/ray)")
                self.failures += 1
                if self.failures >= MAX_FAILURES_IN_A_ROW:
                    self.left = 0  # no new trials: the data, not the candidate, is the problem
            else:
                self.failures = 0
                driver.tell(trial, json.loads(result["row"]))

    local = not scfg.ray_address
    if local:  # Ray starts its workers at nice 15 by default; a trial is the search's main work
        os.environ.setdefault("RAY_worker_niceness", "0")
    ray.init(
        address=scfg.ray_address or None,
        num_cpus=scfg.workers if local else None,
        include_dashboard=False,
        log_to_driver=False,
        ignore_reinit_error=True,
        logging_level=logging.ERROR,
        configure_logging=True,
    )
    try:
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(_ray_trial, problem=problem), {"cpu": 1}),
            tune_config=tune.TuneConfig(
                search_alg=ConcurrencyLimiter(StudySearcher(), max_concurrent=scfg.workers),
                num_samples=-1,
                reuse_actors=True,  # one TensorFlow import per worker, not per trial
            ),
            run_config=tune.RunConfig(
                name="radargest-search",
                storage_path=str((problem.out_dir / "ray").resolve()),
                verbose=0,
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
            ),
        )
        tuner.fit()
    finally:
        # Ray pickles the trainable with its parameters (every loaded recording: 624 MB for the real data with
        # the everyday streams) into tuner.pkl for Tuner.restore; a search resumes through its Optuna study
        (problem.out_dir / "ray" / "radargest-search" / "tuner.pkl").unlink(missing_ok=True)
        if local:
            ray.shutdown()


def run_search(
    base: TrainConfig,
    scfg: SearchConfig,
    out_dir: Path,
    *,
    log: Callable[[str], None] = print,
    progress: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """Run (or resume) the search of ``base``'s family on ``base.data`` and write the report to ``out_dir``.

    ``base`` gives the data, gestures, features, held-out split and the reference architecture; its
    held-out side is dropped before anything else. With ``base.init`` (a run directory; ``base``'s dataset,
    architecture and augmentation should be the run's, :func:`models.config.fine_tune_settings`) the space is
    the ``pruned`` family (module docstring). ``base.rehearsal_data`` is replayed in every trial's training, as
    ``radargest train --rehearsal-data`` does.

    Returns:
        The summary written to ``search.json`` (every trained trial, the front, the chosen point).

    Raises:
        SearchError: no training-side recording, or the [search] extra missing (Ray is optional).
        models.data.DataError: recordings whose frame rates lie apart, or off ``base.init``'s, as ``train`` refuses.
    """
    _optuna()
    backend = scfg.backend
    if backend == "auto":
        backend = "ray" if _ray_available() else "optuna"
    elif backend == "ray" and not _ray_available():
        raise SearchError("--backend ray needs Ray: pip install 'radargest[search]'")
    out_dir = Path(out_dir)
    if base.init:
        _check_init(base)
    from models.train import check_training_frame_rates

    recs = load_recordings([Path(p) for p in base.data], cfg=base.dataset, progress=progress)
    reh = [Path(p) for p in base.rehearsal_data]
    rehearsal = load_recordings(reh, cfg=base.dataset, progress=progress) if reh else []
    # as train refuses the same data (the held-out side too: `train --from-search` on it), before any trial
    check_training_frame_rates(recs, rehearsal, init=base.init)
    test, _ = held_out_indices(recs, base.split)
    recs = [r for i, r in enumerate(recs) if i not in set(test)]  # the held-out side never reaches a trial
    if not recs:
        raise SearchError("no training-side recording left after the held-out split")
    from models.select import FOLDS

    names = [r.name for r in recs]
    fold = FOLDS[ACCONEER_FOLD]
    val = tuple(names.index(n) for n in fold) if all(n in names for n in fold) else ()
    problem = _Problem(base=base, recs=recs, val=val, out_dir=out_dir, scfg=scfg, rehearsal=rehearsal)
    study = _study(out_dir, scfg)
    _check_resumed_settings(study, base, scfg)
    driver = _Driver(study, problem, log)
    how = f"fold {ACCONEER_FOLD} validation" if val else "split validation"
    space = f"{base.init} pruned to a width" if base.init else "the default family"
    log(
        f"search of {space}: {len(recs)} training-side recordings ({how})"
        + (f", {len(rehearsal)} rehearsed" if rehearsal else "")
        + ", "
        f"budget {scfg.budget_flash_bytes} B flash and {scfg.budget_macs_per_frame} MACs/frame, "
        f"{driver.remaining()} trial(s) to train"
        + (" after the reference model" if driver.reference_needed() else "")
        + f" with {backend}"
        + (
            f" ({scfg.workers} workers{', ' + scfg.ray_address if scfg.ray_address else ''})"
            if backend == "ray"
            else ""
        )
    )
    t0 = time.perf_counter()
    if backend == "ray":
        _run_ray(driver, scfg)
    else:
        _run_optuna(driver)
    wall = time.perf_counter() - t0
    return write_report(study, scfg, out_dir, backend=backend, wall_s=wall, log=log)


def _check_init(base: TrainConfig) -> None:
    """A clear error before any data is loaded: the initial run must exist and be prunable."""
    from models.config import read_run_config

    init = read_run_config(Path(base.init))
    if init.architecture.name != "cnn_tcn":
        raise SearchError(f"--init {base.init}: structured pruning supports cnn_tcn, not {init.architecture.name}")
    if not (Path(base.init) / "model.keras").is_file():
        raise SearchError(f"--init {base.init}: no model.keras (the run did not finish?)")


# -- the report -------------------------------------------------------------------------------------------
def write_report(
    study: Any, scfg: SearchConfig, out_dir: Path, *, backend: str, wall_s: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """Write ``search.json``, ``search.md``, ``pareto.png`` and (when there is one) ``chosen.json``."""
    from models.plots import plot_pareto

    optuna = _optuna()
    trials = study.get_trials(deepcopy=False)
    rows = [_row_of(t) for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    within = [r for r in rows if _within(r, scfg)]
    front = pareto_front(within)
    front_c = pareto_front([r for r in within if r.get("c_build")])
    chosen = choose(rows, scfg)
    reference = next((r for r in rows if r.get("reference")), None)
    total_s = float(study.user_attrs.get("wall_s", 0.0)) + wall_s  # over every session of a resumed study
    study.set_user_attr("wall_s", total_s)
    sessions = [*study.user_attrs.get("sessions", []), {"backend": backend, "wall_s": wall_s, "trained": len(rows)}]
    study.set_user_attr("sessions", sessions)
    summary = {
        "config": dataclasses.asdict(scfg),
        "backend": backend,
        "wall_s": wall_s,
        "total_wall_s": total_s,
        "sessions": sessions,
        "trained": len(rows),
        "over_budget": sum(1 for t in trials if t.user_attrs.get("over_budget")),
        "failed": sum(1 for t in trials if t.state == optuna.trial.TrialState.FAIL),
        "trials": rows,
        "front": [r["number"] for r in front],
        "front_c_build": [r["number"] for r in front_c],
        "chosen": chosen,
        "nothing_chosen": nothing_chosen(rows, scfg),  # why not, when chosen is None
        "reference": reference,
    }
    out_dir = Path(out_dir)
    (out_dir / "search.json").write_text(json.dumps(summary, indent=1))
    if chosen is not None:
        point = {"params": chosen["params"], "family": chosen["params"].get("family", "free"), "trial": chosen}
        if point["family"] == "pruned":  # what train --from-search needs: the run to start from, the width
            point |= {"init": chosen["init"], "width": chosen["params"]["width"]}
        (out_dir / "chosen.json").write_text(json.dumps(point, indent=1))
    plot_pareto(
        rows, front, front_c, chosen, out_dir / "pareto.png", budget=scfg, anchors=ANCHORS,
        title=_title(chosen, reference), mcu_flash=mcu_flash,
    )  # fmt: skip
    (out_dir / "search.md").write_text(format_report(summary, out_dir))
    log(f"wrote {out_dir / 'search.md'}, pareto.png, search.json" + (", chosen.json" if chosen else ""))
    return summary


def _kib(b: float) -> str:
    return f"{b / 1024:.1f}"


def _title(chosen: dict[str, Any] | None, reference: dict[str, Any] | None) -> str:
    """The plot's title: the family searched (with the initial run) and the chosen point."""
    any_row = chosen or reference
    if any_row and any_row.get("family") == "pruned":
        what = f"pruned family: {Path(any_row['init']).name} fine-tuned, pruned to a width"
    else:
        what = "default family"
    return what + (f"; chosen: {_describe(chosen['params'], chosen)}" if chosen else "; nothing chosen")


def _describe(p: dict[str, Any], row: dict[str, Any] | None = None) -> str:
    """One line for a candidate's parameters (a ``pruned`` one names its widths from ``row``'s architecture)."""
    if p.get("family") == "pruned":
        init = Path(row["init"]).name if row and row.get("init") else "init"
        if float(p["width"]) >= 1.0:
            return f"{init}, not pruned"
        a = (row or {}).get("architecture")
        return f"{init} pruned to {p['width']}" + (
            f" (enc {a['conv_channels'][0]}/{a['conv_channels'][1]}, emb {a['embedding']}, head {a['head_channels']})"
            if a
            else ""
        )
    if p.get("family") == "scaled":
        a = scale_widths(ArchitectureConfig(), float(p["width"]))
        return (
            f"default × {p['width']} (enc {a.conv_channels[0]}/{a.conv_channels[1]}, emb {a.embedding}, "
            f"head {a.head_channels})"
        )
    return (
        f"enc {p['conv1']}/{p['conv2']} k{p['conv_kernel']} {p['encoder_block']}, pool {p['input_pool']}, "
        f"emb {p['embedding']}, head {p['head_channels']}×k{p['head_kernel']} s{p['head_strides']} "
        f"{p['head_block']}"
        + (f" (nin {p['nin_channels']})" if "nin" in (p["encoder_block"], p["head_block"]) else "")
        + f", {p['window_s']} s"
    )


def _mcu_cell(row: dict[str, Any]) -> str:
    """The MCU form's size in the report: the trained model's, else the budget check's, else "—"."""
    return str(mcu_flash(row)) if "mcu_flash_bytes_trained" in row or "mcu_flash_bytes" in row else "—"


def _mcu_text(row: dict[str, Any]) -> str:
    cell = _mcu_cell(row)
    return f"{cell} B" if cell != "—" else "not measured"


def _front_table(front: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| trial | val score | int8 flash [B] | KiB | MCU [B] | MACs/frame | MACs/hop | params | C build | "
        "architecture |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---|",
    ]
    for r in front:
        lines.append(
            f"| {r['number']} | {r['val_score']:.3f} | {r['flash_bytes']} | {_kib(r['flash_bytes'])} "
            f"| {_mcu_cell(r)} "
            f"| {r['macs_per_frame']} | {r['macs_per_hop']} | {r.get('param_count', '—')} "
            f"| {'yes' if r.get('c_build') else 'no'} | {_describe(r['params'], r)} |"
        )
    return lines


def format_report(summary: dict[str, Any], out_dir: Path) -> str:
    """``search.md``: budget, the front, the chosen point, the reference and the anchors."""
    scfg = summary["config"]
    rows = {r["number"]: r for r in summary["trials"]}
    metric = next((r["val_metric"] for r in summary["trials"] if "val_metric" in r), "—")
    pruned = next((r for r in summary["trials"] if r.get("family") == "pruned"), None)
    if pruned:
        space = (
            f"Space: the `pruned` family (the recipe as the proxy). Every trial fine-tunes the initial run "
            f"`{pruned['init']}` for {scfg['epochs']} epochs, prunes it to a width multiplier (lowest-L1 channels "
            f"go) and fine-tunes it for {pruned.get('prune_finetune_epochs', '?')} epochs more, as `radargest "
            f"train --init RUN --prune-channels WIDTH` does; no early stopping."
        )
        epochs = f"{scfg['epochs']} + {pruned.get('prune_finetune_epochs', '?')} epochs each"
    else:
        space = "Space: the default family (the default architecture at a width multiplier, and free candidates)."
        epochs = f"{scfg['epochs']} epochs max each"
    lines = [
        f"# Architecture search: {out_dir}",
        "",
        space,
        "",
        f"Budget: int8 flash on the MCU (encoder + head flatbuffers in their MCU form, `model_data.c`) ≤ "
        f"{scfg['budget_flash_bytes']} B ({_kib(scfg['budget_flash_bytes'])} KiB), encoder ≤ "
        f"{scfg['budget_macs_per_frame']} MACs per frame. Sizes: *int8 flash* is the converter's form (the "
        "`.tflite` files LiteRT loads; the objective, comparable with the anchors), *MCU* the form the budget "
        "applies to and the plot's flash axis (`models.quantize.compact_for_micro`: all-zero per-channel zero "
        "points as one value, no converter metadata, no empty buffers, equal arrays stored once; TFLite Micro "
        "only): the trained model's where the trial recorded it, else the budget check's (random weights, within "
        "a few bytes); — where a trial predates that measurement (its budget then used the converter's form). "
        f"Validation score: {metric} (training side only; the held-out split is never loaded into a trial). "
        f"{summary['trained']} candidates trained ({epochs}), "
        f"{summary['over_budget']} over budget (pruned before training), {summary['failed']} failed; "
        f"wall time {summary.get('total_wall_s', summary['wall_s']) / 60:.1f} min; sessions: "
        + ", ".join(
            f"{s['backend']} {s['wall_s'] / 60:.1f} min ({s['trained']} trained by its end)"
            for s in summary.get("sessions", [])
        )
        + ".",
        "",
        "![Pareto front](pareto.png)",
    ]
    for title, key in (
        ("Pareto front (within budget)", "front"),
        ("Pareto front of the graphs the C build runs (within budget)", "front_c_build"),
    ):
        lines += ["", f"## {title}", ""]
        lines += _front_table([rows[n] for n in summary.get(key, [])])
    c = summary["chosen"]
    lines += ["", "## Chosen point", ""]
    if c:
        lines.append(
            f"Trial {c['number']}: {_describe(c['params'], c)}; score {c['val_score']:.3f}, {c['flash_bytes']} B "
            f"({_kib(c['flash_bytes'])} KiB: encoder {c['encoder_bytes']} + head {c['head_bytes']}; MCU form "
            f"{_mcu_text(c)}), "
            f"{c['macs_per_frame']} MACs/frame, {c['macs_per_hop']} MACs/hop. Rule: "
            + (
                "the best score within budget, ties to the smaller flash"
                if scfg["tolerance"] == 0
                else f"the smallest flash on the front within {scfg['tolerance']} of the best score within budget"
            )
            + ("" if scfg["any_ops"] else ", among graphs the ahead-of-time C build runs")
            + (
                f". Train it with the full recipe: `radargest train --init {c['init']} --from-search SEARCH_DIR ...` "
                f"(the initial run, or another of the same architecture, "
                + (
                    f"pruned to {c['params']['width']})."
                    if float(c["params"]["width"]) < 1
                    else "not pruned: the recipe's own fine-tune)."
                )
                if c["params"].get("family") == "pruned"
                else ". Train it with the full recipe: `radargest train --from-search SEARCH_DIR ...`."
            )
        )
    else:
        lines.append(f"None: {summary.get('nothing_chosen') or 'no trained candidate within budget'}.")
    ref = summary["reference"]
    if ref:
        lines += [
            "",
            "Reference ("
            + ("the initial run fine-tuned the same way, not pruned" if pruned else "the default architecture")
            + ", trained the same way whatever the budgets; "
            + ("within them" if _within(ref, SearchConfig(**scfg)) else "over them")
            + "): score "
            f"{ref['val_score']:.3f}, {ref['flash_bytes']} B ({_kib(ref['flash_bytes'])} KiB; MCU form "
            f"{_mcu_text(ref)}), "
            f"{ref['macs_per_frame']} MACs/frame.",
        ]
    lines += ["", "## Anchors (published sizes, on the flash axis of the plot)", "", "| model | size |", "|---|---:|"]
    lines += [f"| {name} | {what} ({_kib(b)} KiB) |" for name, (b, what) in ANCHORS.items()]
    lines += ["", "## Every trained candidate", ""]
    lines += ["| trial | val score | flash [B] | MCU [B] | MACs/frame | s | architecture |"]
    lines += ["|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(summary["trials"], key=lambda r: r["number"]):
        lines.append(
            f"| {r['number']}{' (ref)' if r.get('reference') else ''} | {r['val_score']:.3f} | {r['flash_bytes']} | "
            f"{_mcu_cell(r)} | {r['macs_per_frame']} | {r.get('trial_s', 0):.0f} | "
            f"{_describe(r['params'], r)} |"
        )
    return "\n".join(lines) + "\n"


def load_chosen(search_dir: Path) -> dict[str, Any]:
    """The chosen candidate's parameters (for :func:`apply_params`) from a search directory."""
    params: dict[str, Any] = _chosen_point(search_dir)["params"]
    return params


def _chosen_point(search_dir: Path) -> dict[str, Any]:
    """``chosen.json``: ``params``, and since the ``pruned`` family ``family`` (``init`` and ``width`` too).

    Raises:
        SearchError: no ``chosen.json`` (the search chose nothing, or the folder is not a search).
    """
    path = Path(search_dir) / "chosen.json"
    try:
        point: dict[str, Any] = json.loads(path.read_text())
        point["params"] = dict(point["params"])
    except FileNotFoundError:
        raise SearchError(f"{path}: no such file (no search here, or it chose no candidate)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SearchError(f"{path}: unreadable ({exc})") from None
    return point


def apply_chosen(
    search_dir: Path,
    arch: ArchitectureConfig,
    dataset: DatasetConfig,
    *,
    init: bool,
    prune_keep: float | None,
) -> tuple[ArchitectureConfig, DatasetConfig, float]:
    """``radargest train --from-search``: the architecture, dataset and prune share of the chosen point.

    ``arch`` and ``dataset`` are the command's (with ``--init``, the initial run's); ``prune_keep`` its
    ``--prune-channels`` (None when not given). A ``pruned`` point (the initial run pruned to a width) keeps
    ``arch``, which must be the search's initial architecture up to its outputs (the classes, and whether ``none``
    is split), and prunes to the chosen width; any other point replaces the architecture (and window) as
    :func:`apply_params` does.

    Raises:
        SearchError: no chosen point; a ``pruned`` point without ``init``, with another ``--prune-channels``, or
            with an initial run of another architecture.
    """
    point = _chosen_point(search_dir)
    params = point["params"]
    if params.get("family") != "pruned":
        arch, dataset = chosen_architecture(search_dir, arch, dataset)
        return arch, dataset, 1.0 if prune_keep is None else prune_keep
    width = float(params["width"])
    where = f"--from-search {search_dir}"
    if not init:
        what = point.get("init", "the initial run")
        raise SearchError(f"{where}: the chosen point is {what} pruned to {width}; give --init RUN")
    if prune_keep is not None and not math.isclose(prune_keep, width):
        raise SearchError(f"{where}: the chosen width is {width}, not --prune-channels {prune_keep}")
    want = point.get("trial", {}).get("init_architecture")
    have = json.loads(json.dumps(dataclasses.asdict(arch)))
    # a field added after the search was stored had its default then (as a stored config.toml reads)
    defaults = json.loads(json.dumps(dataclasses.asdict(ArchitectureConfig())))
    # the outputs (classes, and `none` as one target or three) are not pruned, so a width applies to either head
    # (RULE81, docs/results_search.md)
    heads = {"num_classes": 0, "none_subclasses": 1}
    if want is not None and {**defaults, **want, **heads} != {**have, **heads}:
        raise SearchError(f"{where}: --init has another architecture than the search's initial run {point.get('init')}")
    return arch, dataset, width


def chosen_architecture(
    search_dir: Path, arch: ArchitectureConfig, dataset: DatasetConfig
) -> tuple[ArchitectureConfig, DatasetConfig]:
    """``arch`` and ``dataset`` with the chosen point of ``search_dir`` applied (``radargest train --from-search``)."""
    params = load_chosen(search_dir)
    stub = TrainConfig(data=("-",), dataset=dataset, architecture=arch)
    cfg = apply_params(stub, params)
    return cfg.architecture, cfg.dataset
