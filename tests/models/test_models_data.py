"""Windows, splits, augmentation and bad input of models.data."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_models import GESTURES

from models.data import (
    AugmentConfig,
    DataError,
    DatasetConfig,
    SplitConfig,
    balanced_sample,
    check_classes,
    cut_windows,
    held_out_indices,
    load_recordings,
    materialise,
    parse_split,
    split_recordings,
)

CFG = DatasetConfig(gestures=GESTURES)


def test_importing_data_does_not_import_tensorflow() -> None:
    import subprocess

    code = (
        "import sys, models.data, models.config; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_window_shape_and_length(sim_recordings: list) -> None:
    rate = sim_recordings[0].frame_rate_hz
    t = CFG.window.frames(rate)
    assert t == round(0.875 * rate) and 45 <= t <= 55
    w = cut_windows(sim_recordings, range(len(sim_recordings)), cfg=CFG, window_frames=t)
    x, _ = materialise(sim_recordings, w, cfg=CFG, window_frames=t)
    assert x.shape == (len(w), t, 16, 6) and x.dtype == np.float32 and np.isfinite(x).all()
    counts = w.counts(len(CFG.classes))
    assert (counts > 0).all()
    # every event window overlaps its event; background windows keep the margin from every label
    for k in np.flatnonzero(w.kind == 2):
        rec = sim_recordings[int(w.recording[k])]
        lo, hi = int(w.end[k]) - t, int(w.end[k])
        assert all(hi <= la.start_frame or lo >= la.end_frame for la in rec.labels)


def test_subject_split_never_leaks(sim_recordings: list) -> None:
    split = split_recordings(sim_recordings, parse_split("subject"), gestures=GESTURES, window_frames=50, seed=0)
    test_subjects = {sim_recordings[i].subject for i in split.test}
    train_subjects = {sim_recordings[i].subject for i in split.train}
    assert split.test and not set(split.test) & set(split.train) and not set(split.test) & set(split.val)
    assert not test_subjects & train_subjects


def test_recording_validation_is_disjoint(sim_recordings: list) -> None:
    recs = sim_recordings * 4  # enough recordings per class for whole-recording validation
    split = split_recordings(
        recs, SplitConfig(kind="none", val_mode="recording"), gestures=GESTURES, window_frames=50, seed=1
    )
    assert split.val_mode == "recording" and split.val
    assert not set(split.train) & set(split.val)


def test_tail_validation_windows_do_not_overlap(sim_recordings: list) -> None:
    t = 50
    split = split_recordings(
        sim_recordings, SplitConfig(kind="none", val_mode="tail"), gestures=GESTURES, window_frames=t, seed=0
    )
    tw = cut_windows(sim_recordings, split.train, cfg=CFG, window_frames=t, split=split, role="train")
    vw = cut_windows(sim_recordings, split.val, cfg=CFG, window_frames=t, split=split, role="val")
    for r in set(tw.recording.tolist()):
        last_train = tw.end[tw.recording == r].max()
        first_val = (vw.end[vw.recording == r] - t).min()
        assert last_train + t <= first_val  # a guard of a whole window between them


def test_day_split_is_the_acconeer_protocol(real_dir: Path, tmp_path: Path) -> None:
    from radargest.importers import import_gesture_control

    import_gesture_control(real_dir, tmp_path)
    recs = load_recordings([tmp_path], cfg=CFG)
    test, _ = held_out_indices(recs, parse_split("day"))
    names = sorted(recs[i].name for i in test)
    assert names == sorted(
        ["label_static_hand_idx_1"] + [f"label_{g}_idx_3" for g in ("double_tap_in", "tap_in", "tap_out", "wiggle")]
    )
    split = split_recordings(recs, parse_split("day"), gestures=GESTURES, window_frames=50, seed=0)
    assert not {recs[i].name for i in split.train} & set(names)
    assert "label_dynamic_hand_idx_1" in {recs[i].name for i in split.train}


def test_augmentation_changes_training_windows_only(sim_recordings: list) -> None:
    t = 50
    w = cut_windows(sim_recordings, [0], cfg=CFG, window_frames=t)
    plain, _ = materialise(sim_recordings, w, cfg=CFG, window_frames=t)
    again, _ = materialise(sim_recordings, w, cfg=CFG, window_frames=t)
    np.testing.assert_array_equal(plain, again)  # validation/test windows: deterministic, no augmentation
    rec = sim_recordings[0]
    k = 0
    np.testing.assert_array_equal(plain[k], rec.features[int(w.end[k]) - t : int(w.end[k])])
    aug, _ = materialise(
        sim_recordings,
        w,
        cfg=CFG,
        window_frames=t,
        augment=AugmentConfig(probability=1.0),
        rng=np.random.default_rng(0),
        shift=True,
    )
    assert aug.shape == plain.shape and not np.allclose(aug, plain)
    with pytest.raises(DataError):
        materialise(sim_recordings, w, cfg=CFG, window_frames=t, augment=AugmentConfig())


@pytest.mark.parametrize("background_per_class", [CFG.background_per_class, 3.0, 0.5])
def test_balanced_sample_balances_gestures(sim_recordings: list, background_per_class: float) -> None:
    w = cut_windows(sim_recordings, range(len(sim_recordings)), cfg=CFG, window_frames=50)
    cfg = dataclasses.replace(CFG, windows_per_class=20, background_per_class=background_per_class)
    s = balanced_sample(w, cfg, np.random.default_rng(0))
    counts = s.counts(len(CFG.classes))
    assert (counts[1:] == counts[1]).all() and counts[0] == round(counts[1] * background_per_class)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_background_per_class_must_be_a_positive_number(bad: float) -> None:
    with pytest.raises(DataError, match="background_per_class"):
        DatasetConfig(gestures=GESTURES, background_per_class=bad)


def test_train_option_background_per_class_and_its_inheritance(tmp_path: Path, tiny_run: Path) -> None:
    """``--background-per-class`` sets the ratio; with ``--init`` the initial run's is kept unless it is given."""
    from models.config import read_run_config, write_config
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    def ratio(*extra: str) -> float:
        argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), *extra]
        return float(train_config_from_args(build_parser().parse_args(argv)).dataset.background_per_class)

    assert ratio() == CFG.background_per_class
    assert ratio("--background-per-class", "3") == 3.0
    init = tmp_path / "init"  # a run trained with another ratio than the default
    shutil.copytree(tiny_run, init)
    cfg = read_run_config(init)
    write_config(
        dataclasses.replace(cfg, dataset=dataclasses.replace(cfg.dataset, background_per_class=2.0)),
        init / "config.toml",
    )
    assert ratio("--init", str(init)) == 2.0
    assert ratio("--init", str(init), "--background-per-class", "2.5") == 2.5


