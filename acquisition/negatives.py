"""Negative (cause) labels: spans of non-gesture activity, stored in ``/radargest/negatives``.

Columns: ``start_frame`` (int64), ``end_frame`` (int64, exclusive), ``cause`` (UTF-8, e.g. ``hover``,
``earcup_grab``, ``scratch``, ``empty``) and ``source`` (``sim`` | ``manual``). Gesture labels stay in
``/radargest/labels``; frames covered by a negative are background (``none``) whose cause is known, so
every false activation on them can be traced to what the hand was doing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import h5py
import numpy as np
import numpy.typing as npt

from acquisition.labels import GESTURE_NAME_RE, Label, past_end_text, span_text

__all__ = [
    "NegativeLabel",
    "NegativeSource",
    "negatives_from_array",
    "negatives_h5_dtype",
    "negatives_to_array",
    "validate_negatives",
]

NegativeSource = Literal["sim", "manual"]


@dataclass(frozen=True, kw_only=True, order=True)
class NegativeLabel:
    """One span of non-gesture activity.

    Attributes:
        start_frame: first frame of the span.
        end_frame: first frame after the span (exclusive).
        cause: what the hand (or the empty field) was doing, an identifier like a gesture name.
        source: ``sim`` (simulator ground truth) or ``manual``.
    """

    start_frame: int
    end_frame: int
    cause: str
    source: NegativeSource

    def __post_init__(self) -> None:
        if self.start_frame < 0 or self.end_frame <= self.start_frame:
            raise ValueError(f"negative span [{self.start_frame}, {self.end_frame}) is empty or negative")
        if not GESTURE_NAME_RE.match(self.cause):
            raise ValueError(f"cause {self.cause!r} must match {GESTURE_NAME_RE.pattern}")
        if self.source not in get_args(NegativeSource):
            raise ValueError(f"negative source {self.source!r} must be one of {get_args(NegativeSource)}")

    @property
    def num_frames(self) -> int:
        return self.end_frame - self.start_frame

    def as_tuple(self) -> tuple[int, int, str]:
        """``(start_frame, end_frame, cause)``, the form :class:`models.data.Recording` keeps."""
        return (self.start_frame, self.end_frame, self.cause)


def validate_negatives(
    negatives: Iterable[NegativeLabel], *, num_frames: int | None = None, labels: Sequence[Label] = ()
) -> list[NegativeLabel]:
    """Sorted negatives, checked to lie inside ``[0, num_frames)`` and to overlap no gesture label.

    Raises:
        ValueError: a span outside the recording, or one that overlaps a gesture label.
    """
    out = sorted(negatives)
    if num_frames is not None:
        for neg in out:
            if neg.end_frame > num_frames:
                raise ValueError(
                    f"negative {span_text(neg.cause, neg.start_frame, neg.end_frame)} ends {past_end_text(num_frames)}"
                )
    if out and labels:
        starts = np.array([n.start_frame for n in out])
        ends = np.array([n.end_frame for n in out])
        for lab in labels:
            hit = np.flatnonzero((starts < lab.end_frame) & (ends > lab.start_frame))
            if hit.size:
                neg = out[int(hit[0])]
                raise ValueError(
                    f"negative {span_text(neg.cause, neg.start_frame, neg.end_frame)} overlaps gesture label "
                    f"{span_text(lab.gesture, lab.start_frame, lab.end_frame)}"
                )
    return out


def negatives_h5_dtype() -> np.dtype[np.void]:
    """The on-disk dtype of ``/radargest/negatives`` (UTF-8 variable-length strings)."""
    str_dt = h5py.string_dtype("utf-8")
    return np.dtype([("start_frame", "<i8"), ("end_frame", "<i8"), ("cause", str_dt), ("source", str_dt)])


def negatives_to_array(negatives: Sequence[NegativeLabel]) -> npt.NDArray[np.void]:
    """Negatives as a structured array with the ``/radargest/negatives`` columns."""
    arr = np.empty(len(negatives), dtype=negatives_h5_dtype())
    for i, neg in enumerate(negatives):
        arr[i] = (neg.start_frame, neg.end_frame, neg.cause, neg.source)
    return arr


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def negatives_from_array(arr: npt.NDArray[np.void]) -> list[NegativeLabel]:
    """Inverse of :func:`negatives_to_array`; accepts bytes or str string columns."""
    return [
        NegativeLabel(
            start_frame=int(row["start_frame"]),
            end_frame=int(row["end_frame"]),
            cause=_text(row["cause"]),
            source=_text(row["source"]),  # type: ignore[arg-type]  # checked in NegativeLabel
        )
        for row in arr
    ]
