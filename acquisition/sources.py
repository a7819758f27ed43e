"""Where frames come from: ``open_client(source)`` and the shared connection options.

Every source yields an ``a121.Client``: real sensors through exptool, the simulator and replayed
recordings as ``a121.Client`` subclasses, so downstream code never branches on the source.

Accepted source strings::

    sim | sim:SEED          the physics simulator (subject SEED, default 0)
    mock                    exptool's mock client (static frames, no moving target)
    usb | usb:SERIAL        an EVK on USB (optionally by serial number)
    serial:PORT             an EVK on a serial port, e.g. serial:/dev/ttyUSB0
    socket:HOST[:PORT]      an EVK running the exploration server on the network
    replay:FILE.h5          a recording, replayed at its recorded rate
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from acconeer.exptool import a121

from acquisition._client import SoftwareClient, make_result
from acquisition.errors import SourceError
from acquisition.presets import PRESETS, get_preset, sensor_config_with
from acquisition.recording import Session, load_session
from acquisition.sim import SimClient, Subject, still_scene

__all__ = [
    "ReplayClient",
    "SourceSpec",
    "add_source_arguments",
    "open_client",
    "open_failure_message",
    "parse_source",
    "refuse_fast",
    "sensor_config_from_args",
]

_KINDS = ("sim", "mock", "usb", "serial", "socket", "replay")
_USAGE = "sim[:SEED], mock, usb[:SERIAL], serial:PORT, socket:HOST[:PORT] or replay:FILE.h5"


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """A parsed source string: ``kind`` is one of sim, mock, usb, serial, socket, replay."""

    kind: str
    arg: str | None = None


def parse_source(source: str) -> SourceSpec:
    """Parse a source string; the error names it and lists the accepted forms."""
    kind, sep, arg = source.partition(":")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        raise SourceError(f"unknown source {source!r}; use {_USAGE}")
    if kind in ("serial", "socket", "replay") and not arg:
        raise SourceError(f"source {source!r} needs a value after ':'; use {_USAGE}")
    if kind == "mock" and sep:
        raise SourceError(f"source {source!r}: 'mock' takes no value; use {_USAGE}")
    if kind == "sim" and arg and not arg.isdigit():
        raise SourceError(f"source {source!r}: the simulator seed must be a non-negative integer; use {_USAGE}")
    return SourceSpec(kind=kind, arg=arg or None)


def refuse_fast(source: str, *, fast: bool) -> None:
    """Refuse unpaced frames (``--fast``, ``realtime=False``) from ``source`` unless it is the simulator or a
    replay: a sensor, and exptool's mock client, deliver frames at their own rate, so the option would do nothing.

    Raises:
        SourceError: ``fast`` with any other source (or a source string that does not parse).
    """
    if fast and parse_source(source).kind not in ("sim", "replay"):
        raise SourceError(f"--fast works only with --source sim or replay:FILE ({source!r} runs at its own rate)")


class ReplayClient(SoftwareClient, register=False):
    """Replays a single-session recording as if it were a sensor.

    ``setup_session`` accepts only the recorded config (use :attr:`recorded_sensor_config`), and
    ``get_next`` raises ``a121.ClientError`` when the recording is exhausted.

    Args:
        session: the loaded recording.
        realtime: pace frames at the recorded tick times; False replays as fast as it is read.
    """

    def __init__(self, session: Session, *, realtime: bool = True) -> None:
        super().__init__(a121.ClientInfo(), realtime=realtime)
        self.recording = session
        self._index = 0

    @property
    def recorded_sensor_config(self) -> a121.SensorConfig:
        return self.recording.sensor_config

    def setup_session(  # type: ignore[override]
        self,
        config: a121.SensorConfig | a121.SessionConfig,
        calibrations: dict[int, a121.SensorCalibration] | None = None,
    ) -> a121.Metadata | list[dict[int, a121.Metadata]]:
        session_config = config if isinstance(config, a121.SessionConfig) else a121.SessionConfig(config)
        if session_config.sensor_config != self.recorded_sensor_config:
            raise SourceError(
                f"{self.recording.path}: replay needs the recorded sensor config; "
                "use ReplayClient.recorded_sensor_config"
            )
        self._session_config = session_config
        self._metadata = [{1: self.recording.metadata}]
        self._calibrations_provided = {1: False}
        self._index = 0
        return self.recording.metadata

    def get_next(self) -> a121.Result | list[dict[int, a121.Result]]:  # type: ignore[override]
        self._assert_session_started()
        rec = self.recording
        if self._index >= rec.num_frames:
            raise a121.ClientError(f"{rec.path}: end of recording after {rec.num_frames} frames")
        i = self._index
        self._index += 1
        self._pace((rec.ticks[i] - rec.ticks[0]) / rec.ticks_per_second)
        result = make_result(
            rec.frames[i],
            tick=int(rec.ticks[i]),
            saturated=bool(rec.data_saturated[i]),
            metadata=rec.metadata,
            ticks_per_second=rec.ticks_per_second,
        )
        return self._deliver(result)

    @property
    def server_info(self) -> a121.ServerInfo:
        return a121.ServerInfo(
            rss_version=f"a121-v{a121.SDK_VERSION}",
            sensor_count=1,
            ticks_per_second=self.recording.ticks_per_second,
            hardware_name="radargest-replay",
            sensor_infos={1: a121.SensorInfo(connected=True, serial=None)},
        )


def _open_hardware(spec: SourceSpec) -> a121.Client:
    kwargs: dict[str, object] = {}
    hint = ""
    if spec.kind == "usb":
        kwargs["usb_device"] = spec.arg if spec.arg else True
        hint = "check that the EVK is plugged in, powered, and that you may access USB devices (udev rules)"
    elif spec.kind == "serial":
        kwargs["serial_port"] = spec.arg
        hint = "check the port name and that no other program holds the port"
    elif spec.kind == "socket":
        host, _, port = (spec.arg or "").partition(":")
        kwargs["ip_address"] = host
        if port:
            if not port.isdigit():
                raise SourceError(f"socket port {port!r} is not a number")
            kwargs["tcp_port"] = int(port)
        hint = "check the address and that the exploration server runs on the board"
    try:
        return a121.Client.open(**kwargs)  # type: ignore[arg-type]
    except Exception as exc:  # exptool raises many types for a missing sensor; report them in one line
        raise SourceError(open_failure_message(spec, exc, hint=hint)) from None


def open_failure_message(spec: SourceSpec, exc: BaseException, *, hint: str) -> str:
    """One line for a sensor that could not be opened: the source, the error's first line and ``hint`` (what to
    check). pyusb's "No backend available" means the libusb library is missing, which no plugging in fixes."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    name = f"{spec.kind}:{spec.arg}" if spec.arg else spec.kind
    if "No backend available" in first:
        hint = "pyusb finds no libusb library: install libusb 1.0 (e.g. Debian's libusb-1.0-0 package)"
    return f"cannot open {name} ({first}); {hint}"


