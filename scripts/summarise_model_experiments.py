# ruff: noqa: E501
"""Turn the outputs of scripts/run_model_experiments.sh into the Markdown tables of docs/results_models.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def f(v: Any, spec: str = ".3f") -> str:
    return "—" if v is None else format(v, spec) if isinstance(v, float) else str(v)


def confusion(m: dict[str, Any]) -> list[str]:
    classes = list(m["per_class"])
    lines = ["| true \\ predicted | " + " | ".join(classes) + " |", "|---" * (len(classes) + 1) + "|"]
    for c, row in zip(classes, m["confusion"], strict=True):
        lines.append(f"| {c} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def static_false(m: dict[str, Any]) -> str:
    for p in m["per_file"]:
        if "static_hand" in p["file"]:
            return (
                f"{p['false_activations']} in {p['duration_s']:.0f} s ({f(p['false_activations_per_hour'], '.0f')}/h)"
            )
    return "—"


def search_section(out: Path, default_accs: list[float]) -> list[float]:
    """Step 3b of the script (SEARCH_DIR set): the search's chosen point with the same recipe, 3 seeds."""
    import statistics

    runs = sorted(out.glob("search_real_s*.eval.json"))
    if not runs:
        return []
    print("## The search's chosen point with the same recipe (issue 15; test idx_3 day + static_hand)\n")
    met0 = load(out / "search_real_s0" / "metrics.json") or {}
    macs = met0.get("macs") or {}
    pruning = (met0.get("compression") or {}).get("pruning")
    how = (
        f"The sim pretraining (sim_s0) fine-tuned, then pruned to {pruning['keep']} of its channels and fine-tuned "
        f"again (`train --init sim_s0 --from-search`, the search's `pruned` family; int8 {pruning['flash_bytes_after']} B "
        f"as converted after pruning): "
        if pruning
        else "Architecture from the search directory (`train --from-search` on the sim pretraining, inherited by the "
        "fine-tunes): "
    )
    print(
        how + f"{met0.get('params', '—')} params, {macs.get('encoder_per_frame', '—')} MACs per frame, "
        f"{macs.get('head_per_hop', '—')} per hop; its int8 size is the search's (`search.md`, names stripped).\n"
    )
    print("| seed | event accuracy | window acc | balanced acc | events | false act. on static_hand |")
    print("|---|---:|---:|---:|---:|---|")
    accs = []
    for path in runs:
        m = json.loads(path.read_text())
        accs.append(m["event_accuracy"])
        seed = path.name.split(".")[0].removeprefix("search_real_s")
        print(
            f"| {seed} | {f(m['event_accuracy'])} | {f(m['accuracy'])} | {f(m['balanced_accuracy'])} | {m['events']} | {static_false(m)} |"
        )
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    line = f"\nEvent accuracy over {len(accs)} seeds: **{statistics.mean(accs):.3f} ± {sd:.3f}**"
    if default_accs:
        diff = statistics.mean(accs) - statistics.mean(default_accs)
        line += f" ({diff * 100:+.1f} points against the default's {statistics.mean(default_accs):.3f}; bar: within 1 point)"
    print(line + ".\n")
    return accs


