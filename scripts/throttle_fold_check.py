"""A real TRAINING-side throttle check on a held-back fold (issue 11, docs/results_power.md, sixth pass).

Usage:
    python scripts/throttle_fold_check.py --out DIR [--fold B] [--variants idle,fill] [--seeds 0 1]
        [--init /work/final5/sim_s0] [--real /work/final5/real] [--sim /work/final5/sim]
        [--everyday-train /work/final5/everyday_train] [--everyday-cal /work/final5/everyday_cal]

For fold F of ``models.select.FOLDS``, each recipe variant and each seed:

1. fine-tunes the simulated model (``--init``) on the real training-side recordings minus fold F with the real
   recipe of scripts/run_model_experiments.sh step 3 (``radargest train``: the everyday_train streams, calibration
   on everyday_cal, rehearsal of the simulated training subjects 0-11, ``--split day --val-mode tail``), the
   variant naming ``--wake-history`` (``idle``: the recipe's, inherited from the init run; ``fill``: the
   recipe before ``cf9d646``);
2. exports the run (``radargest export``, no TFLM arena search: it changes no decision);
3. runs the bundle on fold F's recordings always-on and with the bundle's own (default) throttle, the library
   call behind ``radargest evaluate RUN --data FOLD_DIR --split none --throttle-sweep BUNDLE`` restricted to
   that one setting;

and writes ``fold_check.json`` and ``fold_check.md`` to DIR: per variant and seed (and pooled over the seeds),
event accuracy always-on and throttled, the gap, false activations and the A121 current, plus whether the
pre-registered rule fires (:func:`rule`).

Held-out safety: the real training dir and the fold dir are dirs of symlinks to the real recordings, chosen BY
NAME (no held-out file is ever opened); every ``idx_3`` file and ``label_static_hand_idx_1`` is left out, and
the script asserts that neither dir holds one. Finished runs, bundles and evaluations are reused on a re-run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from models.select import FOLDS, GESTURES
from radargest.datasets import is_held_out

VARIANTS = ("idle", "fill")
#: The pre-registered rule (issue 11 brief, fixed before any number was seen) [event-accuracy points].
RULE_MIN_GAP_GAIN_PT = 2.0
RULE_MAX_ALWAYS_ON_LOSS_PT = 1.0
_SIM_TRAINING_SUBJECT = re.compile(r"sim-s0(0\d|1[01])_")


def _say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def link_dir(dst: Path, files: list[Path]) -> Path:
    """``dst`` rebuilt as a dir of symlinks to ``files``; asserts that it holds no held-out name."""
    dst.mkdir(parents=True, exist_ok=True)
    for old in dst.iterdir():
        old.unlink()
    for f in files:
        (dst / f.name).symlink_to(f.resolve())
    held = [p.name for p in dst.iterdir() if is_held_out(p.name)]
    assert not held, f"held-out recording(s) in {dst}: {held}"
    return dst


def build_dirs(real: Path, fold: str, out: Path) -> tuple[Path, Path]:
    """The training dir (training side minus ``fold``) and the fold dir, as symlink dirs under ``out``."""
    names = sorted(p for p in real.glob("*.h5") if not is_held_out(p.name))
    val = set(FOLDS[fold])
    fold_files = [p for p in names if p.stem in val]
    if missing := val - {p.stem for p in fold_files}:
        sys.exit(f"error: fold {fold} recording(s) not in {real}: {', '.join(sorted(missing))}")
    train = link_dir(out / f"real_train_minus_{fold}", [p for p in names if p.stem not in val])
    held = link_dir(out / f"real_fold_{fold}", fold_files)
    assert not {p.name for p in train.iterdir()} & {p.name for p in held.iterdir()}, "fold file in the training dir"
    return train, held


def _radargest(*args: str) -> None:
    cmd = [sys.executable, "-m", "radargest", *args]
    _say("$ radargest " + " ".join(args))
    subprocess.run(cmd, check=True)


def fine_tune(args: argparse.Namespace, train_dir: Path, variant: str, seed: int, run: Path) -> None:
    """The real recipe's fine-tune (run_model_experiments.sh step 3) on ``train_dir``, with ``variant``."""
    if (run / "metrics.json").is_file():
        _say(f"{run.name}: trained already, reused")
        return
    rehearsal = sorted(str(p) for p in args.sim.glob("*.h5") if _SIM_TRAINING_SUBJECT.match(p.name))
    if not rehearsal:
        sys.exit(f"error: no simulated training subjects 0-11 in {args.sim}")
    _radargest(
        "train",
        *("--data", str(train_dir), str(args.everyday_train)),
        *("--gestures", ",".join(GESTURES), "--split", "day", "--val-mode", "tail"),
        *("--calibration-data", str(args.everyday_cal)),
        *("--rehearsal-data", *rehearsal, "--rehearsal-share", "0.5"),
        *("--init", str(args.init), "--seed", str(seed), "--wake-history", variant),
        *("--out", str(run), "--overwrite"),
    )


