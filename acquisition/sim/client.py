"""The simulator as a drop-in sensor: a real ``a121.Client`` subclass that renders a scene.

Everything that consumes a client (the recorder, exptool processors, the demo) works unchanged on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from acconeer.exptool import a121

from acquisition._client import SoftwareClient, make_metadata, make_result
from acquisition.sim.scene import TICKS_PER_SECOND, MotionEvent, Renderer, Scene
from acquisition.sim.session import perform

__all__ = ["SimClient"]

BASE_STEP_LENGTH_M = 0.0025
SIM_SERVER_INFO = a121.ServerInfo(
    rss_version=f"a121-v{a121.SDK_VERSION}",
    sensor_count=1,
    ticks_per_second=TICKS_PER_SECOND,
    hardware_name="radargest-sim",
    sensor_infos={1: a121.SensorInfo(connected=True, serial="RADARGEST-SIM")},
)


class SimClient(SoftwareClient, register=False):
    """A simulated A121 sensor.

    Args:
        scene: what happens in front of the sensor; ``scene.duration_s`` may be ``inf`` for live use.
        realtime: pace ``get_next`` at the frame rate, like a real sensor.
        chunk_frames: frames rendered per batch (vectorised); :meth:`perform` discards rendered but
            unread frames so a prompted gesture is never missed.
    """

    def __init__(self, scene: Scene, *, realtime: bool = False, chunk_frames: int = 64) -> None:
        super().__init__(a121.ClientInfo(mock=a121.MockInfo()), realtime=realtime)
        self._scene = scene
        self._chunk_frames = max(1, chunk_frames)
        self._renderer: Renderer | None = None
        self._buffer: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = None
        self._buffer_pos = 0
        self._frames_served = 0
        self._rng = np.random.default_rng([scene.seed, 0xC11E])

    # -- simulation controls -------------------------------------------------------------------
    @property
    def scene(self) -> Scene:
        """The scene so far, including gestures added by :meth:`perform`."""
        return self._scene

    @property
    def frames_served(self) -> int:
        return self._frames_served

    @property
    def now_s(self) -> float:
        """Scene time of the next frame to be returned."""
        return self._frames_served * (self._renderer.period_s if self._renderer else 0.0)

    @property
    def frame_period_s(self) -> float:
        self._assert_session_setup()
        assert self._renderer is not None
        return self._renderer.period_s

    def perform(self, gesture: str, *, delay_s: float | None = None) -> MotionEvent:
        """Make the simulated subject start ``gesture`` after ``delay_s`` (default: their reaction time)."""
        delay = self._scene.subject.reaction_s if delay_s is None else delay_s
        event = perform(gesture, start_s=self.now_s + delay, subject=self._scene.subject, rng=self._rng)
        self.add_events([event])
        return event

    def forget_before(self, t_s: float) -> int:
        """Drop gestures that ended before scene time ``t_s``; returns how many.

        Long live runs perform gestures without end; a finished gesture has returned the hand to rest and
        no longer shapes future frames, so keeping it would only grow memory and render time.
        """
        keep = [e for e in self._scene.events if not (e.kind == "gesture" and e.end_s < t_s)]
        dropped = len(self._scene.events) - len(keep)
        if dropped:
            self._scene = self._scene.with_events(keep)
            if self._renderer is not None:
                self._renderer.scene = self._scene
        return dropped

    def add_events(self, events: Sequence[MotionEvent]) -> None:
        self._scene = self._scene.with_events([*self._scene.events, *events])
        if self._renderer is not None:
            self._renderer.scene = self._scene
            self._renderer.next_frame = self._frames_served  # re-render what was buffered but unread
        self._buffer = None

    # -- a121.Client interface -------------------------------------------------------------------
    def setup_session(  # type: ignore[override]
        self,
        config: a121.SensorConfig | a121.SessionConfig,
        calibrations: dict[int, a121.SensorCalibration] | None = None,
    ) -> a121.Metadata | list[dict[int, a121.Metadata]]:
        if self.session_is_started:
            raise a121.ClientError("Session is currently running, can't setup.")
        session_config = config if isinstance(config, a121.SessionConfig) else a121.SessionConfig(config)
        session_config.validate()
        if session_config.extended or session_config.sensor_config.num_subsweeps != 1:
            raise ValueError("the simulator supports one sensor with one subsweep")
        sensor_config = session_config.sensor_config
        if not sensor_config.sweep_rate:
            raise ValueError("the simulator needs sweep_rate set to place sweeps in time")
        self._renderer = Renderer(self._scene, sensor_config, base_step_length_m=BASE_STEP_LENGTH_M)
        tick_period = round(TICKS_PER_SECOND / sensor_config.frame_rate) if sensor_config.frame_rate else 0
        metadata = make_metadata(sensor_config, base_step_length_m=BASE_STEP_LENGTH_M, tick_period=tick_period)
        self._session_config = session_config
        self._metadata = [{1: metadata}]
        self._calibrations_provided = {1: False}
        self._sensor_calibrations = {1: a121.SensorCalibration(temperature=25, data="simulated")}
        self._frames_served = 0
        self._buffer = None
        return metadata if not session_config.extended else self._metadata

    def get_next(self) -> a121.Result | list[dict[int, a121.Result]]:  # type: ignore[override]
        self._assert_session_started()
        assert self._renderer is not None and self._metadata is not None
        if self._frames_served >= self._renderer.num_frames_total_or_inf:
            raise a121.ClientError("simulated session has ended")
        if self._buffer is None or self._buffer_pos >= len(self._buffer[0]):
            remaining = self._renderer.num_frames_total_or_inf - self._frames_served
            n = int(min(self._chunk_frames, remaining))
            self._renderer.next_frame = self._frames_served
            self._buffer = self._renderer.render(n)
            self._buffer_pos = 0
        frames, ticks, saturated = self._buffer
        i = self._buffer_pos
        self._buffer_pos += 1
        result = make_result(
            frames[i],
            tick=int(ticks[i]),
            saturated=bool(saturated[i]),
            metadata=self._metadata[0][1],
            ticks_per_second=TICKS_PER_SECOND,
        )
        self._frames_served += 1
        self._pace(self._frames_served * self._renderer.period_s)
        return self._deliver(result)

    @property
    def server_info(self) -> a121.ServerInfo:
        self._assert_connected()
        return SIM_SERVER_INFO
