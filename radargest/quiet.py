"""Keep TensorFlow's own log lines off the terminal unless ``--verbose`` (DESIGN §8d).

TensorFlow talks on four channels, and each needs its own lid:

1. C++ logging after ``absl::InitializeLog`` (``E0000 … NodeDef mentions attribute
   use_unbounded_threadpool``, converter ``W0000`` lines): ``TF_CPP_MIN_LOG_LEVEL=3``, which must be in
   the environment before ``import tensorflow``.
2. C++ lines written before absl's logger exists, or with plain ``fprintf`` (the oneDNN notice with its
   ``WARNING: All log messages before absl::InitializeLog()`` banner, the converter's ``fully_quantize:``
   line, the TFLite interpreter's ``INFO: Created TensorFlow Lite XNNPACK delegate``): no variable turns
   these off, so file descriptor 2 is routed through a filter thread that drops exactly these lines and
   passes every other byte (the pipeline's progress bars and messages) straight on.
3. Python logging (``WARNING:tensorflow:… triggered tf.function retracing``, absl-py): the ``tensorflow``
   and ``absl`` loggers are set to ERROR.
4. Python warnings raised inside TensorFlow or Keras (``UserWarning`` from the converter or the data
   adapters): ignored by module.

:func:`quiet_tensorflow` applies all four for the duration of a command; with ``verbose`` it changes
nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator

__all__ = ["is_tensorflow_log_line", "quiet_tensorflow"]

_TF_LINE = re.compile(
    rb"^(?:"
    rb"[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.\-]+:\d+\] "  # absl / glog header (fatal F lines pass)
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|fully_quantize: \d"
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate"
    rb"|INFO: Initialized TensorFlow Lite runtime"
    rb"|To enable the following instructions: .* rebuild TensorFlow"
    rb"|(?:WARNING|INFO|DEBUG):(?:tensorflow|absl):"
    rb")"
)
_MAYBE_TF = re.compile(rb"^(?:[IWE]\d|WARNING|INFO|DEBUG|fully_|To enable)")
_TF_MODULES = r"(?:tensorflow|keras|tf_keras|absl|ml_dtypes|google\.protobuf)(?:\..*)?$"


def is_tensorflow_log_line(line: bytes | str) -> bool:
    """True for a line of TensorFlow's, absl's or LiteRT's own logging (see the module docstring)."""
    data = line.encode("utf-8", "replace") if isinstance(line, str) else line
    return _TF_LINE.match(data) is not None


def _pump(read_fd: int, write_fd: int) -> None:
    """Copy ``read_fd`` to ``write_fd`` line by line, dropping TensorFlow log lines.

    A partial line (a progress bar redrawn with ``\\r``) is passed on at once unless it could still
    become a log line, so progress stays live.
    """
    pending = b""
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        pending += chunk
        out: list[bytes] = []
        *lines, pending = pending.split(b"\n")
        out.extend(line + b"\n" for line in lines if not is_tensorflow_log_line(line))
        if pending and not _MAYBE_TF.match(pending):
            out.append(pending)
            pending = b""
        if out:
            with contextlib.suppress(OSError):
                os.write(write_fd, b"".join(out))
    if pending and not is_tensorflow_log_line(pending):
        with contextlib.suppress(OSError):
            os.write(write_fd, pending)


@contextlib.contextmanager
def _filtered_fd2() -> Iterator[None]:
    """Route file descriptor 2 (C, C++ and Python writes alike) through :func:`_pump`."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (embedded, closed): nothing to filter
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_pump, args=(read_fd, saved), name="radargest-stderr-filter", daemon=True)
    thread.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end (unless a child still holds it)
        thread.join(timeout=2.0)
        os.close(saved)
        if not thread.is_alive():
            os.close(read_fd)


@contextlib.contextmanager
def quiet_tensorflow(*, verbose: bool = False) -> Iterator[None]:
    """Silence TensorFlow's own logging while the block runs (import TensorFlow inside it).

    Args:
        verbose: leave every channel as TensorFlow has it (``radargest --verbose``).
    """
    if verbose:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    loggers = [logging.getLogger(name) for name in ("tensorflow", "absl", "keras")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), _filtered_fd2():
            warnings.filterwarnings("ignore", module=_TF_MODULES)
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
