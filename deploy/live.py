"""The live demo's frame loop: any ``a121.Client`` → :class:`deploy.runtime.StreamingDetector` (DESIGN §8).

This module is on the runtime path: numpy, :mod:`acquisition`, :mod:`dsp`, :mod:`deploy.runtime` and
:mod:`deploy.throttle`; never TensorFlow, never :mod:`models`, never matplotlib (the window lives in
``radargest.demo_ui`` and reads :class:`LiveSnapshot` objects).

**Every frame is processed.** The loop reads every frame the client delivers and hands it to the
detector. Sources here run at a fixed rate (exptool has no way to change the frame rate of a running
session), so the throttle's idle rate is emulated by decimation exactly as in :func:`deploy.runtime.
detect_frames`: the frames an idle-rate sensor would not deliver are read and discarded. A replayed
recording therefore gives the same events as ``radargest detect`` on the file.

**Frame rate.** The detector's timers need the sensor rate: a replay uses the rate ``detect`` uses (the
configured one, else the mean from the ticks); the simulator its frame period; a sensor the configured
``frame_rate``, else the bundle's training rate (``throttle.full_rate_hz`` in the manifest).

**Dropped frames** are gaps in the sensor ticks (> 1.5 frame periods between consecutive frames) plus
frames exptool flags ``frame_delayed``: what is lost when the loop does not keep up with a sensor.

**Simulated subject.** With a :class:`acquisition.sim.SimClient`, a :class:`GestureScript` makes the subject
perform a scripted or random sequence of gestures, timed in scene time, so ``--fast`` runs the same
sequence as real time.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from acconeer.exptool import a121

import dsp
from acquisition.errors import SourceError
from acquisition.presets import AS_RECORDED
from deploy.power import throttle_power
from deploy.runtime import Bundle, Detection, Int8Model, StreamingDetector, check_frame_rate, check_recording
from dsp.decision import DecisionConfig

__all__ = [
    "GestureScript",
    "LiveDetector",
    "LiveRun",
    "LiveSnapshot",
    "LiveStats",
    "geometry_for",
    "open_live",
]


class _RecordingHead:
    """Wraps the head :class:`Int8Model` and keeps its last output (for the probabilities panel)."""

    def __init__(self, head: Int8Model) -> None:
        self._head = head
        self.last: npt.NDArray[np.int8] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._head, name)

    def invoke_int8(self, q: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
        out = self._head.invoke_int8(q)
        self.last = out
        return out


class LiveDetector(StreamingDetector):
    """:class:`StreamingDetector` that also keeps what the window shows: the last map and probabilities."""

    def __init__(self, bundle: Bundle, **kwargs: Any) -> None:
        self._rec_head = _RecordingHead(bundle.head)
        super().__init__(dataclasses.replace(bundle, head=self._rec_head), **kwargs)  # type: ignore[arg-type]
        self.latest_rd: npt.NDArray[np.float32] | None = None

    #: onset samples kept for mapping segmenter events back to frames (an event never reaches further back)
    onset_keep = 8192

    def _features(self, frame: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        rd = super()._features(frame)
        self.latest_rd = rd
        return rd

    # The base class keeps the full-rate frame of every onset sample, which grows without bound on an
    # open-ended stream; here only the last ``onset_keep`` are kept, indexed from ``_onset_base``.
    _onset_base = 0

    def _segment(self, ratio: float, now: int, point_power: npt.NDArray[np.float64] | None = None) -> None:
        super()._segment(ratio, now, point_power)
        if len(self.onset_frames) > 2 * self.onset_keep:
            drop = len(self.onset_frames) - self.onset_keep
            del self.onset_frames[:drop]
            self._onset_base += drop

    def _to_frames(self, s: int, e: int, now: int) -> tuple[int, int]:
        return super()._to_frames(s - self._onset_base, e - self._onset_base, now)

    @property
    def last_probabilities(self) -> npt.NDArray[np.float32] | None:
        """Class probabilities of the head's last run (None before the first)."""
        last = self._rec_head.last
        return None if last is None else self._rec_head.dequantise(last)


