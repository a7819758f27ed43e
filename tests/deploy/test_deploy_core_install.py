"""The core install (no extras) is the dev-board runtime: no TensorFlow, same events as the full install.

The venv is built offline from this environment's distributions (``tests/core_venv.py``): exactly the
closure of ``pyproject.toml``'s core dependencies, so a TensorFlow pulled in by a core dependency would
show up here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from core_venv import REPO, build_core_venv

from radargest.datasets import acconeer_file


def _run(python: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "radargest", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(Path.home())},
    )


def _recordings(sim_stream_file: Path) -> list[Path]:
    files = [sim_stream_file]
    real = acconeer_file("tap_in_idx_1")  # training side; a runtime equality check, nothing is tuned
    if real is not None and real.is_file():
        files.append(real)
    return files


@pytest.fixture(scope="module")
def core_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``python`` of a fresh venv holding the core install only."""
    return build_core_venv(tmp_path_factory.mktemp("core_venv") / "venv")


@pytest.fixture(scope="module")
def sim_stream_file(sim_dir: Path) -> Path:
    return sorted(sim_dir.glob("*.h5"))[0]


def test_core_venv_has_no_tensorflow(core_python: Path) -> None:
    python = core_python
    probe = "import importlib.util as u; print([m for m in ('tensorflow', 'keras', 'tf_keras') if u.find_spec(m)])"
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    # ...while the runtime's own dependencies are there
    probe = "import ai_edge_litert, h5py, scipy, acconeer.exptool, radargest.cli; print('ok')"
    assert subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout == "ok\n"


def test_core_detect_and_demo_equal_full_install(core_python: Path, demo_bundle: Path, sim_stream_file: Path) -> None:
    python = core_python
    for rec in _recordings(sim_stream_file):
        core = _run(python, "detect", str(rec), "--model", str(demo_bundle), "--json")
        full = _run(sys.executable, "detect", str(rec), "--model", str(demo_bundle), "--json")
        assert core.returncode == 0, core.stderr
        assert full.returncode == 0, full.stderr
        assert core.stdout == full.stdout
        if rec == sim_stream_file:
            assert full.stdout.count("\n") >= 1, "the tiny bundle detects nothing: the comparison would be empty"
        demo = _run(python, "demo", "--headless", "--fast", "--source", f"replay:{rec}", "--model", str(demo_bundle))
        assert demo.returncode == 0, demo.stderr
        assert demo.stdout == core.stdout  # headless prints the same JSON lines as detect --json
    assert "Traceback" not in core.stderr + demo.stderr


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["train", "--data", "{sim}", "--out", "{tmp}/run"], "radargest train"),
        (["quantize", "{tmp}"], "radargest quantize"),
        (["export", "{tmp}", "--out", "{tmp}/b"], "radargest export"),
        (["quickstart", "--out", "{tmp}/q"], "radargest quickstart"),
    ],
)
def test_core_train_commands_name_the_extra(
    core_python: Path, sim_stream_file: Path, tmp_path: Path, argv: list[str], what: str
) -> None:
    python = core_python
    args = [a.format(sim=sim_stream_file, tmp=tmp_path) for a in argv]
    proc = _run(python, *args)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        f"radargest: error: {what} needs the [train] extra (no module 'tensorflow'): pip install 'radargest[train]'"
    ]
    assert not (tmp_path / "run").exists()


def test_core_runs_the_dev_board_commands(core_python: Path, sim_stream_file: Path, tmp_path: Path) -> None:
    """labels export, features, label --png, import record and bench dsp all run without TensorFlow."""
    python = core_python
    steps = [
        ["labels", "export", str(sim_stream_file), str(tmp_path / "labels.csv")],
        ["features", str(sim_stream_file), "--png", str(tmp_path / "features.png")],
        ["label", str(sim_stream_file), "--png", str(tmp_path / "label.png")],
        ["import", "record", str(sim_stream_file), "--out", str(tmp_path / "imported")],
        ["bench", "dsp", "--file", str(sim_stream_file), "--frames", "64"],
        [
            *("record", "--source", "sim", "--gestures", "tap_in", "--reps", "1", "--subject", "t", "--fast"),
            *("--countdown-s", "0.2", "--window-s", "0.5", "--pause-s", "0.2", "--out", str(tmp_path / "rec")),
        ],
    ]
    for argv in steps:
        proc = _run(python, *argv)
        assert proc.returncode == 0, (argv, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr
    assert (tmp_path / "features.png").is_file()
    assert list((tmp_path / "rec").glob("*.h5"))
