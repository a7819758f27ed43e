from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from acconeer.exptool import a121

from acquisition import SourceError, get_preset, open_client, parse_source
from acquisition.sim import SimClient
from acquisition.sources import ReplayClient


@pytest.mark.parametrize(
    ("source", "kind", "arg"),
    [
        ("sim", "sim", None),
        ("sim:7", "sim", "7"),
        ("mock", "mock", None),
        ("usb", "usb", None),
        ("usb:ABC123", "usb", "ABC123"),
        ("serial:/dev/ttyUSB0", "serial", "/dev/ttyUSB0"),
        ("socket:192.0.2.1", "socket", "192.0.2.1"),
        ("replay:some/file.h5", "replay", "some/file.h5"),
    ],
)
def test_parse_source(source: str, kind: str, arg: str | None) -> None:
    spec = parse_source(source)
    assert (spec.kind, spec.arg) == (kind, arg)


@pytest.mark.parametrize("source", ["bluetooth", "serial", "serial:", "replay:", "sim:abc", "mock:1", ""])
def test_bad_sources_are_refused_with_the_accepted_forms(source: str) -> None:
    with pytest.raises(SourceError, match="sim"):
        parse_source(source)


def test_every_software_source_is_an_a121_client(sim_dir: Path) -> None:
    replay = next(iter(sorted(sim_dir.glob("*.h5"))))
    for source, cls in [("sim", SimClient), ("mock", a121.Client), (f"replay:{replay}", ReplayClient)]:
        client = open_client(source, realtime=False)
        assert isinstance(client, a121.Client) and isinstance(client, cls)
        config = (
            client.recorded_sensor_config
            if isinstance(client, ReplayClient)
            else get_preset("gesture_close").sensor_config
        )
        client.setup_session(config)
        client.start_session()
        result = client.get_next()
        assert isinstance(result, a121.Result)
        assert result.frame.shape == (16, 6)
        client.stop_session()
        client.close()


def test_replay_returns_the_recorded_frames_then_ends(sim_dir: Path) -> None:
    from acquisition import load_session

    session = load_session(next(iter(sorted(sim_dir.glob("*.h5")))))
    client = ReplayClient(session, realtime=False)
    client.setup_session(client.recorded_sensor_config)
    client.start_session()
    frames = []
    with pytest.raises(a121.ClientError, match="end of recording"):
        while True:
            result = client.get_next()
            assert isinstance(result, a121.Result)
            frames.append(result.frame)
    assert len(frames) == session.num_frames
    assert (frames[-1] == session.frames[-1]).all()


def test_replay_refuses_another_config(sim_dir: Path) -> None:
    client = open_client(f"replay:{next(iter(sorted(sim_dir.glob('*.h5'))))}", realtime=False)
    with pytest.raises(SourceError, match="recorded sensor config"):
        client.setup_session(get_preset("gesture_far").sensor_config)


def test_missing_serial_port_is_one_line_with_a_hint() -> None:
    with pytest.raises(SourceError) as info:
        open_client("serial:/dev/radargest-no-such-port")
    assert "check the port" in str(info.value) and "\n" not in str(info.value)


def test_usb_without_libusb_says_libusb_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyusb's "No backend available" (no libusb on the machine) was answered with plug-in and udev advice."""

    def no_libusb(**kwargs: object) -> a121.Client:
        raise ValueError("No backend available")  # pyusb's usb.core.NoBackendError is a ValueError

    monkeypatch.setattr(a121.Client, "open", no_libusb)
    with pytest.raises(SourceError) as info:
        open_client("usb")
    line = str(info.value)
    assert line.startswith("cannot open usb (No backend available); ") and "libusb-1.0-0" in line
    assert "plugged in" not in line and "\n" not in line
    from acquisition.sources import open_failure_message  # any other failure keeps the source's hint

    other = open_failure_message(parse_source("usb:X1"), OSError("not found"), hint="check that the EVK is plugged in")
    assert other == "cannot open usb:X1 (not found); check that the EVK is plugged in"


@pytest.mark.parametrize(("preset", "frame_rate_hz"), [("gesture_far", None), ("gesture_close", 30.0)])
def test_simulator_serves_any_valid_preset_with_realistic_ticks(preset: str, frame_rate_hz: float | None) -> None:
    from acquisition.presets import sensor_config_with

    config = sensor_config_with(get_preset(preset), frame_rate=frame_rate_hz)
    client = open_client("sim:3", realtime=False)
    client.setup_session(config)
    client.start_session()
    results = [client.get_next() for _ in range(200)]
    client.stop_session()
    assert all(isinstance(r, a121.Result) for r in results)
    frames = [r.frame for r in results if isinstance(r, a121.Result)]
    assert frames[0].shape == (config.sweeps_per_frame, config.num_points)
    ticks = [r.tick_time for r in results if isinstance(r, a121.Result)]
    periods = np.diff(ticks)
    expected = 1 / frame_rate_hz if frame_rate_hz else config.sweeps_per_frame / config.sweep_rate + 0.0015
    assert np.all(periods > 0)
    assert abs(np.median(periods) - expected) < 1e-4
    assert 0 < np.std(periods) < 1e-3  # jitter, like a real sensor's interrupt ticks
    assert np.abs(np.array(frames)).max() < 32768
