"""Fuzzing the labels CSV importer (``read_labels_csv`` and ``labels import``) with hypothesis.

Inputs: raw bytes; CSV text with shuffled, missing, repeated or extra columns; cells holding huge or
negative integers, floats, blanks, quotes, newlines and non-ASCII text; a BOM, CRLF line ends, Latin-1
bytes. Rule: valid labels, or a one-line :class:`RecordingError` naming the file; the CSV is never
changed; an import that fails leaves the recording byte for byte as it was.
"""

from __future__ import annotations

import csv
import io
import itertools
import shutil
import tempfile
from pathlib import Path

import pytest
from fuzz_helpers import assert_one_line, sha256
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import sim_session

from acquisition import Label, RecordingError, load_session, read_labels_csv, save_labels
from acquisition.labels import CSV_COLUMNS, GESTURE_NAME_RE, write_labels_csv
from acquisition.sim import SessionPlan

pytestmark = pytest.mark.fuzz

_CELL = st.one_of(
    st.integers(-5, 500).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["tap_in", "wiggle", "sim", "manual", "auto", "prompt", "", " ", "1.5", "1e3", "nan", "０"]),
    st.text(max_size=12),
    st.text(alphabet='",\r\n\t;\\', max_size=4),
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    header = list(CSV_COLUMNS)
    variant = draw(st.sampled_from(["ok", "ok", "shuffle", "drop", "extra", "repeat", "case"]))
    if variant == "shuffle":
        header = draw(st.permutations(header))
    elif variant == "drop":
        del header[draw(st.integers(0, 3))]
    elif variant == "extra":
        header.insert(draw(st.integers(0, 4)), draw(st.text(max_size=8)))
    elif variant == "repeat":
        header.append(draw(st.sampled_from(header)))
    elif variant == "case":
        header = [h.upper() for h in header]
    rows = draw(st.lists(st.lists(_CELL, min_size=0, max_size=6), max_size=6))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # cut anywhere, mid-quote included
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1"]))
    return text.encode(encoding, errors="replace")


def check_labels(labels: list[Label]) -> None:
    assert labels == sorted(labels)
    for lab in labels:
        assert 0 <= lab.start_frame < lab.end_frame
        assert GESTURE_NAME_RE.match(lab.gesture)
        assert lab.source in ("prompt", "auto", "manual", "sim")
    for before, after in itertools.pairwise(labels):
        assert after.start_frame >= before.end_frame  # sorted rows sharing no frame (overlaps are refused)


def read_checked(path: Path) -> list[Label] | None:
    before = sha256(path)
    try:
        labels = read_labels_csv(path)
    except RecordingError as exc:
        assert_one_line(exc, path)
        labels = None
    else:
        check_labels(labels)
        # what was read writes back and reads again to the same labels
        assert read_labels_csv_text(write_labels_csv(labels), path.parent) == labels
    assert sha256(path) == before
    return labels


def read_labels_csv_text(text: str, folder: Path) -> list[Label]:
    p = folder / "roundtrip.csv"
    p.write_text(text, encoding="utf-8")
    return read_labels_csv(p)


@given(raw=csv_bytes())
def test_labels_csv_fuzz(raw: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="radargest-fuzz-") as tmp:
        path = Path(tmp) / "labels.csv"
        path.write_bytes(raw)
        read_checked(path)


@pytest.fixture(scope="module")
def short_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz_csv") / "short.h5"
    sim_session(path, SessionPlan(gestures=("tap_in",), reps_per_gesture=1), subject=4, seed=1)
    return path


@settings(max_examples=min(settings.default.max_examples, 300))
@given(raw=csv_bytes())
def test_labels_import_fuzz(short_recording: Path, raw: bytes) -> None:
    """``labels import``: the labels land exactly, or the recording is untouched."""
    with tempfile.TemporaryDirectory(prefix="radargest-fuzz-") as tmp:
        csv_path, h5 = Path(tmp) / "labels.csv", Path(tmp) / "rec.h5"
        csv_path.write_bytes(raw)
        shutil.copy(short_recording, h5)
        labels = read_checked(csv_path)
        if labels is None:
            return
        try:  # as `labels import` reads it: a row past the end is refused here, naming its line
            in_range: list[Label] | None = read_labels_csv(csv_path, num_frames=load_session(h5).num_frames)
        except RecordingError as exc:
            assert_one_line(exc, csv_path)
            in_range = None
        before = sha256(h5)
        try:
            save_labels(h5, labels)
        except RecordingError as exc:
            assert_one_line(exc, h5)
            assert sha256(h5) == before
            assert in_range is None
        else:
            assert load_session(h5).labels == labels == in_range