@dataclass(frozen=True, kw_only=True)
class LiveStats:
    """Counters of a live run.

    Fields:
        frames: full-rate frames read from the source.
        sensor_frames: frames the (emulated) throttled sensor delivered to the detector.
        dropped: frames lost by the source (tick gaps, ``frame_delayed``).
        events: gestures recognised.
        wall_s: wall time of the loop [s].
        ended: why the loop stopped: ``end``, ``stopped`` or ``max_frames``.
    """

    frames: int
    sensor_frames: int
    dropped: int
    events: int
    wall_s: float
    ended: str

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else math.nan


@dataclass(frozen=True, kw_only=True, eq=False)
class LiveSnapshot:
    """What the window draws, copied out of the loop thread.

    Fields:
        frame: full-rate frames read so far.
        rd: ``(doppler_bins, points)`` last range-Doppler map, or None.
        waterfall: ``(frames, doppler_bins)`` velocity profile (max over points) of the last frames.
        probabilities: last head output per class, or None.
        phase: throttle phase name.
        sensor_share: rolling share of always-on sensor frames.
        mac_share: rolling share of always-on MACs.
        sensor_ma: rolling average A121 current of the throttled sensor (exptool's power model with each
            state's configuration, :mod:`deploy.power`; always-on: the sensor as recorded) [mA].
        dropped: dropped frames so far.
        events: recognised gestures so far.
        performed: the last gestures the simulated subject performed (name, start frame).
    """

    frame: int
    rd: npt.NDArray[np.float32] | None
    waterfall: npt.NDArray[np.float32]
    probabilities: npt.NDArray[np.float32] | None
    phase: str
    sensor_share: float
    mac_share: float
    dropped: int
    sensor_ma: float = math.nan
    events: tuple[Detection, ...]
    performed: tuple[tuple[str, int], ...]


class GestureScript:
    """Gestures for a simulated subject: ``gestures`` in order (or random from ``vocabulary`` forever),
    each started ``pause_s`` after the previous one ended (scene time).

    Call :meth:`tick` before every frame; it calls ``client.perform`` when the next gesture is due.
    """

    def __init__(
        self,
        client: Any,
        *,
        gestures: Sequence[str] | None = None,
        vocabulary: Sequence[str] = ("tap_in", "tap_out", "double_tap_in", "wiggle"),
        first_s: float = 1.5,
        pause_s: tuple[float, float] = (1.5, 2.5),
        seed: int = 0,
    ) -> None:
        from acquisition.sim import check_gestures

        check_gestures(gestures if gestures is not None else vocabulary)  # before the run, not mid-way
        self.client = client
        self.script = list(gestures) if gestures is not None else None
        self.vocabulary = tuple(vocabulary)
        self.pause_s = pause_s
        self.rng = np.random.default_rng(seed)
        self.next_s = first_s
        self.index = 0
        # (gesture, start_s, end_s) of the last 1000 gestures (bounded for open-ended random runs)
        self.performed: collections.deque[tuple[str, float, float]] = collections.deque(maxlen=1000)
        self.count = 0

    @property
    def done(self) -> bool:
        """A finite script has been performed in full."""
        return self.script is not None and self.index >= len(self.script)

    @property
    def end_s(self) -> float:
        """Scene time at which the last performed gesture ends (0 before the first)."""
        return self.performed[-1][2] if self.performed else 0.0

    def tick(self) -> None:
        if self.done or self.client.now_s < self.next_s:
            return
        if self.script is not None:
            name = self.script[self.index]
        else:
            name = str(self.rng.choice(self.vocabulary))
        self.index += 1
        if self.count and self.count % 256 == 0:
            self.client.forget_before(self.client.now_s - 10.0)  # bounded memory on endless runs
        ev = self.client.perform(name, delay_s=0.0)
        self.performed.append((name, ev.start_s, ev.end_s))
        self.count += 1
        self.next_s = ev.end_s + float(self.rng.uniform(*self.pause_s))


