"""The run's calibrated operating point reaches the bundle manifest, ``detect`` and the C build's config."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest


def test_the_runs_min_score_reaches_manifest_detect_and_config_h(
    tiny_export_run: Path, sim_dir: Path, tmp_path: Path
) -> None:
    from acquisition import load_session
    from deploy.export import ExportConfig, export_bundle
    from deploy.runtime import StreamingDetector, load_bundle, session_stream
    from models.config import read_config, write_config

    run = tmp_path / "run"
    shutil.copytree(tiny_export_run, run)
    cfg = read_config(run / "config.toml")
    write_config(dataclasses.replace(cfg, min_score=0.6875), run / "config.toml")  # a distinctive value
    out = tmp_path / "bundle"
    export_bundle(
        run,
        out,
        cfg=ExportConfig(
            arena_search=False,
            latency_runs=2,
            tflm_rows=4,
            check_recordings=1,
            representative_frames=200,
            representative_windows=50,
        ),
    )
    assert json.loads((out / "manifest.json").read_text())["decision"]["min_score"] == pytest.approx(0.6875)
    bundle = load_bundle(out)
    assert bundle.decision.min_score == pytest.approx(0.6875)
    _, geometry = session_stream(load_session(sorted(sim_dir.glob("*.h5"))[0]), bundle)
    assert StreamingDetector(bundle, geometry=geometry).decision.min_score == pytest.approx(0.6875)
    assert "0.6875" in (out / "config.h").read_text()
