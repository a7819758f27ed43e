"""``radargest evaluate RUN_DIR --data ... --throttle-sweep BUNDLE``: the throttle trade-off on the held-out
streams of a run (DESIGN §8).

Composition only: :mod:`models.data` picks the held-out recordings of the run's split (no TensorFlow),
:mod:`deploy.runtime` turns each into a stream for the bundle, and :mod:`deploy.sweep` runs and scores the
bundle always-on and at every throttle setting of the grid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["run_throttle_sweep"]


def run_throttle_sweep(
    run_dir: Path,
    data: Iterable[Path],
    bundle_dir: Path,
    *,
    split: Any = None,
    out_dir: Path | None = None,
    grid: Any = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Sweep ``bundle_dir`` over the held-out side of ``split`` (default: the run's) of ``data``. The result names
    the run the bundle was exported from (``bundle_run``) and the scored files the run was trained or validated on
    (``training_side_files``, as ``radargest evaluate`` does).

    Writes ``throttle.json``, ``throttle.md`` and ``throttle_curve.png`` to ``out_dir`` (default ``run_dir``).

    Returns:
        The sweep result (:func:`deploy.sweep.throttle_sweep`) and the written files by name.

    Raises:
        models.config.RunError: missing or corrupt run directory.
        models.data.DataError: bad data, or no held-out recording under the split.
        deploy.runtime.BundleError: a bad bundle, or a recording that does not match its preset.
    """
    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream
    from deploy.sweep import LabelledStream, SweepConfig, plot_throttle_sweep, sweep_table, throttle_sweep
    from models.config import read_run_config, training_side_files
    from models.data import load_recordings, scored_indices

    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    bundle = load_bundle(bundle_dir)
    split = split or cfg.split
    recs = load_recordings(list(data), cfg=cfg.dataset, progress=progress)
    test = scored_indices(recs, split)
    trained_on = training_side_files(run_dir, [recs[i].path.name for i in test])
    known = set(bundle.classes[1:])
    streams = []
    for i in test:
        rec = recs[i]
        frames, geometry = session_stream(load_session(rec.path), bundle)
        truth = tuple((la.start_frame, la.end_frame, la.gesture) for la in rec.labels if la.gesture in known)
        streams.append(LabelledStream(name=rec.name, frames=frames, geometry=geometry, truth=truth))
    del recs
    result = throttle_sweep(bundle, streams, cfg=grid or SweepConfig(), progress=progress)
    result["run_dir"] = str(run_dir)
    result["bundle"] = str(bundle_dir)
    result["bundle_run"] = str(bundle.manifest.get("run", ""))  # the run the bundle was exported from
    result["training_side_files"] = trained_on  # scored files the run trained or validated on: not held out
    out = Path(out_dir) if out_dir is not None else run_dir
    out.mkdir(parents=True, exist_ok=True)
    files = {"json": out / "throttle.json", "table": out / "throttle.md", "curve": out / "throttle_curve.png"}
    files["json"].write_text(json.dumps(result, indent=2) + "\n")
    files["table"].write_text(
        f"# Throttle sweep\n\nBundle `{bundle_dir}` on the held-out streams of `{run_dir}` "
        f"({', '.join(result['streams'])}).\n\n" + sweep_table(result)
    )
    plot_throttle_sweep(result, files["curve"])
    return result, files
