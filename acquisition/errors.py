"""User-facing errors of the acquisition layer.

Each message is one line that names the file or value at fault, so the CLI can print it without a
traceback.
"""

from __future__ import annotations

__all__ = ["AcquisitionError", "PresetError", "RecordingError", "SourceError"]


class AcquisitionError(Exception):
    """Base class of every error the acquisition layer reports to a user."""


class PresetError(AcquisitionError, ValueError):
    """An unknown preset name or an invalid preset value."""


class SourceError(AcquisitionError, ValueError):
    """A source string that is not understood, or a sensor that cannot be reached."""


class RecordingError(AcquisitionError):
    """A recording that cannot be read or written."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
