"""Recording a client's frames to an Exploration Tool H5 file without ever losing data.

The frame loop runs inside a ``try/finally``: whatever stops it (the caller's stop flag set by Ctrl-C, an
unplugged sensor, an exception) the exptool recorder is flushed and closed and the ``/radargest`` group
is written with the labels of every completed event, so ``a121.load_record`` opens the file with every
frame received before the stop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
from acconeer.exptool import a121

from acquisition.errors import RecordingError
from acquisition.labels import Label
from acquisition.negatives import NegativeLabel
from acquisition.recording import SessionMeta, write_radargest_group

__all__ = ["RecordOutcome", "record_session"]

#: Called after every frame with (frame index, result); return False to stop recording.
FrameCallback = Callable[[int, a121.Result], bool]
#: Called once at the end with the number of frames recorded; returns the labels to store.
LabelProvider = Callable[[int], Sequence[Label]]
#: Called once at the end with the number of frames recorded and the labels stored; returns the cause
#: labels (``/radargest/negatives``) to store.
NegativeProvider = Callable[[int, Sequence[Label]], Sequence[NegativeLabel]]


@dataclass(frozen=True, kw_only=True)
class RecordOutcome:
    """What a recording ended with.

    Attributes:
        path: the file written.
        num_frames: frames stored.
        labels: labels stored.
        negatives: cause labels stored.
        error: the exception that ended the recording early, or None.
    """

    path: Path
    num_frames: int
    labels: tuple[Label, ...]
    error: BaseException | None
    negatives: tuple[NegativeLabel, ...] = ()


def record_session(
    client: a121.Client,
    path: Path,
    *,
    sensor_config: a121.SensorConfig,
    meta: SessionMeta | Callable[[], SessionMeta],
    max_frames: int | None = None,
    on_frame: FrameCallback | None = None,
    labels: LabelProvider | None = None,
    negatives: NegativeProvider | None = None,
    libver: tuple[str, str] | None = None,
) -> RecordOutcome:
    """Record from ``client`` into a new file ``path`` until ``max_frames``, ``on_frame`` says stop, or an
    error. Errors from the sensor end the recording but are returned, not raised, after the file is safe.
    ``meta`` may be a callable, evaluated at the end (a simulator's scene is known only then).
    ``libver`` bounds the HDF5 file format (``("v108", "latest")`` allows attributes over 64 KiB, e.g. the
    scene of an hours-long simulated stream); None keeps h5py's default.

    Raises:
        RecordingError: ``path`` exists or cannot be created.
    """
    path = Path(path)
    try:
        h5 = h5py.File(path, "x", libver=libver)
    except (OSError, FileExistsError) as exc:
        raise RecordingError(path, f"cannot create recording ({exc})") from None
    count = 0
    error: BaseException | None = None
    stored: Sequence[Label] = ()
    stored_neg: Sequence[NegativeLabel] = ()
    try:
        recorder = a121.H5Recorder(h5, client)  # type: ignore[arg-type]  # exptool generics disagree
        try:
            client.setup_session(sensor_config)
            client.start_session()
            while max_frames is None or count < max_frames:
                result = client.get_next()
                assert isinstance(result, a121.Result)
                count += 1
                if on_frame is not None and not on_frame(count - 1, result):
                    break
        except (Exception, KeyboardInterrupt) as exc:  # keep the file valid whatever stopped us
            error = exc
        finally:
            if client.session_is_started:
                with contextlib.suppress(Exception):
                    client.stop_session()
            recorder.close()
            stored = [lab for lab in (labels(count) if labels else ()) if lab.end_frame <= count]
            stored_neg = [n for n in (negatives(count, stored) if negatives else ()) if n.end_frame <= count]
            write_radargest_group(h5, labels=stored, meta=meta() if callable(meta) else meta, negatives=stored_neg)
    finally:
        h5.close()
    return RecordOutcome(path=path, num_frames=count, labels=tuple(stored), error=error, negatives=tuple(stored_neg))
