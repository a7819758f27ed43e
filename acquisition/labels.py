"""Gesture labels: one row per event, stored in ``/radargest/labels`` and round-tripped as CSV.

``end_frame`` is exclusive: it is the first frame after the movement (DESIGN §2).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from acquisition._files import atomic_write_text
from acquisition.errors import RecordingError

__all__ = [
    "CSV_COLUMNS",
    "GESTURE_NAME_RE",
    "Label",
    "LabelRow",
    "LabelSource",
    "check_label_rows",
    "check_no_overlap",
    "label_rows_from_array",
    "labels_from_array",
    "labels_to_array",
    "past_end_text",
    "read_labels_csv",
    "span_text",
    "validate_labels",
    "write_labels_csv",
]

LabelSource = Literal["prompt", "auto", "manual", "sim"]
#: one row of a label table as stored, unchecked: ``(start_frame, end_frame, gesture, source)``
LabelRow = tuple[int, int, str, str]
CSV_COLUMNS = ("start_frame", "end_frame", "gesture", "source")
#: Gesture names are identifiers, so they can be used as file, CLI and C symbol names.
GESTURE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
#: the models' background class: what no label covers, never a label's gesture
BACKGROUND = "none"


@dataclass(frozen=True, kw_only=True, order=True)
class Label:
    """One gesture event.

    Attributes:
        start_frame: first frame of the movement.
        end_frame: first frame after the movement (exclusive).
        gesture: gesture name, e.g. ``tap_in``.
        source: how the label was made: ``prompt``, ``auto``, ``manual`` or ``sim``.
    """

    start_frame: int
    end_frame: int
    gesture: str
    source: LabelSource

    def __post_init__(self) -> None:
        if self.start_frame < 0:
            raise ValueError(f"start_frame {self.start_frame} is negative (frames count from 0)")
        if self.end_frame <= self.start_frame:
            raise ValueError(
                f"label span [{self.start_frame}, {self.end_frame}) is empty: end_frame (exclusive) must be after "
                "start_frame"
            )
        if not GESTURE_NAME_RE.match(self.gesture):
            raise ValueError(f"gesture name {self.gesture!r} must match {GESTURE_NAME_RE.pattern}")
        if self.source not in get_args(LabelSource):
            raise ValueError(f"label source {self.source!r} must be one of {get_args(LabelSource)}")

    @property
    def num_frames(self) -> int:
        return self.end_frame - self.start_frame


def validate_labels(labels: Iterable[Label], *, num_frames: int | None = None) -> list[Label]:
    """Sorted labels, checked to lie inside ``[0, num_frames)`` when that is known."""
    out = sorted(labels)
    if num_frames is not None:
        for label in out:
            if label.end_frame > num_frames:
                span = span_text(label.gesture, label.start_frame, label.end_frame)
                raise ValueError(f"label ({span}) ends {past_end_text(num_frames)}")
    return out


def span_text(gesture: str, start_frame: int, end_frame: int) -> str:
    """``tap_in [10, 40)``, as :func:`check_no_overlap` names a label (an odd name quoted, so it stays one line)."""
    name = gesture if GESTURE_NAME_RE.match(gesture) else repr(gesture)
    return f"{name} [{start_frame}, {end_frame})"


def past_end_text(num_frames: int) -> str:
    """Why a span ending after a recording of ``num_frames`` frames is refused, in the words every message uses."""
    return f"after the last frame (the recording has {num_frames} frames; end_frame is exclusive)"


def check_label_rows(rows: Iterable[LabelRow], *, num_frames: int) -> tuple[list[Label], list[str]]:
    """The rows of a stored label table that are labels inside ``[0, num_frames)``, and one sentence for each row
    that is not, e.g. ``label 3 (double_tap_in [85, 99999)) ends after the last frame (...)``.

    Rows are numbered from 1 in sorted order, the order ``labels export`` writes them (label N is its CSV's line
    N + 1). :func:`acquisition.load_session` refuses a table with any such row; the commands that repair labels
    read it anyway and warn.
    """
    labels: list[Label] = []
    problems: list[str] = []
    for n, (start, end, gesture, source) in enumerate(sorted(rows), start=1):
        what = f"label {n} ({span_text(gesture, start, end)})"
        try:
            label = Label(start_frame=start, end_frame=end, gesture=gesture, source=source)  # type: ignore[arg-type]
        except ValueError as exc:
            problems.append(f"{what}: {exc}")
            continue
        if end > num_frames:
            problems.append(f"{what} ends {past_end_text(num_frames)}")
            continue
        labels.append(label)
    return labels, problems


_H5_STR = "O"


def labels_to_array(labels: Sequence[Label]) -> npt.NDArray[np.void]:
    """Labels as a structured array with the ``/radargest/labels`` columns (strings as ``object``)."""
    dtype = np.dtype([("start_frame", "<i8"), ("end_frame", "<i8"), ("gesture", _H5_STR), ("source", _H5_STR)])
    arr = np.empty(len(labels), dtype=dtype)
    for i, label in enumerate(labels):
        arr[i] = (label.start_frame, label.end_frame, label.gesture, label.source)
    return arr


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def label_rows_from_array(arr: npt.NDArray[np.void]) -> list[LabelRow]:
    """The rows of a ``/radargest/labels`` table (as :func:`labels_to_array` makes it; bytes or str strings),
    unchecked: :func:`check_label_rows` says which are labels.

    Raises:
        ValueError: not such a table, e.g. ``int64 values, not the columns start_frame, end_frame, gesture, source``.
    """
    names = arr.dtype.names or ()
    if arr.ndim != 1 or not names:
        shape = "" if arr.ndim == 1 else f" of shape {arr.shape}"
        raise ValueError(f"{arr.dtype} values{shape}, not the columns {', '.join(CSV_COLUMNS)}")
    missing = [c for c in CSV_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"no column {', '.join(missing)}")
    for column in ("start_frame", "end_frame"):
        if arr.dtype[column].kind not in "iu":
            raise ValueError(f"column {column} holds {arr.dtype[column]} values, not integers")
    return [
        (int(row["start_frame"]), int(row["end_frame"]), _text(row["gesture"]), _text(row["source"])) for row in arr
    ]


def labels_from_array(arr: npt.NDArray[np.void]) -> list[Label]:
    """Inverse of :func:`labels_to_array`; accepts bytes or str string columns.

    Raises:
        ValueError: not a label table, or a row that is no label.
    """
    return [
        Label(start_frame=s, end_frame=e, gesture=g, source=src)  # type: ignore[arg-type]  # checked in Label
        for s, e, g, src in label_rows_from_array(arr)
    ]


def write_labels_csv(labels: Sequence[Label | LabelRow], path: Path | None = None) -> str:
    """Write labels as CSV with a header row; returns the text and writes it to ``path`` if given.

    Stored rows that are no labels (:func:`check_label_rows`) are written as they are, so that ``labels export``
    loses none of a table it repairs.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for label in labels:
        if isinstance(label, Label):
            writer.writerow([label.start_frame, label.end_frame, label.gesture, label.source])
        else:
            writer.writerow(label)
    text = buf.getvalue()
    if path is not None:
        atomic_write_text(path, text)
    return text


