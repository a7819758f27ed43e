"""Bring other tools' recordings into radargest: Acconeer gesture-control files and plain records.

Composition only: :mod:`acquisition` reads and writes the files, :mod:`dsp` (through
:mod:`radargest.pipeline`) finds the events. Both importers copy the Exploration Tool record unchanged
and add the ``/radargest`` group with :func:`acquisition.save_labels` (atomic), so the Exploration Tool
still opens the output.

**Acconeer gesture-control files** (``label_<gesture>_idx_<n>.h5``). This is the only place in
radargest where a label comes from a file name. Each stream is segmented with
:data:`radargest.pipeline.LABELLING_SEGMENT` (fixed, so that the labels do not move with the decision layer's
segmenter) and every event gets the file's gesture with
``source="auto"``. ``static_hand`` and ``dynamic_hand`` files hold no gesture: they are imported as
*background* sessions with an empty label table (their notes say ``background``), so they feed the
background class and false-activation counts without inventing a gesture name. The source files carry
an ``/algo`` group written by Acconeer's gesture-control app; the Exploration Tool GUI refuses ``/algo``
keys it does not know, so the copy leaves it out (every other object is copied as is, with attributes).

**Plain records** (``import record``) are copied byte for byte (an ``/algo`` written by the GUI itself is
kept) and get an empty label table and the preset name (``custom`` when the config matches no preset);
a file that already holds ``/radargest`` keeps its labels and attributes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import h5py

from acquisition import (
    AcquisitionError,
    Label,
    SessionMeta,
    atomic_update,
    load_session,
    preset_for_config,
    save_labels,
)
from acquisition.labels import GESTURE_NAME_RE
from acquisition.recording import GROUP, copy_record, is_unimported_gesture_control
from radargest.pipeline import LABELLING_SEGMENT, ConfigMismatchError, PipelineConfig, session_events

__all__ = [
    "BACKGROUND_CLASSES",
    "GESTURE_CONTROL_NAME_RE",
    "ImportReport",
    "ImportedFile",
    "class_from_file_name",
    "copy_without_algo",
    "import_gesture_control",
    "import_gesture_control_file",
    "import_record",
]

#: ``label_<class>_idx_<n>.h5``, the naming of acconeer/acconeer-a121-gesture-control.
GESTURE_CONTROL_NAME_RE = re.compile(r"^label_(?P<name>[a-z][a-z0-9_]*?)_idx_(?P<idx>\d+)\.h5$")
#: Classes of that repository that are background, not gestures.
BACKGROUND_CLASSES = frozenset({"static_hand", "dynamic_hand"})
SUBJECT = "acconeer-gesture-control"


@dataclass(frozen=True, kw_only=True)
class ImportedFile:
    """One imported recording.

    Attributes:
        source: the file read.
        output: the radargest recording written.
        gesture: the class taken from the file name, or None for a background file.
        events: number of labels written.
    """

    source: Path
    output: Path
    gesture: str | None
    events: int


@dataclass(kw_only=True)
class ImportReport:
    """What a batch import did: the files imported and the files skipped with a one-line reason."""

    imported: list[ImportedFile] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line: counts of files imported, events labelled and files skipped."""
        events = sum(f.events for f in self.imported)
        return f"imported {len(self.imported)} file(s) with {events} event(s); skipped {len(self.skipped)}"


def class_from_file_name(path: Path) -> tuple[str, bool]:
    """The class of a gesture-control file and whether it is background.

    Raises:
        ValueError: the name is not ``label_<class>_idx_<n>.h5`` or the class is no valid gesture name.
    """
    m = GESTURE_CONTROL_NAME_RE.match(Path(path).name)
    if not m or not GESTURE_NAME_RE.match(m["name"]):
        raise ValueError(f"{path}: file name is not label_<gesture>_idx_<n>.h5")
    name = m["name"]
    return name, name in BACKGROUND_CLASSES


def copy_without_algo(src: Path, dst: Path) -> None:
    """Copy an H5 record to ``dst`` without its ``/algo`` group; every other object and all attributes
    are copied unchanged. Written through a temporary file and a rename, so ``dst`` is never partial.

    The copy is made with h5py because exptool's public ``a121.save_record`` refuses records that carry no
    sensor calibration, and the Acconeer gesture-control files carry none."""

    def write(tmp: Path) -> None:
        with h5py.File(src, "r") as fin, h5py.File(tmp, "w") as fout:
            copy_record(fin, fout, without="algo")

    atomic_update(Path(dst), write, copy=False)  # a new file gets the umask's mode, as every other output


def _copy_file(src: Path, dst: Path) -> None:
    atomic_update(Path(dst), lambda tmp: shutil.copyfile(src, tmp), copy=False)


def _check_target(out_dir: Path, src: Path, overwrite: bool) -> Path:
    out = Path(out_dir) / Path(src).name
    if out.resolve() == Path(src).resolve():
        raise ValueError(f"{src}: output would overwrite the source; choose another --out folder")
    if out.exists() and not overwrite:
        raise ValueError(f"{out}: already exists (use --overwrite)")
    return out


