"""Small text helpers for the lines radargest prints. In ``dsp`` because ``models``, ``deploy`` and ``radargest``
all sit above it, the runtime path included, which never imports ``models``."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``n`` and ``noun`` in the number ``n`` asks for: ``plural(1, "stream")`` is "1 stream", ``plural(3,
    "stream")`` "3 streams" (``plural_form`` for a noun whose plural is not ``noun + "s"``)."""
    return f"{n} {noun if n == 1 else plural_form or noun + 's'}"
