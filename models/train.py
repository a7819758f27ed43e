"""Training: balanced, augmented epochs, early stopping on validation, and the run directory (DESIGN §6).

:func:`train` checks everything it can before the first gradient step (preset, gesture names, a
window for every class on the training side, an ``--init`` run that matches), so bad input fails in
seconds with one line. Each epoch draws a fresh class-balanced sample of the training windows
(:func:`models.data.balanced_sample`) and augments it; validation windows are fixed and never augmented.
Early stopping watches the class-balanced validation loss and restores the best weights.

Repeatability: numpy, Python and Keras are seeded from ``cfg.seed`` and TensorFlow runs with
deterministic ops, so the same config and data give the same model on the same machine.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dsp.decision import DecisionConfig
from dsp.text import plural
from models.architectures import build, count_macs, encoder_of, head_of, split_model_of, split_targets
from models.compress import (
    distillation_loss,
    packed_accuracy,
    prune_channels,
    qat_available,
    qat_convert,
    zeroed_flash,
)
from models.config import (
    RUN_FILES,
    RejectionConfig,
    RunError,
    TrainConfig,
    clear_run_outputs,
    load_run,
    read_run_config,
    recorded_split,
    refuse_mixed_folder,
    write_config,
)
from models.data import (
    DataError,
    Recording,
    SplitConfig,
    SplitResult,
    WindowSet,
    balanced_sample,
    check_classes,
    check_frame_rates,
    check_run_paths,
    check_split_names,
    collect_files,
    cut_windows,
    fragment_windows,
    held_out_side,
    load_recordings,
    materialise,
    scored_indices,
    split_recordings,
)
from models.evaluate import Predictor, keras_predictor, window_metrics
from models.plots import plot_confusion, plot_curves
from models.quantize import int8_footprint

if TYPE_CHECKING:
    import keras

__all__ = [
    "PreparedData",
    "TrainResult",
    "calibrate_run",
    "check_training_frame_rates",
    "clear_earlier_run",
    "judges_budget",
    "prepare",
    "refuse_existing_run",
    "refuse_held_out_calibration",
    "resolve_config",
    "train",
    "train_recordings",
]

#: Most ``none`` windows one hard-negative mining round scores [count].
MINING_POOL = 4000
#: Most plain background windows the validation loss is computed on, per epoch [count].
VAL_BACKGROUND_MAX = 3000


@dataclass(frozen=True, kw_only=True, eq=False)
class PreparedData:
    """Recordings, their split and the windows of each role, ready for training.

    Attributes:
        recordings: every recording given (test ones included; they are never windowed here).
        split: the assignment of recordings (and tail ranges) to roles.
        train: training windows (before balancing).
        val: validation windows.
        rehearsal: ``(len(train),)`` True for the windows of rehearsed recordings (``cfg.rehearsal_data``,
            appended after the split's recordings); None without rehearsal.
    """

    recordings: list[Recording]
    split: SplitResult
    train: WindowSet
    val: WindowSet
    rehearsal: npt.NDArray[np.bool_] | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class TrainResult:
    """What :func:`train` produced: the model, its config, history and metrics (also in ``out_dir``)."""

    model: keras.Model
    config: TrainConfig
    history: dict[str, list[float]]
    metrics: dict[str, Any]
    out_dir: Path


def resolve_config(cfg: TrainConfig, recs: Sequence[Recording], train_idx: Sequence[int]) -> TrainConfig:
    """``cfg`` with the architecture's input shape and window length taken from the training data.

    ``T = round(window_s × median training frame rate)``, so the window is the same duration for any
    preset (with ``init``: the initial run's ``T``); ``doppler_bins`` and ``points`` come from the features.
    """
    rate = float(np.median([recs[i].frame_rate_hz for i in train_idx]))
    d, p = recs[train_idx[0]].features.shape[1:]
    # a fine-tune keeps the window of the run it starts from (rates a few tenths of a Hz apart would
    # otherwise round to another T and refuse the pretrained model)
    t = read_run_config(Path(cfg.init)).architecture.window_frames if cfg.init else None
    arch = dataclasses.replace(
        cfg.architecture,
        window_frames=t or cfg.dataset.window.frames(rate),
        doppler_bins=int(d),
        points=int(p),
        num_classes=len(cfg.dataset.classes),
    )
    return dataclasses.replace(cfg, architecture=arch)


def prepare(
    cfg: TrainConfig,
    recs: list[Recording],
    rehearsal: Sequence[Recording] = (),
) -> tuple[TrainConfig, PreparedData]:
    """Split the recordings, fix ``T`` and cut the windows; raise :class:`DataError` on any missing class.

    ``rehearsal`` recordings (loaded from ``cfg.rehearsal_data``) are not split: all their windows train."""
    # T is needed for the tail guard, and T comes from the training side: split first with a provisional T
    provisional = cfg.dataset.window.frames(float(np.median([r.frame_rate_hz for r in recs])))
    split = split_recordings(recs, cfg.split, gestures=cfg.dataset.gestures, window_frames=provisional, seed=cfg.seed)
    cfg = resolve_config(cfg, recs, split.train)
    t = cfg.architecture.window_frames
    split = split_recordings(recs, cfg.split, gestures=cfg.dataset.gestures, window_frames=t, seed=cfg.seed)
    train_w = cut_windows(recs, split.train, cfg=cfg.dataset, window_frames=t, split=split, role="train")
    val_w = cut_windows(recs, split.val, cfg=cfg.dataset, window_frames=t, split=split, role="val")
    if cfg.dataset.window.fragment_share > 0:  # the windows the decision layer classifies before a motion is over
        kw: dict[str, Any] = {"cfg": cfg.dataset, "window_frames": t, "prefixes": cfg.prefixes, "split": split}
        train_w = WindowSet.concat([train_w, fragment_windows(recs, split.train, role="train", **kw)])
        val_w = WindowSet.concat([val_w, fragment_windows(recs, split.val, role="val", **kw)])
    check_classes(train_w, cfg.dataset, what="training")
    if not rehearsal:
        return cfg, PreparedData(recordings=recs, split=split, train=train_w, val=val_w)
    everything = list(recs) + list(rehearsal)
    old_idx = range(len(recs), len(everything))
    old_w = cut_windows(everything, old_idx, cfg=cfg.dataset, window_frames=t)
    if cfg.dataset.window.fragment_share > 0:
        frag = fragment_windows(everything, old_idx, cfg=cfg.dataset, window_frames=t, prefixes=cfg.prefixes)
        old_w = WindowSet.concat([old_w, frag])
    mask = np.concatenate([np.zeros(len(train_w), dtype=bool), np.ones(len(old_w), dtype=bool)])
    train_w = WindowSet.concat([train_w, old_w])
    return cfg, PreparedData(recordings=everything, split=split, train=train_w, val=val_w, rehearsal=mask)


def _init_model(cfg: TrainConfig) -> keras.Model:
    """The model to start from: a new one, or the ``--init`` run's model adapted to ``cfg``'s classes."""
    model = build(cfg.architecture)
    if not cfg.init:
        return model
    old, old_cfg = load_run(Path(cfg.init))
    mismatch = [
        name
        for name, a, b in (
            ("preset", old_cfg.dataset.preset, cfg.dataset.preset),
            ("features", old_cfg.dataset.features, cfg.dataset.features),
            ("window_frames", old_cfg.architecture.window_frames, cfg.architecture.window_frames),
        )
        if a != b
    ]
    old_arch = dataclasses.replace(old_cfg.architecture, num_classes=cfg.architecture.num_classes)
    if old_arch != cfg.architecture:
        mismatch.append("architecture")
    if mismatch:
        raise DataError(f"--init {cfg.init}: the run differs from this training in {', '.join(mismatch)}")
    encoder_of(model).set_weights(encoder_of(old).get_weights())
    new_head, old_head = head_of(model), head_of(old)
    same_classes = old_cfg.dataset.classes == cfg.dataset.classes
    for layer in new_head.layers:
        if layer.name == "logits" and not same_classes:
            continue  # new gesture set: a fresh classifier on the pretrained features
        layer.set_weights(old_head.get_layer(layer.name).get_weights())
    return model


def _cap_background(windows: WindowSet, seed: int) -> WindowSet:
    """At most :data:`VAL_BACKGROUND_MAX` background windows (kinds 2, 3; a seeded subset; event-aligned ones
    all kept).

    Long negative streams (hours of everyday activity) would otherwise give tens of thousands of
    validation windows to predict every epoch; the validation loss is class-balanced, so a subset of the
    ``none`` windows estimates it as well."""
    plain = np.flatnonzero((windows.kind == 2) | (windows.kind == 3))
    if plain.size <= VAL_BACKGROUND_MAX:
        return windows
    drop = np.random.default_rng([seed, 0xBA5E]).choice(plain, size=plain.size - VAL_BACKGROUND_MAX, replace=False)
    keep = np.ones(len(windows), dtype=bool)
    keep[drop] = False
    return windows.subset(keep)


def _class_weights(y: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.float32]:
    counts = np.bincount(y, minlength=k).astype(np.float64)
    w = np.where(counts > 0, len(y) / (k * np.maximum(counts, 1)), 0.0)
    return np.asarray(w[y], dtype=np.float32)


def train_recordings(
    cfg: TrainConfig,
    recs: list[Recording],
    out_dir: Path,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    calibration_recs: list[Recording] | None = None,
    rehearsal_recs: list[Recording] | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Train on already loaded recordings and write the run directory (see :func:`train`).

    Args:
        overwrite: replace the run in ``out_dir``: once training is done, before the first write, the
            :data:`models.config.RUN_OUTPUTS` there are removed (an earlier model's quantisation report,
            DET plot, ... would describe a model that is gone); other files stay. Without it a folder that
            holds a run is refused before training.
        calibration_recs: training-side streams used only to choose the operating point (loaded from
            ``cfg.rejection.calibration_data`` by :func:`train`).
        rehearsal_recs: recordings replayed in training only (loaded from ``cfg.rehearsal_data``).

    Raises:
        models.config.RunError: ``out_dir`` holds a run and ``overwrite`` is False.
    """
    refuse_existing_run(Path(out_dir), overwrite=overwrite)
    t_start = time.perf_counter()
    if cfg.compression.qat_epochs and qat_available():
        raise DataError(qat_available())
    cfg, data = prepare(cfg, recs, rehearsal_recs or ())
    import keras
    import tensorflow as tf
    from tqdm import tqdm

    keras.utils.set_random_seed(cfg.seed)
    tf.config.experimental.enable_op_determinism()
    model = _init_model(cfg)
    k = len(cfg.dataset.classes)
    t = cfg.architecture.window_frames
    rng = np.random.default_rng([cfg.seed, 0x7EA1])
    per_epoch = len(balanced_sample(data.train, cfg.dataset, np.random.default_rng(0)))
    comp = cfg.compression
    teacher = _teacher(cfg) if comp.distill_from else None
    lwf = load_run(Path(cfg.init))[0] if cfg.rehearsal_distill else None  # learning without forgetting
    alpha = 1.0 - cfg.rehearsal_distill if lwf is not None else comp.distill_alpha
    xv, yv = materialise(data.recordings, _cap_background(data.val, cfg.seed), cfg=cfg.dataset, window_frames=t)
    wv = _class_weights(yv, k)
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [], "val_balanced_accuracy": []}
    rej = cfg.rejection

    def fit(model: keras.Model, epochs: int, learning_rate: float, what: str) -> int:
        """The epoch loop (balanced, augmented, mined samples; early stopping); the best epoch's weights are
        restored and its index returned."""
        steps = epochs * max(1, -(-per_epoch // cfg.batch_size))
        schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps, alpha=0.05)
        subclasses = cfg.architecture.none_subclasses
        if teacher is None and lwf is None:
            loss: Any = keras.losses.SparseCategoricalCrossentropy()
            metrics: list[Any] = ["accuracy"]
        else:  # a teacher's (or the init run's) merged probabilities, and the split targets for the split head
            loss = distillation_loss(k, alpha=alpha, temperature=comp.distill_temperature, none_subclasses=subclasses)
            metrics = [packed_accuracy(k + subclasses - 1)]
        # a split none head trains its split probabilities on labels, with or without soft targets
        trainee = split_model_of(model, cfg.architecture)
        trainee.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=metrics)
        best = (np.inf, -1)
        best_weights = model.get_weights()
        average: list[npt.NDArray[Any]] | None = None
        none_scores: npt.NDArray[np.float64] | None = None
        bar = tqdm(range(epochs), desc=what, unit="epoch", disable=not progress)
        for epoch in bar:
            if rej.mining_every_epochs and epoch % rej.mining_every_epochs == 0 and (epoch > 0 or cfg.init):
                none_scores = _mine(model, data, cfg, rng)
            sample = balanced_sample(
                data.train,
                cfg.dataset,
                rng,
                none_scores=none_scores,
                mined_share=rej.mining_share,
                rehearsal=data.rehearsal,
                rehearsal_share=cfg.rehearsal_share,
            )
            x, y = materialise(
                data.recordings, sample, cfg=cfg.dataset, window_frames=t, augment=cfg.augment, rng=rng, shift=True
            )
            target: Any = split_targets(y, sample.kind, cfg.architecture)
            if teacher is not None or lwf is not None:  # packed targets: [one-hot (split) labels | merged soft ones]
                if teacher is not None:
                    soft = keras_predictor(teacher)(x)
                else:  # the replayed windows learn the init run's outputs too; the new ones (no teacher) their labels
                    soft = np.zeros((len(y), k), dtype=np.float32)
                    old = sample.recording >= len(recs)
                    if old.any():
                        soft[old] = keras_predictor(lwf)(x[old])
                target = np.concatenate([np.eye(k + subclasses - 1, dtype=np.float32)[target], soft], axis=1)
            h = trainee.fit(x, target, batch_size=cfg.batch_size, epochs=1, shuffle=False, verbose=0)
            history["loss"].append(float(h.history["loss"][-1]))
            history["accuracy"].append(float(h.history["accuracy"][-1]))
            raw = model.get_weights() if cfg.weight_average_decay else None
            if raw is not None:  # validate (and keep) the average; training goes on from the raw weights
                average = raw if average is None else averaged_weights(average, raw, cfg.weight_average_decay)
                model.set_weights(average)
            if len(xv):
                pv = model.predict(xv, batch_size=256, verbose=0)
                nll = -np.log(np.clip(pv[np.arange(len(yv)), yv], 1e-7, 1.0))
                val_loss = float(np.sum(nll * wv) / np.sum(wv))
                bal = window_metrics(yv, pv.argmax(axis=1), cfg.dataset.classes)["balanced_accuracy"]
            else:
                val_loss, bal = history["loss"][-1], float("nan")
            history["val_loss"].append(val_loss)
            history["val_balanced_accuracy"].append(float(bal))
            if val_loss < best[0] - 1e-4:
                best = (val_loss, epoch)
                best_weights = model.get_weights()
            if len(xv):
                bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", val_loss=f"{val_loss:.3f}", val_bacc=f"{bal:.3f}")
            else:  # no validation windows (an enrolment): the training loss is all there is
                bar.set_postfix(loss=f"{history['loss'][-1]:.3f}")
            if epoch - best[1] >= cfg.patience_epochs:
                break
            if raw is not None:
                model.set_weights(raw)
        bar.close()
        if not cfg.restore_best:
            if average is not None:
                model.set_weights(average)
            return len(history["loss"]) - 1
        model.set_weights(best_weights)
        return int(best[1])

    best_epoch = fit(model, cfg.epochs, cfg.learning_rate, "train")
    compression: dict[str, Any] = {}
    if teacher is not None:
        compression["distillation"] = {
            "teacher": comp.distill_from,
            "teacher_params": int(teacher.count_params()),
            "alpha": comp.distill_alpha,
            "temperature": comp.distill_temperature,
        }
    if comp.prune:
        rep = _representative(cfg, data, 64)
        before = int8_footprint(model, rep)
        bal_before = _val_balanced(model, xv, yv, cfg)
        arch, model = prune_channels(model, cfg.architecture, keep=comp.prune_keep)
        cfg = dataclasses.replace(cfg, architecture=arch)
        bal_pruned = _val_balanced(model, xv, yv, cfg)
        if comp.prune_finetune_epochs:
            fit(model, comp.prune_finetune_epochs, cfg.learning_rate / 3.0, "fine-tune")
        after = int8_footprint(model, rep)
        compression["pruning"] = {
            "keep": comp.prune_keep,
            "architecture_after": dataclasses.asdict(arch),
            **{
                f"{key}_before": before[key] for key in ("flash_bytes", "macs_per_frame", "macs_per_hop", "param_count")
            },
            **{f"{key}_after": after[key] for key in ("flash_bytes", "macs_per_frame", "macs_per_hop", "param_count")},
            "val_balanced_accuracy_before": bal_before,
            "val_balanced_accuracy_pruned": bal_pruned,
            "val_balanced_accuracy_after": _val_balanced(model, xv, yv, cfg),
            "unstructured_50pct": zeroed_flash(model, arch, rep, sparsity=0.5),
        }
    predict = keras_predictor(model)
    calibration = _calibrate(predict, cfg, data, calibration_recs or [], progress=progress)
    cfg = _with_operating_point(cfg, calibration)
    train_s = time.perf_counter() - t_start
    out_dir = Path(out_dir)
    if overwrite:
        clear_earlier_run(out_dir, log=log)
    out_dir.mkdir(parents=True, exist_ok=True)
    val_pred = predict(xv).argmax(axis=1) if len(xv) else np.zeros(0, dtype=np.int64)
    val = window_metrics(yv, val_pred, cfg.dataset.classes)
    names = [r.path.name for r in data.recordings]
    epochs_run = len(history["loss"])
    metrics = {
        "validation": val,
        "best_epoch": best_epoch,
        "epochs_run": epochs_run,
        "train_time_s": train_s,
        "params": int(model.count_params()),
        "macs": count_macs(model),
        "compression": compression,
        "window_frames": t,
        "calibration": calibration,
        "classes": list(cfg.dataset.classes),
        "train_windows": {c: int(n) for c, n in zip(cfg.dataset.classes, data.train.counts(k).tolist(), strict=True)},
        "fragment_windows": {
            c: int(n)
            for c, n in zip(
                cfg.dataset.classes, data.train.subset(data.train.kind == 4).counts(k).tolist(), strict=True
            )
        },
        "val_windows": {c: int(n) for c, n in zip(cfg.dataset.classes, data.val.counts(k).tolist(), strict=True)},
        "split": {
            "spec": cfg.split.spec,
            "val_mode": data.split.val_mode,
            "test_groups": list(data.split.test_groups),
            "train": [names[i] for i in data.split.train],
            "val": [names[i] for i in data.split.val],
            "test": [names[i] for i in data.split.test],
        },
    }
    if comp.qat_epochs:
        sample = balanced_sample(data.train, cfg.dataset, rng)
        xq, yq = materialise(
            data.recordings, sample, cfg=cfg.dataset, window_frames=t, augment=cfg.augment, rng=rng, shift=True
        )
        enc_fb, head_fb = qat_convert(
            model, xq, yq, epochs=comp.qat_epochs, learning_rate=cfg.learning_rate / 10.0, seed=cfg.seed
        )
        (out_dir / "qat_encoder_int8.tflite").write_bytes(enc_fb)
        (out_dir / "qat_head_int8.tflite").write_bytes(head_fb)
        compression["qat"] = {
            "epochs": comp.qat_epochs,
            "encoder_bytes": len(enc_fb),
            "head_bytes": len(head_fb),
            "flash_bytes": len(enc_fb) + len(head_fb),
        }
    model.save(out_dir / "model.keras")
    write_config(cfg, out_dir / "config.toml")
    (out_dir / "history.json").write_text(json.dumps(history, indent=1, allow_nan=True))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=True))
    plot_confusion(val["confusion"], cfg.dataset.classes, out_dir / "confusion.png", title="validation windows")
    plot_curves(history, out_dir / "curves.png")
    if log:
        log(f"trained {plural(epochs_run, 'epoch')} in {train_s:.0f} s (kept epoch {best_epoch + 1}); wrote {out_dir}")
        log(_calibration_line(calibration, rej))
    return TrainResult(model=model, config=cfg, history=history, metrics=metrics, out_dir=out_dir)


