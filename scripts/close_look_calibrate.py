"""Re-calibrate a copy of a finished run's ``min_score`` with ``DecisionConfig.close_look`` on (the adoption checks of
the close look, docs/results_rejection.md; ``radargest calibrate`` on a copy does the same, without the held-out
refusal below).

It copies RUN_DIR's ``model.keras``, ``config.toml`` and ``metrics.json`` to OUT and runs
:func:`models.train.calibrate_run` on the copy with ``DecisionConfig(close_look=True)``: the calibration
``radargest train`` does at its end (the run's own validation streams plus its ``rejection.calibration_data``,
its budget and recall guard), with the close look on. OUT's ``config.toml`` then holds the re-calibrated
``min_score`` and ``close_look = true``. RUN_DIR is never written.

Refuses held-out names (``idx_3``, ``static_hand_idx_1``, simulated subjects 12-15, 5000-5007, 7000-7099,
9000-9199, ``everyday_test``) among the calibration-only streams before, and among the streams calibrated
on after (the run's split already keeps its held-out files off its validation side).

Usage:
    python scripts/close_look_calibrate.py RUN_DIR --out OUT [--quiet]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from radargest.datasets import held_out_paths

COPIED = ("model.keras", "config.toml", "metrics.json")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] + " Copies RUN_DIR to OUT and calibrates the copy as train does.",
    )
    ap.add_argument("run_dir", type=Path, help="a run directory (model.keras, config.toml, metrics.json)")
    ap.add_argument("--out", type=Path, required=True, help="a new folder for the re-calibrated copy")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    if not (args.run_dir / "config.toml").is_file() or not (args.run_dir / "model.keras").is_file():
        ap.error(f"{args.run_dir}: not a run directory (no config.toml / model.keras)")
    if args.out.exists():
        ap.error(f"{args.out}: exists (choose a new folder)")

    from dsp import DecisionConfig
    from models.config import read_config
    from models.data import collect_files
    from models.train import calibrate_run

    cal = read_config(args.run_dir / "config.toml").rejection.calibration_data
    bad = held_out_paths(collect_files([Path(p) for p in cal])) if cal else []
    if bad:
        ap.error(f"held out, refused: {', '.join(bad)}")
    args.out.mkdir(parents=True)
    for name in COPIED:
        if (args.run_dir / name).is_file():
            shutil.copy2(args.run_dir / name, args.out / name)
    decision = DecisionConfig(close_look=True)
    calibration = calibrate_run(args.out, decision=decision, progress=not args.quiet, log=print)
    bad = held_out_paths(Path(s) for s in calibration["streams"])
    if bad:  # the run's split put a held-out file on its validation side: the figure must not be used
        shutil.rmtree(args.out)
        print(f"error: held-out streams in the calibration, result discarded: {', '.join(bad)}", file=sys.stderr)
        return 1
    print(json.dumps({"run": str(args.run_dir), "close_look": True, "min_score": calibration["min_score"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
