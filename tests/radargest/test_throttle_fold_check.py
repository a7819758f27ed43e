"""scripts/throttle_fold_check.py: its held-out safety and its pre-registered rule (no training, no data opened)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from cli_helpers import load_script


@pytest.fixture(scope="module")
def fc() -> ModuleType:
    return load_script("throttle_fold_check")


REAL = [
    "label_double_tap_in_idx_1",
    "label_double_tap_in_idx_2",
    "label_double_tap_in_idx_3",
    "label_double_tap_in_idx_5",
    "label_dynamic_hand_idx_1",
    "label_static_hand_idx_1",
    "label_tap_in_idx_1",
    "label_tap_in_idx_2",
    "label_tap_in_idx_3",
    "label_tap_out_idx_1",
    "label_tap_out_idx_2",
    "label_tap_out_idx_3",
    "label_wiggle_idx_1",
    "label_wiggle_idx_2",
    "label_wiggle_idx_3",
]


@pytest.mark.parametrize("fold", ["A", "B"])
def test_dirs_hold_no_held_out_file_and_split_the_training_side(fc: ModuleType, tmp_path: Path, fold: str) -> None:
    real = tmp_path / "real"
    real.mkdir()
    for n in REAL:
        (real / f"{n}.h5").write_bytes(b"")  # names only: the script never opens a file to choose it
    train, held = fc.build_dirs(real, fold, tmp_path / "out")
    t = {p.stem for p in train.iterdir()}
    h = {p.stem for p in held.iterdir()}
    assert h == set(fc.FOLDS[fold])
    assert not t & h
    assert t | h == {n for n in REAL if "idx_3" not in n and n != "label_static_hand_idx_1"}
    assert all(p.is_symlink() and p.resolve().parent == real.resolve() for p in [*train.iterdir(), *held.iterdir()])


def test_link_dir_refuses_a_held_out_name(fc: ModuleType, tmp_path: Path) -> None:
    f = tmp_path / "label_tap_in_idx_3.h5"
    f.write_bytes(b"")
    with pytest.raises(AssertionError, match="held-out"):
        fc.link_dir(tmp_path / "d", [f])


def _pooled(fc: ModuleType, variant: str, on: int, thr: int, truth: int = 100) -> dict[str, object]:
    summary = {"truth": truth, "false": 0, "sensor_ma": 1.0}
    return dict(fc.row(variant, "pooled", {**summary, "correct": on}, {**summary, "correct": thr}))


@pytest.mark.parametrize(
    ("idle", "fill", "fires"),
    [
        ((95, 89), (95, 91), True),  # gap 6 -> 4: 2 points smaller, same always-on
        ((95, 89), (95, 90), False),  # gap only 1 point smaller
        ((95, 89), (94, 91), True),  # gap 6 -> 3, always-on 1 point lower: allowed
        ((95, 89), (93, 92), False),  # gap 6 -> 1, but always-on 2 points lower
    ],
)
def test_rule(fc: ModuleType, idle: tuple[int, int], fill: tuple[int, int], fires: bool) -> None:
    out = fc.rule(_pooled(fc, "idle", *idle), _pooled(fc, "fill", *fill))
    assert out["fires"] is fires


def test_pooled_sums_counts_over_seeds(fc: ModuleType) -> None:
    s = {"truth": 50, "false": 2, "sensor_ma": 2.0}
    rows = [
        fc.row("idle", 0, {**s, "correct": 48}, {**s, "correct": 45, "sensor_ma": 1.0}),
        fc.row("idle", 1, {**s, "correct": 46}, {**s, "correct": 43, "sensor_ma": 3.0}),
    ]
    p = fc.pooled(rows, "idle")
    assert (p["truth"], p["always_on_correct"], p["throttled_correct"]) == (100, 94, 88)
    assert p["gap_pt"] == pytest.approx(6.0)
    assert p["throttled_a121_ma"] == pytest.approx(2.0)
