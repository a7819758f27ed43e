"""Running the console script in a subprocess, and the one-line error rule every command follows."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["assert_one_line_error", "run"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m radargest ARGS``, captured, never raising on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "radargest", *args], capture_output=True, text=True, timeout=120, check=False
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A failed run printed exactly one stderr line, no traceback, containing every fragment."""
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]
