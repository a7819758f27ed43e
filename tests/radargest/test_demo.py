"""``radargest demo``: headless equivalence with ``detect``, no TensorFlow, scripted sim, bad sources.

The bundle is a small model trained for a few epochs on the shared simulated fixture sessions (two
subjects); the window mode is checked by hand under Xvfb (docs/demo.png), not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from radargest.cli import main

GESTURES = ("tap_in", "tap_out", "double_tap_in", "wiggle")


def _sim_file(sim_dir: Path) -> Path:
    return sorted(sim_dir.glob("*.h5"))[0]


def test_headless_replay_equals_detect(demo_bundle: Path, sim_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _sim_file(sim_dir)
    assert main(["detect", str(f), "--model", str(demo_bundle), "--json"]) == 0
    det = capsys.readouterr()
    assert main(["demo", "--headless", "--fast", "--source", f"replay:{f}", "--model", str(demo_bundle)]) == 0
    demo = capsys.readouterr()
    assert demo.out == det.out
    assert demo.out.strip(), "the test bundle should detect something on its training session"
    for line in demo.out.splitlines():
        assert set(json.loads(line)) == {"start_frame", "end_frame", "t_s", "gesture", "score"}
    util = json.loads(det.err.strip().splitlines()[-1])["utilisation"]
    summary = json.loads(demo.err.strip().splitlines()[-1])["summary"]
    assert summary["ended"] == "end" and summary["dropped"] == 0
    assert summary["sensor_share"] == pytest.approx(util["sensor_share"], abs=1e-4)
    assert summary["mac_share"] == pytest.approx(util["mac_share"], abs=1e-4)


def test_demo_cli_imports_no_tensorflow_nor_models(demo_bundle: Path, sim_dir: Path) -> None:
    f = _sim_file(sim_dir)
    code = (
        "import sys, contextlib, io\n"
        "from radargest.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['demo', '--headless', '--fast', '--source', 'replay:{f}', '--model', '{demo_bundle}'])\n"
        f"    rc += main(['demo', '--headless', '--fast', '--seconds', '5', '--model', '{demo_bundle}'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'models', 'tf_keras'))\n"
        "print(rc, bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_live_library_imports_no_tensorflow_nor_models(demo_bundle: Path, sim_dir: Path) -> None:
    """The library path (deploy.live) imports neither TensorFlow nor :mod:`models`."""
    f = _sim_file(sim_dir)
    code = (
        "import sys\n"
        "from deploy.live import open_live\n"
        "from deploy.runtime import load_bundle\n"
        f"b = load_bundle('{demo_bundle}')\n"
        f"s = open_live('replay:{f}', b, fast=True).run()\n"
        "s2 = open_live('sim', b, fast=True, script=['tap_in']).run(until_script_done_s=1.0)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'models', 'tf_keras'))\n"
        "print(s.ended, s2.ended, bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "end end []"


def test_scripted_sim_headless(demo_bundle: Path) -> None:
    """Weaker than '>= 90 % recognised' (a few-epoch test model on two subjects cannot promise that): every
    scripted gesture is performed, the run ends by itself, no frame is dropped, the segmenter hands the head
    one candidate per performed gesture (within 10 %), and the events are in the DESIGN §2 format."""
    from deploy.live import open_live
    from deploy.runtime import Detection, load_bundle

    script = ["tap_in", "wiggle", "tap_out", "double_tap_in"] * 3
    # subject 11: a typical draw (0.09 m, a few degrees off axis, median tempo); the widened distribution's
    # edge subjects (slow, far, off axis) are the robustness map's business, not this plumbing test's
    run = open_live("sim:11", load_bundle(demo_bundle), fast=True, script=script)
    events: list[Detection] = []
    stats = run.run(on_event=events.append, until_script_done_s=1.5, max_frames=20_000)
    assert stats.ended == "end" and stats.dropped == 0
    assert [g for g, _, _ in run.script.performed] == script  # type: ignore[union-attr]
    assert abs(run.detector.candidates - len(script)) <= 0.1 * len(script) + 1
    assert all(e.gesture in GESTURES for e in events)
    assert stats.frames_per_s > 0  # measured and reported; its speed is `radargest bench`'s, not a test's


def test_sim_stops_after_seconds(demo_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["demo", "--headless", "--fast", "--source", "sim", "--seconds", "3", "--model", str(demo_bundle)]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["summary"]
    assert summary["ended"] == "max_frames" and 150 <= summary["frames"] <= 180


@pytest.mark.parametrize(
    ("source", "hint"),
    [
        ("serial:/dev/ttyRADARGEST_NONE", "port"),
        ("socket:127.0.0.1:1", "address"),
        ("replay:/nonexistent/file.h5", "nonexistent"),
        ("bogus", "use sim"),
    ],
)
def test_bad_source_is_one_line(demo_bundle: Path, source: str, hint: str) -> None:
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "radargest", "demo", "--headless", "--source", source, "--model", str(demo_bundle)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert time.monotonic() - t0 < 15  # < 5 s on an idle machine; generous under a loaded CI
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("radargest: error:") and hint in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_bench_all_json_and_table(demo_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    args = ["bench", "all", "--model", str(demo_bundle), "--runs", "5", "--stream-s", "20", "--json", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert {"dsp", "model", "streaming", "size", "machine"} <= set(result)
    assert set(result["model"]["frame"]) == {"keras_float_s", "tflite_float_s", "litert_int8_s"}
    assert result["streaming"]["throttled"]["x_realtime"] > 1.0
    assert 0 < result["streaming"]["throttled"]["sensor_share"] < 1
    lat = result["streaming"]["always_on"]["decision_latency_ms"]
    assert lat["truth"] > 0 and set(lat) == {"all", "by_class", "truth"}
    assert "faster than exptool sparse_iq" in text and "real time" in text


def test_bench_all_refuses_a_run_of_other_classes(
    demo_bundle: Path, tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--run`` of another model was timed as if it were the bundle's."""
    import dataclasses

    from models.config import read_config, write_config

    other = tmp_path / "other"
    other.mkdir()
    cfg = read_config(tiny_run / "config.toml")
    fewer = dataclasses.replace(
        cfg,
        dataset=dataclasses.replace(cfg.dataset, gestures=("tap_in",)),
        architecture=dataclasses.replace(cfg.architecture, num_classes=2),
    )
    write_config(fewer, other / "config.toml")
    assert main(["bench", "all", "--model", str(demo_bundle), "--run", str(other), "--runs", "1"]) == 2
    err = capsys.readouterr().err
    assert "a run of none, tap_in, not of the bundle's none, tap_in, tap_out" in err


