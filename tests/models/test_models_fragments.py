"""Fragment windows (models.data.fragment_windows): the decision layer's checkpoints inside labelled
gestures, labelled with what the evidence so far supports, and their share of the balanced draw."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from tiny_models import GESTURES

import dsp
from acquisition import Label
from models.data import DataError, DatasetConfig, Recording, WindowConfig, balanced_sample, fragment_windows

RATE = 50.0
T = 40


def constructed(runs: list[tuple[int, int]], labels: list[tuple[int, int, str]], n: int = 620) -> Recording:
    """A recording whose onset ratio is 10 dB inside ``runs`` (nothing else of it is read here)."""
    ratio = np.zeros(n)
    for s, e in runs:
        ratio[s:e] = 10.0
    return Recording(
        path=Path("constructed.h5"),
        subject="s",
        day="",
        frames=np.zeros((n, 1, 1), dtype=np.complex64),
        features=np.zeros((n, 2, 2), dtype=np.float32),
        labels=tuple(Label(start_frame=s, end_frame=e, gesture=g, source="sim") for s, e, g in labels),
        detected=np.zeros((0, 2), dtype=np.int64),
        detected_emit=np.zeros(0, dtype=np.int64),
        frame_rate_hz=RATE,
        ratio_db=ratio,
        noise_scale=1.0,
    )


REC = constructed(
    runs=[(20, 45), (60, 85), (150, 165), (178, 200), (300, 325), (400, 425), (500, 510), (518, 535), (545, 560)],
    labels=[
        (20, 85, "double_tap_in"),  # first tap (25 frames, a tap_in's length), then the second
        (150, 200, "tap_out"),  # first stroke, a still moment, the second stroke
        (300, 325, "tap_in"),
        (400, 425, "tap_in"),
        (500, 560, "double_tap_in"),  # half a tap (10 frames), the rest of the first tap, the second tap
    ],
)


def test_fragments_are_the_checkpoints_before_the_motion_ends() -> None:
    cfg = DatasetConfig(gestures=GESTURES)
    w = fragment_windows([REC], [0], cfg=cfg, window_frames=T)
    got = sorted(zip(w.end.tolist(), (cfg.classes[k] for k in w.label.tolist()), strict=True))
    decision = dsp.DecisionConfig()
    settle = decision.frames(RATE)[1]
    rows = dsp.decision.checkpoints(
        REC.ratio_db,
        cfg=decision,
        segment=cfg.segment,
        frame_rate_hz=RATE,
        window_frames=T,
        end_pad_frames=5,
        pre_frames=2,
    )
    ends = {int(e): int(win) for _s, e, win, _n in rows.tolist()}
    # tap_in's median length is 25 frames: the first tap of a double tap (25 frames) and the first tap with
    # the first stroke before it (35) are tap_in; half a tap (10) and the first stroke of a tap_out are "not yet"
    assert got == sorted([(ends[45], "tap_in"), (ends[165], "none"), (ends[510], "none"), (ends[535], "tap_in")])
    assert (w.kind == 4).all() and all(s >= 0 for s in w.starts().tolist())
    assert ends[45] + settle <= ends[85] and not {ends[85], ends[200], ends[560], ends[325]} & set(w.end.tolist())


def test_without_the_longer_gesture_no_fragment_is_a_prefix() -> None:
    cfg = DatasetConfig(gestures=("tap_in", "tap_out"))  # double_tap_in not requested: its fragments are skipped
    w = fragment_windows([REC], [0], cfg=cfg, window_frames=T)
    assert w.label.tolist() == [0]  # only the tap_out's first stroke


def test_fragment_share_of_the_draw() -> None:
    cfg = DatasetConfig(gestures=GESTURES, windows_per_class=20)
    frag = fragment_windows([REC], [0], cfg=cfg, window_frames=T)
    # plain windows: 30 of each class
    k = len(cfg.classes)
    plain_label = np.repeat(np.arange(k), 30)
    from models.data import WindowSet

    plain = WindowSet(
        recording=np.zeros(plain_label.size, dtype=np.int64),
        end=np.full(plain_label.size, 100, dtype=np.int64),
        label=plain_label,
        kind=np.where(plain_label == 0, 2, 0),
    )
    both = WindowSet.concat([plain, frag])
    off = balanced_sample(
        both, dataclasses.replace(cfg, window=WindowConfig(fragment_share=0.0)), np.random.default_rng(0)
    )
    assert not (off.kind == 4).any()
    share = dataclasses.replace(cfg, window=WindowConfig(fragment_share=0.2))
    s = balanced_sample(both, share, np.random.default_rng(0))
    counts = s.counts(k)
    assert (counts[1:] == 30).all() and counts[0] == 45  # the class sizes do not change
    f = s.subset(s.kind == 4).counts(k)
    # 20 % of the none draw (9) and of tap_in's (6), each fragment shown at most 3 times
    assert f.tolist() == [min(9, 3 * 2), min(6, 3 * 2), 0, 0, 0]
    with pytest.raises(DataError, match="fragment_share"):
        WindowConfig(fragment_share=1.0)


def test_train_option_and_its_inheritance(tmp_path: Path, tiny_run: Path) -> None:
    from models.data import FRAGMENT_SHARE
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    def cfg(*extra: str) -> WindowConfig:
        argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), *extra]
        return train_config_from_args(build_parser().parse_args(argv)).dataset.window  # type: ignore[no-any-return]

    assert FRAGMENT_SHARE > 0 and cfg().fragment_share == FRAGMENT_SHARE  # on by default
    assert cfg("--fragment-share", "0").fragment_share == 0.0
    assert cfg("--init", str(tiny_run)).fragment_share == FRAGMENT_SHARE  # the init run's share
    assert cfg("--init", str(tiny_run), "--fragment-share", "0.3").fragment_share == 0.3


def test_with_the_close_look_a_press_only_checkpoint_is_a_fragment() -> None:
    """A tap whose return stroke stayed below ``on_db``: its one run (the press) closes the event undecided, so
    the look's runtime classifies it once more at the close; the press's checkpoint is then no longer the final
    window and, cut with the look, is a fragment (``none``: not yet). Without the look it stays the final one."""
    rec = constructed(runs=[(300, 315)], labels=[(300, 340, "tap_in")], n=420)
    off_cfg = DatasetConfig(gestures=GESTURES)
    on_cfg = dataclasses.replace(off_cfg, window=WindowConfig(fragment_close_look=True))
    assert not off_cfg.window.fragment_close_look  # the default: the recipe as trained before
    off = fragment_windows([rec], [0], cfg=off_cfg, window_frames=T)
    on = fragment_windows([rec], [0], cfg=on_cfg, window_frames=T)
    rows = dsp.decision.checkpoints(
        rec.ratio_db,
        cfg=dsp.DecisionConfig(),
        segment=off_cfg.segment,
        frame_rate_hz=RATE,
        window_frames=T,
        end_pad_frames=5,
        pre_frames=2,
    )
    press = int(rows[rows[:, 1] == 315][0, 2])  # the window of the press's checkpoint
    assert int(rows[-1, 2]) > press  # the close window, after it
    assert len(off) == 0
    assert on.end.tolist() == [press] and on.label.tolist() == [0] and (on.kind == 4).all()
    with pytest.raises(DataError, match="fragment_close_look"):
        WindowConfig(fragment_close_look=1)  # type: ignore[arg-type]


def test_fragment_close_look_option_and_old_configs(tmp_path: Path, tiny_run: Path) -> None:
    from models.config import read_config
    from radargest.cli import build_parser
    from radargest.model_cmds import train_config_from_args

    def cfg(*extra: str) -> WindowConfig:
        argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), *extra]
        return train_config_from_args(build_parser().parse_args(argv)).dataset.window  # type: ignore[no-any-return]

    assert not cfg().fragment_close_look and cfg("--fragment-close-look", "on").fragment_close_look
    assert not cfg("--init", str(tiny_run)).fragment_close_look  # the init run's
    assert cfg("--init", str(tiny_run), "--fragment-close-look", "on").fragment_close_look
    toml = tmp_path / "config.toml"  # a run written before the option: loads with the fragments as it trained
    toml.write_text(
        "\n".join(s for s in (tiny_run / "config.toml").read_text().splitlines() if "fragment_close_look" not in s)
    )
    assert not read_config(toml).dataset.window.fragment_close_look
