"""TensorFlow's own log lines stay off stderr unless ``--verbose``; the pipeline's lines stay."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from radargest.quiet import is_tensorflow_log_line

# Lines seen on stderr from `make quickstart`, `radargest train` and `radargest quantize` (TensorFlow 2.21).
TF_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795996285.943403   12115 port.cc:153] oneDNN custom operations are on. You may see slightly",
    "E0000 00:00:1795996385.839876   14098 node_def_util.cc:682] NodeDef mentions attribute "
    "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; signature=...>",
    "W0000 00:00:1795996309.394807   12115 tf_tfl_flatbuffer_helpers.cc:364] Ignored output_format.",
    "fully_quantize: 0, inference_type: 6, input_inference_type: INT8, output_inference_type: INT8",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    "WARNING:tensorflow:5 out of the last 9 calls to <function f at 0x7f> triggered tf.function retracing.",
]
OWN_LINES = [
    "[2/6    15 s] training the default model (20 epochs; the held-out subjects are the test side of the split)",
    "train:  50%|█████     | 1/2 [00:02<00:02,  2.63s/epoch, loss=1.275]",
    "radargest: error: run.h5: no such file",
    "wrote out/run/quant_report.md, quant_report.json and model_int8.tflite",
    "F0000 00:00:1795996285.943403   12115 check.cc:1] Check failed: a fatal error stays visible",
]
# Anything that looks like TensorFlow / absl / LiteRT output, broader than the filter itself.
TINY = ("--split", "subject", "--epochs", "1", "--arch", "cnn_tcn")
TF_TRACE = re.compile(r"^[IWEF]\d{4} |absl|tensorflow|oneDNN|XNNPACK|fully_quantize|retracing", re.MULTILINE)


@pytest.mark.parametrize("line", TF_LINES)
def test_tensorflow_lines_are_recognised(line: str) -> None:
    assert is_tensorflow_log_line(line)


@pytest.mark.parametrize("line", OWN_LINES)
def test_own_lines_pass(line: str) -> None:
    assert not is_tensorflow_log_line(line)


def test_native_writes_are_filtered_and_progress_passes() -> None:
    """Writes straight to file descriptor 2 (as C++ does) are filtered; a \\r progress bar passes at once."""
    lines = "".join(line + "\n" for line in TF_LINES[:5] + OWN_LINES[:3])
    code = (
        "import os, sys\n"
        "from radargest.quiet import quiet_tensorflow\n"
        "with quiet_tensorflow():\n"
        f"    os.write(2, {lines.encode()!r})\n"
        "    os.write(2, b'bar 1/2\\r')\n"
        "    print('python stderr line', file=sys.stderr)\n"
        "os.write(2, b'after\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=True)
    want = "".join(line + "\n" for line in OWN_LINES[:3]) + "bar 1/2\rpython stderr line\nafter\n"
    assert proc.stderr.decode() == want


def _user_env() -> dict[str, str]:
    """The environment of a user's shell: without the ``TF_CPP_MIN_LOG_LEVEL`` the test suite sets for itself
    (tests/models/conftest.py), which the subprocesses would otherwise inherit and which hides TensorFlow's
    INFO lines even with ``--verbose``."""
    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def _train(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "radargest", *extra, "train", "--data", str(data), "--out", str(out), *TINY],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_user_env(),
    )


def test_train_stderr_holds_no_tensorflow_line(sim_dir: Path, tmp_path: Path) -> None:
    """A real short training (TensorFlow import, tf.data pipeline, Keras fit, plots) prints nothing of
    TensorFlow's on stderr while its progress bar stays; ``evaluate --verbose`` on that run brings
    TensorFlow's lines back (so the check can fail)."""
    quiet = _train(sim_dir, tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert TF_TRACE.search(quiet.stderr) is None, quiet.stderr
    assert "epoch" in quiet.stderr  # the pipeline's own progress bar
    assert "validation" in quiet.stdout
    assert "trained 1 epoch in " in quiet.stdout, quiet.stdout  # the count agrees with its noun
    verbose = subprocess.run(
        [sys.executable, "-m", "radargest", "evaluate", str(tmp_path / "quiet"), "--data", str(sim_dir), "--verbose"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_user_env(),
    )
    assert verbose.returncode == 0, verbose.stderr
    assert TF_TRACE.search(verbose.stderr) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["robustness", "RUN", "--personalise"],
        ["record", "--source", "sim", "--subject", "ann", "--enrol", "--init", "RUN", "--out", "OUT"],
        ["train", "--data", "D", "--gestures", "tap_in", "--out", "OUT"],
        ["quickstart", "--out", "OUT"],
        ["bench", "all", "--model", "MODEL"],
        ["search", "--data", "D", "--out", "OUT"],
    ],
)
def test_commands_that_train_run_under_the_quiet_lid(argv: list[str]) -> None:
    """A command that may fine-tune (``robustness --personalise``, ``record --enrol``) runs under
    :func:`quiet_tensorflow` and takes ``--verbose``, like ``train``."""
    from radargest.cli import build_parser

    args = build_parser().parse_args([*argv, "--verbose"])
    assert getattr(args, "tensorflow", False) and args.verbose


def test_command_modules_leave_the_log_level_to_the_quiet_lid() -> None:
    """No command module under the lid sets ``TF_CPP_MIN_LOG_LEVEL`` itself: a ``setdefault`` there would
    hide TensorFlow's C++ lines under ``--verbose`` too."""
    import radargest

    sets = re.compile(r"environ(\.setdefault\(|\[)\s*[\"']TF_CPP_MIN_LOG_LEVEL")
    own = {"quiet.py"}
    offenders = [
        p.name
        for p in sorted(Path(radargest.__file__).parent.glob("*.py"))
        if p.name not in own and sets.search(p.read_text())
    ]
    assert offenders == []
