"""scripts/training_side_sets.sh: its sets stay on the training side and apart; it explains itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "training_side_sets.sh"
#: Held-out simulated subjects (DESIGN, the issues' protocols): never a judging set of the training side.
HELD_OUT = [range(12, 16), range(5000, 5008), range(7000, 7100), range(9000, 9200)]


def _specs() -> dict[str, tuple[int, int, int, int]]:
    text = SCRIPT.read_text()
    rows = re.findall(r'\[(ev\w+)\]="(\d+) (\d+) (\d+) (\d+)"', text)
    return {name: (int(n), int(first), int(minutes), int(seed)) for name, n, first, minutes, seed in rows}


def test_sets_avoid_held_out_subjects_and_each_other() -> None:
    specs = _specs()
    assert {"evS", "evC", "evF", "evG", "evH", "evM"} <= set(specs)
    seen: set[int] = set()
    for name, (n, first, _, _) in specs.items():
        subjects = set(range(first, first + n))
        assert not any(subjects & set(r) for r in HELD_OUT), name
        assert not subjects & seen, f"{name} shares subjects with another set"
        seen |= subjects
    assert len({seed for *_, seed in specs.values()}) == len(specs), "each set has its own timeline seed"


def test_help_and_unknown_set(tmp_path: Path) -> None:
    out = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True, check=True).stdout
    assert "OUT_DIR" in out and "SIMULATE_OPTIONS" in out and "set -e" not in out
    bad = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "out"), "evX"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown set 'evX'" in bad.stderr
    assert not (tmp_path / "out").exists()
