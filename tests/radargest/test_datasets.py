"""The held-out name check that scripts use to refuse test files without opening them, and the distance bands
training-side studies split simulated subjects by."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from radargest.datasets import (
    TRAINING_FILES,
    distance_band,
    distance_band_labels,
    distance_edges,
    held_out_names,
    held_out_paths,
    held_out_subjects,
    is_held_out,
    training_side_files,
)


def test_every_training_file_is_on_the_training_side() -> None:
    assert not [name for name in TRAINING_FILES if is_held_out(f"label_{name}.h5")]


def test_the_held_out_day_and_the_still_hand_are_refused() -> None:
    names = ["label_tap_in_idx_3.h5", "label_static_hand_idx_1.h5", "label_tap_in_idx_2.h5", "sim-s003_x.h5"]
    assert held_out_names([Path("/d") / n for n in names]) == names[:2]
    assert held_out_names(names[2:]) == []
    assert is_held_out(Path("/d/label_wiggle_idx_3.h5")) and not is_held_out(Path("/idx_3/label_wiggle_idx_1.h5"))


def test_study_scripts_refuse_held_out_real_files_simulated_subjects_and_everyday_test() -> None:
    bad = [
        "label_tap_in_idx_3.h5",
        "label_static_hand_idx_1.h5",
        "sim-s12_everyday00.h5",
        "sim-s7003_everyday00.h5",
        "sim-s5001_x.h5",
        "sim-s9150_everyday00.h5",
        "/w/everyday_test/sim-s600_everyday00.h5",
    ]
    good = ["label_tap_in_idx_1.h5", "sim-s100_everyday00.h5", "sim-s3200_everyday00.h5", "sim-s120_everyday00.h5"]
    assert len(held_out_paths([Path(p) for p in bad])) == len(bad)
    assert held_out_paths([Path(p) for p in good]) == []


@pytest.mark.parametrize("subject", [12, 5000, 5007, 7050, 9199])
def test_gate_studies_refuse_every_held_out_subject_and_stream(tmp_path: Path, subject: int) -> None:
    """``scripts/gate_range_study.py`` and ``scripts/gate_study.py`` refuse what :mod:`radargest.datasets` holds
    out (they kept a shorter list of their own, without the sparse throttle streams' subjects 5000-5007),
    before they open a run, a bundle or a file."""
    from cli_helpers import load_script

    ranges, gates = load_script("gate_range_study"), load_script("gate_study")
    assert held_out_subjects([subject - 1, subject, subject + 1]).count(subject) == 1
    args = SimpleNamespace(first_subjects=[subject], subjects=1, distances=[0.1], reps=1, gate=["0:0"])
    stream = tmp_path / f"sim-s{subject}_everyday00.h5"
    for call in (
        lambda: ranges.run_sim(tmp_path / "run", tmp_path / "cache", args),
        lambda: ranges.run_throttled(tmp_path / "bundle", tmp_path / "out.json", args),
        lambda: ranges.run_files(tmp_path / "run", tmp_path / "cache", [stream]),
        lambda: gates.run_study(tmp_path / "run", tmp_path / "out.json", [stream], 0.0),
        lambda: gates.run_throttled(tmp_path / "bundle", tmp_path / "out.json", [stream], 0.0),
    ):
        with pytest.raises(SystemExit, match="held-out"):
            call()
    assert not any(tmp_path.iterdir())


def test_throttle_history_study_refuses_held_out_simulated_streams(tmp_path: Path) -> None:
    """It refused only the real held-out names; a simulated stream of a held-out subject passed."""
    from cli_helpers import load_script

    study = load_script("throttle_history_study")
    for name in ("sim-s5003_everyday00.h5", "label_tap_in_idx_3.h5"):
        with pytest.raises(SystemExit, match="held-out"):
            study.main([str(tmp_path / "bundle"), str(tmp_path / name)])


def test_training_side_files_lists_the_training_side_and_refuses_the_rest(tmp_path: Path) -> None:
    from models.data import DataError

    for name in ("label_tap_in_idx_2.h5", "sim-s8800_sess00.h5"):
        (tmp_path / "train" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "train" / name).write_bytes(b"")  # never opened
    assert [p.name for p in training_side_files([tmp_path / "train"])] == [
        "label_tap_in_idx_2.h5",
        "sim-s8800_sess00.h5",
    ]
    (tmp_path / "train" / "label_wiggle_idx_3.h5").write_bytes(b"")
    (tmp_path / "train" / "sim-s7003_everyday00.h5").write_bytes(b"")
    with pytest.raises(DataError, match=r"^held-out file\(s\) refused: ") as refused:
        training_side_files([tmp_path / "train"])
    assert "label_wiggle_idx_3.h5" in str(refused.value) and "sim-s7003_everyday00.h5" in str(refused.value)
    assert "idx_2" not in str(refused.value) and "s8800" not in str(refused.value)
    with pytest.raises(DataError, match="no such file"):
        training_side_files([tmp_path / "missing"])


@pytest.mark.parametrize(
    ("distance_m", "band"),
    [
        (0.05, "< 0.10 m"),
        (0.10, "0.10–0.15 m"),
        (0.149, "0.10–0.15 m"),
        (0.15, ">= 0.15 m"),
        (0.199, ">= 0.15 m"),
    ],
)
def test_distance_band_cuts_at_the_edges(distance_m: float, band: str) -> None:
    """A distance on an edge belongs to the band above it."""
    assert distance_band(distance_m, [0.10, 0.15]) == band


def test_distance_band_with_one_edge() -> None:
    assert [distance_band(d, [0.2]) for d in (0.1, 0.2, 0.3)] == ["< 0.20 m", ">= 0.20 m", ">= 0.20 m"]


def test_distance_band_names_an_edge_as_given() -> None:
    """0.175 m stays 0.175 in the band's name (two decimals would round it to 0.17)."""
    assert distance_band_labels([0.15, 0.175]) == ["< 0.15 m", "0.15–0.175 m", ">= 0.175 m"]


def test_distance_edges_parse_and_refuse() -> None:
    assert distance_edges("0.10,0.15,0.175") == [0.10, 0.15, 0.175]
    for bad in ("", "a", "0.2,0.1", "0.1,0.1"):
        with pytest.raises(ValueError, match="increasing"):
            distance_edges(bad)