def main(out: Path) -> None:
    print("## Real data: train idx_1/idx_2/idx_5 days + dynamic_hand, test idx_3 day + static_hand (continuous)\n")
    print(
        "| seed | event accuracy | window acc | balanced acc | events | precision | recall | F1 | false act. on static_hand | latency p50/p90 [ms] | train time [s] | wall time [s] |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    accs = []
    runs = sorted(out.glob("real_s*.eval.json"))
    for path in runs:
        seed = path.name.split(".")[0].removeprefix("real_s")
        m = json.loads(path.read_text())
        met = load(out / f"real_s{seed}" / "metrics.json") or {}
        # a soup (the recipe since the seventeenth session): its members' train and wall times, summed
        members = [Path(p) for p in met.get("soup", {}).get("members", [])]
        times = [out / f"{p.name}.time" for p in members] if members else [out / f"real_s{seed}.time"]
        wall = f"{sum(float(t.read_text()) for t in times):.0f}" if all(t.is_file() for t in times) else "—"
        if members:
            train_s = [(load(p / "metrics.json") or {}).get("train_time_s") for p in members]
            met = {**met, "train_time_s": sum(train_s) if None not in train_s else None}
        accs.append(m["event_accuracy"])
        print(
            f"| {seed} | {f(m['event_accuracy'])} | {f(m['accuracy'])} | {f(m['balanced_accuracy'])} | {m['events']} | "
            f"{f(m['precision'])} | {f(m['recall'])} | {f(m['f1'])} | {static_false(m)} | "
            f"{f(m['latency_ms_p50'], '.0f')}/{f(m['latency_ms_p90'], '.0f')} | {f(met.get('train_time_s'), '.0f')} | {wall} |"
        )
    if accs:
        import statistics

        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(
            f"\nEvent accuracy over {len(accs)} seeds: **{statistics.mean(accs):.3f} ± {sd:.3f}** (anchor 0.876 ± 0.042).\n"
        )
    for path in runs:
        m = json.loads(path.read_text())
        print(
            f"Per file, {path.name.split('.')[0]}: "
            + "; ".join(
                f"{p['file'].removeprefix('label_').removesuffix('.h5')} {f(p['event_accuracy'])} ({p['events_per_minute']:.1f} events/min)"
                for p in m["per_file"]
            )
            + "\n"
        )
        print(f"Continuous-mode event confusion is not tabulated; window confusion ({path.name.split('.')[0]}):\n")
        print("\n".join(confusion(m)) + "\n")
    search_section(out, accs)
    # the sim model: sim80_s0 since the twenty-fourth session, sim_s0 in older output folders
    sim = load(out / "sim80_s0.eval.json") or load(out / "sim_s0.eval.json")
    if sim:
        print("## Simulated leave-subject-out (subjects sim-s012..sim-s015 held out)\n")
        print(
            f"Window accuracy {f(sim['accuracy'])}, balanced {f(sim['balanced_accuracy'])}; continuous: event accuracy "
            f"{f(sim['event_accuracy'])}, precision {f(sim['precision'])}, recall {f(sim['recall'])}, F1 {f(sim['f1'])}, "
            f"false activations {f(sim['false_activations_per_hour'], '.1f')}/h, latency p50 {f(sim['latency_ms_p50'], '.0f')} ms.\n"
        )
        print("\n".join(confusion(sim)) + "\n")
    s2r, ft = load(out / "sim2real.eval.json"), load(out / "real_s0.eval.json")
    scratch = load(out / "scratch_s0.eval.json")
    if s2r:
        print("## Sim-to-real (test: idx_3 day + static_hand)\n")
        print("| model | event accuracy | window acc | balanced acc | false act. on static_hand |")
        print("|---|---:|---:|---:|---|")
        rows = (
            ("sim only", s2r),
            ("sim + fine-tune (--init) on real training days (= real_s0, the default)", ft),
            ("real training days only, from scratch (seed 0)", scratch),
        )
        for name, m in rows:
            if m:
                print(
                    f"| {name} | {f(m['event_accuracy'])} | {f(m['accuracy'])} | {f(m['balanced_accuracy'])} | {static_false(m)} |"
                )
        print()
    gru = load(out / "real_gru.eval.json")
    if gru:
        met = load(out / "real_gru" / "metrics.json") or {}
        print(
            f"## GRU variant (cnn_gru, seed 0)\n\nEvent accuracy {f(gru['event_accuracy'])}, window accuracy "
            f"{f(gru['accuracy'])}, static_hand {static_false(gru)}; {met.get('params')} params, "
            f"{(met.get('macs') or {}).get('window')} MACs per window.\n"
        )
    q = out / "real_s0" / "quant_report.md"
    if q.is_file():
        print("## Quantisation (real seed-0 model)\n")
        print(q.read_text().split("\n", 2)[2])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
