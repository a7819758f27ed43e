"""Event outcomes of ``radargest evaluate --json`` runs by the simulated subject's distance to the sensor (issues 10 and
12), TRAINING side only.

Usage:
    python scripts/outcomes_by_distance.py EVAL.json [EVAL.json ...] --data FILE.h5 [FILE.h5 ...]
        [--edges-m 0.10,0.14,0.18] [--json OUT.json]

Each evaluation's ``per_file`` outcomes (right, wrong class, rejected, no candidate) are added up by the distance of
the subject who performed the file (``simulator_params.subject.distance_m``, read from the matching ``--data`` file).
Several evaluations of the same files (seeds) add up. It tells misses the decision layer rejects from gestures it is
never offered, per range band of the preset.

Held-out data is refused (:func:`radargest.datasets.held_out_paths`).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from radargest.datasets import distance_band, distance_edges, held_out_paths
from radargest.datasets import distance_band_labels as band_labels

OUTCOMES = ("right", "wrong_class", "rejected", "no_candidate")


def by_distance(
    evaluations: Sequence[Mapping[str, Any]], distance_m: Mapping[str, float], edges_m: Sequence[float]
) -> dict[str, dict[str, int]]:
    """Outcome counts per band, plus ``files`` (file evaluations added); bands in increasing distance.

    Raises:
        KeyError: a file of an evaluation has no known distance.
    """
    out: dict[str, collections.Counter[str]] = {b: collections.Counter() for b in band_labels(edges_m)}
    for ev in evaluations:
        for pf in ev["per_file"]:
            name = Path(pf["file"]).name
            if name not in distance_m:
                raise KeyError(f"no subject distance for {name}: pass its recording with --data")
            band = out[distance_band(distance_m[name], edges_m)]
            band.update({k: int(pf["outcomes"][k]) for k in OUTCOMES})
            band["files"] += 1
    return {b: {k: c[k] for k in ("files", *OUTCOMES)} for b, c in out.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("evaluations", type=Path, nargs="+", help="JSON written by `radargest evaluate ... --json`")
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="the simulated recordings evaluated")
    ap.add_argument("--edges-m", default="0.10,0.14,0.18", help="band edges [m], increasing, comma-separated")
    ap.add_argument("--json", type=Path, help="also write the table here")
    args = ap.parse_args(argv)
    if bad := held_out_paths(args.data):
        print(f"error: held-out file(s) refused: {', '.join(bad)}", file=sys.stderr)
        return 2
    try:
        edges = distance_edges(args.edges_m)
    except ValueError:
        print(f"error: --edges-m must be increasing numbers, got {args.edges_m!r}", file=sys.stderr)
        return 2

    from acquisition import RecordingError, load_session

    distance: dict[str, float] = {}
    for path in args.data:
        try:
            params = load_session(path).meta
        except RecordingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        d = params.subject_distance_m if params else None
        if d is None:
            print(f"error: {path} is not a simulated recording (no subject parameters)", file=sys.stderr)
            return 2
        distance[path.name] = d
    try:
        evaluations = [json.loads(p.read_text()) for p in args.evaluations]
        table = by_distance(evaluations, distance, edges)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read the evaluations: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"{'band':14s} {'files':>5s} {'gestures':>8s} {'recall':>6s}  " + "  ".join(f"{k:>12s}" for k in OUTCOMES))
    for band, c in table.items():
        n = sum(c[k] for k in OUTCOMES)
        recall = f"{c['right'] / n:.3f}" if n else "–"
        print(f"{band:14s} {c['files']:5d} {n:8d} {recall:>6s}  " + "  ".join(f"{c[k]:12d}" for k in OUTCOMES))
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