def geometry_for(client: a121.Client, sensor_config: a121.SensorConfig, bundle: Bundle) -> dsp.FrameGeometry:
    """The detector geometry of a live source (see the module docstring for the frame rate)."""
    from acquisition.sources import ReplayClient

    rate: float | None = sensor_config.frame_rate
    metadata = client.extended_metadata[0][1]
    if isinstance(client, ReplayClient):
        rate = rate or client.recording.frame_rate_hz
    elif rate is None and hasattr(client, "frame_period_s"):
        rate = 1.0 / float(client.frame_period_s)
    if not rate or not math.isfinite(rate) or rate <= 0:
        rate = float(bundle.throttle.full_rate_hz)
    check_frame_rate(float(rate), bundle, source="the source")  # as detect's session_stream
    return dsp.FrameGeometry.from_sensor_config(sensor_config, metadata, frame_rate_hz=float(rate))


class LiveRun:
    """One live session: a started client, the detector and the counters.

    Args:
        client: a connected ``a121.Client`` (from :func:`acquisition.open_client`).
        bundle: the loaded bundle.
        sensor_config: the config to run (a replay must use its recorded config).
        script: optional :class:`GestureScript` ticked before every frame (simulator only).
        always_on: disable the throttle.
        decision: the decision layer (default: the bundle's manifest).
        waterfall_frames: frames kept for the waterfall.
        rolling_s: window of the rolling utilisation [s].
    """

    def __init__(
        self,
        client: a121.Client,
        bundle: Bundle,
        *,
        sensor_config: a121.SensorConfig,
        script: GestureScript | None = None,
        always_on: bool = False,
        decision: DecisionConfig | None = None,
        waterfall_frames: int = 300,
        rolling_s: float = 10.0,
    ) -> None:
        self.client = client
        self.bundle = bundle
        self.script = script
        check_recording(_ConfigOnly(sensor_config, "source"), bundle)
        try:
            client.setup_session(sensor_config)
        except SourceError:
            raise
        except Exception as exc:  # exptool raises many types for a sensor that refuses the config
            text = str(exc).strip().splitlines()
            raise SourceError(
                f"the sensor refused the session ({text[0] if text else type(exc).__name__}); "
                "check the connection and the preset"
            ) from None
        self.geometry = geometry_for(client, sensor_config, bundle)
        self.detector = LiveDetector(bundle, geometry=self.geometry, always_on=always_on, decision=decision)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.frames = 0
        self.dropped = 0
        self._emitted = 0
        self.total_events = 0
        self.keep_events = 200
        self._last_tick: int | None = None
        self._period_ticks: float | None = None
        d = bundle.encoder.input_shape[1]
        self._waterfall = np.zeros((waterfall_frames, d), dtype=np.float32)
        self._roll: collections.deque[tuple[int, int, int, int, int, int]] = collections.deque()
        thr = self.detector.throttle
        self._power = throttle_power(
            thr, preset=str(bundle.manifest["sensor"]["preset"]), states=AS_RECORDED if always_on else None
        )
        self._roll_frames = max(1, round(rolling_s * self.geometry.frame_rate_hz))
        self._macs = bundle.macs
        self.wall_s = 0.0
        self.ended = ""

    # -- counters ---------------------------------------------------------------------------------
    def _check_drop(self, result: a121.Result) -> None:
        if result.frame_delayed:
            self.dropped += 1
        tick = int(result.tick)
        if self._last_tick is not None and self._period_ticks:
            gap = round((tick - self._last_tick) / self._period_ticks) - 1
            if gap > 0 and (tick - self._last_tick) > 1.5 * self._period_ticks:
                self.dropped += gap
        self._last_tick = tick

    def _roll_shares(self) -> tuple[float, float]:
        if len(self._roll) < 2:
            return math.nan, math.nan
        f0, s0, e0, h0, _, _ = self._roll[0]
        f1, s1, e1, h1, _, _ = self._roll[-1]
        n = f1 - f0
        if n <= 0:
            return math.nan, math.nan
        hop = self.detector.throttle.head_hop_frames
        macs = (e1 - e0) * self._macs["encoder_per_frame"] + (h1 - h0) * self._macs["head_per_hop"]
        always = n * self._macs["encoder_per_frame"] + (n / hop) * self._macs["head_per_hop"]
        return (s1 - s0) / n, macs / always

    def _roll_current_ma(self) -> float:
        """Rolling A121 current [mA]: each sensed frame at its state's current for its period, plus switches."""
        if len(self._roll) < 2:
            return math.nan
        f0, s0, _, _, full0, sw0 = self._roll[0]
        f1, s1, _, _, full1, sw1 = self._roll[-1]
        if f1 <= f0:
            return math.nan
        pw = self._power
        full = full1 - full0
        idle = (s1 - s0) - full
        charge = full * pw.full_current_a / pw.full_rate_hz + idle * pw.idle_current_a / pw.idle_rate_hz
        charge += (sw1 - sw0) * pw.switch_charge_c
        return 1e3 * charge / ((f1 - f0) / self.geometry.frame_rate_hz)

    # -- loop -------------------------------------------------------------------------------------
    def step(self, result: a121.Result) -> list[Detection]:
        """Feed one delivered frame; returns the events recognised on it."""
        det = self.detector
        t = self.frames
        self._check_drop(result)
        frame = result.frame
        if result.data_saturated or not np.all(np.isfinite(frame)):
            frame = np.full(frame.shape, np.nan, dtype=np.complex128)
        with self.lock:
            if det.wants(t):
                det.process(frame, t)
                if det.latest_rd is not None:
                    prof = np.max(det.latest_rd, axis=-1)
                    self._waterfall = np.roll(self._waterfall, -1, axis=0)
                    self._waterfall[-1] = prof
            else:  # a frame the idle sensor does not deliver: hold the last profile
                self._waterfall = np.roll(self._waterfall, -1, axis=0)
                self._waterfall[-1] = self._waterfall[-2]
            self.frames = t + 1
            full = det.sensor_frames if det.always_on else det.full_rate_frames
            self._roll.append((self.frames, det.sensor_frames, det.encoder_runs, det.head_runs, full, det.switches))
            while len(self._roll) > self._roll_frames:
                self._roll.popleft()
        return self._new_events()

    def _new_events(self) -> list[Detection]:
        det = self.detector
        new = det.events[self._emitted :]
        self.total_events += len(new)
        if len(det.events) > 2 * self.keep_events:  # bounded memory on open-ended streams
            with self.lock:
                del det.events[: -self.keep_events]
                del det.decided_at[: -self.keep_events]
        self._emitted = len(det.events)
        return list(new)

    def run(
        self,
        *,
        on_event: Callable[[Detection], None] | None = None,
        max_frames: int | None = None,
        until_script_done_s: float | None = None,
    ) -> LiveStats:
        """Read and process frames until the source ends, :meth:`stop`, ``max_frames``, or (with a finite
        script) ``until_script_done_s`` of scene time after its last gesture ended."""
        client = self.client
        t0 = time.perf_counter()
        client.start_session()
        self.ended = "stopped"
        try:
            md = client.extended_metadata[0][1]
            tps = getattr(client.server_info, "ticks_per_second", None) or 1_000_000
            self._period_ticks = tps / self.geometry.frame_rate_hz if md is not None else None
            while not self.stop_event.is_set():
                if max_frames is not None and self.frames >= max_frames:
                    self.ended = "max_frames"
                    break
                if self.script is not None:
                    self.script.tick()
                    if (
                        until_script_done_s is not None
                        and self.script.done
                        and client.now_s > self.script.end_s + until_script_done_s  # type: ignore[attr-defined]
                    ):
                        self.ended = "end"
                        break
                try:
                    result = client.get_next()
                except a121.ClientError:
                    self.ended = "end"
                    break
                assert isinstance(result, a121.Result)
                for ev in self.step(result):
                    if on_event is not None:
                        on_event(ev)
            with self.lock:
                self.detector.flush()
            for ev in self._new_events():
                if on_event is not None:
                    on_event(ev)
        finally:
            self.wall_s = time.perf_counter() - t0
            try:
                client.stop_session()
            except Exception:  # a sensor that is gone cannot be stopped; nothing to lose here
                pass
            try:
                client.close()
            except Exception:
                pass
        return self.stats()

    def stop(self) -> None:
        """Ask the loop to finish after the current frame (thread-safe)."""
        self.stop_event.set()

    def stats(self) -> LiveStats:
        return LiveStats(
            frames=self.frames,
            sensor_frames=self.detector.sensor_frames,
            dropped=self.dropped,
            events=self.total_events,
            wall_s=self.wall_s,
            ended=self.ended,
        )

    def snapshot(self) -> LiveSnapshot:
        """A consistent copy of what the window shows (thread-safe)."""
        det = self.detector
        with self.lock:
            sensor, macs = self._roll_shares()
            probs = det.last_probabilities
            fps = self.geometry.frame_rate_hz
            recent = list(self.script.performed)[-50:] if self.script else []
            performed = tuple((n, round(s * fps)) for n, s, _ in recent)
            return LiveSnapshot(
                frame=self.frames,
                rd=None if det.latest_rd is None else det.latest_rd.copy(),
                waterfall=self._waterfall.copy(),
                probabilities=None if probs is None else probs.copy(),
                phase="ALWAYS-ON" if det.always_on else det.state.phase.name,
                sensor_share=sensor,
                mac_share=macs,
                sensor_ma=self._roll_current_ma(),
                dropped=self.dropped,
                events=tuple(det.events),
                performed=performed,
            )


