import numpy as np
import pytest

from dsp import EventScore, ParameterError, score_events


def test_found_false_timing_and_background() -> None:
    truth = [[10, 20], [40, 50], [80, 90]]
    events = [[12, 21], [38, 45], [46, 52], [60, 65]]  # truth 2 is split in two; 60-65 is false
    s = score_events(events, truth, num_frames=100, frame_rate_hz=10.0)
    assert (s.truth, s.found, s.detected, s.false) == (3, 2, 4, 1)
    assert s.recall == pytest.approx(2 / 3)
    assert s.background_s == pytest.approx(7.0)
    np.testing.assert_allclose(s.start_errors_s, [0.2, -0.2])  # best overlap of truth 2 is [38, 45)
    np.testing.assert_allclose(s.end_errors_s, [0.1, -0.5])
    assert s.within(0.2) == (1.0, 0.5, 0.5)
    assert s.false_per_10_min == pytest.approx(1 / 7 * 600)


def test_scores_add_and_empty_cases() -> None:
    a = score_events(np.zeros((0, 2)), [[1, 3]], num_frames=10, frame_rate_hz=1.0)
    b = score_events([[2, 4]], np.zeros((0, 2)), num_frames=10, frame_rate_hz=1.0)
    total = a + b + EventScore()
    assert (total.truth, total.found, total.false, total.detected) == (1, 0, 1, 1)
    assert total.background_s == pytest.approx(18.0)
    assert total.summary()["recall"] == 0.0
    with pytest.raises(ParameterError):
        score_events([[3, 3]], [], num_frames=10, frame_rate_hz=1.0)