def check_run(run: Path, variant: str, train_dir: Path) -> None:
    """The run trained the variant on the intended recordings only."""
    from models.config import read_config

    cfg = read_config(run / "config.toml")
    assert cfg.augment.wake_history == variant, f"{run}: wake_history {cfg.augment.wake_history}, not {variant}"
    split = json.loads((run / "metrics.json").read_text())["split"]
    real = {p.name for p in train_dir.iterdir()}
    used = set(split["train"]) | set(split["val"]) | set(split["test"])
    assert not [n for n in used if is_held_out(n)], f"{run}: a held-out recording was used"
    assert real <= used, f"{run}: training recordings missing: {sorted(real - used)}"


def fold_eval(run: Path, bundle: Path, fold_dir: Path, out: Path) -> dict[str, Any]:
    """Always-on and the bundle's own throttle on the fold's recordings (``evaluate --throttle-sweep``'s call)."""
    if (out / "throttle.json").is_file():
        _say(f"{out.name}: evaluated already, reused")
        return dict(json.loads((out / "throttle.json").read_text()))
    from tqdm import tqdm

    from deploy.runtime import load_bundle
    from deploy.sweep import SweepConfig
    from models.data import parse_split
    from radargest.sweep_cmd import run_throttle_sweep

    thr = load_bundle(bundle).throttle
    grid = SweepConfig(
        idle_decimations=(thr.idle_decimation,),
        idle_sweeps=(thr.idle_sweeps,),
        idle_point_steps=(thr.idle_point_step,),
        hold_s=(thr.hold_s,),
        pre_issue_11=False,
        bundle=False,
    )

    def bar(items: Any) -> Any:
        return tqdm(list(items), desc=f"evaluate {run.name}", unit="file", file=sys.stderr)

    result, _ = run_throttle_sweep(
        run, [fold_dir], bundle, split=parse_split("none"), out_dir=out, grid=grid, progress=bar
    )
    return result


def row(variant: str, seed: int | str, on: dict[str, Any], thr: dict[str, Any]) -> dict[str, Any]:
    """One table row from the always-on and throttled summaries of :func:`deploy.sweep.throttle_sweep`."""
    acc_on, acc_thr = on["correct"] / on["truth"], thr["correct"] / thr["truth"]
    return {
        "variant": variant,
        "seed": seed,
        "truth": on["truth"],
        "always_on_correct": on["correct"],
        "throttled_correct": thr["correct"],
        "always_on_accuracy": acc_on,
        "throttled_accuracy": acc_thr,
        "gap_pt": 100.0 * (acc_on - acc_thr),
        "always_on_false": on["false"],
        "throttled_false": thr["false"],
        "always_on_a121_ma": on["sensor_ma"],
        "throttled_a121_ma": thr["sensor_ma"],
    }


def pooled(rows: list[dict[str, Any]], variant: str) -> dict[str, Any]:
    """The rows of ``variant`` pooled over seeds (counts summed; currents averaged)."""
    rs = [r for r in rows if r["variant"] == variant]
    on = {"truth": sum(r["truth"] for r in rs), "correct": sum(r["always_on_correct"] for r in rs)}
    thr = {"truth": on["truth"], "correct": sum(r["throttled_correct"] for r in rs)}
    on |= {"false": sum(r["always_on_false"] for r in rs), "sensor_ma": _mean(rs, "always_on_a121_ma")}
    thr |= {"false": sum(r["throttled_false"] for r in rs), "sensor_ma": _mean(rs, "throttled_a121_ma")}
    return row(variant, "pooled", on, thr)


def _mean(rs: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] for r in rs) / len(rs)


def rule(idle: dict[str, Any], fill: dict[str, Any]) -> dict[str, Any]:
    """The pre-registered rule on the pooled rows: switch the recipe to ``fill`` only if fill's gap is smaller
    than idle's by at least 2 points AND fill's always-on accuracy is not lower than idle's by more than 1 point."""
    gain = idle["gap_pt"] - fill["gap_pt"]
    loss = 100.0 * (idle["always_on_accuracy"] - fill["always_on_accuracy"])
    eps = 1e-9  # the bounds are inclusive; differences of count ratios carry float error
    first, second = gain >= RULE_MIN_GAP_GAIN_PT - eps, loss <= RULE_MAX_ALWAYS_ON_LOSS_PT + eps
    return {
        "gap_gain_pt": gain,
        "always_on_loss_pt": loss,
        "gap_condition": first,
        "always_on_condition": second,
        "fires": first and second,
    }


