"""Fuzzing the recording loader (``acquisition.load_session``) with hypothesis.

Seeds: a short simulated session (labels and cause labels in ``/radargest``) and a real training-side
Acconeer recording (``/algo`` and no ``/radargest``, as shipped). Each example damages a copy:
- bytes: truncation, flipped bytes, overwritten spans (biased to the HDF5 metadata at both ends);
- structure: a group or dataset deleted or replaced by one of another dtype or shape, ``/radargest`` made
  a dataset, odd attributes, ``/radargest/labels`` and ``/radargest/negatives`` with rows that overlap,
  run backwards, leave the stream, carry bad names, or have missing, extra or mistyped columns.

Rule: a correct :class:`Session` or a one-line :class:`RecordingError` naming the file, never another
exception, and the file's bytes unchanged; the same for the lenient load and :func:`read_label_rows`.
``make fuzz`` runs 10,000 examples (profile ``fuzz``).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from fuzz_helpers import assert_one_line, byte_mutations, mutate_bytes, sha256
from hypothesis import given
from hypothesis import strategies as st
from sim_helpers import sim_session

from acquisition import RecordingError, Session, load_session
from acquisition.labels import GESTURE_NAME_RE
from acquisition.negatives import NegativeLabel
from acquisition.recording import read_label_rows, save_negatives
from acquisition.sim import SessionPlan
from radargest.datasets import acconeer_file

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    """``{name: (file, object paths)}``: the simulated seed, and the real one when the data is here."""
    out = tmp_path_factory.mktemp("fuzz_seeds")
    sim = out / "sim.h5"
    _, labels = sim_session(sim, SessionPlan(gestures=("tap_in", "wiggle"), reps_per_gesture=1), subject=5, seed=2)
    gap = labels[0].start_frame // 2
    save_negatives(sim, [NegativeLabel(start_frame=0, end_frame=max(1, gap), cause="hover", source="sim")])
    found = {"sim": sim}
    real = acconeer_file("tap_in_idx_1")  # training side; loaded only, nothing is tuned
    if real is not None and real.is_file():
        found["real"] = Path(shutil.copy(real, out / "real.h5"))
    result = {}
    for name, path in found.items():
        names: list[str] = []
        with h5py.File(path, "r") as f:
            f.visit(names.append)
        result[name] = (path, sorted(names))
    return result


_NAME = st.one_of(
    st.sampled_from(["tap_in", "wiggle", "none", "hover", "x" * 40, "Tap", "", " tap_in", "tap-in", "é"]),
    st.text(max_size=12),
)
_SOURCE = st.one_of(st.sampled_from(["sim", "manual", "auto", "prompt", "", "SIM", "robot"]), st.text(max_size=6))
_FRAME = st.one_of(
    st.integers(-3, 400),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**63 - 1, -(2**63)]),
)
_SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.booleans(),
)


@st.composite
def span_table(draw: st.DrawFn, name_field: str) -> np.ndarray:
    """Rows for ``/radargest/labels`` (``gesture``) or ``/radargest/negatives`` (``cause``), columns odd at times."""
    rows = draw(st.lists(st.tuples(_FRAME, _FRAME, _NAME, _SOURCE), max_size=6))
    str_dt = h5py.string_dtype("utf-8")
    fields: list[tuple[str, Any]] = [
        ("start_frame", "<i8"),
        ("end_frame", "<i8"),
        (name_field, str_dt),
        ("source", str_dt),
    ]
    variant = draw(st.sampled_from(["ok", "ok", "drop", "extra", "float", "int32", "bytes"]))
    if variant == "drop":
        del fields[draw(st.integers(0, 3))]
    elif variant == "extra":
        fields.append(("extra", "<f8"))
    elif variant == "float":
        fields[0] = ("start_frame", "<f8")
        fields[1] = ("end_frame", "<f8")
    elif variant == "int32":
        fields[0] = ("start_frame", "<i4")
    elif variant == "bytes":
        fields[2] = (name_field, "S8")
    dtype = np.dtype(fields)
    arr = np.zeros(len(rows), dtype=dtype)
    for i, (s, e, n, src) in enumerate(rows):
        values = {"start_frame": s, "end_frame": e, name_field: n, "source": src, "extra": 0.5}
        for key in dtype.names or ():
            v = values[key]
            kind = dtype[key].kind
            try:
                if kind == "S":
                    arr[i][key] = str(v).encode("utf-8", "replace")[:8]
                elif kind in "iu":
                    arr[i][key] = np.array(v).astype(dtype[key])  # wraps out-of-range values, as a bad writer would
                else:
                    arr[i][key] = v
            except (OverflowError, ValueError):
                arr[i][key] = 0
    return arr


def _odd_array(draw: st.DrawFn) -> Any:
    dtype = draw(st.sampled_from(["i1", "i8", "f8", "c8", "?", "S5", "str"]))
    shape = draw(st.sampled_from([(), (0,), (3,), (2, 2), (1, 16, 6)]))
    if dtype == "str":
        return np.array(draw(st.text(max_size=10)), dtype=h5py.string_dtype("utf-8"))
    return np.zeros(shape, dtype=dtype)


@st.composite
def structure_edit(draw: st.DrawFn, names: list[str]) -> tuple[str, Any, Any]:
    kind = draw(st.sampled_from(["delete", "replace", "labels", "negatives", "attr", "group_as_dataset"]))
    if kind in ("delete", "replace"):
        path = draw(st.sampled_from(names))
        return kind, path, _odd_array(draw) if kind == "replace" else None
    if kind == "labels":
        return kind, "radargest/labels", draw(span_table("gesture"))
    if kind == "negatives":
        return kind, "radargest/negatives", draw(span_table("cause"))
    if kind == "attr":
        key = draw(st.sampled_from(["schema_version", "subject", "preset", "notes", "simulator", "other"]))
        return kind, key, draw(_SCALARS)
    return kind, "radargest", None


def apply_structure(path: Path, edits: list[tuple[str, Any, Any]]) -> None:
    """Apply the edits with h5py; one that h5py cannot write (a path through a dataset) is left out."""
    with h5py.File(path, "r+") as f:
        for kind, where, value in edits:
            try:
                _apply_one(f, kind, where, value)
            except (TypeError, ValueError, KeyError):
                pass


def _apply_one(f: h5py.File, kind: str, where: Any, value: Any) -> None:
    if kind == "group_as_dataset":
        if "radargest" in f:
            del f["radargest"]
        f.create_dataset("radargest", data=np.arange(3))
        return
    if kind == "attr":
        if isinstance(f.get("radargest"), h5py.Group):
            f["radargest"].attrs[where] = value
        return
    if kind in ("labels", "negatives"):
        if "radargest" in f and not isinstance(f["radargest"], h5py.Group):
            return
        f.require_group("radargest")
    if where in f:
        del f[where]
    if kind != "delete":
        f.create_dataset(where, data=value)


def check_session(s: Session) -> None:
    """What a correct load guarantees to every caller."""
    n = s.num_frames
    assert s.frames.ndim == 3 and n > 0 and np.iscomplexobj(s.frames)
    assert s.ticks.shape == (n,) and s.data_saturated.shape == (n,)
    for spans in (s.labels, s.negatives):
        assert list(spans) == sorted(spans)
        for lab in spans:
            assert 0 <= lab.start_frame < lab.end_frame <= n
    for lab in s.labels:
        assert GESTURE_NAME_RE.match(lab.gesture)
    rate = s.frame_rate_hz
    assert math.isfinite(rate) and rate > 0
    assert math.isfinite(s.duration_s) and np.all(np.isfinite(s.times_s))
    if s.meta is not None:
        assert all(isinstance(v, str) for v in (s.meta.subject, s.meta.preset, s.meta.notes, s.meta.simulator))


def load_checked(path: Path) -> None:
    """The rule: a correct load or a one-line RecordingError; the file is left as it was.

    The lenient load (``radargest label``) and :func:`read_label_rows` (``labels export``) follow the same rule;
    the lenient one loads whatever the strict one does, with the same labels and no problem reported, and reports
    each label it leaves out in one line."""
    before = sha256(path)
    strict: Session | None = None
    try:
        strict = load_session(path)
    except RecordingError as exc:
        assert_one_line(exc, path)
    else:
        check_session(strict)
    problems: list[str] = []
    try:
        lenient = load_session(path, labels="lenient", on_label_problem=problems.append)
    except RecordingError as exc:
        assert_one_line(exc, path)
        assert strict is None
    else:
        check_session(lenient)
        assert all(p.strip() and "\n" not in p for p in problems)
        if strict is not None:
            assert lenient.labels == strict.labels and not problems
    try:
        rows = read_label_rows(path)
    except RecordingError as exc:
        assert_one_line(exc, path)
    else:
        assert rows == sorted(rows)
    assert sha256(path) == before


@given(data=st.data())
def test_recording_loader_fuzz(seeds: dict[str, tuple[Path, list[str]]], data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(seeds)), label="seed")
    seed, names = seeds[name]
    with tempfile.TemporaryDirectory(prefix="radargest-fuzz-") as tmp:
        path = Path(tmp) / f"{name}.h5"
        if data.draw(st.booleans(), label="bytes"):
            raw = seed.read_bytes()
            path.write_bytes(mutate_bytes(raw, data.draw(byte_mutations(len(raw)), label="edits")))
        else:
            shutil.copy(seed, path)
            edits = data.draw(st.lists(structure_edit(names), min_size=1, max_size=4), label="edits")
            apply_structure(path, edits)
        load_checked(path)