def import_gesture_control_file(
    src: Path, out_dir: Path, *, cfg: PipelineConfig | None = None, overwrite: bool = False
) -> ImportedFile:
    """Import one gesture-control file (see the module docstring); ``cfg`` defaults to the preset's chain with
    :data:`radargest.pipeline.LABELLING_SEGMENT`.

    Raises:
        acquisition.AcquisitionError: unreadable or truncated file.
        ValueError: bad file name, a config that is not the preset, an existing output, or a file that is a
            radargest recording already (its labels would be replaced).
    """
    src = Path(src)
    name, background = class_from_file_name(src)
    out = _check_target(out_dir, src, overwrite)
    session = load_session(src)
    if session.meta is not None:  # read from /radargest, which only a radargest recording holds
        raise ValueError(
            f"{src}: already a radargest recording (it holds /{GROUP}); importing it again would replace its labels "
            "with the file name's automatic ones: use it as it is, or import the original file"
        )
    cfg = cfg or PipelineConfig(segment=LABELLING_SEGMENT)
    events = [] if background else session_events(session, cfg=cfg).tolist()
    preset = preset_for_config(session.sensor_config) or "custom"
    labels = [Label(start_frame=int(s), end_frame=int(e), gesture=name, source="auto") for s, e in events]
    kind = f"background ({name}), no gesture events" if background else f"{name}, auto-segmented events"
    meta = SessionMeta(subject=SUBJECT, preset=preset, notes=f"imported from {src.name}: {kind}")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    copy_without_algo(src, out)
    try:
        save_labels(out, labels, meta=meta)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return ImportedFile(source=src, output=out, gesture=None if background else name, events=len(labels))


def import_gesture_control(
    src_dir: Path,
    out_dir: Path,
    *,
    cfg: PipelineConfig | None = None,
    overwrite: bool = False,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
    on_skip: Callable[[Path, str], None] | None = None,
) -> ImportReport:
    """Import every ``*.h5`` under ``src_dir`` (recursively, sorted) into ``out_dir``.

    A file that cannot be imported is skipped with a one-line reason (``on_skip`` is called at once)
    and the run carries on.

    Args:
        progress: wraps the file list, e.g. ``tqdm``.
        on_skip: called with the file and the reason of each skipped file.

    Raises:
        ValueError: ``src_dir`` is not a folder, or two files under it share a name (their outputs would clash).
    """
    src_dir = Path(src_dir)
    if not src_dir.is_dir():
        raise ValueError(f"{src_dir}: not a folder")
    files = sorted(p for p in src_dir.rglob("*.h5") if p.is_file())
    by_name: dict[str, list[Path]] = {}
    for path in files:
        by_name.setdefault(path.name, []).append(path)
    clashes = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if clashes:  # the outputs are named after the files: a second one would replace the first
        name, paths = sorted(clashes.items())[0]
        more = f" (and {len(clashes) - 1} more name(s))" if len(clashes) > 1 else ""
        raise ValueError(
            f"{src_dir}: {len(paths)} files are named {name} ({', '.join(str(p.parent) for p in paths)}){more}; their "
            "imports would overwrite each other in one --out folder: import each subfolder into a folder of its own"
        )
    report = ImportReport()
    for path in progress(files) if progress else files:
        try:
            report.imported.append(import_gesture_control_file(path, out_dir, cfg=cfg, overwrite=overwrite))
        except (AcquisitionError, ConfigMismatchError, ValueError, OSError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            prefix = f"{path}: "
            reason = reason[len(prefix) :] if reason.startswith(prefix) else reason
            report.skipped.append((path, reason))
            if on_skip:
                on_skip(path, reason)
    return report


def import_record(src: Path, out_dir: Path, *, overwrite: bool = False, subject: str = "") -> ImportedFile:
    """Import a plain Exploration Tool record: a copy with an empty label table and the preset name.

    Raises:
        acquisition.AcquisitionError: unreadable or truncated file.
        ValueError: an existing output, or an Acconeer gesture-control file (its importer reads its labels).
    """
    src = Path(src)
    session = load_session(src)
    if GESTURE_CONTROL_NAME_RE.match(src.name) and is_unimported_gesture_control(src):
        raise ValueError(
            f"{src}: an Acconeer gesture-control recording; its labels are in its file name, which only "
            "`radargest import acconeer-gesture-control FOLDER --out DIR` reads (imported here, every frame would "
            "count as background)"
        )
    out = _check_target(out_dir, src, overwrite)
    preset = preset_for_config(session.sensor_config) or "custom"
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    _copy_file(src, out)
    meta = session.meta or SessionMeta(subject=subject, preset=preset, notes=f"imported from {src.name}")
    try:
        save_labels(out, session.labels, meta=meta)  # a radargest file keeps its labels and attributes
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return ImportedFile(source=src, output=out, gesture=None, events=len(session.labels))
