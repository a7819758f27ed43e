"""scripts/idle_points_study.py: its held-out refusal, and its tables on the simulated fixture sessions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_helpers import load_script


def test_refuses_held_out_recordings_before_opening_any(tmp_path: Path, capsys: Any) -> None:
    study = load_script("idle_points_study")
    held_out = tmp_path / "label_wiggle_idx_3.h5"
    held_out.write_bytes(b"not opened")
    assert study.main([str(held_out)]) == 2
    assert "held-out" in capsys.readouterr().err


def test_tables_count_every_label_once_per_configuration(sim_dir: Path, tmp_path: Path) -> None:
    """Every configuration and the full-rate stream see the same labels; a configuration equal to another gives
    the same counts, and the everyday table integrates a current between the IDLE and the full state's."""
    study = load_script("idle_points_study")
    out = tmp_path / "t.json"
    files = sorted(sim_dir.glob("*.h5"))
    code = study.main(
        [
            *map(str, files),
            "--everyday",
            str(files[0]),
            "--configs",
            "D:5,2,0",
            "E:5,2,0",
            "O1:5,2,1",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    tables = json.loads(out.read_text())
    gates, everyday = tables["gates"], tables["everyday"]
    labels = sum(len(study.load_session(f).labels) for f in files)
    for name in ("full", "D", "O1"):
        assert sum(of for _, of in gates[name]["all"].values()) == labels
    assert gates["D"] == gates["E"]
    assert sum(reached for reached, _ in gates["D"]["all"].values()) > 0
    for name in ("D", "O1"):
        assert everyday[name]["idle_ma"] < everyday[name]["sensor_ma"] < 6.0  # the full state is 5.9 mA
    assert everyday["D"]["idle_ma"] == everyday["O1"]["idle_ma"]  # as many IDLE points
