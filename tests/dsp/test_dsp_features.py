import numpy as np
import pytest
from dsp_helpers import load, synthetic_stream

from dsp import (
    ClutterConfig,
    FrameGeometry,
    ParameterError,
    RangeDopplerConfig,
    RangeDopplerProcessor,
    range_doppler,
    velocity_time,
)

RAW = RangeDopplerConfig(compression="none", normalisation="none")


def reference(x: np.ndarray) -> np.ndarray:
    """Independent numpy reference of the raw range-Doppler magnitude."""
    h = np.hanning(x.shape[-2])
    z = (x - x.mean(axis=-2, keepdims=True)) * (h / h.sum())[:, None]
    return np.abs(np.fft.fftshift(np.fft.fft(z, axis=-2), axes=-2))


def point_target(g: FrameGeometry, *, v: float, r0: float, frames: int) -> np.ndarray:
    fi = np.arange(frames)[:, None]
    si = np.arange(g.sweeps_per_frame)[None, :]
    t = si / g.sweep_rate_hz + fi / g.frame_rate_hz
    r = r0 + v * t
    env = np.exp(-0.5 * ((g.distances_m[None, None, :] - r[..., None]) / 0.017) ** 2)
    return 1000.0 * env * np.exp(1j * 4 * np.pi * r[..., None] / g.wavelength_m)


@pytest.mark.parametrize("v", [-0.5, 0.5])
def test_point_target_bin_sign_and_distance(gesture_close: FrameGeometry, v: float) -> None:
    g = gesture_close
    r0 = 0.11
    x = point_target(g, v=v, r0=r0, frames=4)
    rd = range_doppler(x, cfg=RAW)
    assert rd.shape == (4, 16, 6) and rd.dtype == np.float32
    expected_bin = int(np.argmin(np.abs(g.velocities_m_s - v)))
    for k in range(4):
        dop, pt = np.unravel_index(np.argmax(rd[k]), rd[k].shape)
        assert dop == expected_bin
        assert np.sign(g.velocities_m_s[dop]) == np.sign(v)  # approaching = negative
        r_mid = r0 + v * (k / g.frame_rate_hz + 7.5 / g.sweep_rate_hz)
        assert pt == int(np.argmin(np.abs(g.distances_m - r_mid)))
    vt = velocity_time(rd)
    assert vt.shape == (4, 16)
    assert np.all(np.argmax(vt, axis=1) == expected_bin)


def test_matches_reference_synthetic(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=200)
    np.testing.assert_allclose(range_doppler(x, cfg=RAW), reference(x), rtol=1e-5, atol=1e-5)


def test_matches_reference_real() -> None:
    x, _, _ = load("tap_in_idx_1")
    np.testing.assert_allclose(range_doppler(x, cfg=RAW), reference(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "cfg",
    [
        RangeDopplerConfig(),
        RangeDopplerConfig(compression="db", normalisation="none"),
        RangeDopplerConfig(normalisation="frame_max"),
        RangeDopplerConfig(clutter=ClutterConfig(time_constant_s=1.0, frame_rate_hz=57.0)),
    ],
)
def test_streaming_equals_batch(gesture_close: FrameGeometry, cfg: RangeDopplerConfig) -> None:
    x = synthetic_stream(gesture_close, frames=300)
    batch = range_doppler(x, cfg=cfg)
    proc = RangeDopplerProcessor(cfg=cfg)
    stream = np.stack([proc.process(f) for f in x])
    np.testing.assert_allclose(stream, batch, rtol=1e-6, atol=1e-6)
    proc.reset()
    np.testing.assert_allclose(np.stack([proc.process(f) for f in x[:10]]), batch[:10], rtol=1e-6, atol=1e-6)


def test_streaming_equals_batch_real() -> None:
    x, g, _ = load("double_tap_in_idx_2")
    cfg = RangeDopplerConfig(clutter=ClutterConfig(time_constant_s=2.0, frame_rate_hz=g.frame_rate_hz))
    batch = range_doppler(x, cfg=cfg)
    proc = RangeDopplerProcessor(cfg=cfg)
    stream = np.stack([proc.process(f) for f in x])
    np.testing.assert_allclose(stream, batch, rtol=1e-6, atol=1e-6)


def test_compression_values(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=20)
    raw = reference(x)
    cfg = RangeDopplerConfig(compression="log1p", reference_amplitude=10.0, output_scale=5.0)
    np.testing.assert_allclose(range_doppler(x, cfg=cfg), np.log1p(raw / 10.0) / 5.0, rtol=1e-5)
    cfg = RangeDopplerConfig(compression="db", normalisation="none", reference_amplitude=1.0, db_floor=1e-3)
    np.testing.assert_allclose(range_doppler(x, cfg=cfg), 20 * np.log10(raw + 1e-3), rtol=1e-5, atol=1e-4)
    fm = range_doppler(x, cfg=RangeDopplerConfig(normalisation="frame_max"))
    np.testing.assert_allclose(fm.max(axis=(-2, -1)), 1.0, rtol=1e-6)


def test_input_unchanged_and_batch_dims(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=30)
    copy = x.copy()
    cfg = RangeDopplerConfig(clutter=ClutterConfig())
    single = range_doppler(x, cfg=cfg)
    stacked = range_doppler(np.stack([x, x[::-1]]), cfg=cfg)
    np.testing.assert_array_equal(x, copy)
    assert stacked.shape == (2, 30, 16, 6)
    np.testing.assert_allclose(stacked[0], single, rtol=1e-6)
    np.testing.assert_allclose(stacked[1], range_doppler(x[::-1], cfg=cfg), rtol=1e-6)


def test_bad_input() -> None:
    with pytest.raises(ParameterError, match=r"\(16,\)"):
        range_doppler(np.zeros(16, complex), cfg=RAW)
    with pytest.raises(ParameterError, match=r"\(16, 6\)"):
        range_doppler(np.zeros((16, 6), complex), cfg=RangeDopplerConfig(clutter=ClutterConfig()))
    with pytest.raises(ParameterError, match=r"\(3, 16, 6\)"):
        RangeDopplerProcessor(cfg=RAW).process(np.zeros((3, 16, 6), complex))
    with pytest.raises(ParameterError, match="'mel'"):
        RangeDopplerConfig(compression="mel")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="-2"):
        RangeDopplerConfig(reference_amplitude=-2)


