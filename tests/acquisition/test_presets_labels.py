from __future__ import annotations

from pathlib import Path

import pytest
from acconeer.exptool import a121

from acquisition import Label, PresetError, RecordingError, get_preset, preset_for_config
from acquisition.labels import read_labels_csv, write_labels_csv
from acquisition.presets import config_mismatch, sensor_config_with


def test_gesture_close_matches_the_real_recordings(real_dir: Path) -> None:
    record = a121.load_record(real_dir / "gesture_detection" / "label_dynamic_hand_idx_1.h5")
    config = record.session_config.sensor_config
    assert preset_for_config(config) == "gesture_close"
    assert config_mismatch(config, get_preset("gesture_close").sensor_config) == []


def test_config_mismatch_names_enums_as_a_bundle_manifest_does() -> None:
    """``profile='PROFILE_2'!='PROFILE_1'``, as ``detect`` says it, not ``<Profile.PROFILE_2: 2>``."""
    diff = config_mismatch(get_preset("gesture_far").sensor_config, get_preset("gesture_close").sensor_config)
    assert "profile='PROFILE_2'!='PROFILE_1'" in diff and "start_point=40!=20" in diff


def test_presets_are_fresh_validated_copies() -> None:
    preset = get_preset("gesture_close")
    a, b = preset.sensor_config, preset.sensor_config
    a.sweeps_per_frame = 32
    assert b.sweeps_per_frame == 16
    assert get_preset("gesture_far").sensor_config.num_points == 8


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"hwaas": 0}, "hwaas"),
        ({"sweeps_per_frame": -3}, "-3"),
        ({"bogus": 1}, "bogus"),
        ({"sweep_rate": None}, "sweep_rate"),
        # the value is blamed, with exptool's limit, not the preset ("preset 'gesture_close' is invalid")
        ({"frame_rate": 1e9}, r"frame_rate=1e\+09 does not fit preset 'gesture_close': .*62.50 Hz"),
    ],
)
def test_invalid_preset_values_name_the_value(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(PresetError, match=fragment):
        sensor_config_with(get_preset("gesture_close"), **overrides)


def test_unknown_preset_lists_known_names() -> None:
    with pytest.raises(PresetError, match="gesture_close"):
        get_preset("gesture_nope")


def test_labels_csv_round_trip(tmp_path: Path) -> None:
    labels = [
        Label(start_frame=10, end_frame=40, gesture="tap_in", source="prompt"),
        Label(start_frame=100, end_frame=180, gesture="wiggle", source="manual"),
    ]
    path = tmp_path / "labels.csv"
    write_labels_csv(labels, path)
    assert read_labels_csv(path) == labels
    assert path.read_text().splitlines()[0] == "start_frame,end_frame,gesture,source"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("start_frame,end_frame,gesture\n1,2,tap_in\n", "source"),
        ("start_frame,end_frame,gesture,source\n5,5,tap_in,manual\n", "line 2"),
        ("start_frame,end_frame,gesture,source\n1,9,Tap In,manual\n", "Tap In"),
        ("start_frame,end_frame,gesture,source\n1,9,tap_in,guess\n", "guess"),
        ("start_frame,end_frame,gesture,source\nx,9,tap_in,manual\n", "line 2"),
        (
            "start_frame,end_frame,gesture,source\n1,9,tap_in,manual\n20,40,none,manual\n",
            "line 3: 'none' is the background",
        ),
        (  # two gestures sharing frames 30-39; the rows out of order in the file
            "start_frame,end_frame,gesture,source\n30,60,wiggle,manual\n10,40,tap_in,manual\n",
            r"line 3 \(tap_in \[10, 40\)\) and line 2 \(wiggle \[30, 60\)\) overlap on frames \[30, 40\); ",
        ),
        (  # the same gesture twice; an overlap with an earlier, longer row, not only the row before
            "start_frame,end_frame,gesture,source\n0,100,tap_in,manual\n10,20,tap_in,auto\n90,120,tap_in,manual\n",
            r"line 2 \(tap_in \[0, 100\)\) and line 3 \(tap_in \[10, 20\)\) overlap .* shorten, merge or delete",
        ),
        (
            "start_frame,end_frame,gesture,source\n0,100,wiggle,manual\n40,50,tap_in,manual\n60,70,tap_in,manual\n",
            r"line 2 \(wiggle \[0, 100\)\) and line 3 \(tap_in \[40, 50\)\) overlap on frames \[40, 50\)",
        ),
    ],
)
def test_bad_label_csv_is_refused_with_the_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingError, match=fragment):
        read_labels_csv(path)


def test_labels_csv_rows_that_only_touch_are_not_an_overlap(tmp_path: Path) -> None:
    """``end_frame`` is exclusive: a row ending at frame 40 and one starting there share no frame."""
    path = tmp_path / "touching.csv"
    path.write_text("start_frame,end_frame,gesture,source\n40,60,wiggle,manual\n10,40,tap_in,manual\n")
    assert [(lab.start_frame, lab.gesture) for lab in read_labels_csv(path)] == [(10, "tap_in"), (40, "wiggle")]
