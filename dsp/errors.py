"""The one exception type raised by :mod:`dsp` for invalid arguments."""

from __future__ import annotations

__all__ = ["ParameterError"]


class ParameterError(ValueError):
    """An argument or config field has an invalid value; the message names the value."""