def test_window_without_a_display_is_refused_not_a_hang(demo_bundle: Path) -> None:
    """Without a display the window never opens; the demo waited for its close forever (killed by a timeout)."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"} | {"MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, "-m", "radargest", "demo", "--fast", "--seconds", "1", "--model", str(demo_bundle)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no interactive display" in lines[0] and "--headless" in lines[0], out.stderr
    assert out.stdout == ""  # refused before the source ran


def test_detect_into_a_closed_pipe_stops_quietly(demo_bundle: Path, sim_dir: Path) -> None:
    """``radargest detect ... --json | head`` (here: a reader that has gone before the first line) ends as a Unix
    filter does on SIGPIPE, status 141 and no error line; a broken pipe was reported as an error before."""
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "radargest",
                "detect",
                str(_sim_file(sim_dir)),
                "--model",
                str(demo_bundle),
                "--json",
            ],
            stdout=w,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(w)
    assert proc.returncode == 141
    assert "error" not in proc.stderr and "Traceback" not in proc.stderr


def test_quickstarts_demo_stage_runs_the_replay_as_the_demo_command_does(
    demo_bundle: Path, sim_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stage 6 of ``quickstart`` once built the demo's options by hand, with a ``--seed`` that the demo refuses
    for a replay: the pipeline's last stage failed."""
    from radargest.quickstart import demo_on_replay

    f = _sim_file(sim_dir)
    assert main(["demo", "--headless", "--fast", "--source", f"replay:{f}", "--model", str(demo_bundle)]) == 0
    command = capsys.readouterr().out
    assert demo_on_replay(f, demo_bundle, headless=True) == 0
    assert capsys.readouterr().out == command