@dataclass(frozen=True)
class _ConfigOnly:
    """Enough of a session for :func:`deploy.runtime.check_recording`."""

    sensor_config: a121.SensorConfig
    path: str


def open_live(
    source: str,
    bundle: Bundle,
    *,
    fast: bool = False,
    script: Sequence[str] | None = None,
    seed: int = 0,
    always_on: bool = False,
    decision: DecisionConfig | None = None,
    preset: str | None = None,
) -> LiveRun:
    """Open ``source`` (``acquisition.open_client`` forms) and prepare a :class:`LiveRun`.

    ``replay:`` runs its recorded config; other sources run ``preset`` (default: the bundle's). With the
    simulator, a :class:`GestureScript` performs ``script`` (or random gestures from the bundle's classes).

    Raises:
        acquisition.SourceError: an unknown or unreachable source, one line saying what to check; ``fast`` with
            a source other than the simulator or a replay.
        deploy.runtime.BundleError: a source whose config does not match the bundle.
    """
    from acquisition import get_preset, open_client
    from acquisition.sim import SimClient
    from acquisition.sources import ReplayClient, refuse_fast

    refuse_fast(source, fast=fast)
    client = open_client(source, realtime=not fast)
    if isinstance(client, ReplayClient):
        sensor_config = client.recorded_sensor_config
    else:
        sensor_config = get_preset(preset or str(bundle.manifest["sensor"]["preset"])).sensor_config
    gs: GestureScript | None = None
    if isinstance(client, SimClient):
        vocab = [c for c in bundle.classes[1:]]
        gs = GestureScript(client, gestures=script, vocabulary=vocab, seed=seed)
    elif script:
        raise SourceError(f"--script needs the simulator (--source sim), not {source!r}")
    try:
        return LiveRun(client, bundle, sensor_config=sensor_config, script=gs, always_on=always_on, decision=decision)
    except Exception:
        try:
            client.close()
        except Exception:
            pass
        raise
