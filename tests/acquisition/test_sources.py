from __future__ import annotations

from pathlib import Path

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