@pytest.mark.parametrize("share", [0.25, 0.5, 0.8])
def test_balanced_sample_rehearsal_share(sim_recordings: list, share: float) -> None:
    """Each gesture class draws ``rehearsal_share`` of its windows from the rehearsed recordings, however
    few of them there are (here one recording of several)."""
    w = cut_windows(sim_recordings, range(len(sim_recordings)), cfg=CFG, window_frames=50)
    rehearsal = w.recording == 0
    cfg = dataclasses.replace(CFG, windows_per_class=40)
    s = balanced_sample(w, cfg, np.random.default_rng(0), rehearsal=rehearsal, rehearsal_share=share)
    mixed = [
        c for c in range(1, len(CFG.classes)) if (w.label[rehearsal] == c).any() and (w.label[~rehearsal] == c).any()
    ]
    assert mixed
    for c in mixed:
        picked = s.recording[s.label == c]
        assert (picked == 0).sum() == round(picked.size * share)
    plain = balanced_sample(w, cfg, np.random.default_rng(0))
    assert (s.counts(len(CFG.classes)) == plain.counts(len(CFG.classes))).all()  # the epoch's size is unchanged


@pytest.mark.parametrize("names", [("Tap-In",), ("none",), ("tap_in", "tap_in"), ()])
def test_bad_gesture_names(names: tuple[str, ...]) -> None:
    with pytest.raises(DataError):
        DatasetConfig(gestures=names)


