import dataclasses

import numpy as np
import pytest
from dsp_helpers import load, synthetic_stream

from dsp import (
    FrameGeometry,
    OnsetConfig,
    ParameterError,
    SegmentConfig,
    Segmenter,
    motion_runs,
    onset_metric,
    segment,
)

FR = 10.0  # frames per second: 1 frame = 0.1 s keeps the hand-made cases readable


def run_stream(ratio: np.ndarray, cfg: SegmentConfig, fr: float) -> np.ndarray:
    seg = Segmenter(cfg=cfg, frame_rate_hz=fr)
    out = [seg.process(r) for r in ratio] + [seg.flush()]
    return np.concatenate(out).reshape(-1, 2)


def test_hysteresis_merge_and_rolls() -> None:
    cfg = SegmentConfig(
        on_db=6, off_db=3, merge_gap_s=0.3, min_duration_s=0.2, min_area_db_s=0.0, pre_roll_s=0.1, post_roll_s=0.1
    )
    r = np.zeros(40)
    r[5:9] = [7, 5, 4, 4]  # run 5..9: starts at the on-frame, holds above off
    r[10:12] = [8, 8]  # 1 frame gap -> merged with the first
    r[20] = 9  # single-frame blip: too short
    r[25:27] = [2, 4]  # never reaches on
    r[30:33] = [5, 7, 7]  # run starts at 31 (first frame >= on)
    ev = segment(r, cfg=cfg, frame_rate_hz=FR)
    np.testing.assert_array_equal(ev, [[4, 13], [30, 34]])
    assert ev.dtype == np.int64
    np.testing.assert_array_equal(run_stream(r, cfg, FR), ev)


def test_motion_runs_are_the_hysteresis_before_merging_and_dropping() -> None:
    r = np.zeros(40)
    r[5:9] = [7, 5, 4, 4]
    r[10:12] = [8, 8]
    r[20] = 9  # kept here, dropped by segment() as too short
    r[25:27] = [2, 4]  # never reaches on: no run
    r[30:33] = [5, 7, 7]  # starts at its first frame >= on
    runs = motion_runs(r, cfg=SegmentConfig(on_db=6, off_db=3))
    np.testing.assert_array_equal(runs, [[5, 9], [10, 12], [20, 21], [31, 33]])
    assert runs.dtype == np.int64 and motion_runs(np.zeros(0), cfg=SegmentConfig()).shape == (0, 2)


def test_open_event_at_end_and_nan() -> None:
    cfg = SegmentConfig(
        on_db=6, off_db=3, merge_gap_s=0.0, min_duration_s=0.0, min_area_db_s=0.0, pre_roll_s=0, post_roll_s=0.5
    )
    r = np.zeros(20)
    r[3:6] = [7, np.nan, 4]  # NaN holds the motion state
    r[8] = np.nan  # NaN while idle stays idle
    r[16:] = 9
    ev = segment(r, cfg=cfg, frame_rate_hz=FR)
    np.testing.assert_array_equal(ev, [[3, 11], [16, 20]])
    np.testing.assert_array_equal(run_stream(r, cfg, FR), ev)
    assert segment(np.zeros(0), cfg=cfg, frame_rate_hz=FR).shape == (0, 2)


def test_area_gate_drops_short_shallow_events() -> None:
    """Area = Σ max(ratio - off, 0) / rate over the event's motion runs; a sub-threshold run inside the
    merge gap adds nothing."""
    base = dict(on_db=6.0, off_db=3.0, merge_gap_s=0.5, min_duration_s=0.0, pre_roll_s=0.0, post_roll_s=0.0)
    r = np.zeros(60)
    r[5:7] = [7, 7]  # area (4 + 4) / 10 = 0.8 dB·s
    r[8] = 5  # below on: not a run, adds no area although it lies in the merge gap
    r[30:40] = 6  # long and shallow: area 10 * 3 / 10 = 3.0 dB·s
    r[50] = 9  # short and strong: area 0.6 dB·s
    for area, expected in [
        (0.0, [[5, 7], [30, 40], [50, 51]]),
        (0.6, [[5, 7], [30, 40], [50, 51]]),
        (0.7, [[5, 7], [30, 40]]),
        (0.9, [[30, 40]]),
        (3.1, []),
    ]:
        cfg = SegmentConfig(min_area_db_s=area, **base)
        ev = segment(r, cfg=cfg, frame_rate_hz=FR)
        np.testing.assert_array_equal(ev.reshape(-1, 2), np.reshape(expected, (-1, 2)), err_msg=f"area {area}")
        np.testing.assert_array_equal(run_stream(r, cfg, FR), ev)


def test_streaming_emits_only_final_events() -> None:
    cfg = SegmentConfig(
        on_db=6, off_db=3, merge_gap_s=0.5, min_duration_s=0.0, min_area_db_s=0.0, pre_roll_s=0, post_roll_s=0
    )
    seg = Segmenter(cfg=cfg, frame_rate_hz=FR)
    r = np.zeros(30)
    r[2:4] = 9
    emitted_at = [i for i, v in enumerate(r) if len(seg.process(v))]
    assert emitted_at == [4 + 5 - 1]  # final once the merge gap has passed


@pytest.mark.parametrize("seed", range(5))
def test_streaming_equals_batch_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = np.convolve(rng.normal(0, 6, 3000), np.ones(4) / 2, mode="same")
    r[rng.random(3000) < 0.01] = np.nan
    cfg = SegmentConfig(
        on_db=float(rng.uniform(4, 9)),
        off_db=float(rng.uniform(0, 4)),
        merge_gap_s=float(rng.uniform(0, 1)),
        min_duration_s=float(rng.uniform(0, 0.5)),
        min_area_db_s=float(rng.uniform(0, 1.5)),
        pre_roll_s=float(rng.uniform(0, 0.5)),
        post_roll_s=float(rng.uniform(0, 0.8)),
    )
    ev = segment(r, cfg=cfg, frame_rate_hz=FR)
    assert len(ev) > 5
    assert np.all(ev[:, 0] < ev[:, 1]) and np.all(ev[1:, 0] >= ev[:-1, 1])
    np.testing.assert_array_equal(run_stream(r, cfg, FR), ev)