def read_labels_csv(path: Path, *, num_frames: int | None = None) -> list[Label]:
    """Read a labels CSV written by :func:`write_labels_csv` (or edited by hand; a UTF-8 BOM is fine).

    Args:
        num_frames: frames of the recording the labels are for, when known: a row ending after them is refused
            here, naming its line, rather than by :func:`acquisition.save_labels`, which cannot.

    Raises:
        RecordingError: unreadable or non-UTF-8 file, missing columns, a bad row, or two rows whose spans
            share a frame (:func:`check_no_overlap`); the message names the file and the line(s).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RecordingError(path, f"cannot read labels CSV ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordingError(path, f"labels CSV is not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[Label, int]] = []  # each label with its line in the file
    line_no = 1
    try:
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RecordingError(path, f"labels CSV lacks column(s) {', '.join(missing)}")
        for row in reader:
            line_no = reader.line_num
            label = _label_of_row(row)
            if num_frames is not None and label.end_frame > num_frames:
                raise ValueError(f"end_frame {label.end_frame} is {past_end_text(num_frames)}")
            rows.append((label, line_no))
    except csv.Error as exc:
        raise RecordingError(path, f"line {reader.line_num}: malformed CSV ({exc})") from None
    except (TypeError, ValueError) as exc:
        raise RecordingError(path, f"line {line_no}: {exc}") from None
    rows.sort()
    labels = [label for label, _ in rows]
    try:
        check_no_overlap(labels, names=[f"line {line}" for _, line in rows])
    except ValueError as exc:
        raise RecordingError(path, str(exc)) from None
    return labels


def check_no_overlap(labels: Sequence[Label], *, names: Sequence[str] | None = None) -> None:
    """Refuse two labels that share a frame, whatever their gestures: a frame is one gesture or background.

    The rule of every label table written to a recording (:func:`acquisition.save_labels`), so what
    ``labels export`` writes, ``labels import`` takes back. ``labels import`` (:func:`read_labels_csv`) and the
    ``radargest label`` window apply it before writing, naming the labels as their user sees them.

    Args:
        labels: the labels, in any order.
        names: what the message calls each label of ``labels`` (e.g. ``line 3`` of a CSV); by default
            ``event N``, N counting the labels in sorted order from 1, as the label window numbers them.

    Raises:
        ValueError: the first pair (in start order) that shares a frame, e.g. ``line 2 (tap_in [10, 40)) and
            line 3 (wiggle [30, 60)) overlap on frames [30, 40); a frame holds one gesture: shorten, merge or
            delete one of them (end_frame is exclusive)``.
    """
    if names is not None and len(names) != len(labels):
        raise ValueError(f"{len(names)} names for {len(labels)} labels")
    order = sorted(range(len(labels)), key=lambda i: (labels[i], i))
    if names is None:
        names = [""] * len(labels)
        for n, i in enumerate(order, start=1):
            names[i] = f"event {n}"
    reach: int | None = None  # the label reaching furthest so far: every later overlap meets it
    for i in order:
        label = labels[i]
        if reach is not None and label.start_frame < labels[reach].end_frame:
            first = labels[reach]
            shared = f"[{label.start_frame}, {min(label.end_frame, first.end_frame)})"
            raise ValueError(
                f"{names[reach]} ({first.gesture} [{first.start_frame}, {first.end_frame})) and {names[i]} "
                f"({label.gesture} [{label.start_frame}, {label.end_frame})) overlap on frames {shared}; "
                "a frame holds one gesture: shorten, merge or delete one of them (end_frame is exclusive)"
            )
        if reach is None or label.end_frame > labels[reach].end_frame:
            reach = i


_INT64 = (-(2**63), 2**63 - 1)


def _label_of_row(row: dict[str | None, str | list[str] | None]) -> Label:
    """One CSV row (as :class:`csv.DictReader` gives it) as a label; ``ValueError`` says what is wrong."""
    cells: dict[str, str] = {}
    for column in CSV_COLUMNS:
        value = row.get(column)
        if not isinstance(value, str):
            raise ValueError(f"no {column} cell (the row has fewer cells than the header)")
        cells[column] = value.strip()
    frames = []
    for column in ("start_frame", "end_frame"):
        try:
            frame = int(cells[column])
        except ValueError:
            raise ValueError(f"{column} {cells[column]!r} is not an integer") from None
        if not _INT64[0] <= frame <= _INT64[1]:
            raise ValueError(f"{column} {frame} is out of the int64 range")
        frames.append(frame)
    if cells["gesture"] == BACKGROUND:
        raise ValueError(
            f"{BACKGROUND!r} is the background class, not a gesture: delete the row (unlabelled frames are background)"
        )
    return Label(
        start_frame=frames[0],
        end_frame=frames[1],
        gesture=cells["gesture"],
        source=cells["source"],  # type: ignore[arg-type]  # checked in Label
    )
