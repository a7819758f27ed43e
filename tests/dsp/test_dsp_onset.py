import numpy as np
import pytest
from dsp_helpers import load, synthetic_stream

from dsp import (
    FrameGeometry,
    OnsetConfig,
    OnsetProcessor,
    ParameterError,
    bad_frames,
    doppler_magnitude,
    mask_bad_frames,
    onset_from_power,
    onset_metric,
    onset_point_power,
    onset_power,
)


def stream_all(proc: OnsetProcessor, x: np.ndarray) -> np.ndarray:
    return np.array([proc.process(f) for f in x]).T


def assert_same(stream: np.ndarray, batch: tuple[np.ndarray, ...]) -> None:
    for s, b in zip(stream, batch, strict=True):
        np.testing.assert_allclose(s, b, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_motion_rises_above_floor(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    x = synthetic_stream(g, frames=300, bursts=((2.0, 0.4, -0.8),))
    r = onset_metric(x, cfg=OnsetConfig(), geometry=g)
    burst = slice(int(2.05 * 57), int(2.35 * 57))
    assert np.nanmax(r.ratio_db[burst]) > 10.0
    assert np.nanmax(np.abs(r.ratio_db[60:100])) < 5.0  # still hand: near the floor


def test_power_matches_definition(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    x = synthetic_stream(g, frames=50)
    cfg = OnsetConfig(min_speed_m_s=0.25)
    mask = np.abs(g.velocities_m_s) >= 0.25
    expected = (doppler_magnitude(x) ** 2)[:, mask, :].sum(axis=(1, 2))
    np.testing.assert_allclose(onset_power(x, cfg=cfg, geometry=g), expected, rtol=1e-10)


@pytest.mark.parametrize("cfg", [OnsetConfig(), OnsetConfig(smoothing_s=0.01, floor_window_s=0.5)])
def test_streaming_equals_batch_synthetic(gesture_close: FrameGeometry, cfg: OnsetConfig) -> None:
    x = synthetic_stream(gesture_close, frames=500)
    proc = OnsetProcessor(cfg=cfg, geometry=gesture_close)
    assert_same(stream_all(proc, x), onset_metric(x, cfg=cfg, geometry=gesture_close))
    proc.reset()
    assert_same(stream_all(proc, x[:100]), onset_metric(x[:100], cfg=cfg, geometry=gesture_close))


def test_streaming_equals_batch_real() -> None:
    x, g, _ = load("wiggle_idx_1")
    cfg = OnsetConfig()
    assert_same(stream_all(OnsetProcessor(cfg=cfg, geometry=g), x), onset_metric(x, cfg=cfg, geometry=g))


def test_from_power_matches_metric_and_runs_per_point(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    x = synthetic_stream(g, frames=300, bursts=((2.0, 0.4, -0.8),))
    x[40] = np.nan  # a missing frame is missing in both
    cfg = OnsetConfig()
    assert_same(
        onset_from_power(onset_power(x, cfg=cfg, geometry=g), cfg=cfg, geometry=g), onset_metric(x, cfg=cfg, geometry=g)
    )
    per_point = onset_point_power(x, cfg=cfg, geometry=g)  # (frames, points): one stream per point
    r = onset_from_power(per_point.T, cfg=cfg, geometry=g)
    assert r.ratio_db.shape == (g.num_points, 300)
    for j in (0, g.num_points - 1):
        assert_same(onset_from_power(per_point[:, j], cfg=cfg, geometry=g), tuple(a[j] for a in r))
    with pytest.raises(ParameterError, match="frames axis"):
        onset_from_power(np.float64(1.0), cfg=cfg, geometry=g)


def test_process_magnitude_matches(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=200)
    a = OnsetProcessor(cfg=OnsetConfig(), geometry=gesture_close)
    b = OnsetProcessor(cfg=OnsetConfig(), geometry=gesture_close)
    mags = doppler_magnitude(x)
    np.testing.assert_allclose([a.process(f) for f in x], [b.process_magnitude(m) for m in mags], rtol=1e-9, atol=1e-9)


def test_nan_frames_are_missing(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    x = synthetic_stream(g, frames=300)
    saturated = np.zeros(300, bool)
    saturated[[40, 41, 200]] = True
    x[100] = np.nan
    bad = bad_frames(x, saturated=saturated)
    assert set(np.flatnonzero(bad)) == {40, 41, 100, 200}
    xm = mask_bad_frames(x, bad)
    assert np.isfinite(x[40]).all()  # input untouched
    cfg = OnsetConfig()
    batch = onset_metric(xm, cfg=cfg, geometry=g)
    assert_same(stream_all(OnsetProcessor(cfg=cfg, geometry=g), xm), batch)
    assert np.isnan(batch.ratio_db[bad]).all() and np.isfinite(batch.ratio_db[~bad]).all()
    np.testing.assert_array_equal(batch.floor[100], batch.floor[99])  # floor held
    # missing frames are as if they never came
    clean = onset_metric(x[~bad], cfg=cfg, geometry=g)
    np.testing.assert_allclose(batch.ratio_db[~bad], clean.ratio_db, rtol=1e-9, atol=1e-9)
    allnan = onset_metric(np.full((5, 16, 6), np.nan + 0j), cfg=cfg, geometry=g)
    assert np.isnan(allnan.ratio_db).all()


def test_batch_dims(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    x = synthetic_stream(g, frames=120)
    both = onset_metric(np.stack([x, x[::-1]]), cfg=OnsetConfig(), geometry=g)
    assert both.ratio_db.shape == (2, 120)
    reversed_alone = onset_metric(x[::-1], cfg=OnsetConfig(), geometry=g)
    np.testing.assert_allclose(both.ratio_db[1], reversed_alone.ratio_db)


def test_bad_input(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    with pytest.raises(ParameterError, match=r"\(16, 6\)"):
        onset_metric(np.zeros((16, 6), complex), cfg=OnsetConfig(), geometry=g)
    with pytest.raises(ParameterError, match=r"\(10, 16, 5\)"):
        onset_metric(np.zeros((10, 16, 5), complex), cfg=OnsetConfig(), geometry=g)
    with pytest.raises(ParameterError, match=r"\(16, 5\)"):
        OnsetProcessor(cfg=OnsetConfig(), geometry=g).process(np.zeros((16, 5), complex))
    with pytest.raises(ParameterError, match=r"5\.0"):
        OnsetProcessor(cfg=OnsetConfig(min_speed_m_s=5.0), geometry=g)
    with pytest.raises(ParameterError, match="150"):
        OnsetConfig(floor_percentile=150)
