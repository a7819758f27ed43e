"""Session plumbing shared by the clients that make frames in software (the simulator and replay).

Both are real ``a121.Client`` subclasses, so the recorder, exptool processors and the demo treat them
like a sensor.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from acconeer.exptool import a121

__all__ = ["SoftwareClient", "make_metadata", "make_result"]


def make_metadata(sensor_config: a121.SensorConfig, *, base_step_length_m: float, tick_period: int) -> a121.Metadata:
    """exptool metadata for a single-subsweep Sparse IQ config."""
    points = sensor_config.subsweeps[0].num_points
    return a121.Metadata(
        frame_data_length=sensor_config.sweeps_per_frame * points,
        sweep_data_length=points,
        subsweep_data_offset=np.array([0]),
        subsweep_data_length=np.array([points]),
        calibration_temperature=25,
        tick_period=tick_period,
        base_step_length_m=base_step_length_m,
        max_sweep_rate=float(sensor_config.sweep_rate or 0.0),
        high_speed_mode=True,
    )


def make_result(
    frame: np.ndarray[Any, Any], *, tick: int, saturated: bool, metadata: a121.Metadata, ticks_per_second: int
) -> a121.Result:
    """Wrap a ``(sweeps, points)`` complex frame as an exptool ``Result``.

    exptool requires a ``ResultContext`` that it does not export; its own algorithms build it from
    ``a121._core.entities`` too, and so does this one place.
    """
    context = a121._core.entities.ResultContext(metadata=metadata, ticks_per_second=ticks_per_second)
    return a121.Result(
        data_saturated=saturated,
        frame_delayed=False,
        calibration_needed=False,
        temperature=25,
        tick=tick,
        frame=a121.complex_array_to_int16_complex(frame),
        context=context,
    )


class SoftwareClient(a121.Client, register=False):
    """Start, stop, pacing and recorder hand-off for one sensor with one subsweep.

    Subclasses implement ``setup_session`` (filling ``_session_config`` and ``_metadata``),
    ``get_next`` (ending in :meth:`_deliver`) and ``server_info``.

    Args:
        client_info: what the recorder stores as the connection.
        realtime: pace frames to their due times, like a sensor; False serves them as fast as asked.
    """

    def __init__(self, client_info: a121.ClientInfo, *, realtime: bool) -> None:
        super().__init__(client_info)
        self._realtime = realtime
        self._connected = True
        self._t0_wall = 0.0

    def start_session(self) -> None:
        self._assert_session_setup()
        if self.session_is_started:
            raise a121.ClientError("Session is already started.")
        self._recorder_start_session()
        self._session_is_started = True
        self._t0_wall = time.monotonic()

    def _pace(self, due_s: float) -> None:
        """In real time, wait until ``due_s`` after the session start."""
        if self._realtime:
            delay = self._t0_wall + due_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _deliver(self, result: a121.Result) -> a121.Result | list[dict[int, a121.Result]]:
        """Hand a result to an attached recorder and return it in the session's shape."""
        extended = [{1: result}]
        self._recorder_sample(extended)
        return self._return_results(extended)

    def stop_session(self) -> None:
        self._assert_session_started()
        self._recorder_stop_session()
        self._session_is_started = False

    def close(self) -> None:
        if self.session_is_started:
            self.stop_session()
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected
