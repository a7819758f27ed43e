"""``radargest export | detect``: thin commands over :mod:`deploy` (DESIGN §8, §2).

``export`` imports TensorFlow (through :mod:`deploy.export`); ``detect`` never does: it uses only
:mod:`deploy.runtime` (numpy, ai-edge-litert, acquisition, dsp). ``add_deploy_commands`` registers both on
the main parser's subparsers; errors are exceptions whose first line the main CLI prints
(:class:`deploy.runtime.BundleError` is a ``ValueError``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from radargest.cli_args import check_out_dir, refuse_unused
from radargest.decision_args import (
    add_decision_arguments,
    decision_from_args,
    refuse_other_streams_gate,
    warn_operating_point_drift,
)

__all__ = ["add_deploy_commands", "arena_words", "cmd_detect", "cmd_export"]


def cmd_export(args: argparse.Namespace) -> int:
    """``radargest export RUN_DIR --out BUNDLE``."""
    from radargest.extras import require_extra

    if args.target == "cortex-m4f" and args.backend == "tflm":
        raise ValueError(
            "--target cortex-m4f builds the ahead-of-time C models (--backend c); the TFLM path is the "
            "bundle's model_data.c and example_main.cc, built with your MCU SDK (export without --target)"
        )
    from models.config import missing_run_files, refuse_mixed_folder

    refuse_mixed_folder(args.out, writing="bundle")  # first: --overwrite would not help there
    check_out_dir(args.out, overwrite=args.overwrite, what="bundle folder")
    if args.target != "cortex-m4f":
        refuse_unused(args, ("backend", "measure", "everyday"), applies="with --target cortex-m4f")
    from acquisition.recording import check_everyday_stream, check_readable

    # read after the conversion and the firmware build: check them now
    if args.measure is not None:
        check_readable(args.measure)
    if args.everyday is not None:
        check_everyday_stream(args.everyday)
    require_extra("train", what="radargest export")  # TensorFlow's lines: the quiet lid's (radargest.quiet)
    from deploy.export import ExportConfig, check_stream_recordings, export_bundle

    check_stream_recordings(args.run_dir, [p for p in (args.measure, args.everyday) if p is not None])
    missing = missing_run_files(args.run_dir)
    if missing:  # a run stopped early can still hold a usable model: exported, but not silently
        print(
            f"warning: {args.run_dir} lacks {', '.join(missing)}, which every finished run holds: the run did not "
            "finish (stopped or killed?)",
            file=sys.stderr,
        )
    warn_operating_point_drift(args.run_dir)  # the bundle ships the run's min_score with today's decision layer
    cfg = ExportConfig(arena_search=not args.no_arena_search)
    log = None if args.quiet else (lambda m: print(m, file=sys.stderr))
    manifest = export_bundle(
        args.run_dir, args.out, representative=args.data or None, cfg=cfg, log=log, progress=not args.quiet
    )
    if args.target == "cortex-m4f":
        from deploy.firmware.target import add_firmware_target, validation_recording

        fw = add_firmware_target(
            args.out, recording=args.measure or validation_recording(args.out), everyday=args.everyday, log=log
        )
        manifest["report"]["firmware"] = fw
        print(
            f"firmware {Path(args.out) / 'firmware'}: flash {fw['size']['flash_total']} B, RAM "
            f"{fw['size']['ram_total']} B; instructions per full-rate frame (throttled) "
            f"{fw['streams']['throttled']['instructions']['full_rate_frame']}"
        )
    r = manifest["report"]
    print(
        f"wrote {args.out}: flash {r['flash_total_bytes']} B (models + C), "
        f"{arena_words(r, searched=not args.no_arena_search)}, "
        f"streaming agreement {manifest['streaming']['agreement']}; see {Path(args.out) / 'report.md'}"
    )
    return 0


def arena_words(report: dict[str, Any], *, searched: bool) -> str:
    """The tensor arena of a bundle's report for a summary line: its bytes, or why there is no figure."""
    if report["arena"]:
        return f"arena {sum(a['bytes'] for a in report['arena'].values())} B"
    if not searched:
        return "arena not searched (--no-arena-search)"
    return "arena not measured (tflite-micro is not installed)"


def cmd_detect(args: argparse.Namespace) -> int:
    """``radargest detect FILE.h5 --model BUNDLE [--json] [--always-on]`` (no TensorFlow)."""
    from acquisition import load_session
    from deploy.power import run_energy
    from deploy.runtime import detect_frames, load_bundle, session_stream

    refuse_other_streams_gate(args, idle_stream=not args.always_on)
    bundle = load_bundle(args.model)
    # labels play no part in detection: a bad label table is no reason to refuse the stream
    frames, geometry = session_stream(load_session(args.file, labels="ignore"), bundle)
    result = detect_frames(
        frames, bundle, geometry=geometry, always_on=args.always_on, decision=decision_from_args(args, bundle.decision)
    )
    energy, states = run_energy(
        result.utilisation,
        manifest=bundle.manifest,
        geometry=geometry,
        onset_cfg=bundle.onset,
        throttle=bundle.throttle,
        always_on=args.always_on,
    )
    for ev in result.events:
        if args.json:
            print(ev.to_json())
        else:
            print(
                f"{ev.t_s:9.3f} s  frames {ev.start_frame}-{ev.end_frame}  {ev.gesture:<16} {ev.score:.2f}  "
                f"decided {ev.latency_ms:.0f} ms after the motion"
            )
    u = result.utilisation
    summary: dict[str, Any] = {
        "utilisation": {
            "always_on": result.always_on,
            "macs_executed": result.macs_executed,
            "macs_always_on": result.macs_always_on,
            "mac_share": result.mac_share,
            "sensor_frames": u.sensor_frames,
            "frames": u.frames,
            "sensor_share": u.sensor_share,
            "encoder_runs": u.encoder_runs,
            "head_runs": u.head_runs,
            "full_rate_frames": u.full_rate_frames,
            "switches": u.switches,
        },
        "energy": energy.to_dict(),
        "sensor_states": states.to_dict() if not args.always_on else {"always_on": states.to_dict()["full"]},
    }
    # the utilisation and energy go to stderr so that stdout stays one event per line
    print(json.dumps(summary) if args.json else result.summary() + "\n" + energy.summary(), file=sys.stderr)
    return 0


def add_deploy_commands(subparsers: Any) -> None:
    """Register ``export`` and ``detect`` on the main parser's subparsers."""
    from radargest.cli import uses_tensorflow

    p = subparsers.add_parser(
        "export",
        help="write the embedded bundle of a trained run",
        description="Splits the run's model into a per-frame encoder and a temporal head, converts both to "
        "int8 TFLite, checks streaming equivalence, and writes the bundle: the models, model_data.c/.h, the C99 "
        "feature, throttle and decision sources with config.h, example_main.cc, manifest.json and report.md.",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a finished 'radargest train' run directory")
    p.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    p.add_argument(
        "--data", type=Path, nargs="+", default=None, help="recordings for calibration (default: the run's data)"
    )
    p.add_argument("--no-arena-search", action="store_true", help="skip the TFLM arena search (subprocesses)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty bundle folder (default: refuse)")
    p.add_argument(
        "--target",
        choices=["host", "cortex-m4f"],
        default="host",
        help="cortex-m4f: also write, build (ARM toolchain) and measure (QEMU) the firmware project in OUT/firmware",
    )
    p.add_argument(
        "--backend",
        choices=["c", "tflm"],
        default=None,
        help="cortex-m4f: model runtime of the firmware: c = int8 models compiled ahead of time to C (default); "
        "tflm = the TFLite Micro interpreter path (model_data.c + example_main.cc, built with your SDK)",
    )
    p.add_argument(
        "--measure",
        type=Path,
        default=None,
        metavar="FILE.h5",
        help="cortex-m4f: recording the firmware is measured on (default: the first validation-side recording)",
    )
    p.add_argument(
        "--everyday",
        type=Path,
        default=None,
        metavar="FILE.h5",
        help="cortex-m4f: an everyday stream ('radargest simulate --everyday') for the battery table's third case",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    uses_tensorflow(p)
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser(
        "detect",
        help="continuous gesture recognition on a recording with a bundle",
        description="Runs the bundle's int8 encoder and head with the adaptive throttle over FILE.h5 and prints "
        "the detected gestures (with --json: one JSON object per line, keys start_frame, end_frame, t_s, "
        "gesture, score). The utilisation against always-on and the energy go to stderr: the A121's average current "
        "from exptool's power model with the exact sensor configuration of each throttle state (always-on: the "
        "sensor as recorded), an MCU estimate from the MACs, and battery hours on a 60 mAh cell. Never imports "
        "TensorFlow.",
    )
    p.add_argument("file", type=Path, metavar="FILE.h5", help="recording")
    p.add_argument("--model", type=Path, required=True, help="bundle folder from 'radargest export'")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.add_argument("--always-on", action="store_true", help="no throttle: full rate, encoder on every frame")
    add_decision_arguments(p)
    p.set_defaults(func=cmd_detect)
