"""How many scripted gestures the headless demo recognises on simulated subjects a bundle never saw.

    python scripts/demo_accuracy.py --model BUNDLE [--subjects 5] [--first-subject 4000] [--reps 5]

Each subject performs every gesture of the bundle ``--reps`` times in a shuffled script, through the same
``deploy.live`` loop as ``radargest demo --headless --source sim:SEED --script ... --fast`` (throttled unless
``--always-on``). Detections are matched to the performed gestures with :func:`deploy.sweep.match_events`.
Prints one line per subject and a JSON summary. Pick ``--first-subject`` away from the training seeds
(quickstart trains on 0–15 and holds out 1000–1001).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from deploy.live import open_live
from deploy.runtime import Detection, load_bundle
from deploy.sweep import match_events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="bundle folder from 'radargest export'")
    ap.add_argument("--subjects", type=int, default=5, help="simulated subjects (default 5)")
    ap.add_argument("--first-subject", type=int, default=4000, help="seed of the first subject (default 4000)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each gesture per subject (default 5)")
    ap.add_argument("--always-on", action="store_true", help="no throttle")
    args = ap.parse_args()

    bundle = load_bundle(args.model)
    gestures = list(bundle.classes[1:])
    totals = {"truth": 0, "found": 0, "correct": 0, "false": 0}
    rows = []
    for k in range(args.subjects):
        seed = args.first_subject + k
        script = list(np.random.default_rng(seed).permutation(gestures * args.reps))
        run = open_live(f"sim:{seed}", bundle, fast=True, script=script, always_on=args.always_on)
        events: list[Detection] = []
        stats = run.run(on_event=events.append, until_script_done_s=2.0)
        rate = run.detector.geometry.frame_rate_hz
        assert run.script is not None
        truth = [(round(s * rate), round(e * rate), g) for g, s, e in run.script.performed]
        m = match_events(events, truth)
        for key in totals:
            totals[key] += getattr(m, key)
        rows.append({"subject": seed, "correct": m.correct, "truth": m.truth, "false": m.false})
        print(
            f"sim:{seed}: {m.correct}/{m.truth} recognised, {m.found} found, {m.false} false, "
            f"{stats.dropped} dropped, ended {stats.ended}",
            flush=True,
        )
    summary = {
        "model": args.model,
        "throttled": not args.always_on,
        "recognised": totals["correct"] / totals["truth"] if totals["truth"] else None,
        **totals,
        "subjects": rows,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
