"""Every study script under scripts/ answers ``--help`` (exit 0, usage on stdout or stderr): it imports, and a user
can learn how to call it. A script whose sibling import broke (tap_kinematics once did) fails here."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_helpers import SCRIPTS

SCRIPT_NAMES = sorted(p.name for p in SCRIPTS.glob("*.py"))


def test_there_are_scripts() -> None:
    assert "tap_kinematics.py" in SCRIPT_NAMES


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_script_answers_help(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / name), "--help"], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (proc.stdout + proc.stderr).strip()