def averaged_weights(
    average: Sequence[npt.NDArray[Any]], latest: Sequence[npt.NDArray[Any]], decay: float
) -> list[npt.NDArray[Any]]:
    """One step of an exponential moving average of a model's weight arrays: ``decay * average + (1 - decay) *
    latest``, array by array, in each array's own dtype (:attr:`TrainConfig.weight_average_decay`)."""
    return [(decay * a + (1.0 - decay) * w).astype(w.dtype, copy=False) for a, w in zip(average, latest, strict=True)]


def _teacher(cfg: TrainConfig) -> keras.Model:
    """The distillation teacher: a finished run with the same classes and window length."""
    teacher, tcfg = load_run(Path(cfg.compression.distill_from))
    if tcfg.dataset.classes != cfg.dataset.classes or tcfg.architecture.window_frames != cfg.architecture.window_frames:
        raise DataError(
            f"--distill-from {cfg.compression.distill_from}: the teacher's classes or window length "
            f"({tcfg.architecture.window_frames} frames) differ from this run's"
        )
    return teacher


def _check_teacher_run(distill_from: str) -> None:
    """Refuse a ``--distill-from`` that is no finished run before any data is loaded (its model, with its
    classes and window length, is loaded and checked only when training starts, :func:`_teacher`)."""
    try:
        read_run_config(Path(distill_from))
    except RunError as exc:
        raise RunError(f"--distill-from {exc}") from None
    if not (Path(distill_from) / "model.keras").is_file():
        raise RunError(f"--distill-from {distill_from}: no model.keras (the run did not finish?)")


