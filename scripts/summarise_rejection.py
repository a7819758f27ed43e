"""Tables of docs/results_rejection.md from the output folder of scripts/run_rejection_experiments.sh.

python scripts/summarise_rejection.py OUT_DIR > results_rejection_tables.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() and path.stat().st_size else None


def _f(v: Any, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def everyday(out: Path) -> list[str]:
    runs = [
        ("before: no rejection, arg-max", out / "sim_before.everyday.json"),
        ("after: training only, arg-max", out / "fin_sim.everyday.argmax.json"),
        ("after: default (calibrated min_score)", out / "fin_sim.everyday.json"),
    ]
    loaded = [(name, m) for name, path in runs if (m := _load(path)) is not None]
    if not loaded:
        return []
    causes = sorted({c for _, m in loaded for c in m["false_activations_by_cause"]})
    lines = [
        "| cause | exposure [h] | " + " | ".join(name for name, _ in loaded) + " |",
        "|---|---:|" + "---:|" * len(loaded),
    ]
    for c in causes:
        exp = next(
            (
                m["false_activations_by_cause"][c]["exposure_s"]
                for _, m in loaded
                if c in m["false_activations_by_cause"]
            ),
            None,
        )
        cells = []
        for _, m in loaded:
            v = m["false_activations_by_cause"].get(c)
            cells.append("—" if v is None else f"{v['false_activations']} ({_f(v['per_hour'], 2)}/h)")
        lines.append(f"| {c} | {_f(exp / 3600 if exp else None, 2)} | " + " | ".join(cells) + " |")
    lines.append(
        "| **all** | — | "
        + " | ".join(
            f"**{sum(v['false_activations'] for v in m['false_activations_by_cause'].values())} "
            f"({_f(m['false_activations_per_hour'], 2)}/h)**"
            for _, m in loaded
        )
        + " |"
    )
    lines += ["", "| run | min_score | events | recall | precision | event accuracy | recall at 0.5 / 1 / 5 FA/h |"]
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    for name, m in loaded:
        at = m["recall_at_fa_per_hour"]
        lines.append(
            f"| {name} | {_f(m['min_score'], 4)} | {m['events']} | {_f(m['recall'])} | {_f(m['precision'])} | "
            f"{_f(m['event_accuracy'])} | {' / '.join(_f(at[k]['recall']) for k in ('0.5', '1', '5'))} |"
        )
    return lines


def real(out: Path) -> list[str]:
    lines = [
        "| seed | min_score | budget met on calibration | event accuracy | FA/h (held-out streams) | "
        "false activations on static_hand_idx_1 | recall at 0.5 / 1 / 5 FA/h | latency p50 [ms] |",
        "|---|---:|---|---:|---:|---:|---|---:|",
    ]
    for run in sorted(out.glob("fin_real_s*")):
        m = _load(out / f"{run.name}.eval.json")
        metrics = _load(run / "metrics.json")
        if m is None or metrics is None:
            continue
        cal = metrics.get("calibration", {})
        static = next((f["false_activations"] for f in m["per_file"] if "static_hand" in f["file"]), None)
        at = m["recall_at_fa_per_hour"]
        lines.append(
            f"| {run.name.rsplit('_s', 1)[-1]} | {_f(m['min_score'], 4)} | {cal.get('budget_met')} | "
            f"{_f(m['event_accuracy'])} | {_f(m['false_activations_per_hour'], 1)} | {static} | "
            f"{' / '.join(_f(at[k]['recall']) for k in ('0.5', '1', '5'))} | {_f(m['latency_ms_p50'], 0)} |"
        )
    return lines


def calibration(out: Path) -> list[str]:
    lines = [
        "| run | calibration streams | background [h] | arg-max: FA, recall | chosen min_score: FA, recall "
        "| budget met |",
        "|---|---:|---:|---|---|---|",
    ]
    for run in [out / "fin_sim", *sorted(out.glob("fin_real_s*"))]:
        metrics = _load(run / "metrics.json")
        if metrics is None or "calibration" not in metrics:
            continue
        c = metrics["calibration"]
        a, ch = c["argmax"], c["chosen"]
        lines.append(
            f"| {run.name} | {len(c['streams'])} | {_f(c['background_h'], 2)} | {a['false_activations']}, "
            f"{_f(a['recall'])} | {_f(c['min_score'], 4)}: {ch['false_activations']}, {_f(ch['recall'])} | "
            f"{c['budget_met']} |"
        )
    return lines


def consistency(out: Path) -> list[str]:
    lines = []
    for path in sorted(out.glob("consistency_*.json")):
        c = _load(path)
        if c is None:
            continue
        t = c["totals"]
        lines.append(
            f"- {path.stem}: int8 evaluation identical to detect on {t['identical_files']} of {t['files']} streams; "
            f"detect {t['detect']} events, float evaluation {t['float_events']}; {t['float_matched']} of detect's "
            f"events have an equal float decision, {t['float_in_detect']} of the float ones an equal detect event"
        )
    return lines


def det_figure(out: Path, path: Path) -> bool:
    """Before and after on one DET plot (the held-out everyday streams)."""
    from models.plots import plot_det

    before, after = _load(out / "sim_before.everyday.json"), _load(out / "fin_sim.everyday.json")
    if before is None or after is None:
        return False
    plot_det(
        after["operating_curve"],
        path,
        chosen_min_score=after["min_score"],
        label="after: default recipe (min_score sweep)",
        others=[("before: no rejection (min_score sweep)", before["operating_curve"])],
        title="held-out simulated subjects, everyday streams (2 h)",
    )
    return True


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    if len(argv) > 1 and det_figure(out, Path(argv[1])):
        print(f"(wrote {argv[1]})\n")
    for title, part in (
        ("Everyday streams, 8 held-out simulated subjects", everyday(out)),
        ("Operating points chosen by train (training-side streams)", calibration(out)),
        ("Real held-out day (idx_3 + static_hand_idx_1), default recipe", real(out)),
        ("detect against the Python evaluation", consistency(out)),
    ):
        print(f"### {title}\n")
        print("\n".join(part) if part else "(not run)")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
