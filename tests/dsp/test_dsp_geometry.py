from types import SimpleNamespace

import numpy as np
import pytest
from geometry_helpers import gesture_close_geometry

from dsp import FrameGeometry, ParameterError


def test_axes(gesture_close: FrameGeometry) -> None:
    g = gesture_close
    assert g.wavelength_m == pytest.approx(4.955e-3, rel=1e-3)
    np.testing.assert_allclose(g.distances_m, [0.05, 0.08, 0.11, 0.14, 0.17, 0.20], atol=1e-9)
    v = g.velocities_m_s
    assert v.shape == (16,)
    assert v[8] == 0.0 and v[0] < 0 < v[-1]
    assert g.velocity_resolution_m_s == pytest.approx(0.155, abs=1e-3)
    assert g.max_velocity_m_s == pytest.approx(1.239, abs=1e-3)
    np.testing.assert_allclose(np.diff(v), g.velocity_resolution_m_s)


def test_from_sensor_config_duck_typed() -> None:
    sc = SimpleNamespace(sweep_rate=1000.0, sweeps_per_frame=16, start_point=20, num_points=6, step_length=12)
    md = SimpleNamespace(base_step_length_m=0.0025)
    g = FrameGeometry.from_sensor_config(sc, md, frame_rate_hz=57.0)
    assert g.num_points == 6 and g.sweep_rate_hz == 1000.0 and g.frame_rate_hz == 57.0


def test_from_exptool_config() -> None:
    a121 = pytest.importorskip("acconeer.exptool.a121")
    sc = a121.SensorConfig(sweeps_per_frame=16, sweep_rate=1000.0, start_point=20, num_points=6, step_length=12)
    md = SimpleNamespace(base_step_length_m=0.0025)
    g = FrameGeometry.from_sensor_config(sc, md, frame_rate_hz=57.0)
    assert g.start_point == 20 and g.step_length == 12


def test_validation() -> None:
    sc = SimpleNamespace(sweep_rate=None, sweeps_per_frame=16, start_point=20, num_points=6, step_length=12)
    with pytest.raises(ParameterError, match="sweep_rate"):
        FrameGeometry.from_sensor_config(sc, SimpleNamespace(base_step_length_m=0.0025), frame_rate_hz=57.0)
    with pytest.raises(ParameterError, match="-1"):
        gesture_close_geometry(frame_rate_hz=-1)
    with pytest.raises(ParameterError, match="sweeps_per_frame"):
        FrameGeometry(
            sweep_rate_hz=1000.0,
            sweeps_per_frame=1,
            start_point=20,
            num_points=6,
            step_length=12,
            base_step_length_m=0.0025,
            frame_rate_hz=57.0,
        )
