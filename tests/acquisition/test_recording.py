from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from acconeer.exptool import a121
from acconeer.exptool.a121.algo import sparse_iq

from acquisition import Label, RecordingError, SessionMeta, load_session, save_labels
from acquisition.sources import ReplayClient


def _files(sim_dir: Path) -> list[Path]:
    files = sorted(sim_dir.glob("*.h5"))
    assert len(files) == 2
    return files


def test_exptool_opens_simulated_files_with_labels(sim_dir: Path) -> None:
    for path in _files(sim_dir):
        record = a121.load_record(path)  # exptool's own loader, not ours
        assert record.frames.shape[1:] == (16, 6)
        with h5py.File(path, "r") as f:
            assert "algo" not in f
            labels = f["radargest/labels"][()]
            assert f["radargest"].attrs["schema_version"] == 1
            assert f["radargest"].attrs["subject"].startswith("sim-s")
            assert '"events"' in f["radargest"].attrs["simulator"]
        gestures = {g.decode() if isinstance(g, bytes) else g for g in labels["gesture"]}
        assert gestures == {"tap_in", "tap_out", "double_tap_in", "wiggle"}
        assert len(labels) == 8
        assert np.all(labels["end_frame"] > labels["start_frame"])


def test_sparse_iq_processor_runs_on_simulated_replay(sim_dir: Path) -> None:
    session = load_session(_files(sim_dir)[0])
    client = ReplayClient(session, realtime=False)
    client.setup_session(client.recorded_sensor_config)
    client.start_session()
    processor = sparse_iq.Processor(session_config=client.session_config, processor_config=sparse_iq.ProcessorConfig())
    for _ in range(50):
        result = client.get_next()
        assert isinstance(result, a121.Result)
        out = processor.process([{1: result}])
    client.stop_session()
    dv_map = out[0][1][0].distance_velocity_map
    assert dv_map.shape == (16, 6)
    assert np.isfinite(dv_map).all()


def test_loader_returns_frames_config_labels_and_meta(sim_dir: Path) -> None:
    session = load_session(_files(sim_dir)[0])
    assert session.frames.ndim == 3 and session.frames.dtype == np.complex128
    assert session.ticks.shape == (session.num_frames,)
    assert 50 < session.frame_rate_hz < 65
    assert session.meta is not None and session.meta.preset == "gesture_close"
    assert session.meta.simulator_params is not None
    assert session.meta.subject_distance_m == session.meta.simulator_params["subject"]["distance_m"]
    assert 0.03 < session.meta.subject_distance_m < 0.25
    assert all(lab.source == "sim" for lab in session.labels)
    assert session.labels == sorted(session.labels)


def test_stream_rate_is_the_configured_rate_else_the_measured_one(sim_dir: Path) -> None:
    import dataclasses

    session = load_session(_files(sim_dir)[0])  # the simulator leaves frame_rate unset: the ticks give it
    assert session.sensor_config.frame_rate is None
    assert session.stream_rate_hz == session.frame_rate_hz and 50 < session.stream_rate_hz < 65
    configured = a121.SensorConfig.from_json(session.sensor_config.to_json())  # the recorded config stays as it is
    configured.frame_rate = 40.0
    assert dataclasses.replace(session, sensor_config=configured).stream_rate_hz == 40.0
    one = dataclasses.replace(session, ticks=session.ticks[:1], frames=session.frames[:1])
    assert one.stream_rate_hz == 0.0  # neither: callers refuse it


