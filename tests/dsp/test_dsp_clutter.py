import numpy as np
import pytest
from dsp_helpers import load, synthetic_stream

from dsp import ClutterConfig, ClutterProcessor, FrameGeometry, ParameterError, remove_clutter


def test_alpha() -> None:
    cfg = ClutterConfig(time_constant_s=2.0, frame_rate_hz=50.0)
    assert cfg.alpha == pytest.approx(np.exp(-1 / 100))
    with pytest.raises(ParameterError, match="0"):
        ClutterConfig(time_constant_s=0)


def test_static_scene_removed(gesture_close: FrameGeometry) -> None:
    x = np.broadcast_to(np.arange(96).reshape(16, 6) * (1 + 1j), (20, 16, 6))
    y = remove_clutter(x, cfg=ClutterConfig())
    np.testing.assert_allclose(y, 0, atol=1e-9)


def test_streaming_equals_batch_synthetic(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=400)
    x[50] = np.nan
    cfg = ClutterConfig(time_constant_s=0.5, frame_rate_hz=57.0)
    batch = remove_clutter(x, cfg=cfg)
    proc = ClutterProcessor(cfg=cfg)
    stream = np.stack([proc.process(f) for f in x])
    np.testing.assert_allclose(stream, batch, rtol=1e-12, atol=1e-9)
    assert np.isnan(stream[50]).all() and np.isfinite(stream[51]).all()


def test_streaming_equals_batch_real() -> None:
    x, g, _ = load("tap_in_idx_1")
    cfg = ClutterConfig(time_constant_s=2.0, frame_rate_hz=g.frame_rate_hz)
    batch = remove_clutter(x, cfg=cfg)
    proc = ClutterProcessor(cfg=cfg)
    stream = np.stack([proc.process(f) for f in x])
    np.testing.assert_allclose(stream, batch, rtol=1e-12, atol=1e-9)


def test_batch_dims_and_bad_shapes(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=40)
    two = np.stack([x, 2 * x])
    two[1, 5] = np.nan  # a bad frame in one stream only
    y = remove_clutter(two, cfg=ClutterConfig())
    np.testing.assert_allclose(y[0], remove_clutter(x, cfg=ClutterConfig()))
    assert np.isnan(y[1, 5]).all() and np.isfinite(y[0, 5]).all()
    with pytest.raises(ParameterError, match=r"\(16, 6\)"):
        remove_clutter(x[0], cfg=ClutterConfig())
    with pytest.raises(ParameterError, match=r"\(6,\)"):
        ClutterProcessor(cfg=ClutterConfig()).process(np.zeros(6))