def markdown(report: dict[str, Any]) -> str:
    """The table (and the rule's outcome) as markdown."""
    lines = [
        f"Fold {report['fold']} ({', '.join(report['fold_files'])}; {report['rows'][0]['truth']} events), "
        f"fine-tuned from `{report['init']}` on {', '.join(report['train_files'])}.",
        "",
        "| variant | seed | always-on accuracy | throttled accuracy | gap (points) | false always-on / throttled | "
        "A121 mA always-on / throttled |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["rows"] + report["pooled"]:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {100 * r['always_on_accuracy']:.1f} % ({r['always_on_correct']}) | "
            f"{100 * r['throttled_accuracy']:.1f} % ({r['throttled_correct']}) | {r['gap_pt']:.1f} | "
            f"{r['always_on_false']} / {r['throttled_false']} | {r['always_on_a121_ma']:.2f} / "
            f"{r['throttled_a121_ma']:.3f} |"
        )
    if (ru := report.get("rule")) is not None:
        lines += [
            "",
            f"Rule: fill's gap smaller than idle's by {ru['gap_gain_pt']:.1f} points (needs >= "
            f"{RULE_MIN_GAP_GAIN_PT:g}: {'yes' if ru['gap_condition'] else 'no'}), fill's always-on accuracy "
            f"lower by {ru['always_on_loss_pt']:.1f} points (allowed <= {RULE_MAX_ALWAYS_ON_LOSS_PT:g}: "
            f"{'yes' if ru['always_on_condition'] else 'no'}): "
            f"**the rule {'fires' if ru['fires'] else 'does not fire'}**.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="folder for the dirs, runs, bundles and the table")
    ap.add_argument("--fold", choices=sorted(FOLDS), default="B", help="the held-back fold (default B)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--init", type=Path, default=Path("/work/final5/sim_s0"), help="the simulated run fine-tuned")
    ap.add_argument("--real", type=Path, default=Path("/work/final5/real"), help="the imported real recordings")
    ap.add_argument("--sim", type=Path, default=Path("/work/final5/sim"), help="simulated sessions (0-11 rehearsed)")
    ap.add_argument("--everyday-train", type=Path, default=Path("/work/final5/everyday_train"))
    ap.add_argument("--everyday-cal", type=Path, default=Path("/work/final5/everyday_cal"))
    args = ap.parse_args(argv)
    variants = args.variants.split(",")
    if bad := [v for v in variants if v not in VARIANTS]:
        sys.exit(f"error: unknown variant(s) {', '.join(bad)}; choose from {', '.join(VARIANTS)}")
    for p in (args.init, args.real, args.sim, args.everyday_train, args.everyday_cal):
        if not p.is_dir():
            sys.exit(f"error: {p}: no such folder")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    train_dir, fold_dir = build_dirs(args.real, args.fold, args.out)
    _say(f"fold {args.fold}: train on {len(list(train_dir.iterdir()))} real files, check on {fold_dir}")
    rows = []
    for seed in args.seeds:  # seed-major: an interrupted check still has every variant of its first seeds
        for variant in variants:
            name = f"{variant}_s{seed}"
            run, bundle = args.out / "runs" / name, args.out / "bundles" / name
            fine_tune(args, train_dir, variant, seed, run)
            check_run(run, variant, train_dir)
            if not (bundle / "manifest.json").is_file():  # none, or an unfinished one: written again
                _radargest("export", str(run), "--out", str(bundle), "--no-arena-search", "--overwrite", "--quiet")
            res = fold_eval(run, bundle, fold_dir, args.out / "eval" / name)
            rows.append(row(variant, seed, res["always_on"], res["points"][0]))
            r = rows[-1]
            _say(f"{name}: always-on {r['always_on_accuracy']:.3f}, throttled {r['throttled_accuracy']:.3f}")
    report: dict[str, Any] = {
        "fold": args.fold,
        "fold_files": sorted(p.stem for p in fold_dir.iterdir()),
        "train_files": sorted(p.stem for p in train_dir.iterdir()),
        "init": str(args.init),
        "seeds": args.seeds,
        "rows": rows,
        "pooled": [pooled(rows, v) for v in variants],
        "rule": None,
    }
    if {"idle", "fill"} <= set(variants):
        by = {r["variant"]: r for r in report["pooled"]}
        report["rule"] = rule(by["idle"], by["fill"])
    (args.out / "fold_check.json").write_text(json.dumps(report, indent=1) + "\n")
    table = markdown(report)
    (args.out / "fold_check.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