def test_streaming_equals_batch_synthetic(gesture_close: FrameGeometry) -> None:
    bursts = ((1.0, 0.4, -0.8), (3.0, 0.4, 0.8), (3.6, 0.3, -0.8))
    x = synthetic_stream(gesture_close, frames=400, bursts=bursts)
    r = onset_metric(x, cfg=OnsetConfig(), geometry=gesture_close).ratio_db
    ev = segment(r, cfg=SegmentConfig(), frame_rate_hz=57.0)
    assert len(ev) == 2  # the last two bursts are 0.2 s apart: one event
    np.testing.assert_array_equal(run_stream(r, SegmentConfig(), 57.0), ev)


def test_streaming_equals_batch_real() -> None:
    x, g, _ = load("double_tap_in_idx_1")
    r = onset_metric(x, cfg=OnsetConfig(), geometry=g).ratio_db
    ev = segment(r, cfg=SegmentConfig(), frame_rate_hz=g.frame_rate_hz)
    np.testing.assert_array_equal(run_stream(r, SegmentConfig(), g.frame_rate_hz), ev)


def test_bad_input() -> None:
    with pytest.raises(ParameterError, match=r"\(2, 5\)"):
        segment(np.zeros((2, 5)), cfg=SegmentConfig(), frame_rate_hz=FR)
    with pytest.raises(ParameterError, match="off_db"):
        SegmentConfig(on_db=3, off_db=6)
    with pytest.raises(ParameterError, match="-1"):
        SegmentConfig(merge_gap_s=-1)
    with pytest.raises(ParameterError, match="frame_rate_hz"):
        segment(np.zeros(5), cfg=SegmentConfig(), frame_rate_hz=0)


def test_event_window_end_ends_at_the_latest_evidence() -> None:
    from dsp import event_window_end

    # A short event: the window ends end_pad frames after it and contains all of it.
    assert event_window_end(100, 130, window_frames=50, end_pad=6, pre=3) == 136
    # A long (merged) event: the window still ends end_pad after its last motion, so a checkpoint sees the
    # motion that has just ended (a gesture after the hand's entry), not the start it already judged.
    assert event_window_end(100, 190, window_frames=50, end_pad=6, pre=3) == 196
    # The window depends on the latest evidence only: a longer past does not move it.
    assert event_window_end(10, 190, window_frames=50, end_pad=6, pre=3) == 196


def test_decision_window_end_stays_within_the_history_before_the_frame() -> None:
    from dsp import decision_window_end

    kw = {"window_frames": 50, "end_pad": 6, "pre": 3, "history": 40}
    # A short event decided soon after it ended: the event_window_end rule, unchanged.
    assert decision_window_end(100, 130, 140, **kw) == 136
    # Never after the frame being processed.
    assert decision_window_end(100, 130, 120, **kw) == 121
    # A decision long after its event (a configuration with a merge gap beyond the history): the window
    # would end 136, 104 frames back; it ends `history` back instead.
    assert decision_window_end(100, 130, 240, **kw) == 241 - 40


#: At 57 Hz: a fast, faint tap as the widened simulator draws it (0.12 s above off_db, peak 9 dB, area
#: 0.53 dB·s: one stroke of a tap, as when the other stays below on_db), a still-hand blip like the largest one
#: in the pauses of the training days (0.16 s, peak 6 dB, area 0.24 dB·s < 0.31) and a smaller blip (0.12 s,
#: 0.12 dB·s).
FAST_TAP = (6.5, 8.0, 9.0, 9.0, 8.0, 6.5, 4.0)
STILL_BLIP = (5.5, 6.05, 5.5, 5.0, 4.5, 4.0, 3.5, 3.3, 3.2)
SMALL_BLIP = (5.1, 5.2, 4.0, 3.6, 3.4, 3.2, 3.1)


def fast_tap_and_blips() -> np.ndarray:
    r = np.zeros(300)
    r[50 : 50 + len(FAST_TAP)] = FAST_TAP
    r[120 : 120 + len(SMALL_BLIP)] = SMALL_BLIP
    r[200 : 200 + len(STILL_BLIP)] = STILL_BLIP
    return r


def test_default_keeps_a_fast_faint_tap_and_a_blip_and_drops_a_smaller_blip() -> None:
    """The default duration and area tests keep the short, faint tap of a fast or far subject (dropped by
    the former 0.2 s / 0.6 dB·s). Since RULE74 the area test (0.2 dB·s) proposes the still-hand blip too, for the
    model's ``none`` class and ``min_score`` to reject, and drops only a smaller one; the former 0.5 dB·s (the
    labelling segmentation of imported files) drops both blips."""
    r = fast_tap_and_blips()
    cfg = SegmentConfig()
    pre = round(cfg.pre_roll_s * 57.0)
    ev = segment(r, cfg=cfg, frame_rate_hz=57.0)
    tap = [50 - pre, 50 + len(FAST_TAP)]  # ends at the first frame < off_db
    np.testing.assert_array_equal(ev, [tap, [200 - pre, 200 + len(STILL_BLIP)]])
    labelling = dataclasses.replace(cfg, min_area_db_s=0.5)
    np.testing.assert_array_equal(segment(r, cfg=labelling, frame_rate_hz=57.0), [tap])
    np.testing.assert_array_equal(run_stream(r, cfg, 57.0), ev)