def test_nan_frames(gesture_close: FrameGeometry) -> None:
    x = synthetic_stream(gesture_close, frames=50)
    x[10] = np.nan
    x[20, 3, 2] = np.inf
    cfg = RangeDopplerConfig(clutter=ClutterConfig())
    batch = range_doppler(x, cfg=cfg)
    assert np.isnan(batch[10]).all() and np.isnan(batch[20]).all()
    assert np.isfinite(batch[np.r_[0:10, 11:20, 21:50]]).all()
    proc = RangeDopplerProcessor(cfg=cfg)
    stream = np.stack([proc.process(f) for f in x])
    np.testing.assert_allclose(stream, batch, rtol=1e-6, atol=1e-6)


def test_idle_range_doppler_is_the_idle_frames_map_on_the_full_axes() -> None:
    """Only the first ``idle_sweeps`` sweeps of every ``point_step``-th point count; the Doppler axis is the full
    map's (a tone peaks in the same bin), the points in between are interpolated, the last one repeated."""
    import dsp

    cfg = RangeDopplerConfig(compression="none", normalisation="none")
    sweeps, points = 16, 6
    n = np.arange(sweeps)
    frame = np.zeros((sweeps, points), dtype=np.complex128)
    frame[:, 2] = 100.0 * np.exp(2j * np.pi * 3 * n / sweeps)  # a tone, at a measured point
    frame[5:, 4] = 1000.0  # moves only after the IDLE sweeps
    m = dsp.idle_range_doppler(frame, cfg=cfg, idle_sweeps=5, point_step=2)
    full = range_doppler(frame, cfg=cfg)
    assert m.shape == full.shape == (sweeps, points)
    assert np.argmax(m[:, 2]) == np.argmax(full[:, 2])
    np.testing.assert_allclose(m[:, 4], 0.0, atol=1e-9)  # still during the IDLE sweeps
    assert full[:, 4].max() > 100.0
    np.testing.assert_allclose(m[:, 3], (m[:, 2] + m[:, 4]) / 2, rtol=1e-6)
    np.testing.assert_allclose(m[:, 5], m[:, 4])
    batch = dsp.idle_range_doppler(np.stack([frame, 2 * frame]), cfg=cfg, idle_sweeps=5, point_step=2)
    np.testing.assert_allclose(batch[1], 2 * m, rtol=1e-6)
    # IDLE points from the second (1, 3, 5): point 0 repeats point 1, 2 and 4 lie halfway, 5 is measured
    far = dsp.idle_range_doppler(frame, cfg=cfg, idle_sweeps=5, point_step=2, point_offset=1)
    np.testing.assert_allclose(far[:, 1:], dsp.idle_range_doppler(frame[:, 1:], cfg=cfg, idle_sweeps=5, point_step=2))
    np.testing.assert_allclose(far[:, 0], far[:, 1])
    np.testing.assert_allclose(far[:, 2], (far[:, 1] + far[:, 3]) / 2, rtol=1e-6)
    assert far[:, 2].max() < m[:, 2].max()  # the tone at point 2 is no IDLE point any more
    with pytest.raises(ParameterError, match="point_offset"):
        dsp.idle_range_doppler(frame, cfg=cfg, idle_sweeps=5, point_step=2, point_offset=2)
    with pytest.raises(ParameterError):
        dsp.idle_doppler_matrix(17, 16)
