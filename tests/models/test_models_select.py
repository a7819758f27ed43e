"""Test-time averaging, seed ensembles and the training-days-only model selection folds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from models.data import DataError, DatasetConfig, WindowConfig, held_out_indices
from models.evaluate import candidate_probs, candidate_windows, ensemble_predictor
from models.select import FOLDS, fold_split, score_fold, training_side

GESTURES = ("tap_in", "tap_out", "double_tap_in", "wiggle")


def _last_frame_energy(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A fake predictor whose output depends on where the window ends (so shifts matter)."""
    e = x[:, -1].reshape(len(x), -1).sum(axis=1)
    p = np.stack([1.0 / (1.0 + e), e / (1.0 + e)], axis=1)
    return np.pad(p, ((0, 0), (0, 3))).astype(np.float32)


def test_test_time_shifts_average_the_shifted_windows(sim_recordings: list) -> None:
    cfg = DatasetConfig(gestures=GESTURES)
    i = next(k for k, r in enumerate(sim_recordings) if len(r.detected))
    t = 50
    _, ends = candidate_probs(_last_frame_energy, sim_recordings, i, cfg=cfg, window_frames=t)
    np.testing.assert_array_equal(ends, candidate_windows(sim_recordings[i], i, cfg=cfg, window_frames=t).end)
    shifts = (-0.05, 0.0, 0.05)
    avg, last = candidate_probs(_last_frame_energy, sim_recordings, i, cfg=cfg, window_frames=t, shifts_s=shifts)
    parts = [
        candidate_probs(_last_frame_energy, sim_recordings, i, cfg=cfg, window_frames=t, shifts_s=(s,)) for s in shifts
    ]
    np.testing.assert_allclose(avg, np.mean([p for p, _ in parts], axis=0), rtol=1e-6)
    np.testing.assert_array_equal(last, np.max([e for _, e in parts], axis=0))
    assert np.all(last >= ends)
    # the default comes from the config
    shifted = DatasetConfig(gestures=GESTURES, window=WindowConfig(test_shifts_s=shifts))
    again, _ = candidate_probs(_last_frame_energy, sim_recordings, i, cfg=shifted, window_frames=t)
    np.testing.assert_allclose(again, avg, rtol=1e-6)
    with pytest.raises(DataError, match="test_shifts_s"):
        WindowConfig(test_shifts_s=())


def test_ensemble_averages_probabilities() -> None:
    x = np.ones((3, 4, 2, 2), dtype=np.float32)
    a = ensemble_predictor(
        [lambda v: np.full((len(v), 2), 0.2, np.float32), lambda v: np.full((len(v), 2), 0.6, np.float32)]
    )
    np.testing.assert_allclose(a(x), 0.4)


def test_folds_never_touch_the_test_set(sim_dir: Path) -> None:
    # every validation file is a training-side recording of the Acconeer data, each in one fold only
    names = [n for f in FOLDS.values() for n in f]
    assert len(names) == len(set(names))
    assert not any(n.endswith("_idx_3") or "static_hand" in n for n in names)
    assert fold_split("A").kind == "files" and fold_split("A").test == FOLDS["A"]
    # simulated recordings are not on the held-out day: all of them are training side
    assert training_side([sim_dir])


def test_score_fold_counts(sim_recordings: list) -> None:
    cfg = DatasetConfig(gestures=GESTURES)
    val = [k for k, r in enumerate(sim_recordings) if r.labels][:1]
    r = score_fold(_last_frame_energy, sim_recordings, cfg=cfg, window_frames=50, val=val, negatives=[])
    assert r["event_accuracy"] is None or 0.0 <= r["event_accuracy"] <= 1.0
    assert 0 <= r["pause_false"] <= r["pause_windows"]
    assert r["dynamic_events"] == 0
    assert held_out_indices(sim_recordings, fold_split("B"))[0] == []
