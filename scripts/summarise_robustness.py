"""Markdown table of robustness maps side by side: ``python scripts/summarise_robustness.py NAME=robustness.json ...``.

One row per factor level, one event-accuracy column per map (recall in brackets), then the issue-12 bars.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _f(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 0 if argv else 2
    maps = {}
    for arg in argv:
        name, _, path = arg.partition("=")
        maps[name] = json.loads(Path(path).read_text())
    names = list(maps)
    print("| factor | level | " + " | ".join(f"{n}: event acc. (recall)" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    first = maps[names[0]]
    for factor, f in first["factors"].items():
        for i, p in enumerate(f["points"]):
            cells = []
            for n in names:
                pts = maps[n]["factors"].get(factor, {}).get("points", [])
                q = pts[i] if i < len(pts) else None
                cells.append("—" if q is None else f"{_f(q['event_accuracy'])} ({_f(q['recall'])})")
            print(f"| {factor if i == 0 else ''} | {p['level']:g} | " + " | ".join(cells) + " |")
    print()
    print("| bar | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for key, bar in first["checks"]["bars"].items():
        print(f"| {key} ≥ {bar} | " + " | ".join(_f(maps[n]["checks"]["values"][key]) for n in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
