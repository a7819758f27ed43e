"""The held-out name check that scripts use to refuse test files without opening them."""

from pathlib import Path

from radargest.datasets import TRAINING_FILES, held_out_names, is_held_out


def test_every_training_file_is_on_the_training_side() -> None:
    assert not [name for name in TRAINING_FILES if is_held_out(f"label_{name}.h5")]


def test_the_held_out_day_and_the_still_hand_are_refused() -> None:
    names = ["label_tap_in_idx_3.h5", "label_static_hand_idx_1.h5", "label_tap_in_idx_2.h5", "sim-s003_x.h5"]
    assert held_out_names([Path("/d") / n for n in names]) == names[:2]
    assert held_out_names(names[2:]) == []
    assert is_held_out(Path("/d/label_wiggle_idx_3.h5")) and not is_held_out(Path("/idx_3/label_wiggle_idx_1.h5"))
