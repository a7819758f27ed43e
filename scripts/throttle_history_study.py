"""Why a throttled device fires more often than always-on (issue 11), TRAINING side only.

Usage:
    python scripts/throttle_history_study.py BUNDLE FILE.h5 [FILE.h5 ...] [--modes always-on,throttled,true-history]
        [--json OUT.json]

Runs an exported bundle's runtime (``deploy.runtime.StreamingDetector`` with the bundle's own decision and
throttle) over whole streams in up to three modes and prints, per mode, the correct and wrong decisions on the
labelled gestures and the false activations by the cause of the negative span they fall in:

- ``always-on``: the encoder on every frame (``detect --always-on``);
- ``throttled``: the device as shipped. At a wake the ring of frame embeddings holds nothing from before the
  wake (an IDLE frame has too few sweeps for a map), so every frame before the first encoded one reads as that
  frame's embedding;
- ``true-history``: the same throttle and decision, but the encoder also runs on every frame the throttled
  sensor skipped or sensed at its IDLE configuration, and a wake keeps that history. No device can do this;
  it isolates what the missing history costs, everything else (wakes, onset stream, gates) being the device's.

Held-out data is refused (:func:`radargest.datasets.held_out_paths`: ``idx_3``, ``static_hand``, every
held-out simulated subject and ``everyday_test``).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from acquisition.recording import load_session
from deploy.runtime import Bundle, RingBuffer, StreamingDetector, load_bundle, session_stream
from deploy.throttle import Phase
from dsp import FrameGeometry
from models.rejection import UNLABELLED
from radargest.datasets import held_out_paths

MODES = ("always-on", "throttled", "true-history")


class _KeptHistoryRing(RingBuffer):
    """A ring whose reset (a wake) keeps the embeddings it holds."""

    def reset(self, fill: npt.NDArray[np.int8] | None = None) -> None:
        if fill is not None:
            self.fill = np.asarray(fill, dtype=np.int8).copy()


def run(bundle: Bundle, frames: npt.NDArray[Any], geometry: FrameGeometry, mode: str) -> list[Any]:
    """The accepted detections of ``bundle`` over a ``(frames, sweeps, points)`` stream in ``mode``."""
    det = StreamingDetector(bundle, geometry=geometry, always_on=mode == "always-on")
    if mode == "true-history":
        det.ring.__class__ = _KeptHistoryRing
    for t in range(len(frames)):
        sensed = det.wants(t)
        if mode == "true-history" and not (sensed and det.state.phase in (Phase.ONSET, Phase.ACTIVE)):
            det.ring.push(t, det._encode(det._features(frames[t]), count=False))
        if sensed:
            det.process(frames[t], t)
    det.flush()
    return list(det.result(len(frames)).events)


def score(files: list[Path], bundle: Bundle, mode: str) -> dict[str, Any]:
    """Correct / wrong decisions and false activations by cause over ``files``."""
    correct = wrong = 0
    causes: collections.Counter[str] = collections.Counter()
    for f in files:
        session = load_session(f)
        frames, geometry = session_stream(session, bundle)
        negatives = [(n.start_frame, n.end_frame, n.cause) for n in session.negatives]
        for ev in run(bundle, frames, geometry, mode):
            s, e = ev.start_frame, ev.end_frame
            truth = [la.gesture for la in session.labels if la.start_frame < e and la.end_frame > s]
            if truth:
                correct += truth[0] == ev.gesture
                wrong += truth[0] != ev.gesture
                continue
            over = [(min(b, e) - max(a, s), c) for a, b, c in negatives if min(b, e) > max(a, s)]
            causes[max(over)[1] if over else UNLABELLED] += 1
        print(f"{mode}: {f.stem}", file=sys.stderr, flush=True)
    return {"correct": correct, "wrong": wrong, "false_activations": sum(causes.values()), "by_cause": dict(causes)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle", type=Path)
    ap.add_argument("files", type=Path, nargs="+")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    ap.add_argument("--json", type=Path, help="also write the table here")
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    if bad := [m for m in modes if m not in MODES]:
        sys.exit(f"error: unknown mode(s) {', '.join(bad)}; choose from {', '.join(MODES)}")
    if held := held_out_paths(args.files):
        sys.exit(f"error: held-out file(s) refused: {', '.join(held)}")
    bundle = load_bundle(args.bundle)
    table = {m: score(args.files, bundle, m) for m in modes}
    for m, row in table.items():
        by = ", ".join(f"{c} {n}" for c, n in sorted(row["by_cause"].items(), key=lambda x: -x[1]))
        counts = f"correct {row['correct']:4d}  wrong {row['wrong']:3d}  false {row['false_activations']:4d}"
        print(f"{m:13s} {counts}  ({by})")
    if args.json:
        args.json.write_text(json.dumps({"bundle": str(args.bundle), "modes": table}, indent=1))


if __name__ == "__main__":
    main()
