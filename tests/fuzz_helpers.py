"""Shared pieces of the property-based (hypothesis) fuzz tests: file hashing, byte mutations, the rule.

The rule every loader must follow on hostile input (DESIGN §2, "No data is lost"): it returns a correct
result or raises the project's own error with a one-line message naming the file, and it never changes
the file it reads. A hang is caught by hypothesis's deadline in the ``fuzz`` profile.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import strategies as st

__all__ = ["assert_one_line", "byte_mutations", "mutate_bytes", "sha256"]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assert_one_line(exc: BaseException, path: Path | str) -> None:
    """The project's error rule: one line, naming the file."""
    text = str(exc)
    assert text.strip(), f"empty message from {type(exc).__name__}"
    assert "\n" not in text.strip(), f"multi-line message: {text!r}"
    assert str(path) in text or Path(path).name in text, f"message does not name {path}: {text!r}"


@st.composite
def byte_mutations(draw: st.DrawFn, size: int, *, hot: int = 4096) -> list[tuple[str, int, bytes]]:
    """A list of edits for a file of ``size`` bytes: truncations, byte flips and overwritten spans.

    Half the positions fall in the first or last ``hot`` bytes, where HDF5 keeps its superblock, object
    headers and heaps, so that the structure is hit and not only sample values.
    """
    pos = st.one_of(
        st.integers(0, max(0, size - 1)),
        st.integers(0, max(0, min(size, hot) - 1)),
        st.integers(max(0, size - hot), max(0, size - 1)),
    )
    edit = st.one_of(
        st.tuples(st.just("flip"), pos, st.binary(min_size=1, max_size=1).filter(lambda b: b != b"\0")),
        st.tuples(st.just("write"), pos, st.binary(min_size=1, max_size=64)),
        st.tuples(st.just("truncate"), st.integers(0, size), st.just(b"")),
    )
    return draw(st.lists(edit, min_size=1, max_size=6))


def mutate_bytes(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    """Apply :func:`byte_mutations` edits in order."""
    buf = bytearray(data)
    for kind, at, payload in edits:
        if kind == "truncate":
            del buf[at:]
        elif kind == "flip" and at < len(buf):
            buf[at] ^= payload[0]
        elif kind == "write" and at < len(buf):
            end = min(len(buf), at + len(payload))
            buf[at:end] = payload[: end - at]
    return bytes(buf)
