"""Consistency of the operating point between ``detect`` and the Python evaluation (issue 10, acceptance d).

For each recording: the bundle's ``detect --always-on`` events (int8 networks, the manifest's decision
layer with the run's calibrated ``min_score``) against

1. ``models.evaluate``'s decision layer fed the bundle's int8 networks, averaged over the bundle's shifted
   windows as the device does (one window for a bundle written before ``model.window_shifts_s``): the
   records must be identical (same events, classes, frames);
2. ``models.evaluate`` with the run's float Keras model and test-time averaging (what ``radargest
   evaluate`` reports): the share of detect's accepted events with an equal accepted decision (same
   class, overlapping span), and the other way round.

    python scripts/rejection_consistency.py RUN_DIR BUNDLE FILE.h5 ... > consistency.json
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np


def _recorder_class() -> type:
    from deploy.runtime import StreamingDetector

    class Recorder(StreamingDetector):
        """The runtime's detector, keeping every decision record (accepted or rejected)."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.records: list[object] = []

        def _decided(self, d: object, now: int) -> None:
            self.records.append(d)
            super()._decided(d, now)  # type: ignore[arg-type]

    return Recorder


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    from acquisition import load_session
    from deploy.runtime import load_bundle, session_stream
    from models.config import load_run
    from models.data import load_recordings
    from models.evaluate import keras_predictor, stream_scores

    run_dir, bundle_dir, files = Path(argv[0]), Path(argv[1]), [Path(p) for p in argv[2:]]
    _Recorder = _recorder_class()
    bundle = load_bundle(bundle_dir)
    model, cfg = load_run(run_dir)
    ds, t = cfg.dataset, cfg.architecture.window_frames
    assert bundle.decision.min_score == cfg.min_score, "the bundle does not carry the run's operating point"
    float_predict = keras_predictor(model)
    out: dict[str, Any] = {"run": str(run_dir), "bundle": str(bundle_dir), "min_score": cfg.min_score, "files": []}
    totals = {"detect": 0, "identical_files": 0, "float_matched": 0, "float_events": 0, "float_in_detect": 0}
    for path in files:
        frames, geometry = session_stream(load_session(path), bundle)
        det = _Recorder(bundle, geometry=geometry, always_on=True)
        for i in range(len(frames)):
            det.process(frames[i], i)
        det.flush()
        records: list[Any] = det.records
        recs = load_recordings([path], cfg=ds)

        def int8_predictor(x: np.ndarray, det: Any = det) -> np.ndarray:
            head = bundle.head
            enc = det._encode
            p = [head.dequantise(head.invoke_int8(np.stack([enc(f, count=False) for f in w]))) for w in x]
            return np.asarray(p, dtype=np.float32).reshape(len(x), len(bundle.classes))

        ev = stream_scores(
            int8_predictor,
            recs,
            0,
            cfg=ds,
            window_frames=t,
            decision=bundle.decision,
            shifts_s=bundle.window_shifts_s,  # the windows the device averages
        ).decide(bundle.decision.min_score)

        def f32(rs: list[Any]) -> list[Any]:
            return [dataclasses.replace(d, score=float(np.float32(d.score))) for d in rs]

        identical = f32(ev) == f32(records)
        fl = stream_scores(float_predict, recs, 0, cfg=ds, window_frames=t, decision=bundle.decision).decide(
            cfg.min_score
        )
        d_acc = [d for d in records if d.accepted]
        f_acc = [d for d in fl if d.accepted]

        def same(a: Any, b: Any) -> bool:
            return bool(a.label == b.label and a.start_frame < b.end_frame and b.start_frame < a.end_frame)

        matched = sum(any(same(a, b) for b in f_acc) for a in d_acc)
        back = sum(any(same(b, a) for a in d_acc) for b in f_acc)
        totals["detect"] += len(d_acc)
        totals["identical_files"] += int(identical)
        totals["float_matched"] += matched
        totals["float_events"] += len(f_acc)
        totals["float_in_detect"] += back
        out["files"].append(
            {
                "file": path.name,
                "detect_events": len(d_acc),
                "int8_evaluate_identical": identical,
                "float_events": len(f_acc),
                "detect_in_float": matched,
                "float_in_detect": back,
            }
        )
    out["totals"] = {**totals, "files": len(files)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