def test_class_without_examples(sim_recordings: list) -> None:
    cfg = DatasetConfig(gestures=("tap_in", "clap"))
    w = cut_windows(sim_recordings, range(len(sim_recordings)), cfg=cfg, window_frames=50)
    with pytest.raises(DataError, match="clap"):
        check_classes(w, cfg)


def test_preset_mismatch_is_refused(sim_dir: Path) -> None:
    with pytest.raises(DataError, match="does not match preset 'gesture_far'"):
        load_recordings([sim_dir], cfg=DatasetConfig(gestures=GESTURES, preset="gesture_far"))


@pytest.mark.parametrize("text", ["random", "day:27-07-2022", "files:"])
def test_bad_split(text: str) -> None:
    with pytest.raises(DataError):
        parse_split(text)


def test_missing_data_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_recordings([tmp_path / "nope"], cfg=CFG)
    with pytest.raises(DataError, match=r"no \.h5"):
        load_recordings([tmp_path], cfg=CFG)


def test_throttled_view_repeats_the_first_frame_encoded_after_the_wake() -> None:
    """The runtime's post-wake view (deploy.runtime fills its ring with the first embedding after a wake):
    on an event the wake falls within the delay after its start; on a background window (no start, the
    hard negatives of that view) ``wake_after_s`` before the window's end."""
    from models.data import ROBUST_AUGMENT, AugmentConfig, throttled_view

    cfg = AugmentConfig(wake_max_delay_s=0.2, wake_after_s=(0.1, 0.4), wake_exact=True)
    rate = 50.0  # 10 frames of delay at most; background wakes 5-20 frames before the end
    idx = np.arange(100, 150)
    rng = np.random.default_rng(0)
    seen_event, seen_bg = set(), set()
    for _ in range(300):
        out = throttled_view(idx, 120, cfg=cfg, frame_rate_hz=rate, rng=rng)
        wake = int(out[0])
        assert 120 <= wake <= 130 and np.array_equal(out, np.where(idx < wake, wake, idx))
        seen_event.add(wake)
        out = throttled_view(idx, -1, cfg=cfg, frame_rate_hz=rate, rng=rng)
        wake = int(out[0])
        assert 130 <= wake <= 145 and np.array_equal(out, np.where(idx < wake, wake, idx))
        seen_bg.add(wake)
    assert seen_event == set(range(120, 131)) and seen_bg == set(range(130, 146))
    warped = np.array([100, 103, 106, 109, 112, 115])  # speed warp: the fill is still the wake frame
    out = throttled_view(
        warped, 104, cfg=AugmentConfig(wake_max_delay_s=0.0, wake_exact=True), frame_rate_hz=rate, rng=rng
    )
    assert out.tolist() == [104, 104, 106, 109, 112, 115]
    assert ROBUST_AUGMENT.wake_exact  # the recipe trains a throttled view (with the IDLE history: idle_history_view)


def test_idle_history_view_holds_each_idle_frame_until_the_next() -> None:
    """Before the wake the window shows the IDLE frames the device sensed, every ``wake_idle_decimation``-th frame
    (the last one the frame before the wake), each held until the next; from the wake on, the frames themselves."""
    from models.data import AugmentConfig, idle_history_view

    cfg = AugmentConfig(wake_history="idle", wake_max_delay_s=0.0, wake_idle_decimation=3)
    idx = np.arange(100, 150)
    frames, idle = idle_history_view(idx, 120, cfg=cfg, frame_rate_hz=50.0, rng=np.random.default_rng(0))
    assert idle.tolist() == (idx < 120).tolist()
    assert frames[idx >= 120].tolist() == list(range(120, 150))
    assert frames[:20].tolist() == [101, 101] + [f for s in (104, 107, 110, 113, 116, 119) for f in (s, s, s)]
    with pytest.raises(DataError, match="wake_history"):
        AugmentConfig(wake_history="past")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="wake_exact"):
        AugmentConfig(wake_history="idle", wake_exact=False)