def open_client(source: str, *, realtime: bool = True) -> a121.Client:
    """An ``a121.Client`` for ``source`` (see the module docstring for the forms).

    Args:
        source: the source string.
        realtime: pace the simulator and replays at the sensor rate (hardware is always real time).

    Raises:
        SourceError: unknown source or unreachable sensor, in one line saying what to check.
        RecordingError: a replay file that cannot be read.
    """
    spec = parse_source(source)
    if spec.kind == "sim":
        subject = Subject.from_seed(int(spec.arg or 0))
        return SimClient(
            still_scene(subject, duration_s=math.inf, seed=subject.seed), realtime=realtime, chunk_frames=4
        )
    if spec.kind == "mock":
        return a121.Client.open(mock=True)
    if spec.kind == "replay":
        return ReplayClient(load_session(Path(spec.arg or "")), realtime=realtime)
    return _open_hardware(spec)


def add_source_arguments(
    parser: argparse.ArgumentParser,
    *,
    default_source: str = "sim",
    frame_rate_type: Callable[[str], float] = float,
) -> None:
    """The connection options every command shares: ``--source``, ``--preset`` and ``--frame-rate-hz``.

    ``frame_rate_type`` parses ``--frame-rate-hz`` (the command line's argparse type for a finite number > 0,
    so that a bad rate is a usage error before the sensor is opened).
    """
    group = parser.add_argument_group("sensor connection")
    group.add_argument(
        "--source",
        default=default_source,
        help=f"where frames come from: {_USAGE} (default: {default_source})",
    )
    group.add_argument(
        "--preset",
        default=None,  # unset: gesture_close (sensor_config_from_args); a replay refuses a given one
        help=f"sensor preset: {', '.join(PRESETS)} (default: gesture_close; not with replay:, which runs as recorded)",
    )
    group.add_argument(
        "--frame-rate-hz",
        type=frame_rate_type,
        default=None,
        help="fixed frame rate [Hz], > 0; unset lets the sensor run free (about 57 Hz for gesture_close)",
    )


def sensor_config_from_args(args: argparse.Namespace) -> a121.SensorConfig:
    """The validated sensor config named by ``--preset`` (unset: ``gesture_close``) and ``--frame-rate-hz``."""
    preset = get_preset(args.preset or "gesture_close")
    if args.frame_rate_hz is None:
        return preset.sensor_config
    return sensor_config_with(preset, frame_rate=args.frame_rate_hz)
