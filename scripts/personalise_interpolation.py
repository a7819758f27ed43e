"""How far to pull personalised weights back toward the shipped model (``EnrolConfig.fine_tune_weight``), on
TRAINING-side simulated subjects (docs/results_robustness.md). Refuses the held-out seeds 9000-9199.

For each edge subject (fast, slow, small hand, far; seeds ``--first-subject`` and up) it runs the protocol of
:func:`models.personalise.personalisation_curve` at 0 and ``--reps`` enrolment repetitions: one fine-tune (weight
1), then every weight of ``--weights`` scored on the interpolated weights of that same fine-tune, which is what
:func:`models.personalise.personalise` writes with that weight. Printed per weight (one JSON line): each edge's
accuracy at 0 and ``--reps`` repetitions, its median self, the share of its gap closed, and the others' accuracy
(seeds ``--others-first-subject`` and up) with its drop against the shipped model.

Usage:
    python scripts/personalise_interpolation.py RUN_DIR WORK_DIR --first-subject 8980 --others-first-subject 8970
        [--weights 1,0.75,0.5,0.35] [--reps 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from acquisition.sim import Subject
from models.config import load_run, run_decision
from models.evaluate import keras_predictor
from models.personalise import (
    EDGE_SUBJECTS,
    MEDIAN,
    EnrolConfig,
    enrolment_recordings,
    event_accuracy,
    interpolate_to_shipped,
    personalise,
    shipped_training_recordings,
)
from models.robustness import sim_recording

HELD_OUT = range(9000, 9200)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", type=Path)
    p.add_argument("work_dir", type=Path, help="the fine-tuned runs are written here (replaced on a rerun)")
    p.add_argument("--first-subject", type=int, required=True, help="seed of the first edge subject")
    p.add_argument("--others-first-subject", type=int, required=True, help="seed of the first other subject")
    p.add_argument("--others", type=int, default=4, help="other subjects (default 4)")
    p.add_argument("--weights", default="1,0.75,0.5,0.35", help="fine-tune weights to score (default 1,0.75,0.5,0.35)")
    p.add_argument("--reps", type=int, default=3, help="enrolment repetitions per gesture (default 3)")
    args = p.parse_args(argv)
    seeds = [*range(args.first_subject, args.first_subject + len(EDGE_SUBJECTS))]
    seeds += range(args.others_first_subject, args.others_first_subject + args.others)
    if any(s in HELD_OUT for s in seeds):
        p.error("seeds 9000-9199 are held out: measure them with 'radargest robustness --personalise' once")
    weights = [float(w) for w in args.weights.split(",")]

    model, base = load_run(args.run_dir)
    ds, t = base.dataset, base.architecture.window_frames
    shipped = model.get_weights()

    def score(predict: Any, recs: Any) -> dict[str, Any]:
        return event_accuracy(predict, recs, dataset=ds, window_frames=t, decision=run_decision(base))

    def session(subject: Subject, variation: Any = None) -> Any:
        kw = {} if variation is None else {"variation": variation}
        return [sim_recording(gestures=ds.gestures, subject=subject, reps_per_gesture=4, seed=2, dataset=ds, **kw)]

    others = [r for k in range(args.others) for r in session(Subject.from_seed(args.others_first_subject + k))]
    old = shipped_training_recordings(base)
    raw = EnrolConfig(fine_tune_weight=1.0)  # the fine-tune as trained; each weight is applied below
    base_predict = keras_predictor(model)
    others_base = score(base_predict, others)["event_accuracy"]
    rows: dict[float, dict[str, Any]] = {w: {"weight": w, "others_base": others_base, "edges": {}} for w in weights}
    for i, (name, variation) in enumerate(EDGE_SUBJECTS.items()):
        subject = Subject.from_seed(args.first_subject + i)
        test = session(subject, variation)
        median = score(base_predict, session(subject, MEDIAN))["event_accuracy"]
        zero = score(base_predict, test)["event_accuracy"]
        recs = enrolment_recordings(
            subject, dataset=ds, reps_per_gesture=args.reps, idle_s=raw.idle_s, seed=1, variation=variation
        )
        result = personalise(
            args.run_dir, recs, args.work_dir / f"{name}_{args.reps}x", cfg=raw, rehearsal=old, overwrite=True
        )
        tuned = result.model.get_weights()
        for w in weights:
            result.model.set_weights(interpolate_to_shipped(shipped, tuned, fine_tune_weight=w))
            predict = keras_predictor(result.model)
            acc = score(predict, test)["event_accuracy"]
            oth = score(predict, others)["event_accuracy"]
            gap = median - zero
            rows[w]["edges"][name] = {
                "median": median,
                "zero": zero,
                "enrolled": acc,
                "gap_closed": (acc - zero) / gap if gap > 0 else None,
                "others": oth,
                "others_drop_points": round(100 * (others_base - oth), 2),
            }
            print(json.dumps({"weight": w, "edge": name, **rows[w]["edges"][name]}), flush=True)
    for row in rows.values():
        e = row["edges"].values()
        row["D_points"] = max(x["others_drop_points"] for x in e)
        row["N_half_closed"] = sum(1 for x in e if x["gap_closed"] is not None and x["gap_closed"] >= 0.5)
        row["edges_with_gap"] = sum(1 for x in e if x["gap_closed"] is not None)
        enrol = {k: v for k, v in dataclasses.asdict(raw).items() if k != "fine_tune_weight"}
        print(json.dumps(enrol | {"summary": True} | row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
