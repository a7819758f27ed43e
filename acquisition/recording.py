"""Reading and writing radargest sessions: Exploration Tool H5 records plus a ``/radargest`` group.

The record itself is written by exptool's ``a121.H5Recorder`` so the Exploration Tool opens it
unchanged; radargest adds only ``/radargest`` (never ``/algo``, which the GUI refuses when it does not
know the key). See DESIGN §2.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np
import numpy.typing as npt
from acconeer.exptool import a121

from acquisition._files import atomic_update
from acquisition.errors import RecordingError
from acquisition.labels import (
    Label,
    LabelRow,
    check_label_rows,
    check_no_overlap,
    label_rows_from_array,
    labels_to_array,
    validate_labels,
)
from acquisition.negatives import NegativeLabel, negatives_from_array, negatives_to_array, validate_negatives

__all__ = [
    "GROUP",
    "SCHEMA_VERSION",
    "LabelCheck",
    "Session",
    "SessionMeta",
    "check_everyday_stream",
    "check_readable",
    "copy_record",
    "is_unimported_gesture_control",
    "load_session",
    "read_label_rows",
    "read_meta",
    "read_negatives",
    "save_labels",
    "save_negatives",
    "write_radargest_group",
]

GROUP = "radargest"
SCHEMA_VERSION = 1
#: How :func:`load_session` treats ``/radargest/labels``: ``check`` refuses a bad row (what every command that
#: learns or scores from labels needs), ``lenient`` leaves bad rows out and reports them (the commands that
#: show labels for repair), ``ignore`` does not read them (commands that need no labels).
LabelCheck = Literal["check", "lenient", "ignore"]


@dataclass(frozen=True, kw_only=True)
class SessionMeta:
    """The attributes of ``/radargest``.

    Attributes:
        subject: free-text person id (simulated subjects are ``sim-sNNN``).
        preset: sensor preset name, or ``custom``.
        notes: free text.
        simulator: JSON of every scene parameter (ground truth included) for simulated sessions, else "".
    """

    subject: str = ""
    preset: str = "custom"
    notes: str = ""
    simulator: str = ""

    @property
    def simulator_params(self) -> dict[str, Any] | None:
        """The simulator JSON decoded, or None for a recorded session."""
        return json.loads(self.simulator) if self.simulator else None

    @property
    def subject_distance_m(self) -> float | None:
        """The simulated subject's working distance of the palm from the sensor [m], or None for a recorded
        session (or a scene without it): the factor the throttle's IDLE points and the weak segmenter pass
        depend on most (docs/results_power.md, twelfth and twentieth passes)."""
        scene = self.simulator_params
        subject = scene.get("subject") if isinstance(scene, dict) else None
        value = subject.get("distance_m") if isinstance(subject, dict) else None
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, kw_only=True, eq=False)
class Session:
    """A loaded recording.

    Attributes:
        path: file it came from.
        frames: ``(frames, sweeps, points)`` complex128 Sparse IQ data, in sensor counts.
        ticks: ``(frames,)`` int64 server ticks of each frame.
        ticks_per_second: tick rate of the server.
        data_saturated: ``(frames,)`` bool, exptool's saturation flag per frame.
        sensor_config: the ``a121.SensorConfig`` it was recorded with.
        metadata: exptool ``a121.Metadata`` (holds ``base_step_length_m``).
        labels: gesture events, sorted; empty for an unlabelled record.
        meta: ``/radargest`` attributes, or None for a plain Exploration Tool record.
        negatives: cause-labelled non-gesture spans (``/radargest/negatives``), sorted; usually empty
            outside simulated everyday streams.
    """

    path: Path
    frames: npt.NDArray[np.complex128]
    ticks: npt.NDArray[np.int64]
    ticks_per_second: int
    data_saturated: npt.NDArray[np.bool_]
    sensor_config: a121.SensorConfig
    metadata: a121.Metadata
    labels: list[Label] = field(default_factory=list)
    meta: SessionMeta | None = None
    negatives: list[NegativeLabel] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def frame_rate_hz(self) -> float:
        """Mean frame rate over the recording, from the ticks (the config may leave it unset).

        The mean, not the median interval: delayed frames stretch a few intervals, and durations in
        seconds must map to the frame counts the stream really has.
        """
        span = int(self.ticks[-1] - self.ticks[0]) if self.num_frames >= 2 else 0
        if span <= 0:
            return float(self.sensor_config.frame_rate or 0.0)
        return float((self.num_frames - 1) * self.ticks_per_second / span)

    @property
    def stream_rate_hz(self) -> float:
        """The rate a stream's windows and timers are counted at [Hz]: the configured frame rate, else
        :attr:`frame_rate_hz` measured from the ticks (0.0 when neither exists). One rule for every reader."""
        return float(self.sensor_config.frame_rate or self.frame_rate_hz)

    @property
    def times_s(self) -> npt.NDArray[np.float64]:
        """``(frames,)`` seconds since the first frame, from the ticks."""
        return (self.ticks - self.ticks[0]) / float(self.ticks_per_second)

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.frame_rate_hz if self.num_frames else 0.0


#: The datasets exptool reads as text (a JSON document or a plain string), by name, wherever they sit in a record.
_TEXT_DATASETS = frozenset(
    {"generation", "lib_version", "timestamp", "uuid", "client_info", "server_info", "session_config", "metadata"}
)


def _non_text_datasets(f: h5py.File) -> list[str]:
    """The datasets exptool reads as text whose stored type is not a string. Read as text, a damaged type (e.g. a
    variable-length sequence of another size) makes HDF5 read past its buffer and crash the process (``make fuzz``
    found it): they are refused before anything reads them."""
    bad: list[str] = []

    def visit(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] in _TEXT_DATASETS:
            if obj.id.get_type().get_class() != h5py.h5t.STRING:
                bad.append(f"/{name}")

    f.visititems(visit)
    return bad


def check_readable(path: Path) -> None:
    """Raise :class:`RecordingError` with a one-line reason unless ``path`` is an A121 H5 record."""
    path = Path(path)
    if path.is_dir():
        raise RecordingError(path, "is a folder, not a recording file")
    if not path.is_file():
        raise RecordingError(path, "no such file")
    if not h5py.is_hdf5(path):
        raise RecordingError(path, "not an HDF5 file (corrupt, truncated or another format)")
    try:
        with h5py.File(path, "r") as f:
            bad = _non_text_datasets(f)
            if bad:
                raise RecordingError(path, f"damaged record: {', '.join(bad)} should hold text but does not")
            if "generation" not in f:
                raise RecordingError(path, "not an Exploration Tool record (no 'generation' entry)")
            generation = f["generation"][()]
            generation = generation.decode() if isinstance(generation, bytes) else str(generation)
            if generation != "a121":
                raise RecordingError(path, f"not an A121 record (generation={generation!r})")
            if "session" not in f and "sessions" not in f:
                raise RecordingError(path, "record holds no session")
    except RecordingError:
        raise
    except Exception as exc:  # damaged metadata: h5py raises OSError, RuntimeError, KeyError, ValueError, ...
        raise RecordingError(path, f"unreadable HDF5 file ({_one_line(exc)})") from None


def check_everyday_stream(path: Path) -> None:
    """Raise :class:`RecordingError` unless ``path`` is a readable A121 record with cause labels
    (``/radargest/negatives``): an everyday stream as ``radargest simulate --everyday`` writes it, not a gesture
    session, which would pass for one in an everyday figure (a battery life, false activations per hour)."""
    check_readable(path)
    with h5py.File(path, "r") as f:
        if GROUP not in f or "negatives" not in f[GROUP]:
            raise RecordingError(
                path,
                "not an everyday stream: it holds no cause labels (/radargest/negatives), as a gesture session does "
                "not; 'radargest simulate --everyday' writes one",
            )


def is_unimported_gesture_control(path: Path) -> bool:
    """Whether ``path`` is a record of Acconeer's gesture-control app that radargest has not imported: an
    ``/algo`` group (the app's) and no ``/radargest`` group. Its labels live only in its file name, which
    ``radargest import acconeer-gesture-control`` reads; read as it is, it holds no gesture at all.
    False for a file that cannot be opened (:func:`check_readable` says why)."""
    try:
        with h5py.File(path, "r") as f:
            return "algo" in f and GROUP not in f
    except Exception:  # damaged or not HDF5: check_readable's one-line reason is the better error
        return False


def copy_record(src: h5py.File, dst: h5py.File, *, without: str) -> None:
    """Copy every attribute and top-level object of the open record ``src`` into the empty ``dst``, all but the
    group ``without`` (``/radargest`` when it is rewritten, ``/algo`` on import)."""
    for key, value in src.attrs.items():
        dst.attrs[key] = value
    for key in src:
        if key != without:
            src.copy(src[key], dst, name=key)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _read_label_rows(f: h5py.File) -> list[LabelRow]:
    """The rows of ``/radargest/labels`` of an open file, unchecked (empty if absent).

    Raises:
        ValueError: the table is not one (wrong dtype, missing columns, unreadable), in a few words.
    """
    if GROUP not in f:
        return []
    if not isinstance(f[GROUP], h5py.Group):
        raise ValueError(f"/{GROUP} is not a group")
    if "labels" not in f[GROUP]:
        return []
    table = f[GROUP]["labels"]
    if not isinstance(table, h5py.Dataset):
        raise ValueError("a group, not a table")
    try:
        arr = table[()]
    except Exception as exc:  # damaged dataset: h5py raises OSError, RuntimeError, ...
        raise ValueError(_one_line(exc)) from None
    return label_rows_from_array(np.asarray(arr))


def read_label_rows(path: Path) -> list[LabelRow]:
    """Every row of the ``/radargest/labels`` of a recording as stored, sorted, even the ones
    :func:`load_session` refuses (:func:`acquisition.labels.check_label_rows` says which): what ``labels export``
    writes, so a table can be repaired with nothing lost.

    Raises:
        RecordingError: the file cannot be opened, or the table is not a label table.
    """
    try:
        with h5py.File(path, "r") as f:
            return sorted(_read_label_rows(f))
    except ValueError as exc:
        raise RecordingError(path, f"bad /radargest/labels table ({exc})") from None
    except Exception as exc:  # damaged or not HDF5: h5py raises OSError, RuntimeError, KeyError, ...
        raise RecordingError(path, f"unreadable HDF5 file ({_one_line(exc)})") from None


def read_meta(f: h5py.File) -> SessionMeta | None:
    """Attributes of the ``/radargest`` group of an open file (None if absent)."""
    if GROUP not in f:
        return None
    attrs = f[GROUP].attrs

    def text(key: str, default: str = "") -> str:
        value = attrs.get(key, default)
        return value.decode() if isinstance(value, bytes) else str(value)

    meta = SessionMeta(
        subject=text("subject"),
        preset=text("preset", "custom"),
        notes=text("notes"),
        simulator=text("simulator"),
    )
    return meta


def read_negatives(f: h5py.File) -> list[NegativeLabel]:
    """The cause labels of ``/radargest/negatives`` of an open file, sorted (empty if absent)."""
    if GROUP not in f or "negatives" not in f[GROUP]:
        return []
    return sorted(negatives_from_array(f[GROUP]["negatives"][()]))


def load_session(
    path: Path, *, labels: LabelCheck = "check", on_label_problem: Callable[[str], None] | None = None
) -> Session:
    """Load a recording through ``a121.load_record`` plus the ``/radargest`` group.

    Args:
        labels: how to treat ``/radargest/labels`` (:data:`LabelCheck`); with ``ignore`` the session has none.
        on_label_problem: with ``lenient``, called with one sentence per label left out, or about the table
            when it cannot be read at all (then no label is kept).

    Raises:
        RecordingError: the file is missing, corrupt, truncated, not A121 or holds several sessions, or (with
            ``check``) its label table or a label in it is bad.
    """
    path = Path(path)
    check_readable(path)
    rows: list[LabelRow] = []
    table_problem = ""
    try:
        record = a121.load_record(path)
        if record.num_sessions != 1:
            raise RecordingError(path, f"holds {record.num_sessions} sessions; expected one")
        if record.session_config.extended or len(record.session_config.groups[0]) != 1:
            raise RecordingError(path, "multi-sensor sessions are not supported")
        stacked = record.stacked_results
        with h5py.File(path, "r") as f:
            meta = read_meta(f)
            negatives = read_negatives(f)
            if labels != "ignore":
                try:
                    rows = _read_label_rows(f)
                except ValueError as exc:
                    table_problem = f"bad /radargest/labels table ({exc})"
        session = Session(
            path=path,
            frames=np.asarray(record.frames),
            ticks=np.asarray(stacked.tick, dtype=np.int64),
            ticks_per_second=int(record.server_info.ticks_per_second or 1_000_000),
            data_saturated=np.asarray(stacked.data_saturated, dtype=bool),
            sensor_config=record.session_config.sensor_config,
            metadata=record.metadata,
            meta=meta,
            negatives=negatives,
        )
    except RecordingError:
        raise
    except Exception as exc:  # exptool/h5py raise many types on damaged files; report them in one line
        raise RecordingError(path, f"unreadable A121 record ({_one_line(exc)})") from None
    if session.frames.ndim != 3 or session.num_frames == 0:
        raise RecordingError(path, f"holds no frames (shape {session.frames.shape})")
    for name, per_frame in (("tick", session.ticks), ("data_saturated", session.data_saturated)):
        if per_frame.shape != (session.num_frames,):
            raise RecordingError(
                path, f"damaged record: {name} has shape {per_frame.shape} for {session.num_frames} frames"
            )
    if labels == "check" and table_problem:
        raise RecordingError(path, table_problem)
    kept, problems = check_label_rows(rows, num_frames=session.num_frames)
    if labels == "check" and problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        repair = "fix the table with 'radargest labels export', then 'labels import'"
        raise RecordingError(path, f"bad /radargest/labels: {problems[0]}{more}; {repair}")
    if labels == "lenient" and on_label_problem is not None:
        for problem in [table_problem] if table_problem else problems:
            on_label_problem(problem)
    session = dataclasses.replace(session, labels=kept)
    try:
        validate_negatives(negatives, num_frames=session.num_frames)
    except ValueError as exc:
        raise RecordingError(path, f"bad /radargest negatives: {exc}") from None
    return session


def write_radargest_group(
    f: h5py.File, *, labels: Sequence[Label], meta: SessionMeta, negatives: Sequence[NegativeLabel] = ()
) -> None:
    """(Re)write ``/radargest`` in an open, writable file (``negatives`` only when there are any)."""
    if GROUP in f:
        del f[GROUP]
    group = f.create_group(GROUP)
    str_dt = h5py.string_dtype("utf-8")
    dtype = np.dtype([("start_frame", "<i8"), ("end_frame", "<i8"), ("gesture", str_dt), ("source", str_dt)])
    group.create_dataset("labels", data=labels_to_array(sorted(labels)).astype(dtype), maxshape=(None,))
    if negatives:
        group.create_dataset("negatives", data=negatives_to_array(sorted(negatives)), maxshape=(None,))
    group.attrs["schema_version"] = SCHEMA_VERSION
    group.attrs["subject"] = meta.subject
    group.attrs["preset"] = meta.preset
    group.attrs["notes"] = meta.notes
    if meta.simulator:
        group.attrs["simulator"] = meta.simulator


def save_labels(path: Path, labels: Sequence[Label], *, meta: SessionMeta | None = None) -> None:
    """Replace the labels of a recording atomically, keeping (or setting) its attributes.

    Raises:
        RecordingError: unreadable file, labels outside the recording, or two labels sharing a frame
            (:func:`acquisition.labels.check_no_overlap`; a recording may be read with them, never written).
            The labels it replaces are not read: bad ones are no reason to refuse their repair.
    """
    session = load_session(path, labels="ignore")
    try:
        labels = validate_labels(labels, num_frames=session.num_frames)
        check_no_overlap(labels)
    except ValueError as exc:
        raise RecordingError(path, str(exc)) from None
    new_meta = meta or session.meta or SessionMeta()

    _rewrite_group(path, labels=labels, meta=new_meta, negatives=session.negatives, what="labels")


def _rewrite_group(
    path: Path, *, labels: Sequence[Label], meta: SessionMeta, negatives: Sequence[NegativeLabel], what: str
) -> None:
    def rewrite(tmp: Path) -> None:
        # a fresh file, not the old one with the group deleted: HDF5 does not reuse a deleted group's space,
        # so every save would grow the file
        with h5py.File(path, "r") as src, h5py.File(tmp, "w") as f:
            copy_record(src, f, without=GROUP)
            write_radargest_group(f, labels=labels, meta=meta, negatives=negatives)

    try:
        atomic_update(Path(path), rewrite, copy=False)
    except OSError as exc:
        raise RecordingError(path, f"cannot write {what} ({_one_line(exc)})") from None


def save_negatives(path: Path, negatives: Sequence[NegativeLabel]) -> None:
    """Replace the cause labels of a recording atomically, keeping its gesture labels and attributes.

    Raises:
        RecordingError: unreadable file, or negatives outside the recording or overlapping a gesture label.
    """
    session = load_session(path)
    try:
        negatives = validate_negatives(negatives, num_frames=session.num_frames, labels=session.labels)
    except ValueError as exc:
        raise RecordingError(path, str(exc)) from None
    meta = session.meta or SessionMeta()
    _rewrite_group(path, labels=session.labels, meta=meta, negatives=negatives, what="negatives")