def _representative(cfg: TrainConfig, data: PreparedData, count: int) -> npt.NDArray[np.float32]:
    """Unaugmented class-balanced training windows (conversion calibration)."""
    sample = balanced_sample(data.train, cfg.dataset, np.random.default_rng([cfg.seed, 0x0A11]))
    sample = sample.subset(np.arange(min(count, len(sample))))
    x, _ = materialise(data.recordings, sample, cfg=cfg.dataset, window_frames=cfg.architecture.window_frames)
    return x


def _val_balanced(
    model: keras.Model, xv: npt.NDArray[np.float32], yv: npt.NDArray[np.int64], cfg: TrainConfig
) -> float:
    if not len(xv):
        return float("nan")
    pred = keras_predictor(model)(xv).argmax(axis=1)
    return float(window_metrics(yv, pred, cfg.dataset.classes)["balanced_accuracy"])


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _mine(
    model: keras.Model, data: PreparedData, cfg: TrainConfig, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Hard-negative mining: the current model's gesture probability ``1 - p(none)`` of the ``none``
    training windows (unaugmented; at most ``MINING_POOL`` of them, drawn afresh each round; 0 elsewhere)."""
    scores = np.zeros(len(data.train), dtype=np.float64)
    pool = np.flatnonzero(data.train.label == 0)
    if pool.size > MINING_POOL:
        pool = np.sort(rng.choice(pool, size=MINING_POOL, replace=False))
    predict = keras_predictor(model)
    for lo in range(0, pool.size, 2048):
        part = pool[lo : lo + 2048]
        x, _ = materialise(
            data.recordings, data.train.subset(part), cfg=cfg.dataset, window_frames=cfg.architecture.window_frames
        )
        scores[part] = 1.0 - predict(x)[:, 0]
    return scores


def _calibrate(
    predict: Predictor,
    cfg: TrainConfig,
    data: PreparedData,
    extra: list[Recording],
    *,
    decision: DecisionConfig | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Choose the operating point on the validation side of the training recordings plus ``extra``
    (see :mod:`models.rejection`); the config's ``min_score`` when calibration is off or there are no streams.
    A fine-tune (``cfg.init``) without calibration-only streams whose own data holds too little background to
    judge the budget (a user's gesture recordings alone) keeps its initial run's ``min_score``: calibrating there
    would drop the shipped rejection; when the initial run's classes differ, its classes are recorded
    (``kept_classes``) and the run's line warns that the kept ``min_score`` was chosen for them. The recipe's
    fine-tunes give ``--calibration-data`` and calibrate as before.
    ``decision``: the decision layer whose ``min_score`` is swept (default :class:`dsp.DecisionConfig`'s
    defaults with ``cfg.close_look``, as evaluated and exported); the run's prefixes replace its own. The
    result's ``close_look`` is that layer's, part of the operating point (:func:`_with_operating_point`).
    ``progress``: a bar over the streams scored (the model on every candidate window: minutes for hours of
    streams)."""
    from tqdm import tqdm

    from models.evaluate import stream_scorer, stream_scores
    from models.rejection import calibrate, calibration_recordings

    rej = cfg.rejection
    decision = dataclasses.replace(decision or DecisionConfig(close_look=cfg.close_look), prefixes=cfg.prefixes)
    recs = calibration_recordings(data.recordings, data.split) + list(extra)
    uncalibrated = {
        "min_score": float(cfg.min_score),  # the config's own: 0 for a new run, the shipped one for an enrolment
        "close_look": decision.close_look,
        "budget_met": False,
        "chosen": {},
        "argmax": {},
        "background_h": 0.0,
        "streams": [],
    }
    if not rej.calibrate or not recs:
        return uncalibrated
    t = cfg.architecture.window_frames
    scored = tqdm(range(len(recs)), desc="calibrate", unit="stream", disable=not progress)
    streams = [stream_scores(predict, recs, i, cfg=cfg.dataset, window_frames=t, decision=decision) for i in scored]
    chosen = calibrate(
        streams,
        stream_scorer(cfg.dataset.classes),
        budget_fa_per_hour=rej.budget_fa_per_hour,
        max_recall_loss=rej.max_recall_loss,
        knee_recall_per_fa_per_hour=rej.knee_recall_per_fa_per_hour,
        source_guard=rej.source_guard,
        source_min_events=rej.source_min_events,
        source_max_recall_loss=rej.source_max_recall_loss,
    )
    if cfg.init and not extra and not judges_budget(chosen["background_h"], rej.budget_fa_per_hour):
        init = read_run_config(Path(cfg.init))
        kept = {
            **uncalibrated,
            "min_score": float(init.min_score),
            "background_h": chosen["background_h"],
            "streams": chosen["streams"],
            "kept_from": str(cfg.init),
        }
        if init.dataset.classes != cfg.dataset.classes:  # chosen on another head's scores: said, not silently kept
            kept["kept_classes"] = list(init.dataset.classes)
        return kept
    # the layer swept, so that a later change of its defaults is seen (models.config.operating_point_drift)
    return {**chosen, "close_look": decision.close_look, "decision": decision.to_json()}


def judges_budget(background_h: float, budget_fa_per_hour: float) -> bool:
    """Whether streams with ``background_h`` of background can tell a model within the budget from one over it:
    one false activation on them must not already exceed it (a budget of 0 asks only for none on them)."""
    return background_h > 0 and (budget_fa_per_hour <= 0 or 1 / background_h <= budget_fa_per_hour)


def _with_operating_point(cfg: TrainConfig, calibration: dict[str, Any]) -> TrainConfig:
    """``cfg`` with the operating point :func:`_calibrate` chose: its ``min_score`` and its close look."""
    return dataclasses.replace(
        cfg, min_score=float(calibration["min_score"]), close_look=bool(calibration["close_look"])
    )


def calibrate_run(
    run_dir: Path,
    *,
    rejection: RejectionConfig | None = None,
    decision: DecisionConfig | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Choose a finished run's operating point again, as :func:`train` does at its end, and write it
    (``config.toml``, ``metrics.json["calibration"]``): e.g. for another budget or more calibration streams.

    The run's data and split give the same validation streams; ``rejection`` (default: the run's) sets the
    budget and the calibration-only streams. ``decision`` (default :class:`dsp.DecisionConfig`'s defaults, the
    close look on, whatever the run had) is the decision layer calibrated; the run's config records its
    ``min_score`` and its ``close_look``.
    """
    from tqdm import tqdm

    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    recorded_cal = set(cfg.rejection.calibration_data)  # the run's own; a path given now is the user's
    if rejection is not None:
        cfg = dataclasses.replace(cfg, rejection=rejection)
    # the paths before the model, whose load imports TensorFlow (seconds)
    check_run_paths(cfg.data, run=run_dir)
    cal = cfg.rejection.calibration_data
    check_run_paths([p for p in cal if p in recorded_cal], run=run_dir, what="calibration data")
    if cal:
        collect_files([Path(p) for p in cal])
    model, _ = load_run(run_dir)

    def bar(files: Iterable[Path]) -> Iterable[Path]:
        return tqdm(list(files), desc="load", unit="file", disable=not progress)

    recs = load_recordings([Path(p) for p in cfg.data], cfg=cfg.dataset, progress=bar)
    cal_recs = load_recordings([Path(p) for p in cal], cfg=cfg.dataset, progress=bar) if cal else []
    refuse_held_out_calibration(cal_recs, recs, cfg.split, recorded_test=recorded_split(run_dir)["test"])
    # the run's own data too: it may have been replaced since (a soup calibrates on its members' data)
    cfg.check_rates([*recs, *cal_recs])
    cfg, data = prepare(cfg, recs)
    calibration = _calibrate(
        keras_predictor(model), cfg, data, cal_recs, decision=decision or DecisionConfig(), progress=progress
    )
    cfg = _with_operating_point(cfg, calibration)
    write_config(cfg, run_dir / "config.toml")
    metrics_path = run_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    metrics["calibration"] = calibration
    metrics_path.write_text(json.dumps(metrics, indent=1, allow_nan=True))
    if log:
        log(_calibration_line(calibration, cfg.rejection))
    return calibration


def _calibration_line(calibration: dict[str, Any], rej: RejectionConfig) -> str:
    c, a = calibration["chosen"], calibration["argmax"]
    if not c:
        kept = calibration.get("kept_from")
        return (
            f"operating point: min_score {calibration['min_score']:.4g} (not calibrated"
            + (f": kept from --init {kept}{_too_little_background(calibration['background_h'], rej)})" if kept else ")")
            + _other_classes(calibration)
        )
    held = calibration.get("held_by") or []
    return (
        f"operating point min_score {calibration['min_score']:.4g}"
        + (" (no rejection)" if calibration["min_score"] == 0 else "")
        + f" on {calibration['background_h']:.2f} h of "
        f"training-side background ({plural(len(calibration['streams']), 'stream')}): "
        f"{c['false_activations']} false activations ({_rate_bound(c)}arg-max {a['false_activations']}), recall "
        f"{_fmt(c['recall'])} (arg-max {_fmt(a['recall'])}); budget {rej.budget_fa_per_hour}/h "
        + (
            "met"
            if calibration["budget_met"]
            else "NOT met within the recall limit, "
            + (
                "the knee kept"
                if calibration.get("knee_recall_per_fa_per_hour")
                else "the fewest false activations kept"
            )
        )
        + (
            f"; rejecting more would cost more recall than allowed on "
            f"{', '.join('the pooled streams' if h == 'pooled' else h for h in held)} (max recall loss "
            f"{calibration['max_recall_loss']:g} pooled, {calibration.get('source_max_recall_loss', 0):g} per source)"
            + "".join(_too_few_events(calibration, h) for h in held if h != "pooled")
            if held
            else ""
        )
        + (
            "; the model recognises none of the validation gestures even at arg-max (too few epochs, or "
            "--data without gesture sessions?)"
            if a.get("recall") == 0
            else ""
        )
        + _too_little_background(calibration["background_h"], rej)
    )


def _rate_bound(point: dict[str, Any]) -> str:
    """``0.45/h, at most 0.94/h at 95 % confidence; `` for a calibration point, empty for one recorded before the
    bound was (:func:`models.rejection.fa_per_hour_upper`)."""
    rate, upper = point.get("fa_per_hour"), point.get("fa_per_hour_upper95")
    if rate is None or upper is None:
        return ""
    return f"{rate:.2f}/h, at most {upper:.2f}/h at 95 % confidence; "


def _other_classes(calibration: dict[str, Any]) -> str:
    """The warning for an operating point kept from an ``--init`` run of other classes (empty otherwise): its
    ``min_score`` was chosen on that model's scores, not on this one's."""
    classes = calibration.get("kept_classes")
    if not classes:
        return ""
    return (
        f"; warning: it was calibrated for the --init run's classes ({', '.join(classes)}), not these: choose it "
        "for them with 'radargest calibrate RUN --calibration-data STREAMS' (background streams, e.g. radargest "
        "simulate --everyday)"
    )


def _too_little_background(background_h: float, rej: RejectionConfig) -> str:
    """Why a budget said to be met means nothing: one false activation on so little background already exceeds
    it (gesture sessions alone, as a personalisation's data, or minutes of calibration streams, as the
    quickstart's), so no threshold was tested. The advice depends on whether calibration streams were given."""
    budget = rej.budget_fa_per_hour
    if judges_budget(background_h, budget):
        return ""
    one = f"one false activation on it is already {1 / background_h:.0f}/h" if background_h > 0 else "there is none"
    hours = math.ceil(1 / budget) if budget > 0 else 1
    advice = (
        f"longer --calibration-data streams would: at least {plural(hours, 'hour')} of background in all"
        if rej.calibration_data
        else "add everyday streams with --calibration-data (radargest simulate --everyday)"
    )
    return f"; but {background_h:.2f} h of background cannot judge {budget:g}/h ({one}): {advice}"


def _too_few_events(calibration: dict[str, Any], source: str) -> str:
    """Why a guarded source allows no rejection at all: its validation events are so few that one miss already
    costs more recall than ``source_max_recall_loss`` (empty when that is not the case)."""
    events = calibration.get("sources", {}).get(source, {}).get("argmax", {}).get("events")
    allowed = calibration.get("source_max_recall_loss", 0)
    if not events or 1 / events <= allowed:
        return ""
    return (
        f"; {source} has {events} validation events, so one miss costs {100 / events:.1f} points of recall, "
        f"more than the {100 * allowed:g} allowed (--source-max-recall-loss {math.ceil(1000 / events) / 1000:g} "
        "would allow one miss there, --source-guard pooled guards only the pool)"
    )


def clear_earlier_run(out_dir: Path, *, log: Callable[[str], None] | None = None) -> None:
    """Remove an earlier run's outputs from ``out_dir`` just before a new run is written there (``--overwrite``:
    :func:`models.config.clear_run_outputs`), and say which."""
    removed = clear_run_outputs(out_dir)
    if log and removed:
        log(f"--overwrite: removed the earlier run's {', '.join(p.name for p in removed)} from {out_dir}")


def refuse_existing_run(out_dir: Path, *, overwrite: bool) -> None:
    """Refuse a folder that holds a run (any of :data:`models.config.RUN_FILES`) unless ``overwrite``: the
    library, like ``radargest train``, never writes over an earlier model unasked; and a folder that holds an
    exported bundle always (:func:`models.config.refuse_mixed_folder`)."""
    refuse_mixed_folder(out_dir, writing="run")
    found = [name for name in RUN_FILES if (out_dir / name).exists()]
    if found and not overwrite:
        raise RunError(
            f"{out_dir}: holds a run already ({', '.join(found)}); pass overwrite=True to replace it "
            "(radargest train --overwrite)"
        )


def refuse_held_out_calibration(
    cal_recs: Sequence[Recording], recs: Sequence[Recording], split: SplitConfig, *, recorded_test: Iterable[str] = ()
) -> None:
    """Refuse calibration streams on the held-out side of ``split`` as drawn in the training data ``recs``
    (:func:`models.data.held_out_side`), or named in ``recorded_test`` (a run's ``metrics.json`` test files): the
    operating point would be chosen on the data that is to judge it.

    Raises:
        DataError: naming the streams.
    """
    test = set(recorded_test)
    bad = sorted(
        {cal_recs[j].path.name for j in held_out_side(cal_recs, recs, split)}
        | {r.path.name for r in cal_recs if r.path.name in test}
    )
    if bad:
        raise DataError(
            f"calibration data on the held-out side of split {split.spec!r}: {', '.join(bad)}; calibrate on "
            "training-side streams only"
        )


def check_training_frame_rates(
    recs: Sequence[Recording], *more: Sequence[Recording], init: str | Path | None = None
) -> None:
    """Refuse training data whose frame rates lie more than :data:`dsp.FRAME_RATE_TOLERANCE` apart (``recs`` and
    ``more``, e.g. the calibration and rehearsal recordings: one window length must fit every recording) or, for a
    fine-tune of ``init``, the recordings of ``recs`` that lie that far from the rate of ``init`` (the fine-tune
    keeps its window length). ``train`` and ``search`` both train on such data.

    Raises:
        DataError: naming the file farthest off and both rates.
        models.config.RunError: ``init`` is no run.
    """
    check_frame_rates([*recs, *(r for group in more for r in group)])
    if init:
        icfg = read_run_config(Path(init))
        icfg.check_rates(recs, whose="--init run's")


def train(
    cfg: TrainConfig,
    out_dir: Path,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Load ``cfg.data``, train, and write the run directory ``out_dir``.

    ``overwrite``: replace an earlier run there (its :data:`models.config.RUN_OUTPUTS`, e.g. the old
    model's ``quant_report.md``, are removed just before the new run is written; other files stay). Without
    it a folder that holds a run is refused before anything is loaded.

    Raises:
        models.data.DataError: a preset mismatch, an unknown gesture, a class without examples, or an
            ``--init`` run that does not match; all raised before training starts.
        models.config.RunError: a missing or corrupt ``--init`` run; ``out_dir`` holds a run and
            ``overwrite`` is False.
        acquisition.RecordingError: an unreadable recording.
    """
    from tqdm import tqdm

    refuse_existing_run(Path(out_dir), overwrite=overwrite)

    if cfg.compression.distill_from:  # before --init's model: its load imports TensorFlow (seconds)
        _check_teacher_run(cfg.compression.distill_from)
    if cfg.init:
        load_run(Path(cfg.init))  # fail on a bad --init before loading data

    def bar(files: Iterable[Path]) -> Iterable[Path]:
        return tqdm(list(files), desc="load", unit="file", disable=not progress)

    recs = load_recordings([Path(p) for p in cfg.data], cfg=cfg.dataset, progress=bar)
    check_split_names(recs, cfg.split)  # a misspelt held-out name must not train on what it meant to hold out
    try:
        scored_indices(recs, cfg.split)
    except DataError as exc:  # legitimate (held-out data elsewhere), but `evaluate` on this data will refuse
        if log:
            log(
                f"note: {exc} (e.g. subject, files:PATTERN) to hold some out, or none; training on all of them "
                "with no test side (metrics.json 'test': [])"
            )
    cal = cfg.rejection.calibration_data
    cal_recs = load_recordings([Path(p) for p in cal], cfg=cfg.dataset, progress=bar) if cal else []
    refuse_held_out_calibration(cal_recs, recs, cfg.split)
    reh = cfg.rehearsal_data
    reh_recs = load_recordings([Path(p) for p in reh], cfg=cfg.dataset, progress=bar) if reh else []
    check_training_frame_rates(recs, cal_recs, reh_recs, init=cfg.init)
    return train_recordings(
        cfg,
        recs,
        out_dir,
        progress=progress,
        log=log,
        calibration_recs=cal_recs,
        rehearsal_recs=reh_recs,
        overwrite=overwrite,
    )