def test_save_labels_replaces_atomically(sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "copy.h5"
    shutil.copy(_files(sim_dir)[0], path)
    new = [Label(start_frame=5, end_frame=20, gesture="tap_in", source="manual")]
    path.chmod(0o644)
    save_labels(path, new)
    assert load_session(path).labels == new
    assert path.stat().st_mode & 0o777 == 0o644  # the replacement keeps the file's permissions

    # A failure half-way leaves the original file untouched and no temp files behind.
    import acquisition.recording as recording

    def boom(f: h5py.File, **_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(recording, "write_radargest_group", boom)
    with pytest.raises(RecordingError, match="disk full"):
        save_labels(path, [Label(start_frame=1, end_frame=2, gesture="wiggle", source="manual")])
    assert load_session(path).labels == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.h5"]


def test_save_labels_writes_through_a_symlink_refuses_read_only_and_does_not_grow(
    sim_dir: Path, tmp_path: Path
) -> None:
    """A symlink stays a link to the relabelled file (it was replaced by a copy, the target kept the old labels);
    a read-only recording is refused, not rewritten; saving again and again does not grow the file (HDF5 keeps a
    deleted group's space); exptool still opens the result."""
    target = tmp_path / "target.h5"
    shutil.copy(_files(sim_dir)[0], target)
    link = tmp_path / "link.h5"
    link.symlink_to(target)
    sizes = []
    for n in range(3):
        save_labels(link, [Label(start_frame=5 + n, end_frame=20, gesture="tap_in", source="manual")])
        sizes.append(target.stat().st_size)
    assert link.is_symlink() and load_session(target).labels[0].start_frame == 7
    assert sizes[0] == sizes[1] == sizes[2]
    assert a121.load_record(target).frames.shape[1:] == (16, 6)
    target.chmod(0o444)
    with pytest.raises(RecordingError, match="read-only"):
        save_labels(target, [])
    assert load_session(target).labels[0].start_frame == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.h5", "target.h5"]


def test_labels_outside_the_recording_are_refused(sim_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.h5"
    shutil.copy(_files(sim_dir)[0], path)
    with pytest.raises(RecordingError, match="ends after the last frame"):
        save_labels(path, [Label(start_frame=5, end_frame=10**7, gesture="tap_in", source="manual")])


def test_overlapping_labels_are_never_written_but_still_read(sim_dir: Path, tmp_path: Path) -> None:
    """``save_labels`` wrote labels sharing a frame, which ``labels import`` refuses (so ``labels export`` then
    ``labels import`` failed on the file); now it refuses them, naming both as the label window numbers events,
    and leaves the file. A file that already holds such labels still loads, so it can be fixed."""
    path = tmp_path / "copy.h5"
    shutil.copy(_files(sim_dir)[0], path)
    before = path.read_bytes()
    overlapping = [
        Label(start_frame=30, end_frame=60, gesture="wiggle", source="manual"),
        Label(start_frame=10, end_frame=40, gesture="tap_in", source="manual"),
    ]
    with pytest.raises(
        RecordingError, match=r"event 1 \(tap_in \[10, 40\)\) and event 2 \(wiggle \[30, 60\)\) overlap"
    ):
        save_labels(path, overlapping)
    assert path.read_bytes() == before

    from acquisition.recording import write_radargest_group

    with h5py.File(path, "r+") as f:  # an older window wrote them
        write_radargest_group(f, labels=overlapping, meta=SessionMeta())
    assert load_session(path).labels == sorted(overlapping)


def _write_label_table(path: Path, rows: list[tuple[int, int, str, str]] | np.ndarray) -> None:
    """Replace ``/radargest/labels`` with ``rows`` as another tool might have written them (unchecked)."""
    if isinstance(rows, list):
        str_dt = h5py.string_dtype("utf-8")
        dtype = np.dtype([("start_frame", "<i8"), ("end_frame", "<i8"), ("gesture", str_dt), ("source", str_dt)])
        rows = np.array(rows, dtype=dtype)
    with h5py.File(path, "r+") as f:
        del f["radargest/labels"]
        f["radargest"].create_dataset("labels", data=rows)


def test_bad_labels_are_refused_in_plain_words_read_leniently_or_ignored(sim_dir: Path, tmp_path: Path) -> None:
    """A label past the last frame was refused as ``bad /radargest labels: label Label(start_frame=...)`` by
    every command, the repair tools too. Training still refuses it, in words; ``lenient`` (``label``) leaves it
    out and says so, ``ignore`` (``detect``) does not read the table, and :func:`read_label_rows` (``labels
    export``) returns every row; ``save_labels`` replaces such a table."""
    from acquisition.recording import read_label_rows

    path = tmp_path / "copy.h5"
    shutil.copy(_files(sim_dir)[0], path)
    n = load_session(path).num_frames
    rows = [(85, 99_999, "double_tap_in", "sim"), (10, 40, "tap_in", "sim"), (-5, 50, "wiggle", "manual")]
    _write_label_table(path, rows)

    with pytest.raises(RecordingError) as info:
        load_session(path)
    message = str(info.value)
    assert "bad /radargest/labels: label 1 (wiggle [-5, 50)): start_frame -5 is negative" in message
    assert "(and 1 more)" in message and "labels export" in message and "Label(" not in message
    problems: list[str] = []
    lenient = load_session(path, labels="lenient", on_label_problem=problems.append)
    assert lenient.labels == [Label(start_frame=10, end_frame=40, gesture="tap_in", source="sim")]
    assert problems[1] == (
        f"label 3 (double_tap_in [85, 99999)) ends after the last frame (the recording has {n} frames; "
        "end_frame is exclusive)"
    )
    assert load_session(path, labels="ignore").labels == []
    assert read_label_rows(path) == sorted(rows)

    save_labels(path, [Label(start_frame=85, end_frame=n, gesture="double_tap_in", source="manual")])
    assert [lab.end_frame for lab in load_session(path).labels] == [n]


def test_a_label_table_of_the_wrong_kind_is_named_not_called_an_unreadable_record(
    sim_dir: Path, tmp_path: Path
) -> None:
    """An int64 ``/radargest/labels`` gave ``unreadable A121 record (IndexError: invalid index to scalar
    variable.)``, though the record itself is intact."""
    from acquisition.recording import read_label_rows

    path = tmp_path / "copy.h5"
    shutil.copy(_files(sim_dir)[0], path)
    _write_label_table(path, np.arange(5))
    expected = "bad /radargest/labels table (int64 values, not the columns start_frame, end_frame, gesture, source)"
    for load in (load_session, read_label_rows):
        with pytest.raises(RecordingError, match=re.escape(expected)):
            load(path)
    problems: list[str] = []
    assert load_session(path, labels="lenient", on_label_problem=problems.append).labels == []
    assert problems == [expected]
    assert load_session(path, labels="ignore").num_frames > 0


def test_plain_exploration_tool_record_loads_without_labels(real_dir: Path) -> None:
    session = load_session(real_dir / "gesture_detection" / "label_dynamic_hand_idx_1.h5")
    assert session.labels == [] and session.meta is None
    assert session.frames.shape[1:] == (16, 6)


def _truncated(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def test_bad_files_give_one_line_errors_naming_the_file(sim_dir: Path, tmp_path: Path) -> None:
    cases = {
        _truncated(_files(sim_dir)[0], tmp_path / "truncated.h5"): "",
        tmp_path / "text.h5": "not an HDF5 file",
        tmp_path / "other.h5": "not an Exploration Tool record",
        tmp_path / "a111.h5": "not an A121 record",
        tmp_path / "missing.h5": "no such file",
    }
    (tmp_path / "text.h5").write_text("hello")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.arange(3)
    with h5py.File(tmp_path / "a111.h5", "w") as f:
        f["generation"] = "a111"
    for path, fragment in cases.items():
        with pytest.raises(RecordingError) as info:
            load_session(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message
        assert fragment in message


def test_a_damaged_text_type_is_refused_not_read(sim_dir: Path, tmp_path: Path) -> None:
    """``make fuzz`` crashed the process (a segmentation fault in HDF5, under exptool's ``load_record``) on a file
    whose ``/lib_version`` datatype message had four bytes overwritten: a variable-length string became a
    variable-length sequence of 25-byte elements, read past its 16 bytes. The file is refused before anything
    reads it. The load runs in a subprocess, so that without the check the test fails instead of killing pytest."""
    import subprocess
    import sys

    path = tmp_path / "damaged.h5"
    shutil.copy(_files(sim_dir)[0], path)
    with h5py.File(path, "r") as f:
        header = h5py.h5o.get_info(f["lib_version"].id).addr  # its object header; the datatype message follows
    raw = bytearray(path.read_bytes())
    vlen_string = bytes.fromhex("1901010010000000")  # datatype message body: version 1, class 9, string, size 16
    at = raw.find(vlen_string, header)
    assert at > 0, "the writer's datatype message moved: find the bytes of /lib_version's type again"
    raw[at + 1 : at + 5] = bytes.fromhex("12669d19")  # the fuzz example's edit
    path.write_bytes(bytes(raw))
    code = "import sys; from pathlib import Path; from acquisition import RecordingError, load_session\n"
    code += "try:\n    load_session(Path(sys.argv[1]))\nexcept RecordingError as exc:\n    print(exc)\n"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-400:]
    assert done.stdout.strip() == f"{path}: damaged record: /lib_version should hold text but does not"


def test_session_meta_defaults() -> None:
    assert SessionMeta().simulator_params is None
    assert SessionMeta().subject_distance_m is None


@pytest.mark.parametrize(
    ("scene", "want"),
    [
        ({"subject": {"distance_m": 0.125}}, 0.125),
        ({"subject": {"distance_m": 1}}, 1.0),
        ({"subject": {}}, None),
        ({"subject": {"distance_m": "far"}}, None),
        ({"subject": {"distance_m": True}}, None),
        ({"subject": None}, None),
        ({"events": []}, None),
        ([1, 2], None),
    ],
)
def test_session_meta_subject_distance(scene: object, want: float | None) -> None:
    """The distance of a simulated scene's subject, None where a scene does not state one as a number."""
    assert SessionMeta(simulator=json.dumps(scene)).subject_distance_m == want
