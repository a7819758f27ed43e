"""One-minute personalisation: fine-tune a shipped model on a new user's short enrolment (issue 12).

An enrolment is a few prompted repetitions of each gesture plus about 20 s of the user's hands doing
nothing in particular (background). :func:`personalise` fine-tunes the shipped run on it (``train --init``:
the same dataset, architecture and augmentation, a third of its learning rate, a fixed small number of
epochs, no validation split: every enrolment frame trains) and keeps the shipped operating point
(``min_score``): a minute of data is far too little to calibrate a false-activation budget. It does fit
one timing of the decision layer to the user: how long a ``tap_in`` waits for a second tap
(:func:`fitted_prefix_wait_s`, from the user's own double-tap pauses and tempo; a slow user's pause outlasts
the shipped 0.28 s, and the first tap is then decided alone). So that the
model does not forget everyone else, each epoch also replays the shipped run's own training recordings
(``EnrolConfig.rehearsal_share`` of every class's windows; :func:`shipped_training_recordings`: the split's
train and validation recordings, never its test side, plus the run's own rehearsal data). The replayed
windows also learn the shipped model's own outputs (``EnrolConfig.rehearsal_distill``, learning without
forgetting): what an enrolment costs other people is mostly their gestures rejected (below the kept
``min_score``, or taken for ``none``), hardly ever taken for another gesture; this holds part of it back.
The personalised weights can then be pulled back toward the shipped ones (``EnrolConfig.fine_tune_weight``:
a point on the straight line between the two, as in Wortsman et al. 2022, "Robust fine-tuning of zero-shot
models"): a fine-tune from the shipped weights stays in their basin, so the line between them is a working model
that keeps more of what the shipped model did for everyone else.

:func:`personalisation_curve` measures what enrolment buys on simulated subjects at the edges of the
robustness map (fast, slow, small hand, far): event accuracy on fresh sessions of the same subject after
0, 1, 3, 5 and 10 enrolment repetitions per gesture, against the same subject at median tempo, size and
distance; and, as a check that fine-tuning does not forget, the accuracy of every personalised model on
the other held-out subjects.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from acquisition.presets import get_preset
from acquisition.sim import EverydayPlan, Subject, plan_everyday
from acquisition.sim.variation import AS_DRAWN, Variation, render_scene
from dsp.decision import DecisionConfig, prefix_table, renewed_motion_gaps
from dsp.segment import SegmentConfig, motion_runs, runs_of_span
from models.config import RejectionConfig, TrainConfig, load_run, read_run_config, run_decision, write_config
from models.data import DataError, DatasetConfig, Recording, SplitConfig, load_recordings, split_recordings
from models.evaluate import Predictor
from models.robustness import (
    COUNT_KEYS,
    _score,
    _summary,
    check_render_rate,
    sim_recording,
    stream_recording,
    training_side_subjects,
)

if TYPE_CHECKING:
    from models.train import TrainResult

__all__ = [
    "EDGE_SUBJECTS",
    "EnrolConfig",
    "enrolment_recordings",
    "enrolment_train_config",
    "event_accuracy",
    "fitted_prefix_wait_s",
    "interpolate_to_shipped",
    "motion_durations_s",
    "personalisation_curve",
    "personalisation_seeds",
    "personalise",
    "plot_personalisation",
    "shipped_training_recordings",
    "tempo_stretch",
    "write_personalisation",
]

#: Edge subjects of the map (name → variation), each a held-out seed of its own.
EDGE_SUBJECTS: dict[str, Variation] = {
    "fast": Variation(tempo=1.6),
    "slow": Variation(tempo=0.6),
    "small_hand": Variation(hand_scale=0.7),
    "far": Variation(distance_m=0.2),
}
#: The same subject at median tempo, hand size and distance: the reference an edge subject is lifted toward.
MEDIAN = Variation(tempo=1.0, hand_scale=1.0, distance_m=0.125)


@dataclass(frozen=True, kw_only=True)
class EnrolConfig:
    """A guided enrolment and its fine-tuning.

    Fields:
        reps_per_gesture: prompted repetitions of each gesture [count].
        idle_s: hands doing nothing in particular, recorded after the prompts [s].
        epochs: fine-tuning epochs (fixed: there is no validation split) [count].
        windows_per_class: windows drawn per gesture class and epoch (with replacement, augmented) [count].
        learning_rate_ratio: fine-tuning learning rate over the shipped run's [ratio].
        rehearsal_share: share of every class's windows per epoch replayed from the shipped run's training
            recordings, against forgetting [ratio]; 0 fine-tunes on the enrolment alone.
        rehearsal_distill: weight of the shipped model's own outputs in the loss of the replayed windows
            (:attr:`models.config.TrainConfig.rehearsal_distill`, learning without forgetting) [0..1).
        fine_tune_weight: share of the fine-tuned weights in the personalised model, the rest the shipped
            model's (:func:`interpolate_to_shipped`); 1 keeps the fine-tune as trained [0 < w <= 1]. Default 0.5,
            by a rule written before its figures (RULE50, docs/results_robustness.md, "Pulling the personalised
            weights back"): the largest of 0.75 / 0.5 / 0.35 that costs the other subjects no event on two
            training-side sets (edges 8980-8987, others 8970-8977) and closes as many edge gaps by half as 1 does.
        fit_prefix_wait: set the personalised run's ``min_prefix_wait_s`` from the enrolment's double-tap pauses
            and tempo (:func:`fitted_prefix_wait_s`); False keeps the shipped run's wait. Default True, by a rule
            written before its figures (RULE57, docs/results_robustness.md, "The enrolment fits the prefix wait").
        seed: seed of the fine-tuning.
    """

    reps_per_gesture: int = 3
    idle_s: float = 20.0
    epochs: int = 12
    windows_per_class: int = 64
    learning_rate_ratio: float = 1.0 / 3.0
    rehearsal_share: float = 0.5
    rehearsal_distill: float = 0.8
    fine_tune_weight: float = 0.5
    fit_prefix_wait: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.reps_per_gesture < 1 or self.epochs < 1 or self.windows_per_class < 1:
            raise DataError("reps_per_gesture, epochs and windows_per_class must be >= 1")
        if not (self.idle_s >= 0 and self.learning_rate_ratio > 0):
            raise DataError("idle_s must be >= 0 and learning_rate_ratio > 0")
        if not 0 <= self.rehearsal_share < 1:
            raise DataError(f"rehearsal_share must be in [0, 1), got {self.rehearsal_share}")
        if not 0 <= self.rehearsal_distill < 1:
            raise DataError(f"rehearsal_distill must be in [0, 1), got {self.rehearsal_distill}")
        if not 0 < self.fine_tune_weight <= 1:
            raise DataError(f"fine_tune_weight must be in (0, 1], got {self.fine_tune_weight}")


def enrolment_train_config(
    base: TrainConfig, data: Sequence[str], *, init: str, cfg: EnrolConfig, rehearsal: Sequence[str] = ()
) -> TrainConfig:
    """The fine-tuning config of an enrolment: the shipped run's dataset, architecture and augmentation;
    every recording trains (split ``none``, no validation recording); ``rehearsal`` (the shipped training
    recordings) replayed at ``cfg.rehearsal_share``; no hard-negative mining and no calibration: the shipped
    ``min_score`` is kept (a minute of enrolment cannot calibrate a false-activation budget)."""
    return TrainConfig(
        data=tuple(str(d) for d in data),
        dataset=dataclasses.replace(base.dataset, windows_per_class=cfg.windows_per_class),
        split=SplitConfig(kind="none", val_mode="recording"),
        architecture=base.architecture,
        augment=base.augment,
        seed=cfg.seed,
        epochs=cfg.epochs,
        patience_epochs=cfg.epochs,
        learning_rate=base.learning_rate * cfg.learning_rate_ratio,
        init=str(init),
        rejection=RejectionConfig(calibrate=False, mining_every_epochs=0),
        min_score=base.min_score,
        rehearsal_data=tuple(str(p) for p in rehearsal),
        rehearsal_share=cfg.rehearsal_share,
        rehearsal_distill=cfg.rehearsal_distill if rehearsal else 0.0,
    )


def shipped_training_recordings(base: TrainConfig) -> list[Recording]:
    """The recordings ``base`` trained on: its data's train and validation side under its own split (the
    test side stays out), then its own rehearsal data.

    Raises:
        DataError: the run's data is no longer where it was trained (missing path), or is not loadable.
    """
    recs = load_recordings([Path(p) for p in base.data], cfg=base.dataset)
    split = split_recordings(
        recs, base.split, gestures=base.dataset.gestures, window_frames=base.architecture.window_frames, seed=base.seed
    )
    kept = [recs[i] for i in sorted(split.train + split.val)]
    if base.rehearsal_data:
        kept += load_recordings([Path(p) for p in base.rehearsal_data], cfg=base.dataset)
    return kept


def motion_durations_s(
    recs: Sequence[Recording], *, segment: SegmentConfig, slack_frames: int = 3
) -> dict[str, list[float]]:
    """Per gesture: how long each labelled repetition moved [s], from the start of the first to the end of the
    last motion run of its label (:func:`dsp.segment.runs_of_span` of the :func:`dsp.motion_runs` of ``segment``);
    a loose prompt window and an exact label measure alike. Repetitions without motion are left out."""
    out: dict[str, list[float]] = {}
    for rec in recs:
        runs = motion_runs(rec.ratio_db, cfg=segment)
        for la in rec.labels:
            inside = runs_of_span(runs, la.start_frame, la.end_frame, slack_frames=slack_frames)
            if inside.size:
                out.setdefault(la.gesture, []).append(float(inside[-1, 1] - inside[0, 0]) / rec.frame_rate_hz)
    return out


def tempo_stretch(user: Sequence[Recording], reference: Sequence[Recording], *, segment: SegmentConfig) -> float | None:
    """How much slower than ``reference`` (the shipped run's training recordings) the user moves [ratio]: the
    median, over the user's repetitions, of each one's motion duration over the reference's median duration of
    that gesture (:func:`motion_durations_s`). None when no repetition has a reference."""
    ref = {g: float(np.median(d)) for g, d in motion_durations_s(reference, segment=segment).items()}
    ratios = [d / ref[g] for g, ds in motion_durations_s(user, segment=segment).items() if g in ref for d in ds]
    return float(np.median(ratios)) if ratios else None


def fitted_prefix_wait_s(
    recs: Sequence[Recording],
    *,
    dataset: DatasetConfig,
    decision: DecisionConfig,
    reference: Sequence[Recording] = (),
) -> float:
    """The prefix wait an enrolled user needs [s]: the longer of two estimates (0 when neither has evidence;
    the shipped wait then stands).

    - The user's own pauses, by the rule that chose the shipped :attr:`dsp.DecisionConfig.prefix_wait_s`: the
      longest gap from the end of a motion run to renewed motion that lasts (:func:`dsp.renewed_motion_gaps`,
      sustained, with ``decision.prefix_hold_db`` and the run's segmenter) over the labelled events of every
      longer gesture of a prefix pair (``double_tap_in``), plus one frame. A few repetitions sample the
      pauses thinly, so this alone underestimates the longest.
    - The user's tempo: ``decision.prefix_wait_s`` times :func:`tempo_stretch` against ``reference`` (the
      shipped run's training recordings; none given: not used). The shipped wait covers its training
      subjects' pauses, and a slower user's pauses are longer by about the ratio of the motions' durations.
    """
    longer = {b for bs in prefix_table(dataset.classes, decision.prefixes).values() for b in bs}
    wait = 0.0
    for rec in recs:
        spans = [(la.start_frame, la.end_frame) for la in rec.labels if la.gesture in longer]
        if not spans:
            continue
        gaps = renewed_motion_gaps(
            rec.ratio_db, spans, cfg=dataset.segment, hold_db=decision.prefix_hold_db, sustained=True
        )
        frames = max((g for gs in gaps for g in gs), default=None)
        if frames is not None:
            wait = max(wait, (frames + 1) / rec.frame_rate_hz)
    stretch = tempo_stretch(recs, reference, segment=dataset.segment) if reference else None
    return max(wait, decision.prefix_wait_s * stretch) if stretch else wait


def interpolate_to_shipped(
    shipped: Sequence[npt.NDArray[Any]], tuned: Sequence[npt.NDArray[Any]], *, fine_tune_weight: float
) -> list[npt.NDArray[Any]]:
    """``(1 - w) * shipped + w * tuned``, tensor by tensor (each a model's ``get_weights()``), ``w`` =
    ``fine_tune_weight`` (see :class:`EnrolConfig`); 1 returns ``tuned``'s values."""
    from models.train import averaged_weights

    return averaged_weights(shipped, tuned, 1.0 - fine_tune_weight)


def personalise(
    base_run: Path,
    recs: list[Recording],
    out_dir: Path,
    *,
    cfg: EnrolConfig = EnrolConfig(),
    rehearsal: Sequence[Recording] | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Fine-tune ``base_run`` on enrolment recordings and write the personalised run to ``out_dir``.

    ``overwrite``: replace an earlier run in ``out_dir`` (see :func:`models.train.train_recordings`).

    ``rehearsal``: the shipped run's training recordings, replayed when ``cfg.rehearsal_share`` > 0 (None:
    loaded with :func:`shipped_training_recordings`; pass them to fine-tune several users on one load).

    Raises:
        models.config.RunError: a missing or corrupt base run.
        DataError: an enrolment without an example of every gesture of the base run; rehearsal asked for
            but the shipped run's training data is not there (``rehearsal_share`` 0 enrols without it); an
            enrolment recording off the base run's frame rate, or off the rehearsal recordings'
            (:func:`models.train.check_training_frame_rates`), before any training.
    """
    from models.train import check_training_frame_rates, train_recordings

    base = read_run_config(base_run)
    old: Sequence[Recording] = ()
    if cfg.rehearsal_share > 0:
        try:
            old = shipped_training_recordings(base) if rehearsal is None else rehearsal
        except DataError as e:
            raise DataError(f"{e} (rehearsal needs the shipped run's training data; rehearsal share 0 skips it)") from e
    check_training_frame_rates(recs, old, init=base_run)  # the fine-tune keeps the run's window length
    tcfg = enrolment_train_config(
        base,
        [str(r.path) for r in recs],
        init=str(Path(base_run).resolve()),
        cfg=cfg,
        rehearsal=[str(r.path) for r in old],
    )
    result = train_recordings(
        tcfg, recs, Path(out_dir), progress=progress, log=log, rehearsal_recs=list(old), overwrite=overwrite
    )
    metrics = {**result.metrics, "fine_tune_weight": cfg.fine_tune_weight}
    if cfg.fine_tune_weight < 1:
        shipped, _ = load_run(Path(base_run))
        w = cfg.fine_tune_weight
        result.model.set_weights(
            interpolate_to_shipped(shipped.get_weights(), result.model.get_weights(), fine_tune_weight=w)
        )
        result.model.save(Path(out_dir) / "model.keras")
        if log:
            log(f"personalised weights: {w:g} of the fine-tune, {1 - w:g} of the shipped model")
    (Path(out_dir) / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=True))
    # the shipped operating point and prefix pairs; the prefix wait fitted to this user
    fit = cfg.fit_prefix_wait
    wait = base.min_prefix_wait_s
    if fit:
        wait = fitted_prefix_wait_s(recs, dataset=base.dataset, decision=run_decision(base), reference=old)
    final = dataclasses.replace(
        result.config,
        min_score=base.min_score,
        close_look=base.close_look,
        prefixes=base.prefixes,
        min_prefix_wait_s=wait,
    )
    if log and fit:
        log(f"prefix wait fitted to the enrolment: {wait:.3f} s (applies where longer than the shipped wait)")
    write_config(final, Path(out_dir) / "config.toml")
    return dataclasses.replace(result, config=final, metrics=metrics)


def enrolment_recordings(
    subject: Subject,
    *,
    dataset: DatasetConfig,
    reps_per_gesture: int,
    idle_s: float,
    seed: int,
    variation: Variation = AS_DRAWN,
) -> list[Recording]:
    """A simulated enrolment of ``subject`` (under ``variation``): the prompted gestures, and ``idle_s`` of
    everyday non-gestures with no gesture (the negatives of :mod:`acquisition.sim.negatives`)."""
    recs = [
        sim_recording(
            gestures=dataset.gestures,
            subject=subject,
            reps_per_gesture=reps_per_gesture,
            seed=seed,
            dataset=dataset,
            variation=variation,
            name=f"enrol_{subject.subject_id}_{reps_per_gesture}x.h5",
        )
    ]
    if idle_s > 0:
        scene = plan_everyday(
            EverydayPlan(duration_s=idle_s, gestures=dataset.gestures, gesture_rate_per_min=0.0, gap_s=(0.5, 3.0)),
            subject=variation.subject(subject),
            seed=seed,
        )
        stream = render_scene(scene, sensor_config=get_preset(dataset.preset).sensor_config)
        recs.append(stream_recording(stream, dataset=dataset, name=f"enrol_{subject.subject_id}_idle.h5"))
    return recs


def event_accuracy(
    predict: Predictor,
    recs: Sequence[Recording],
    *,
    dataset: DatasetConfig,
    window_frames: int,
    decision: DecisionConfig,
) -> dict[str, Any]:
    """Pooled event accuracy, recall and outcomes of ``recs`` (as :func:`models.robustness.robustness_map` scores),
    decided with ``decision``: for a run, its operating point and prefix pairs (:func:`models.config.run_decision`)."""
    tot = dict.fromkeys(COUNT_KEYS, 0)
    for rec in recs:
        for c in _score(predict, rec, dataset=dataset, window_frames=window_frames, decision=decision).values():
            for k in tot:
                tot[k] += c[k]
    return _summary(tot)


#: Other (not personalised) subjects the curve scores by default.
OTHER_SUBJECTS = 4


def personalisation_seeds(
    *,
    others_first_subject: int,
    other_subjects: int = OTHER_SUBJECTS,
    edges: Iterable[str] = EDGE_SUBJECTS,
    first_subject: int | None = None,
) -> list[int]:
    """The subject seeds :func:`personalisation_curve` renders with these arguments: the others
    (``others_first_subject`` and up), then one per edge (``first_subject`` and up, default 100 seeds after the
    others')."""
    first = others_first_subject + 100 if first_subject is None else first_subject
    return [
        *range(others_first_subject, others_first_subject + other_subjects),
        *(first + i for i, _ in enumerate(edges)),
    ]


def personalisation_curve(
    base_run: Path,
    work_dir: Path,
    *,
    reps: Sequence[int] = (0, 1, 3, 5, 10),
    edges: dict[str, Variation] | None = None,
    first_subject: int | None = None,
    others_first_subject: int = 9000,
    other_subjects: int = OTHER_SUBJECTS,
    test_reps: int = 4,
    cfg: EnrolConfig = EnrolConfig(),
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> dict[str, Any]:
    """Event accuracy of edge subjects against enrolment repetitions (see the module docstring).

    Edge subject ``i`` is seed ``first_subject + i`` under its variation (default: 100 seeds after
    ``others_first_subject``, 9100); it enrols with session seed 1 and is tested on session seed 2 (other timings
    and performances). The "others" are seeds ``others_first_subject`` and up (default: the robustness map's
    subjects) as drawn. Personalised runs are
    written under ``work_dir``; the shipped training recordings are loaded once for every rehearsal.

    Returns:
        ``{"reps": [...], "edges": {name: {"median": acc, "points": [{"reps", "event_accuracy", "recall",
        "others_event_accuracy"}], "gap_closed_at_3": share, "worst_others_drop": points, "others_drop_at_3":
        points}}, "others_base": acc, "config": {...}, "training_side_subjects": [seeds the base run trained or
        validated on, :func:`models.robustness.training_side_subjects`]}``.

    Raises:
        DataError: a run sized for another frame rate than the simulator renders its preset at
            (:func:`models.robustness.check_render_rate`).
    """
    from models.evaluate import keras_predictor

    edges = EDGE_SUBJECTS if edges is None else edges
    first_subject = others_first_subject + 100 if first_subject is None else first_subject
    model, base = load_run(Path(base_run))
    ds, t, ms = base.dataset, base.architecture.window_frames, base.min_score
    check_render_rate(ds, t)  # every subject here is simulated at the preset's rate

    def score(predict: Predictor, recs: Sequence[Recording], run: TrainConfig = base) -> dict[str, Any]:
        return event_accuracy(predict, recs, dataset=ds, window_frames=t, decision=run_decision(run))

    others = [
        sim_recording(
            gestures=ds.gestures,
            subject=Subject.from_seed(others_first_subject + k),
            reps_per_gesture=test_reps,
            seed=2,
            dataset=ds,
        )
        for k in range(other_subjects)
    ]
    old = shipped_training_recordings(base) if cfg.rehearsal_share > 0 else ()
    base_predict = keras_predictor(model)
    others_base = score(base_predict, others)
    out: dict[str, Any] = {"reps": list(reps), "edges": {}, "others_base": others_base}
    tasks = [(name, n) for name in edges for n in reps]
    cache: dict[str, tuple[Subject, list[Recording], dict[str, Any]]] = {}
    for name, n in progress(tasks) if progress else tasks:
        v = edges[name]
        if name not in cache:
            subject = Subject.from_seed(first_subject + list(edges).index(name))
            test = [
                sim_recording(
                    gestures=ds.gestures, subject=subject, reps_per_gesture=test_reps, seed=2, dataset=ds, variation=v
                )
            ]
            median = [
                sim_recording(
                    gestures=ds.gestures,
                    subject=subject,
                    reps_per_gesture=test_reps,
                    seed=2,
                    dataset=ds,
                    variation=MEDIAN,
                )
            ]
            cache[name] = (subject, test, score(base_predict, median))
            out["edges"][name] = {
                "variation": {k: x for k, x in dataclasses.asdict(v).items() if x not in (None, 0.0)},
                "subject": subject.subject_id,
                "median": cache[name][2],
                "points": [],
            }
        subject, test, _median = cache[name]
        if n == 0:
            point = {"reps": 0, **score(base_predict, test), "others": others_base}
        else:
            recs = enrolment_recordings(subject, dataset=ds, reps_per_gesture=n, idle_s=cfg.idle_s, seed=1, variation=v)
            # the curve's own scratch runs: a run of the curve again replaces them
            result = personalise(
                Path(base_run), recs, Path(work_dir) / f"{name}_{n}x", cfg=cfg, rehearsal=old, overwrite=True
            )
            predict = keras_predictor(result.model)
            point = {
                "reps": n,
                **score(predict, test, result.config),
                "others": score(predict, others, result.config),
                "prefix_wait_s": run_decision(result.config).prefix_wait_s,
            }
        out["edges"][name]["points"].append(point)
    for e in out["edges"].values():
        acc = {p["reps"]: p["event_accuracy"] for p in e["points"]}
        med, zero = e["median"]["event_accuracy"], acc.get(0)
        gap = None if med is None or zero is None else med - zero
        e["gap_to_median"] = gap
        e["gain_at_3"] = None if 3 not in acc or zero is None or acc[3] is None else acc[3] - zero
        e["gap_closed_at_3"] = None if not gap or gap <= 0 or e["gain_at_3"] is None else e["gain_at_3"] / gap
        base_others = others_base["event_accuracy"]
        drops = {
            p["reps"]: base_others - p["others"]["event_accuracy"]
            for p in e["points"]
            if base_others is not None and p["others"]["event_accuracy"] is not None
        }
        e["worst_others_drop"] = max(drops.values(), default=None)
        e["others_drop_at_3"] = drops.get(3)  # the one-minute enrolment's, where both bars are read
    out["config"] = {
        **dataclasses.asdict(cfg),
        "first_subject": first_subject,
        "others_first_subject": others_first_subject,
        "other_subjects": other_subjects,
        "test_reps": test_reps,
        "min_score": ms,
        "base_run": str(Path(base_run).resolve()),
    }
    seeds = personalisation_seeds(
        others_first_subject=others_first_subject,
        other_subjects=other_subjects,
        edges=edges,
        first_subject=first_subject,
    )
    out["training_side_subjects"] = training_side_subjects(Path(base_run), seeds)  # figures on them are not held out
    return out


def plot_personalisation(result: dict[str, Any], path: Path) -> None:
    """Event accuracy of each edge subject against enrolment repetitions (its median-subject level dotted),
    and the accuracy on the other held-out subjects (grey), as PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for i, (name, e) in enumerate(result["edges"].items()):
        x = [p["reps"] for p in e["points"]]
        y = [np.nan if p["event_accuracy"] is None else p["event_accuracy"] for p in e["points"]]
        ax.plot(x, y, "o-", color=f"C{i}", label=name)
        if e["median"]["event_accuracy"] is not None:
            ax.axhline(e["median"]["event_accuracy"], color=f"C{i}", ls=":", lw=0.8)
        ax.plot(
            x,
            [np.nan if p["others"]["event_accuracy"] is None else p["others"]["event_accuracy"] for p in e["points"]],
            "x--",
            color=f"C{i}",
            alpha=0.4,
            lw=0.8,
        )
    ax.set_xlabel("enrolment repetitions per gesture")
    ax.set_ylabel("event accuracy")
    ax.set_xticks(result["reps"])
    ax.set_title("personalisation: edge subjects (solid), their median self (dotted), other subjects (x)", fontsize=8)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=100)


def write_personalisation(result: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``personalisation.json`` and ``personalisation.png`` to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    j, p = out_dir / "personalisation.json", out_dir / "personalisation.png"
    j.write_text(json.dumps(result, indent=1, allow_nan=False))
    plot_personalisation(result, p)
    return j, p
