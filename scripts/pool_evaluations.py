"""Recall at false-activation budgets pooled over several ``radargest evaluate --continuous --json`` outputs of one
run, each of a different set of streams (issue 10).

Usage:
    python scripts/pool_evaluations.py EVAL.json [EVAL.json ...] [--budgets-per-hour 0.5,1,2,5] [--json OUT.json]

Evaluating every set at once (``evaluate RUN --data A B C``) gives the exact pooled sweep. This reads the sweeps
already stored instead: at each ``min_score`` that any set's ``operating_curve`` holds, every set contributes its
point at the highest swept score not above it. That is exact at a set's own swept scores and a step between them
(the sweep is coarse away from the set's own budgets), so a figure can differ from the exact pooled one by a few
gestures. A budget on short sets is coarse: one false activation in 2 h is 0.5 per hour, so recall at 1 per hour
read set by set (each set's ``recall_at_fa_per_hour``) moves with single events; pooled, it does much less.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.rejection import fa_per_hour_upper


@dataclass(frozen=True, kw_only=True)
class PooledPoint:
    """The sets' summed counts at one ``min_score``."""

    min_score: float
    right: int
    false_activations: int
    truth: int


def background_hours(ev: Mapping[str, Any]) -> float:
    """Hours of background (outside the labels) of one evaluation, from a swept point with false activations, else
    (no false activation anywhere in the sweep) the streams' whole duration, a slight overestimate [h]."""
    for p in ev["operating_curve"]:
        if p["false_activations"] and p["fa_per_hour"]:
            return float(p["false_activations"]) / float(p["fa_per_hour"])
    return sum(float(f["duration_s"]) for f in ev["per_file"]) / 3600.0


def pooled_curve(evaluations: Sequence[Mapping[str, Any]]) -> list[PooledPoint]:
    """Right gestures and false activations summed over the evaluations at every swept ``min_score``, ascending.
    Each evaluation contributes its swept point with the highest ``min_score`` not above it (curves ascend)."""
    curves = [ev["operating_curve"] for ev in evaluations]
    swept = [[float(p["min_score"]) for p in c] for c in curves]
    scores = sorted({s for xs in swept for s in xs})
    out = []
    for s in scores:
        points = [
            (c[max(bisect.bisect_right(xs, s) - 1, 0)], int(ev["truth"]))
            for c, xs, ev in zip(curves, swept, evaluations, strict=True)
        ]
        out.append(
            PooledPoint(
                min_score=s,
                right=sum(round(float(p["recall"] or 0.0) * t) for p, t in points),
                false_activations=sum(int(p["false_activations"]) for p, _ in points),
                truth=sum(t for _, t in points),
            )
        )
    return out


def best_within(curve: Sequence[PooledPoint], max_false: float) -> PooledPoint | None:
    """The point with the most right gestures among those with at most ``max_false`` false activations (the lowest
    ``min_score`` of a tie), or None when none is within."""
    within = [p for p in curve if p.false_activations <= max_false]
    return max(within, key=lambda p: (p.right, -p.min_score)) if within else None


def summary(evaluations: Sequence[Mapping[str, Any]], budgets_per_hour: Sequence[float]) -> dict[str, Any]:
    """The pooled figures: the run's operating point (summed, with its gestures by outcome when every evaluation
    has them), arg-max, and recall at each budget."""
    curve = pooled_curve(evaluations)
    hours = sum(background_hours(ev) for ev in evaluations)
    truth = sum(int(ev["truth"]) for ev in evaluations)
    op_false = sum(int(f["false_activations"]) for ev in evaluations for f in ev["per_file"])
    at: dict[str, Any] = {}
    for b in budgets_per_hour:
        p = best_within(curve, math.floor(b * hours + 1e-9))
        at[f"{b:g}"] = (
            None
            if p is None
            else {
                "recall": p.right / truth if truth else None,
                "right": p.right,
                "false_activations": p.false_activations,
                "min_score": p.min_score,
            }
        )
    outcomes: dict[str, int] | None = None
    if all(ev.get("outcomes") for ev in evaluations):
        outcomes = {}
        for ev in evaluations:
            for k, n in ev["outcomes"].items():
                outcomes[k] = outcomes.get(k, 0) + int(n)
    return {
        "sets": len(evaluations),
        "truth": truth,
        "background_h": hours,
        "operating_point": {
            "right": sum(int(ev["correct"]) for ev in evaluations),
            "false_activations": op_false,
            "false_activations_per_hour_upper95": fa_per_hour_upper(op_false, hours),
            "outcomes": outcomes,
        },
        "argmax": {"right": curve[0].right, "false_activations": curve[0].false_activations} if curve else None,
        "recall_at_fa_per_hour": at,
    }


def _load(path: Path) -> dict[str, Any]:
    try:
        ev: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"pool_evaluations: error: {path}: unreadable ({exc})") from None
    if not ev.get("operating_curve"):
        raise SystemExit(f"pool_evaluations: error: {path}: no operating_curve (evaluate --continuous --json wrote it)")
    return ev


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("evaluations", nargs="+", type=Path, help="evaluate --continuous --json outputs, one per set")
    ap.add_argument("--budgets-per-hour", default="0.5,1,2,5", help="false activations per hour (default 0.5,1,2,5)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    try:
        budgets = [float(b) for b in args.budgets_per_hour.split(",")]
    except ValueError:
        ap.error(f"--budgets-per-hour: not a comma-separated list of numbers: {args.budgets_per_hour!r}")
    if any(not b >= 0 for b in budgets):
        ap.error("--budgets-per-hour: every budget must be >= 0")
    evaluations = [_load(p) for p in args.evaluations]
    seen: dict[str, Path] = {}
    for path, ev in zip(args.evaluations, evaluations, strict=True):
        for f in ev["per_file"]:
            if f["file"] in seen:
                ap.error(f"{f['file']} is in both {seen[f['file']]} and {path}: each set must be counted once")
            seen[f["file"]] = path
    s = summary(evaluations, budgets)
    op, am = s["operating_point"], s["argmax"]
    print(f"{s['sets']} sets, {s['truth']} gestures, {s['background_h']:.2f} h of background")
    bound = op["false_activations_per_hour_upper95"]
    print(
        f"operating point: {op['right']} right, {op['false_activations']} false activations"
        + (f" (at most {bound:.2f}/h at 95 % confidence)" if bound is not None else "")
    )
    if op["outcomes"]:
        print("  gestures by outcome: " + ", ".join(f"{k} {n}" for k, n in op["outcomes"].items()))
    print(f"arg-max: {am['right']} right, {am['false_activations']} false activations")
    for b, p in s["recall_at_fa_per_hour"].items():
        print(
            f"at {b}/h: "
            + (
                "nothing within"
                if p is None
                else f"recall {p['recall']:.3f} ({p['right']} right, "
                f"{p['false_activations']} false, min_score {p['min_score']:.3f})"
            )
        )
    if args.json:
        args.json.write_text(json.dumps(s, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
