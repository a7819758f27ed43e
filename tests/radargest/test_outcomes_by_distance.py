"""scripts/outcomes_by_distance.py: the bands, the sums over seeds and files, its refusals, and one run on the
simulated fixture sessions."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from cli_helpers import load_script


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("outcomes_by_distance")


def _eval(files: dict[str, tuple[int, int, int, int]]) -> dict[str, object]:
    keys = ("right", "wrong_class", "rejected", "no_candidate")
    return {"per_file": [{"file": f, "outcomes": dict(zip(keys, o, strict=True))} for f, o in files.items()]}


def test_bands_split_at_their_edges(script: ModuleType) -> None:
    assert script.band_labels([0.1, 0.18]) == ["< 0.10 m", "0.10–0.18 m", ">= 0.18 m"]
    seed0 = _eval({"a.h5": (1, 0, 2, 0), "b.h5": (3, 1, 0, 4)})
    seed1 = _eval({"a.h5": (2, 0, 1, 0), "c.h5": (5, 0, 0, 0)})
    table = script.by_distance([seed0, seed1], {"a.h5": 0.05, "b.h5": 0.18, "c.h5": 0.1}, [0.1, 0.18])
    assert table == {
        "< 0.10 m": {"files": 2, "right": 3, "wrong_class": 0, "rejected": 3, "no_candidate": 0},
        "0.10–0.18 m": {"files": 1, "right": 5, "wrong_class": 0, "rejected": 0, "no_candidate": 0},
        ">= 0.18 m": {"files": 1, "right": 3, "wrong_class": 1, "rejected": 0, "no_candidate": 4},
    }
    with pytest.raises(KeyError, match=r"d\.h5"):
        script.by_distance([_eval({"d.h5": (1, 0, 0, 0)})], {}, [0.1])


def test_main_reads_the_subjects_distance_and_refuses_bad_input(
    script: ModuleType, sim_dir: Path, tmp_path: Path
) -> None:
    from acquisition import load_session

    files = sorted(sim_dir.glob("*.h5"))[:2]
    ev = tmp_path / "ev.json"
    ev.write_text(json.dumps(_eval({f.name: (1, 0, 1, 1) for f in files})))
    out = tmp_path / "table.json"
    assert script.main([str(ev), "--data", *map(str, files), "--edges-m", "0.12", "--json", str(out)]) == 0
    table = json.loads(out.read_text())
    near = sum(load_session(f).meta.simulator_params["subject"]["distance_m"] < 0.12 for f in files)
    assert table["< 0.12 m"]["files"] == near and table[">= 0.12 m"]["files"] == len(files) - near
    assert sum(b["rejected"] for b in table.values()) == len(files)
    assert script.main([str(ev), "--data", str(files[0])]) == 2  # a file with no distance given
    assert script.main([str(ev), "--data", *map(str, files), "--edges-m", "0.2,0.1"]) == 2
    assert script.main([str(ev), "--data", str(tmp_path / "sim-s7003_everyday00.h5")]) == 2
    assert script.main([str(ev), "--data", str(tmp_path / "missing.h5")]) == 2
    assert script.main([str(tmp_path / "missing.json"), "--data", *map(str, files)]) == 2
